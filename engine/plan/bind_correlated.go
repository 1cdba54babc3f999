package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/sql"
)

// Correlated subqueries decorrelate into joins:
//
//   - x IN (SELECT c FROM … WHERE corr AND local): a semi join on
//     x = c AND corr, the FROM filtered by local.
//   - x NOT IN (…): an anti join on (x = c OR x IS NULL OR c IS NULL) AND
//     corr. A row survives when no subquery row of its own correlation
//     matches that: the subquery is empty for it, or x is not NULL and
//     neither equals nor meets a NULL, which is exactly when NOT IN is TRUE.
//   - (SELECT agg… FROM … WHERE inner = outer AND … AND local), a value in
//     WHERE or the select list: the aggregation grouped by the inner sides
//     of the equalities, LEFT JOINed on them. An outer row without a group
//     gets the aggregate's value over no rows (COUNT is 0, the others
//     NULL, computed through the select item's expression).

// correlatedIn binds [NOT] IN over a correlated SELECT … FROM … WHERE.
func (b *binder) correlatedIn(in *sql.InSubquery, sel *sql.Select, x expr.Expr, input Node, sc *scope) (Node, error) {
	c, err := b.correlate(sel, sc)
	if err != nil {
		return nil, err
	}
	items, _, err := b.selectList(sel.Items, c.isc)
	if err != nil {
		return nil, err
	}
	if len(items) != 1 {
		return nil, errAt(Invalid, in.Query.Pos, "the subquery of IN returns %d columns; it needs exactly one", len(items))
	}
	nl := len(sc.fields)
	item := shift(items[0], nl)
	eq, err := b.resolve(in.Pos, "=", []expr.Expr{x, item})
	if err != nil {
		return nil, err
	}
	if !in.Not {
		return NewJoin(input, c.inner, JoinSemi, and(append([]expr.Expr{eq}, c.corr...))), nil
	}
	xNull, err := b.resolve(in.Pos, "IS NULL", []expr.Expr{x})
	if err != nil {
		return nil, err
	}
	itemNull, err := b.resolve(in.Pos, "IS NULL", []expr.Expr{item})
	if err != nil {
		return nil, err
	}
	or, err := b.resolve(in.Pos, "OR", []expr.Expr{eq, xNull})
	if err != nil {
		return nil, err
	}
	if or, err = b.resolve(in.Pos, "OR", []expr.Expr{or, itemNull}); err != nil {
		return nil, err
	}
	return NewJoin(input, c.inner, JoinAnti, and(append([]expr.Expr{or}, c.corr...))), nil
}

// correlatedScalar LEFT JOINs a correlated aggregate subquery to input and
// returns the input with one more column, its value, recorded in
// b.scalars.
func (b *binder) correlatedScalar(s *sql.Subquery, sel *sql.Select, input Node, sc *scope) (Node, *scope, error) {
	if len(sel.GroupBy) > 0 || sel.Having != nil || len(sel.Items) != 1 || !isAggQuery(sel, nil) {
		return nil, nil, unsupported(s, "a correlated scalar subquery other than one aggregate (SELECT agg(…) FROM … WHERE inner = outer …)")
	}
	c, err := b.correlate(sel, sc)
	if err != nil {
		return nil, nil, err
	}
	nl := len(sc.fields)
	ag := &aggScope{
		input: c.isc.in(""), args: c.isc.in("nested"), filter: c.isc.in("FILTER"),
		keys: map[string]int{}, aggIdx: map[string]int{},
	}
	// Each correlation is outer = inner: the inner sides are group keys.
	var outer []expr.Expr
	for _, k := range c.corr {
		o, i, ok := equiKey(k, nl)
		if !ok {
			return nil, nil, unsupported(s, "a correlated scalar subquery whose WHERE relates outer and inner columns other than by equality ("+k.String()+")")
		}
		inner := shift(i, -nl)
		if !valueType(inner.Type()) {
			return nil, nil, unsupported(s, "a correlation on "+typeName(inner.Type()))
		}
		if _, dup := ag.keys[inner.String()]; !dup {
			ag.keys[inner.String()] = len(ag.groups)
			ag.groups = append(ag.groups, inner)
			ag.names = append(ag.names, inner.String())
			outer = append(outer, o)
		}
	}
	isc := c.isc.in("")
	isc.agg = ag
	value, err := b.expr(sel.Items[0].Expr, isc)
	if err != nil {
		return nil, nil, err
	}
	nk := len(ag.groups)
	empty, ok := emptyValue(value, nk, ag.aggs)
	if !ok {
		return nil, nil, unsupported(s, "a correlated scalar subquery whose value reads its correlation columns")
	}
	agg := NewAggregate(c.inner, ag.groups, ag.aggs)
	// The subquery side: its keys, its value and a TRUE that says a group
	// matched (NULL after the LEFT JOIN when none did).
	exprs := make([]expr.Expr, 0, nk+2)
	names := make([]string, 0, nk+2)
	for i := range nk {
		f := agg.Schema().Field(i)
		exprs = append(exprs, &expr.Column{Index: i, Name: f.Name, DataType: f.Type})
		names = append(names, f.Name)
	}
	exprs = append(exprs, value, expr.Lit(scalar.NewBooleanScalar(true)))
	names = append(names, "$value", "$matched")
	sub := NewProject(agg, exprs, names)
	conds := make([]expr.Expr, nk)
	for i, o := range outer {
		key := &expr.Column{Index: nl + i, Name: names[i], DataType: exprs[i].Type()}
		if conds[i], err = b.resolve(s.Pos, "=", []expr.Expr{o, key}); err != nil {
			return nil, nil, err
		}
	}
	var cond expr.Expr
	if len(conds) > 0 {
		cond = and(conds)
	}
	j := NewJoin(input, sub, JoinLeft, cond)
	jf := j.Schema().Fields()
	out := make([]expr.Expr, nl+1)
	outNames := make([]string, nl+1)
	for i := range nl {
		out[i], outNames[i] = &expr.Column{Index: i, Name: jf[i].Name, DataType: jf[i].Type}, jf[i].Name
	}
	got := &expr.Column{Index: nl + nk, Name: "$value", DataType: value.Type()}
	out[nl], outNames[nl] = got, "$scalar"
	if empty != nil {
		matched := &expr.Column{Index: nl + nk + 1, Name: "$matched", DataType: arrow.FixedWidthTypes.Boolean}
		none, err := b.resolve(s.Pos, "IS NULL", []expr.Expr{matched})
		if err != nil {
			return nil, nil, err
		}
		if out[nl], err = expr.NewCase([]expr.When{{Cond: none, Then: empty}}, got); err != nil {
			return nil, nil, errAt(Invalid, s.Pos, "%v", err)
		}
	}
	p := NewProject(j, out, outNames)
	if b.scalars == nil {
		b.scalars = map[*sql.Subquery]int{}
	}
	b.scalars[s] = nl
	return p, &scope{cols: sc.cols, fields: p.Schema().Fields(), clause: sc.clause}, nil
}

// emptyValue is the value of an aggregate subquery's select item over no
// rows: value (over the Aggregate's nk keys and aggs) with each aggregate
// replaced by its result over no rows (COUNT and APPROX_COUNT_DISTINCT 0,
// the others NULL). nil when that is simply NULL: value is one aggregate
// that is NULL over no rows. ok is false when value reads a key.
func emptyValue(value expr.Expr, nk int, aggs []AggCall) (expr.Expr, bool) {
	if c, isCol := value.(*expr.Column); isCol && c.Index >= nk && !aggs[c.Index-nk].NotNull {
		return nil, true
	}
	ok := true
	out := mapColumns(value, func(c *expr.Column) expr.Expr {
		if c.Index < nk {
			ok = false
			return c
		}
		if a := aggs[c.Index-nk]; a.NotNull {
			return expr.Lit(scalar.NewInt64Scalar(0))
		}
		return expr.Lit(scalar.MakeNullScalar(c.DataType))
	})
	return out, ok
}
