package plan

import (
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/sql"
)

// Subqueries bind as joins:
//
//   - x IN (SELECT c …), a conjunct of WHERE: a semi join on x = c.
//   - x NOT IN (SELECT c …): an anti join on x = c, then SQL's NULL rules:
//     a row passes when the subquery is empty, or when x is not NULL and
//     the subquery has no NULL (its row counts, cross-joined, tell).
//   - [NOT] EXISTS (SELECT … FROM … WHERE …), a conjunct of WHERE: the
//     subquery's WHERE conjuncts that name outer columns become the
//     condition of a semi (anti) join with the subquery's FROM; the rest
//     filter it. Uncorrelated EXISTS of any shape is a join without
//     condition.
//   - (SELECT …) as a value, uncorrelated, in WHERE or the select list:
//     a cross join with its single row (SingleRow fails at run time when
//     there are more).
//
//   - correlated IN, NOT IN and scalar subqueries: see bind_correlated.go.
//
// Other subqueries (correlated ones of other shapes, subqueries under OR
// or in other clauses) are not supported yet.

// whereSubqueries binds the subquery conjuncts of WHERE, joining them to
// input, and returns the conjuncts left for the filter.
func (b *binder) whereSubqueries(where sql.Expr, input Node, sc *scope) (Node, []sql.Expr, error) {
	var rest []sql.Expr
	for _, c := range sqlConjuncts(where) {
		var err error
		switch c := c.(type) {
		case *sql.InSubquery:
			input, err = b.inSubquery(c, input, sc)
		case *sql.Exists:
			input, err = b.exists(c, false, input, sc)
		case *sql.UnaryExpr:
			if ex, ok := c.Expr.(*sql.Exists); ok && c.Op == sql.OpNot {
				input, err = b.exists(ex, true, input, sc)
				break
			}
			rest = append(rest, c)
		default:
			rest = append(rest, c)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return input, rest, nil
}

func sqlConjuncts(e sql.Expr) []sql.Expr {
	if be, ok := e.(*sql.BinaryExpr); ok && be.Op == sql.OpAnd {
		return append(sqlConjuncts(be.Left), sqlConjuncts(be.Right)...)
	}
	return []sql.Expr{e}
}

// errCorrelated marks the error of a subquery bound as uncorrelated that
// names outer columns: callers that can decorrelate its shape check for it.
var errCorrelated = errors.New("correlated subquery")

// subquery binds an uncorrelated subquery; a name it cannot resolve is
// reported as a correlation (wrapping errCorrelated).
func (b *binder) subquery(q *sql.Query, what string, sc *scope) (Node, error) {
	n, err := b.query(q)
	var pe *Error
	if err != nil && errors.As(err, &pe) && pe.Kind == NotFound && len(sc.fields) > 0 {
		return nil, &Error{Kind: Unsupported, Pos: pe.Pos, Err: errors.Join(errCorrelated, err),
			Msg: pe.Msg + " (correlated subqueries are supported as [NOT] EXISTS and [NOT] IN conjuncts of WHERE over one SELECT … FROM … WHERE, and as scalar subqueries of one aggregate correlated by equalities; " + what + " must be uncorrelated)"}
	}
	return n, err
}

func (b *binder) inSubquery(in *sql.InSubquery, input Node, sc *scope) (Node, error) {
	x, err := b.expr(in.Expr, sc)
	if err != nil {
		return nil, err
	}
	sub, err := b.subquery(in.Query, "an IN subquery with GROUP BY, aggregates, LIMIT or a set operation", sc)
	if errors.Is(err, errCorrelated) {
		if sel, ok := simpleSelect(in.Query); ok && len(sel.GroupBy) == 0 && sel.Having == nil && !isAggQuery(sel, nil) {
			return b.correlatedIn(in, sel, x, input, sc)
		}
	}
	if err != nil {
		return nil, err
	}
	sf := sub.Schema().Fields()
	if len(sf) != 1 {
		return nil, errAt(Invalid, in.Query.Pos, "the subquery of IN returns %d columns; it needs exactly one", len(sf))
	}
	nl := input.Schema().NumFields()
	col := &expr.Column{Index: nl, Name: sf[0].Name, DataType: sf[0].Type}
	eq, err := b.resolve(in.Pos, "=", []expr.Expr{x, col})
	if err != nil {
		return nil, err
	}
	if !in.Not {
		return NewJoin(input, sub, JoinSemi, eq), nil
	}
	anti := NewJoin(input, sub, JoinAnti, eq)
	// NULL rules: count the subquery's rows and its non-NULL values.
	scol := &expr.Column{Index: 0, Name: sf[0].Name, DataType: sf[0].Type}
	counts := NewAggregate(sub, nil, []AggCall{
		{Func: "COUNT", Type: arrow.PrimitiveTypes.Int64, NotNull: true},
		{Func: "COUNT", Arg: scol, Type: arrow.PrimitiveTypes.Int64, NotNull: true},
	})
	cross := NewJoin(anti, counts, JoinInner, nil)
	cf := cross.Schema().Fields()
	n := &expr.Column{Index: nl, Name: cf[nl].Name, DataType: cf[nl].Type}
	nn := &expr.Column{Index: nl + 1, Name: cf[nl+1].Name, DataType: cf[nl+1].Type}
	empty, err := b.resolve(in.Pos, "=", []expr.Expr{n, expr.Lit(scalar.NewInt64Scalar(0))})
	if err != nil {
		return nil, err
	}
	noNull, err := b.resolve(in.Pos, "=", []expr.Expr{n, nn})
	if err != nil {
		return nil, err
	}
	// x reads the outer columns, which lead the joined row too.
	notNull, err := b.resolve(in.Pos, "IS NOT NULL", []expr.Expr{x})
	if err != nil {
		return nil, err
	}
	or, err := b.resolve(in.Pos, "OR", []expr.Expr{empty, and([]expr.Expr{notNull, noNull})})
	if err != nil {
		return nil, err
	}
	return dropColumns(&Filter{Input: cross, Cond: or}, nl), nil
}

// dropColumns keeps the first n columns of in.
func dropColumns(in Node, n int) Node {
	fields := in.Schema().Fields()
	exprs := make([]expr.Expr, n)
	names := make([]string, n)
	for i := range n {
		exprs[i] = &expr.Column{Index: i, Name: fields[i].Name, DataType: fields[i].Type}
		names[i] = fields[i].Name
	}
	return NewProject(in, exprs, names)
}

// exists binds [NOT] EXISTS as a semi (anti) join.
func (b *binder) exists(ex *sql.Exists, not bool, input Node, sc *scope) (Node, error) {
	kind := JoinSemi
	if not {
		kind = JoinAnti
	}
	sel, simple := simpleSelect(ex.Query)
	simple = simple && len(sel.GroupBy) == 0 && sel.Having == nil && !sel.Distinct && !isAggQuery(sel, nil)
	if !simple {
		sub, err := b.subquery(ex.Query, "an EXISTS subquery with GROUP BY, aggregates, DISTINCT, LIMIT or a set operation", sc)
		if err != nil {
			return nil, err
		}
		return NewJoin(input, sub, kind, nil), nil
	}
	c, err := b.correlate(sel, sc)
	if err != nil {
		return nil, err
	}
	// The select list is not evaluated, but it must bind.
	if _, _, err := b.selectList(sel.Items, c.isc); err != nil {
		return nil, err
	}
	var cond expr.Expr
	if len(c.corr) > 0 {
		cond = and(c.corr)
	}
	return NewJoin(input, c.inner, kind, cond), nil
}

// simpleSelect returns q's SELECT when q is one SELECT … FROM without WITH,
// ORDER BY, LIMIT, OFFSET and WINDOW: the shape whose WHERE can be split
// into local and correlated conditions.
func simpleSelect(q *sql.Query) (*sql.Select, bool) {
	sel, ok := q.Body.(*sql.Select)
	ok = ok && len(q.With) == 0 && len(q.OrderBy) == 0 && q.Limit == nil && q.Offset == nil &&
		sel.From != nil && len(sel.Windows) == 0
	return sel, ok
}

// correlation is a subquery's FROM bound beside the outer scope.
type correlation struct {
	inner Node   // the FROM, filtered by the local conditions
	isc   *scope // the FROM's scope
	// corr are the WHERE conjuncts that name outer columns, over the joined
	// row: the outer columns, then the FROM's.
	corr []expr.Expr
}

// correlate binds the FROM and WHERE of sel, a subquery of a query with
// scope sc: a WHERE conjunct that binds over the FROM alone filters it,
// the others (naming outer columns) are returned as correlations.
func (b *binder) correlate(sel *sql.Select, sc *scope) (*correlation, error) {
	inner, isc, err := b.from(sel.From)
	if err != nil {
		return nil, err
	}
	// The joined scope: the outer columns (those the subquery does not
	// shadow), then the subquery's.
	nl := len(sc.fields)
	js := &scope{fields: append(append([]arrow.Field(nil), sc.fields...), inner.Schema().Fields()...)}
	for _, c := range sc.cols {
		shadowed := false
		for _, ic := range isc.cols {
			shadowed = shadowed || (c.qual != "" && c.qual == ic.qual)
			if ic.unqualified && c.unqualified && ic.name == c.name {
				c.unqualified = false
			}
		}
		if !shadowed {
			js.cols = append(js.cols, c)
		}
	}
	for _, c := range isc.cols {
		c.index += nl
		js.cols = append(js.cols, c)
	}
	var local, corr []expr.Expr
	if sel.Where != nil {
		for _, c := range sqlConjuncts(sel.Where) {
			switch c.(type) {
			case *sql.InSubquery, *sql.Exists, *sql.Subquery:
				return nil, unsupported(c, "nested subqueries in a correlated subquery")
			}
			if x, err := b.expr(c, isc.in("WHERE")); err == nil {
				if !arrow.TypeEqual(x.Type(), arrow.FixedWidthTypes.Boolean) {
					return nil, errAt(Invalid, c.Position(), "WHERE needs a BOOLEAN condition, not %s", typeName(x.Type()))
				}
				local = append(local, x)
				continue
			}
			x, err := b.expr(c, js.in("WHERE"))
			if err != nil {
				return nil, err
			}
			if !arrow.TypeEqual(x.Type(), arrow.FixedWidthTypes.Boolean) {
				return nil, errAt(Invalid, c.Position(), "WHERE needs a BOOLEAN condition, not %s", typeName(x.Type()))
			}
			corr = append(corr, x)
		}
	}
	if len(local) > 0 {
		inner = &Filter{Input: inner, Cond: and(local)}
	}
	return &correlation{inner: inner, isc: isc, corr: corr}, nil
}

// scalarSubqueries cross-joins the uncorrelated scalar subqueries of es
// (outside nested queries) to input, recording the column of each in
// b.scalars, and returns the input and the scope with their columns.
func (b *binder) scalarSubqueries(es []sql.Expr, input Node, sc *scope) (Node, *scope, error) {
	var subs []*sql.Subquery
	for _, e := range es {
		findSubqueries(e, &subs)
	}
	for _, s := range subs {
		n, err := b.subquery(s.Query, "a scalar subquery of another shape", sc)
		if errors.Is(err, errCorrelated) {
			if sel, ok := simpleSelect(s.Query); ok {
				if input, sc, err = b.correlatedScalar(s, sel, input, sc); err != nil {
					return nil, nil, err
				}
				continue
			}
		}
		if err != nil {
			return nil, nil, err
		}
		if k := n.Schema().NumFields(); k != 1 {
			return nil, nil, errAt(Invalid, s.Pos, "a scalar subquery returns one column, not %d", k)
		}
		if b.scalars == nil {
			b.scalars = map[*sql.Subquery]int{}
		}
		b.scalars[s] = len(sc.fields)
		input = NewJoin(input, &SingleRow{Input: n}, JoinInner, nil)
		sc = &scope{cols: sc.cols, fields: input.Schema().Fields(), clause: sc.clause}
	}
	return input, sc, nil
}

// findSubqueries lists the scalar subqueries in e, not descending into
// IN and EXISTS subqueries.
func findSubqueries(e sql.Expr, out *[]*sql.Subquery) {
	if e == nil {
		return
	}
	if s, ok := e.(*sql.Subquery); ok {
		*out = append(*out, s)
		return
	}
	if in, ok := e.(*sql.InSubquery); ok {
		findSubqueries(in.Expr, out)
		return
	}
	for _, c := range sqlChildren(e) {
		findSubqueries(c, out)
	}
}
