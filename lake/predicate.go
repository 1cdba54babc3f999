package lake

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/apache/iceberg-go"
)

// errUnsupportedFilter marks a row filter the filter-first reader leaves to
// iceberg-go's reader: a term that is not a top-level column, a decimal, or
// an operation it does not evaluate.
var errUnsupportedFilter = errors.New("filter not evaluated by the filter-first reader")

// A scalar is a value in the order its column sorts by: integers (and
// dates, times, timestamps, booleans) as int64, floats as float64, strings,
// binary, fixed and uuid as bytes compared unsigned.
type scalar struct {
	k cmpKind
	i int64
	f float64
	b string
}

type cmpKind uint8

const (
	kNone cmpKind = iota
	kInt
	kFloat
	kBytes
)

func (a scalar) cmp(b scalar) int {
	switch a.k {
	case kInt:
		return cmpOrdered(a.i, b.i)
	case kFloat:
		return cmpOrdered(a.f, b.f)
	default:
		return strings.Compare(a.b, b.b)
	}
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// literalScalar converts a bound literal (already of its field's type).
func literalScalar(l iceberg.Literal) scalar {
	switch v := l.(type) {
	case iceberg.BoolLiteral:
		if v {
			return scalar{k: kInt, i: 1}
		}
		return scalar{k: kInt}
	case iceberg.Int32Literal:
		return scalar{k: kInt, i: int64(v)}
	case iceberg.Int64Literal:
		return scalar{k: kInt, i: int64(v)}
	case iceberg.DateLiteral:
		return scalar{k: kInt, i: int64(v)}
	case iceberg.TimeLiteral:
		return scalar{k: kInt, i: int64(v)}
	case iceberg.TimestampLiteral:
		return scalar{k: kInt, i: int64(v)}
	case iceberg.TimestampNsLiteral:
		return scalar{k: kInt, i: int64(v)}
	case iceberg.Float32Literal:
		return scalar{k: kFloat, f: float64(v)}
	case iceberg.Float64Literal:
		return scalar{k: kFloat, f: float64(v)}
	case iceberg.StringLiteral:
		return scalar{k: kBytes, b: string(v)}
	case iceberg.BinaryLiteral:
		return scalar{k: kBytes, b: string(v)}
	case iceberg.FixedLiteral:
		return scalar{k: kBytes, b: string(v)}
	case iceberg.UUIDLiteral:
		return scalar{k: kBytes, b: string(v[:])}
	}
	return scalar{}
}

// kindOf is the scalar kind of a column of type t; kNone for the types the
// filter-first reader does not compare (decimals, nested types).
func kindOf(t iceberg.Type) cmpKind {
	switch t.(type) {
	case iceberg.BooleanType, iceberg.Int32Type, iceberg.Int64Type, iceberg.DateType,
		iceberg.TimeType, iceberg.TimestampType, iceberg.TimestampTzType,
		iceberg.TimestampNsType, iceberg.TimestampTzNsType:
		return kInt
	case iceberg.Float32Type, iceberg.Float64Type:
		return kFloat
	case iceberg.StringType, iceberg.BinaryType, iceberg.FixedType, iceberg.UUIDType:
		return kBytes
	}
	return kNone
}

// A pred is a bound row filter compiled for the filter-first reader: NOT
// pushed down to the leaves (iceberg.RewriteNotExpr), each leaf naming a
// top-level field by id.
type pred struct {
	op    iceberg.Operation
	l, r  *pred    // OpAnd, OpOr
	field int      // leaves
	kind  cmpKind  // of the field
	lit   scalar   // literal ops
	set   []scalar // OpIn, OpNotIn: sorted
}

// compileFilter compiles a filter bound to schema. It returns
// errUnsupportedFilter (wrapped) for what it does not evaluate.
func compileFilter(bound iceberg.BooleanExpression, schema *iceberg.Schema) (*pred, error) {
	return compile(bound, &compiler{schema: schema})
}

// compilePruning compiles a filter bound to schema for pruning by bounds
// alone: a leaf it does not evaluate becomes TRUE. With NOTs pushed to the
// leaves the filter is monotone in them, so that only keeps more.
func compilePruning(bound iceberg.BooleanExpression, schema *iceberg.Schema) (*pred, error) {
	return compile(bound, &compiler{schema: schema, lenient: true})
}

func compile(bound iceberg.BooleanExpression, c *compiler) (*pred, error) {
	e, err := iceberg.RewriteNotExpr(bound)
	if err != nil {
		return nil, err
	}
	p, err := iceberg.VisitExpr[*pred](e, c)
	if err == nil {
		err = c.err
	}
	return p, err
}

type compiler struct {
	schema  *iceberg.Schema
	lenient bool // unsupported leaves become TRUE instead of an error
	err     error
}

func (c *compiler) fail(format string, args ...any) *pred {
	if c.err == nil && !c.lenient {
		c.err = fmt.Errorf("%w: "+format, append([]any{errUnsupportedFilter}, args...)...)
	}
	return &pred{op: iceberg.OpTrue}
}

func (c *compiler) VisitTrue() *pred  { return &pred{op: iceberg.OpTrue} }
func (c *compiler) VisitFalse() *pred { return &pred{op: iceberg.OpFalse} }
func (c *compiler) VisitNot(*pred) *pred {
	return c.fail("NOT left after rewriting")
}
func (c *compiler) VisitAnd(l, r *pred) *pred { return &pred{op: iceberg.OpAnd, l: l, r: r} }
func (c *compiler) VisitOr(l, r *pred) *pred  { return &pred{op: iceberg.OpOr, l: l, r: r} }
func (c *compiler) VisitUnbound(p iceberg.UnboundPredicate) *pred {
	return c.fail("unbound predicate %s", p)
}

func (c *compiler) VisitBound(bp iceberg.BoundPredicate) *pred {
	ref, ok := bp.Term().(iceberg.BoundReference)
	if !ok {
		return c.fail("term %s is not a column", bp.Term())
	}
	id := ref.Field().ID
	if top, ok := c.schema.FindFieldByID(id); !ok || !isTopLevel(c.schema, id) {
		return c.fail("column %s is not a top-level field", top.Name)
	}
	k := kindOf(ref.Field().Type)
	if k == kNone {
		return c.fail("column %s of type %s", ref.Field().Name, ref.Field().Type)
	}
	p := &pred{op: bp.Op(), field: id, kind: k}
	switch bp := bp.(type) {
	case iceberg.BoundLiteralPredicate:
		p.lit = literalScalar(bp.Literal())
		if p.lit.k != k {
			return c.fail("literal %s for column %s", bp.Literal(), ref.Field().Name)
		}
		if (p.op == iceberg.OpStartsWith || p.op == iceberg.OpNotStartsWith) && k != kBytes {
			return c.fail("starts-with on column %s", ref.Field().Name)
		}
	case iceberg.BoundSetPredicate:
		for _, l := range bp.Literals().Members() {
			s := literalScalar(l)
			if s.k != k {
				return c.fail("literal %s for column %s", l, ref.Field().Name)
			}
			p.set = append(p.set, s)
		}
		sort.Slice(p.set, func(i, j int) bool { return p.set[i].cmp(p.set[j]) < 0 })
	case iceberg.BoundUnaryPredicate:
	default:
		return c.fail("predicate %s", bp)
	}
	// IS NAN is left to iceberg-go: v0.7.0 keeps NULL rows for it.
	switch p.op {
	case iceberg.OpIsNull, iceberg.OpNotNull,
		iceberg.OpLT, iceberg.OpLTEQ, iceberg.OpGT, iceberg.OpGTEQ, iceberg.OpEQ, iceberg.OpNEQ,
		iceberg.OpStartsWith, iceberg.OpNotStartsWith, iceberg.OpIn, iceberg.OpNotIn:
		return p
	}
	return c.fail("operation %s", p.op)
}

func isTopLevel(s *iceberg.Schema, id int) bool {
	for _, f := range s.Fields() {
		if f.ID == id {
			return true
		}
	}
	return false
}

// fields appends the field ids the filter reads.
func (p *pred) fields(dst []int) []int {
	switch p.op {
	case iceberg.OpTrue, iceberg.OpFalse:
		return dst
	case iceberg.OpAnd, iceberg.OpOr:
		return p.r.fields(p.l.fields(dst))
	}
	for _, f := range dst {
		if f == p.field {
			return dst
		}
	}
	return append(dst, p.field)
}

// A bounds summarizes the values of one column over some rows (a page, a
// row group, a file): min and max of its non-null, non-NaN values when known,
// and its null count when known.
type bounds struct {
	min, max   scalar // k == kNone: unknown
	nulls      int64  // -1: unknown
	allNull    bool
	maxUnbound bool // max is only a truncated prefix and no upper bound
	// floatBounds says min and max of a float column bound its non-NaN
	// values (Iceberg's file bounds); else floats are not pruned.
	floatBounds bool
}

// mightMatch says whether some row summarized by b can satisfy the leaf p.
// It errs towards true: false only when the bounds prove no row matches.
func (p *pred) mightMatch(b bounds) bool {
	switch p.op {
	case iceberg.OpIsNull:
		return b.nulls != 0
	case iceberg.OpNotNull:
		return !b.allNull
	case iceberg.OpNEQ, iceberg.OpNotIn, iceberg.OpNotStartsWith:
		return !b.allNull
	}
	if b.allNull {
		return false // every other leaf is false on NULL
	}
	// Floats are pruned by Iceberg's file bounds only: NaN orders
	// differently in writers' Parquet statistics.
	if (p.kind == kFloat && !b.floatBounds) || b.min.k != p.kind || b.max.k != p.kind {
		return true
	}
	hi := func(v scalar, strict bool) bool { // v above the max?
		if b.maxUnbound {
			return false
		}
		c := v.cmp(b.max)
		return c > 0 || (strict && c == 0)
	}
	switch p.op {
	case iceberg.OpEQ:
		return p.lit.cmp(b.min) >= 0 && !hi(p.lit, false)
	case iceberg.OpLT:
		return b.min.cmp(p.lit) < 0
	case iceberg.OpLTEQ:
		return b.min.cmp(p.lit) <= 0
	case iceberg.OpGT:
		return !hi(p.lit, true)
	case iceberg.OpGTEQ:
		return !hi(p.lit, false)
	case iceberg.OpIn:
		for _, v := range p.set {
			if v.cmp(b.min) >= 0 && !hi(v, false) {
				return true
			}
		}
		return false
	case iceberg.OpStartsWith:
		pre := p.lit.b
		if lo := b.min.b; len(lo) > len(pre) {
			if lo[:len(pre)] > pre {
				return false
			}
		} else if lo > pre {
			return false
		}
		if b.maxUnbound {
			return true
		}
		up := b.max.b
		if len(up) > len(pre) {
			up = up[:len(pre)]
		}
		return up >= pre
	}
	return true
}

// rowsMatch evaluates a leaf on n rows: get returns row i's value, ok false
// for NULL. out[i] is set to whether row i satisfies p; NULL satisfies only
// IS NULL, as in SQL's three-valued logic once NOTs are pushed to the
// leaves.
func (p *pred) rowsMatch(n int, get func(i int) (scalar, bool), out []bool) {
	for i := range n {
		v, ok := get(i)
		if !ok {
			out[i] = p.op == iceberg.OpIsNull
			continue
		}
		out[i] = p.match(v)
	}
}

func (p *pred) match(v scalar) bool {
	switch p.op {
	case iceberg.OpIsNull:
		return false
	case iceberg.OpNotNull:
		return true
	case iceberg.OpStartsWith:
		return strings.HasPrefix(v.b, p.lit.b)
	case iceberg.OpNotStartsWith:
		return !strings.HasPrefix(v.b, p.lit.b)
	case iceberg.OpIn, iceberg.OpNotIn:
		in := false
		if v.k != kFloat || !math.IsNaN(v.f) {
			j := sort.Search(len(p.set), func(j int) bool { return p.set[j].cmp(v) >= 0 })
			in = j < len(p.set) && p.set[j].cmp(v) == 0
		}
		return in == (p.op == iceberg.OpIn)
	}
	if v.k == kFloat && (math.IsNaN(v.f) || math.IsNaN(p.lit.f)) {
		return p.op == iceberg.OpNEQ // IEEE: NaN compares unequal to everything
	}
	c := v.cmp(p.lit)
	switch p.op {
	case iceberg.OpLT:
		return c < 0
	case iceberg.OpLTEQ:
		return c <= 0
	case iceberg.OpGT:
		return c > 0
	case iceberg.OpGTEQ:
		return c >= 0
	case iceberg.OpEQ:
		return c == 0
	case iceberg.OpNEQ:
		return c != 0
	}
	return false
}
