// Package plan turns parsed queries into logical plans: the binder resolves
// names and types (with positions in its errors), the optimizer folds
// constants and pushes filters and projections into Iceberg scans, and
// Explain prints the result with the scan's pruning figures.
//
// This first part of the planner covers single-table queries: projection,
// WHERE, ORDER BY, LIMIT/OFFSET, time travel. Joins, aggregation, set
// operations and subqueries come next; the binder says so, with a position,
// when it meets them.
package plan

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/expr"
)

// Node is a logical plan node.
type Node interface {
	// Schema describes the node's output columns.
	Schema() *arrow.Schema
	// Children are the node's inputs.
	Children() []Node
}

// Scan reads an Iceberg table. The optimizer narrows Columns and sets Filter;
// both are pushed into iceberg-go's planner and reader.
type Scan struct {
	Ident  table.Identifier
	Table  *table.Table
	Alias  string
	Fields []arrow.Field // output, in order: the table's columns, or the pushed projection
	// Filter is the part of the query's WHERE that Iceberg evaluates: it
	// prunes partitions, files and row groups, and filters rows exactly.
	Filter iceberg.BooleanExpression
	// Time travel: SnapshotID wins over AsOf; both zero = current.
	SnapshotID int64
	AsOf       time.Time
}

// Values produces constant rows (SELECT without FROM).
type Values struct {
	Rows   [][]expr.Expr
	schema *arrow.Schema
}

// Filter keeps the rows where Cond is TRUE.
type Filter struct {
	Input Node
	Cond  expr.Expr
}

// Project computes Exprs over its input, named by Names.
type Project struct {
	Input  Node
	Exprs  []expr.Expr
	Names  []string
	schema *arrow.Schema
}

// SortKey orders by one input column.
type SortKey struct {
	Column     int
	Descending bool
	NullsFirst bool
}

// Sort orders its input.
type Sort struct {
	Input Node
	Keys  []SortKey
}

// Limit skips Offset rows and passes at most N (N < 0: all).
type Limit struct {
	Input     Node
	N, Offset int64
}

func (s *Scan) Schema() *arrow.Schema    { return arrow.NewSchema(s.Fields, nil) }
func (v *Values) Schema() *arrow.Schema  { return v.schema }
func (f *Filter) Schema() *arrow.Schema  { return f.Input.Schema() }
func (p *Project) Schema() *arrow.Schema { return p.schema }
func (s *Sort) Schema() *arrow.Schema    { return s.Input.Schema() }
func (l *Limit) Schema() *arrow.Schema   { return l.Input.Schema() }

func (*Scan) Children() []Node      { return nil }
func (*Values) Children() []Node    { return nil }
func (f *Filter) Children() []Node  { return []Node{f.Input} }
func (p *Project) Children() []Node { return []Node{p.Input} }
func (s *Sort) Children() []Node    { return []Node{s.Input} }
func (l *Limit) Children() []Node   { return []Node{l.Input} }

// NewProject builds a projection, deriving its schema from the expressions.
// fields, when given, supply metadata (a column's declared Flink type) for
// expressions that pass a column through.
func NewProject(input Node, exprs []expr.Expr, names []string) *Project {
	fields := make([]arrow.Field, len(exprs))
	in := input.Schema()
	for i, e := range exprs {
		fields[i] = arrow.Field{Name: names[i], Type: e.Type(), Nullable: true}
		if c, ok := e.(*expr.Column); ok {
			src := in.Field(c.Index)
			fields[i].Nullable, fields[i].Metadata = src.Nullable, src.Metadata
		}
	}
	return &Project{Input: input, Exprs: exprs, Names: names, schema: arrow.NewSchema(fields, nil)}
}
