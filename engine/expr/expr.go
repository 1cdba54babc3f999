// Package expr holds the engine's bound scalar expressions: typed trees over
// the columns of one input, the function registry that resolves Flink SQL
// functions and operators for argument types, and the compiler that turns a
// tree into one closure evaluated over whole Arrow columns.
//
// The binder (engine/plan) builds trees from the parser's AST: it resolves
// names to Column indexes, coerces argument types (Coerce), and resolves
// functions (Resolve). Execution (engine/exec) compiles each tree once per
// query (Compile) and calls the result once per batch: no per-row interface
// calls, no per-row allocation on the hot path.
//
// Types are Arrow types. A field's declared Flink type, when Arrow's is
// coarser (VARCHAR(10), TIMESTAMP(3)), travels as field metadata and does not
// change evaluation.
package expr

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// Expr is a bound, typed scalar expression. Implementations are the types in
// this file; trees are immutable once built.
type Expr interface {
	// Type is the Arrow type of the result.
	Type() arrow.DataType
	// String prints the expression in Flink SQL, for EXPLAIN and errors.
	String() string
	exprNode()
}

// Column reads column Index of the input batch.
type Column struct {
	Index    int
	Name     string // for printing
	DataType arrow.DataType
}

// Literal is a constant. Value is an Arrow scalar of the literal's type; a
// NULL literal is an invalid scalar of the type it was coerced to (arrow.Null
// when untyped).
type Literal struct {
	Value scalar.Scalar
}

// Call applies a resolved function; operators are functions too (a + b is
// Call{Func: "+"}). Args already have the types Func was resolved for.
type Call struct {
	Func *Func
	Args []Expr
}

// Cast converts Arg to To. With Try, a value that cannot be converted gives
// NULL (TRY_CAST) instead of failing the query.
type Cast struct {
	Arg Expr
	To  arrow.DataType
	Try bool
}

// Case is CASE WHEN c THEN v … ELSE e END; the operand form CASE x WHEN a …
// is bound to this one (x = a). Else is a NULL literal when omitted. All Then
// values and Else have DataType.
type Case struct {
	Whens    []When
	Else     Expr
	DataType arrow.DataType
}

// When is one branch of a Case.
type When struct {
	Cond Expr // BOOLEAN
	Then Expr
}

// Func is a function resolved for argument types.
type Func struct {
	Name   string         // canonical upper-case Flink name or operator: "+", "=", "AND", "UPPER", …
	Result arrow.DataType // for the argument types it was resolved with
	// NullOnNull says the result is NULL whenever an argument is NULL (most
	// functions); AND, OR, COALESCE, IS NULL and friends are not.
	NullOnNull bool
	// Deterministic is false for functions such as RAND and NOW, which
	// constant folding must not evaluate at plan time.
	Deterministic bool
	// Eval computes the function over whole columns of length n. Args are
	// Arrow datums: arrays of length n or scalars (folded constants). It must
	// not retain its arguments and returns an array it owns.
	Eval func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error)
}

// Datum is a column or a constant: exactly one of Array and Scalar is set.
type Datum struct {
	Array  arrow.Array
	Scalar scalar.Scalar
}

// EvalContext carries what evaluation needs besides its arguments.
type EvalContext struct {
	Ctx   context.Context
	Alloc memory.Allocator // every array a function returns is allocated here
	// Now is the query's start time (CURRENT_TIMESTAMP, NOW, LOCALTIMESTAMP):
	// one instant for the whole query, as Flink's batch mode has it.
	NowMicros int64
	// SessionTimeZone is the zone for TIMESTAMP_LTZ conversions (UTC default).
	SessionTimeZone string
}

// Evaluator is a compiled expression: it evaluates over one batch and returns
// an array of the batch's length that the caller owns and must release.
type Evaluator func(ctx *EvalContext, batch arrow.RecordBatch) (arrow.Array, error)

func (*Column) exprNode()  {}
func (*Literal) exprNode() {}
func (*Call) exprNode()    {}
func (*Cast) exprNode()    {}
func (*Case) exprNode()    {}

func (c *Column) Type() arrow.DataType  { return c.DataType }
func (l *Literal) Type() arrow.DataType { return l.Value.DataType() }
func (c *Call) Type() arrow.DataType    { return c.Func.Result }
func (c *Cast) Type() arrow.DataType    { return c.To }
func (c *Case) Type() arrow.DataType    { return c.DataType }
