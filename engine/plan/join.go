package plan

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/expr"
)

// JoinKind is the kind of a Join.
type JoinKind string

const (
	JoinInner JoinKind = "INNER" // also CROSS and comma joins: no keys, no residual
	JoinLeft  JoinKind = "LEFT"
	JoinRight JoinKind = "RIGHT"
	JoinFull  JoinKind = "FULL"
	JoinSemi  JoinKind = "SEMI" // left rows with a match, once; left columns only
	JoinAnti  JoinKind = "ANTI" // left rows without a match; left columns only
)

// Join joins Left and Right. A pair of rows matches when every
// LeftKeys[i] (over Left's columns) equals RightKeys[i] (over Right's
// columns; NULL equals nothing) and Residual (over the joined row: Left's
// columns, then Right's) is TRUE. The output is Left's columns then
// Right's (Left's only for semi and anti joins); an outer join's
// null-producing side becomes nullable.
type Join struct {
	Left, Right         Node
	Kind                JoinKind
	LeftKeys, RightKeys []expr.Expr
	Residual            expr.Expr // nil: none
	// Lookup marks a lookup join (JOIN t FOR SYSTEM_TIME AS OF l.col):
	// Right reads an Iceberg table, which a continuous job looks up at its
	// current snapshot as each left row arrives (processing time), rather
	// than joining its changes. Kind is INNER or LEFT; the join is never
	// reordered. A batch query joins the table's current snapshot.
	Lookup bool
	schema *arrow.Schema
}

// NewJoin builds a join on cond (nil for a cross join): its equalities
// between an expression of one side and one of the other become keys, the
// rest the residual.
func NewJoin(left, right Node, kind JoinKind, cond expr.Expr) *Join {
	j := &Join{Left: left, Right: right, Kind: kind}
	if cond != nil {
		j.addCond(Conjuncts(cond))
	}
	j.schema = joinSchema(left, right, kind)
	return j
}

func joinSchema(left, right Node, kind JoinKind) *arrow.Schema {
	var fields []arrow.Field
	for _, f := range left.Schema().Fields() {
		f.Nullable = f.Nullable || kind == JoinRight || kind == JoinFull
		fields = append(fields, f)
	}
	if kind != JoinSemi && kind != JoinAnti {
		for _, f := range right.Schema().Fields() {
			f.Nullable = f.Nullable || kind == JoinLeft || kind == JoinFull
			fields = append(fields, f)
		}
	}
	return arrow.NewSchema(fields, nil)
}

// addCond adds conjuncts over the joined row to the join's condition.
func (j *Join) addCond(cs []expr.Expr) {
	nl := j.Left.Schema().NumFields()
	var rest []expr.Expr
	if j.Residual != nil {
		rest = Conjuncts(j.Residual)
	}
	for _, c := range cs {
		if l, r, ok := equiKey(c, nl); ok {
			j.LeftKeys = append(j.LeftKeys, l)
			j.RightKeys = append(j.RightKeys, shift(r, -nl))
			continue
		}
		rest = append(rest, c)
	}
	j.Residual = nil
	if len(rest) > 0 {
		j.Residual = and(rest)
	}
}

// equiKey splits "l = r" where l reads only the first nl columns and r only
// the others (or the reverse), both deterministic and of one groupable type.
func equiKey(c expr.Expr, nl int) (expr.Expr, expr.Expr, bool) {
	call, ok := c.(*expr.Call)
	if !ok || call.Func.Name != "=" || len(call.Args) != 2 {
		return nil, nil, false
	}
	a, b := call.Args[0], call.Args[1]
	if !arrow.TypeEqual(a.Type(), b.Type()) || !valueType(a.Type()) {
		return nil, nil, false
	}
	sa, sb := side(a, nl), side(b, nl)
	switch {
	case sa == sideLeft && sb == sideRight:
		return a, b, true
	case sa == sideRight && sb == sideLeft:
		return b, a, true
	}
	return nil, nil, false
}

type joinSide uint8

const (
	sideNone  joinSide = iota // no columns
	sideLeft                  // only columns < nl
	sideRight                 // only columns >= nl
	sideBoth                  // both, or not deterministic
)

// side says which side of a join with nl left columns e reads.
func side(e expr.Expr, nl int) joinSide {
	s := sideNone
	walk(e, func(x expr.Expr) {
		switch x := x.(type) {
		case *expr.Column:
			if x.Index < nl {
				s |= sideLeft
			} else {
				s |= sideRight
			}
		case *expr.Call:
			if !x.Func.Deterministic {
				s = sideBoth
			}
		}
	})
	return s
}

// shift moves e's column references by d.
func shift(e expr.Expr, d int) expr.Expr {
	return mapColumns(e, func(c *expr.Column) expr.Expr {
		out := *c
		out.Index += d
		return &out
	})
}

func (j *Join) Schema() *arrow.Schema { return j.schema }
func (j *Join) Children() []Node      { return []Node{j.Left, j.Right} }
