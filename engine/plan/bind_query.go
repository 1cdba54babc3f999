package plan

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/sql"
)

// Queries: WITH binds each CTE where it is referenced (the CTE's query is
// bound again for each reference, as a derived table), with the CTEs
// defined before it in scope; set operations bind their sides separately
// and unify their column types.

// cteDef is one WITH query and the CTEs visible to it.
type cteDef struct {
	cte *sql.CTE
	env []*cteDef
}

// query binds a query: its WITH, its body, and its ORDER BY and LIMIT.
func (b *binder) query(q *sql.Query) (Node, error) {
	saved := b.ctes
	defer func() { b.ctes = saved }()
	for _, c := range q.With {
		for _, d := range b.ctes[len(saved):] {
			if d.cte.Name.Name == c.Name.Name {
				return nil, errAt(Invalid, c.Name.Pos, "WITH query %s is defined twice", c.Name.Name)
			}
		}
		b.ctes = append(b.ctes[:len(b.ctes):len(b.ctes)], &cteDef{cte: c, env: b.ctes})
	}
	if sel, ok := q.Body.(*sql.Select); ok {
		return b.selectQuery(sel, q)
	}
	n, err := b.body(q.Body)
	if err != nil {
		return nil, err
	}
	return b.orderLimit(n, q)
}

// body binds a query body without ORDER BY and LIMIT of its own.
func (b *binder) body(s sql.SetExpr) (Node, error) {
	switch s := s.(type) {
	case *sql.Select:
		return b.selectQuery(s, &sql.Query{Pos: s.Pos, Body: s})
	case *sql.Query:
		return b.query(s)
	case *sql.SetOp:
		return b.setOp(s)
	}
	return nil, unsupported(s, "VALUES queries")
}

// orderLimit applies ORDER BY (output columns, by name or position) and
// LIMIT/OFFSET above a set operation.
func (b *binder) orderLimit(n Node, q *sql.Query) (Node, error) {
	fields := n.Schema().Fields()
	var keys []SortKey
	for _, o := range q.OrderBy {
		idx := -1
		switch e := o.Expr.(type) {
		case *sql.Literal:
			if e.Kind == sql.LitInteger {
				k, err := strconv.Atoi(e.Value)
				if err != nil || k < 1 || k > len(fields) {
					return nil, errAt(Invalid, e.Pos, "ORDER BY position %s is not in the select list (1 to %d)", e.Value, len(fields))
				}
				idx = k - 1
			}
		case *sql.ColumnRef:
			if len(e.Parts) == 1 {
				for i, f := range fields {
					if f.Name == e.Parts[0].Name {
						if idx >= 0 {
							return nil, errAt(Invalid, e.Pos, "ORDER BY %s is ambiguous: the result has it twice", f.Name)
						}
						idx = i
					}
				}
				if idx < 0 {
					return nil, errAt(NotFound, e.Pos, "column %s not found in the result of the set operation", e.Parts[0].Name)
				}
			}
		}
		if idx < 0 {
			return nil, unsupported(o, "ORDER BY an expression over a set operation (name an output column or its position)")
		}
		k := SortKey{Column: idx, Descending: o.Desc, NullsFirst: !o.Desc}
		switch o.Nulls {
		case sql.NullsFirst:
			k.NullsFirst = true
		case sql.NullsLast:
			k.NullsFirst = false
		}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		n = &Sort{Input: n, Keys: keys}
	}
	return withLimit(n, q)
}

// lookupCTE finds the WITH query a one-part table name refers to.
func (b *binder) lookupCTE(name sql.ObjectName) *cteDef {
	if len(name.Parts) != 1 {
		return nil
	}
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if b.ctes[i].cte.Name.Name == name.Parts[0].Name {
			return b.ctes[i]
		}
	}
	return nil
}

// cteRef binds a reference to a WITH query: its query, bound again in the
// scope of its definition, under the reference's alias or the CTE's name.
func (b *binder) cteRef(t *sql.TableRef, d *cteDef) (Node, *scope, error) {
	if len(t.Hints) > 0 {
		return nil, nil, unsupported(t.Hints[0], "hints on a WITH query")
	}
	if t.SystemTime != nil {
		return nil, nil, errAt(Invalid, t.SystemTime.Position(), "FOR SYSTEM_TIME AS OF needs a table, and %s is a WITH query", d.cte.Name.Name)
	}
	saved := b.ctes
	b.ctes = d.env
	n, err := b.query(d.cte.Query)
	b.ctes = saved
	if err != nil {
		return nil, nil, err
	}
	if n, err = renameColumns(n, d.cte.Columns, d.cte.Name.Pos, "WITH query "+d.cte.Name.Name); err != nil {
		return nil, nil, err
	}
	qual := d.cte.Name.Name
	if t.Alias != nil {
		qual = t.Alias.Name.Name
		if n, err = renameColumns(n, t.Alias.Columns, t.Alias.Pos, qual); err != nil {
			return nil, nil, err
		}
	}
	return n, tableScope(qual, n.Schema().Fields()), nil
}

// derived binds (query) AS alias (cols).
func (b *binder) derived(t *sql.DerivedTable) (Node, *scope, error) {
	if t.Lateral {
		return nil, nil, unsupported(t, "LATERAL")
	}
	n, err := b.query(t.Query)
	if err != nil {
		return nil, nil, err
	}
	qual := ""
	if t.Alias != nil {
		qual = t.Alias.Name.Name
		if n, err = renameColumns(n, t.Alias.Columns, t.Alias.Pos, qual); err != nil {
			return nil, nil, err
		}
	}
	return n, tableScope(qual, n.Schema().Fields()), nil
}

// renameColumns gives n's columns the names of a column alias list.
func renameColumns(n Node, names []sql.Ident, at sql.Pos, what string) (Node, error) {
	if len(names) == 0 {
		return n, nil
	}
	fields := n.Schema().Fields()
	if len(names) != len(fields) {
		return nil, errAt(Invalid, at, "%s has %d columns, but %d column names are given", what, len(fields), len(names))
	}
	exprs := make([]expr.Expr, len(fields))
	out := make([]string, len(fields))
	for i, f := range fields {
		for _, prev := range names[:i] {
			if prev.Name == names[i].Name {
				return nil, errAt(Invalid, names[i].Pos, "column name %s is given twice", names[i].Name)
			}
		}
		exprs[i] = &expr.Column{Index: i, Name: f.Name, DataType: f.Type}
		out[i] = names[i].Name
	}
	return NewProject(n, exprs, out), nil
}

// setOp binds UNION, INTERSECT and EXCEPT. UNION ALL concatenates; the
// others have set semantics (NULLs equal): UNION is a distinct
// aggregation over the concatenation, and INTERSECT and EXCEPT aggregate
// the concatenation of both sides tagged with their side, keeping the rows
// found on both sides (INTERSECT) or only on the left (EXCEPT). INTERSECT
// ALL and EXCEPT ALL count each row's copies per side in that aggregation
// and Repeat the row min(l, r) or l − r times.
func (b *binder) setOp(s *sql.SetOp) (Node, error) {
	left, err := b.body(s.Left)
	if err != nil {
		return nil, err
	}
	right, err := b.body(s.Right)
	if err != nil {
		return nil, err
	}
	lf, rf := left.Schema().Fields(), right.Schema().Fields()
	if len(lf) != len(rf) {
		return nil, errAt(Invalid, s.Pos, "each side of %s needs the same number of columns: the left has %d, the right %d", s.Op, len(lf), len(rf))
	}
	types := make([]arrow.DataType, len(lf))
	for i := range lf {
		t, ok := expr.CommonType(lf[i].Type, rf[i].Type)
		if !ok {
			return nil, errAt(Invalid, s.Pos, "column %d of %s has incompatible types %s and %s", i+1, s.Op, typeName(lf[i].Type), typeName(rf[i].Type))
		}
		types[i] = t
	}
	tagged := s.Op != sql.Union
	if left, err = castColumns(left, types, lf, tagged, 1, s.Pos); err != nil {
		return nil, err
	}
	if right, err = castColumns(right, types, lf, tagged, 2, s.Pos); err != nil {
		return nil, err
	}
	u := NewUnion([]Node{left, right})
	if s.Op == sql.Union {
		if s.All {
			return u, nil
		}
		return distinctAll(u), nil
	}
	n := len(types)
	keys := make([]expr.Expr, n)
	out := make([]expr.Expr, n)
	names := make([]string, n)
	for i := range keys {
		keys[i] = &expr.Column{Index: i, Name: lf[i].Name, DataType: types[i]}
		out[i], names[i] = keys[i], lf[i].Name
	}
	tag := &expr.Column{Index: n, Name: "$side", DataType: arrow.PrimitiveTypes.Int32}
	if s.All {
		return tagCounts(u, keys, tag, s.Op == sql.Intersect, out, names), nil
	}
	// Group by every column; MIN and MAX of the side tag say where a row
	// was found.
	agg := NewAggregate(u, keys, []AggCall{
		{Func: "MIN", Arg: tag, Type: arrow.PrimitiveTypes.Int32},
		{Func: "MAX", Arg: tag, Type: arrow.PrimitiveTypes.Int32},
	})
	one := expr.Lit(scalar.NewInt32Scalar(1))
	var cond expr.Expr
	minC := &expr.Column{Index: n, Name: agg.Schema().Field(n).Name, DataType: arrow.PrimitiveTypes.Int32}
	maxC := &expr.Column{Index: n + 1, Name: agg.Schema().Field(n + 1).Name, DataType: arrow.PrimitiveTypes.Int32}
	if s.Op == sql.Intersect {
		// found on both sides: MIN = 1 and MAX = 2
		a, _ := expr.Resolve("=", []expr.Expr{minC, one})
		c, _ := expr.Resolve("=", []expr.Expr{maxC, expr.Lit(scalar.NewInt32Scalar(2))})
		cond = and([]expr.Expr{a, c})
	} else {
		cond, _ = expr.Resolve("=", []expr.Expr{maxC, one})
	}
	return NewProject(&Filter{Input: agg, Cond: cond}, out, names), nil
}

// tagCounts binds INTERSECT ALL (intersect) or EXCEPT ALL over u, the
// tagged concatenation of both sides: per row, l and r count its copies
// on each side, and the row is repeated min(l, r) or l − r times (Repeat
// drops counts below one).
func tagCounts(u Node, keys []expr.Expr, tag *expr.Column, intersect bool, out []expr.Expr, names []string) Node {
	n := len(keys)
	count := func(side int32) AggCall {
		on, _ := expr.Resolve("=", []expr.Expr{tag, expr.Lit(scalar.NewInt32Scalar(side))})
		return AggCall{Func: "COUNT", Filter: on, Type: arrow.PrimitiveTypes.Int64, NotNull: true}
	}
	agg := NewAggregate(u, keys, []AggCall{count(1), count(2)})
	af := agg.Schema().Fields()
	l := &expr.Column{Index: n, Name: af[n].Name, DataType: arrow.PrimitiveTypes.Int64}
	r := &expr.Column{Index: n + 1, Name: af[n+1].Name, DataType: arrow.PrimitiveTypes.Int64}
	var copies expr.Expr
	if intersect {
		less, _ := expr.Resolve("<", []expr.Expr{l, r})
		copies, _ = expr.NewCase([]expr.When{{Cond: less, Then: l}}, r)
	} else {
		copies, _ = expr.Resolve("-", []expr.Expr{l, r})
	}
	return NewRepeat(NewProject(agg, append(out, copies), append(names, "$copies")))
}

// castColumns converts n's columns to types, named after the left side's
// fields, adding an INT side tag when tagged.
func castColumns(n Node, types []arrow.DataType, names []arrow.Field, tagged bool, side int32, at sql.Pos) (Node, error) {
	fields := n.Schema().Fields()
	same := !tagged
	for i, f := range fields {
		same = same && arrow.TypeEqual(f.Type, types[i]) && f.Name == names[i].Name
	}
	if same {
		return n, nil
	}
	exprs := make([]expr.Expr, 0, len(fields)+1)
	out := make([]string, 0, len(fields)+1)
	for i, f := range fields {
		e, err := expr.NewCast(&expr.Column{Index: i, Name: f.Name, DataType: f.Type}, types[i], false)
		if err != nil {
			return nil, errAt(Invalid, at, "column %d: %v", i+1, err)
		}
		exprs = append(exprs, e)
		out = append(out, names[i].Name)
	}
	if tagged {
		exprs = append(exprs, expr.Lit(scalar.NewInt32Scalar(side)))
		out = append(out, "$side")
	}
	return NewProject(n, exprs, out), nil
}

// distinctAll groups n by all its columns.
func distinctAll(n Node) Node {
	fields := n.Schema().Fields()
	cols := make([]expr.Expr, len(fields))
	for i, f := range fields {
		cols[i] = &expr.Column{Index: i, Name: f.Name, DataType: f.Type}
	}
	return NewAggregate(n, cols, nil)
}

// Union concatenates its inputs, which have the same column types.
type Union struct {
	Inputs []Node
	schema *arrow.Schema
}

// NewUnion builds a concatenation named after its first input; a column is
// nullable when it is in any input.
func NewUnion(inputs []Node) *Union {
	fields := append([]arrow.Field(nil), inputs[0].Schema().Fields()...)
	for _, in := range inputs[1:] {
		for i, f := range in.Schema().Fields() {
			fields[i].Nullable = fields[i].Nullable || f.Nullable
		}
	}
	return &Union{Inputs: inputs, schema: arrow.NewSchema(fields, nil)}
}

func (u *Union) Schema() *arrow.Schema { return u.schema }
func (u *Union) Children() []Node      { return u.Inputs }

// SingleRow passes its input's one row; no row gives one row of NULLs,
// and more than one is an error at run time (a scalar subquery).
type SingleRow struct {
	Input Node
}

// Schema is the input's, every column nullable.
func (s *SingleRow) Schema() *arrow.Schema {
	fields := append([]arrow.Field(nil), s.Input.Schema().Fields()...)
	for i := range fields {
		fields[i].Nullable = true
	}
	return arrow.NewSchema(fields, nil)
}
func (s *SingleRow) Children() []Node { return []Node{s.Input} }
