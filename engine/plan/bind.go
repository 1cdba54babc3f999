package plan

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/engine/types"
)

// Catalog is what the binder needs to know about tables.
type Catalog interface {
	// Resolve turns a written table name into an identifier (default
	// catalog and database applied).
	Resolve(name sql.ObjectName) (table.Identifier, error)
	// Load returns what id names: an Iceberg table with the Arrow fields a
	// scan of it yields (declared Flink types in their metadata), a view,
	// or a connector table.
	Load(ctx context.Context, id table.Identifier) (*Object, error)
}

// ViewCatalog is a Catalog that says where a view's query resolves names,
// which need not be where the statement reading the view resolves them.
type ViewCatalog interface {
	Catalog
	ForView(id table.Identifier) Catalog
}

// Bind plans a query.
func Bind(ctx context.Context, cat Catalog, q *sql.Query) (Node, error) {
	b := &binder{ctx: ctx, cat: cat}
	return b.query(q)
}

// BindConstant binds an expression that can name no column, such as a value
// of INSERT … VALUES: literals, casts and function calls, typed and coerced
// exactly as in queries.
func BindConstant(ctx context.Context, e sql.Expr) (expr.Expr, error) {
	b := &binder{ctx: ctx}
	return b.expr(e, &scope{clause: "VALUES"})
}

type binder struct {
	ctx context.Context
	cat Catalog
	// ctes are the WITH queries in scope, innermost last (see bind_query.go).
	ctes []*cteDef
	// scalars maps each uncorrelated scalar subquery bound so far to its
	// column in the input of its SELECT.
	scalars map[*sql.Subquery]int
	// viewDepth counts the views being bound around the current query.
	viewDepth int
}

// scope is the columns a query's expressions can name: one table's, or
// those of the tables a FROM clause joins (see bind_join.go).
type scope struct {
	cols   []scopeCol
	fields []arrow.Field // the input's columns, which cols index
	// agg is set above an aggregation: expressions bind to its group keys
	// and aggregate calls.
	agg *aggScope
	// clause names where aggregate calls are not allowed (WHERE, GROUP BY,
	// FILTER, ON), "nested" inside an aggregate's arguments, "" elsewhere.
	clause string
	// win is set where window calls are allowed (the select list and ORDER
	// BY); it collects them.
	win *winScope
}

// selectQuery binds one SELECT block with the query's ORDER BY and LIMIT.
func (b *binder) selectQuery(sel *sql.Select, q *sql.Query) (Node, error) {
	ws, err := newWinScope(sel.Windows)
	if err != nil {
		return nil, err
	}
	var input Node = &Values{Rows: [][]expr.Expr{{}}, schema: arrow.NewSchema(nil, nil)}
	sc := &scope{}
	if sel.From != nil {
		var err error
		if input, sc, err = b.from(sel.From); err != nil {
			return nil, err
		}
	}
	aggQuery := isAggQuery(sel, q.OrderBy)
	if sel.Where != nil {
		var rest []sql.Expr
		var err error
		if input, rest, err = b.whereSubqueries(sel.Where, input, sc); err != nil {
			return nil, err
		}
		// Scalar subqueries: in WHERE, and in the select list without
		// aggregation.
		scalarIn := rest
		if !aggQuery {
			for _, it := range sel.Items {
				scalarIn = append(scalarIn, it.Expr)
			}
		}
		if input, sc, err = b.scalarSubqueries(scalarIn, input, sc); err != nil {
			return nil, err
		}
		var conds []expr.Expr
		for _, c := range rest {
			cond, err := b.expr(c, sc.in("WHERE"))
			if err != nil {
				return nil, err
			}
			if !arrow.TypeEqual(cond.Type(), arrow.FixedWidthTypes.Boolean) {
				return nil, errAt(Invalid, c.Position(), "WHERE needs a BOOLEAN condition, not %s", typeName(cond.Type()))
			}
			conds = append(conds, cond)
		}
		if len(conds) > 0 {
			input = &Filter{Input: input, Cond: and(conds)}
		}
	} else if !aggQuery {
		var items []sql.Expr
		for _, it := range sel.Items {
			items = append(items, it.Expr)
		}
		var err error
		if input, sc, err = b.scalarSubqueries(items, input, sc); err != nil {
			return nil, err
		}
	}
	// isc is the scope of the select list, HAVING and ORDER BY: the input's
	// columns, or above an aggregation its group keys and aggregates.
	isc := sc
	var ag *aggScope
	if aggQuery {
		var err error
		if ag, err = b.groupBy(sel.GroupBy, sc); err != nil {
			return nil, err
		}
		isc = sc.in("")
		isc.agg = ag
	}
	// hsc is HAVING's scope: no window calls.
	hsc := *isc
	hsc.clause = "HAVING"
	isc = &scope{cols: isc.cols, fields: isc.fields, agg: isc.agg, clause: isc.clause, win: ws}
	exprs, names, err := b.selectList(sel.Items, isc)
	if err != nil {
		return nil, err
	}
	// ORDER BY may name an output column (by alias or position) or any
	// expression over the input; the latter are computed as hidden columns
	// and projected away after sorting.
	visible := len(exprs)
	var keys []SortKey
	for _, o := range q.OrderBy {
		idx, err := b.orderColumn(o, names, &exprs, isc, sel.Distinct)
		if err != nil {
			return nil, err
		}
		k := SortKey{Column: idx, Descending: o.Desc}
		// Flink (Calcite) sorts NULLs first ascending and last descending.
		k.NullsFirst = !o.Desc
		switch o.Nulls {
		case sql.NullsFirst:
			k.NullsFirst = true
		case sql.NullsLast:
			k.NullsFirst = false
		}
		keys = append(keys, k)
	}
	for len(names) < len(exprs) {
		names = append(names, fmt.Sprintf("$sort%d", len(names)-visible))
	}
	var having expr.Expr
	if sel.Having != nil {
		if having, err = b.expr(sel.Having, &hsc); err != nil {
			return nil, err
		}
		if !arrow.TypeEqual(having.Type(), arrow.FixedWidthTypes.Boolean) {
			return nil, errAt(Invalid, sel.Having.Position(), "HAVING needs a BOOLEAN condition, not %s", typeName(having.Type()))
		}
	}
	if ag != nil {
		input = b.aggregate(input, ag)
		if having != nil {
			input = &Filter{Input: input, Cond: having}
		}
	}
	input = b.windows(input, ws)
	var out Node = NewProject(input, exprs, names)
	if sel.Distinct {
		// SELECT DISTINCT groups by every output column (ORDER BY may only
		// use them, so there are no hidden sort columns).
		cols := make([]expr.Expr, len(exprs))
		for i, e := range exprs {
			cols[i] = &expr.Column{Index: i, Name: names[i], DataType: e.Type()}
		}
		out = NewAggregate(out, cols, nil)
	}
	if len(keys) > 0 {
		out = &Sort{Input: out, Keys: keys}
	}
	if out, err = withLimit(out, q); err != nil {
		return nil, err
	}
	if visible < len(exprs) {
		cols := make([]expr.Expr, visible)
		for i := range cols {
			cols[i] = &expr.Column{Index: i, Name: names[i], DataType: exprs[i].Type()}
		}
		out = NewProject(out, cols, names[:visible])
	}
	return out, nil
}

// maxViewDepth bounds views over views, so that a cycle (a view
// redefined to read a view that reads it) is an error, not a stack overflow.
const maxViewDepth = 32

// tableRef binds a named table, view or connector table in FROM.
func (b *binder) tableRef(t *sql.TableRef) (Node, *scope, error) {
	if len(t.Hints) > 0 {
		return nil, nil, unsupported(t.Hints[0], "table hints")
	}
	id, err := b.cat.Resolve(t.Name)
	if err != nil {
		return nil, nil, err
	}
	obj, err := b.cat.Load(b.ctx, id)
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		return nil, nil, &Error{Kind: NotFound, Pos: t.Name.Pos, Msg: fmt.Sprintf("table %s not found", t.Name.String()), Err: err}
	}
	if err != nil {
		return nil, nil, err
	}
	alias := id[len(id)-1]
	if t.Alias != nil {
		if len(t.Alias.Columns) > 0 && obj.View == nil {
			return nil, nil, unsupported(t.Alias, "column aliases in FROM")
		}
		alias = t.Alias.Name.Name
	}
	if t.SystemTime != nil && obj.Table == nil {
		return nil, nil, errAt(Invalid, t.SystemTime.Position(), "FOR SYSTEM_TIME AS OF needs an Iceberg table, and %s is a %s", t.Name.String(), objectKind(obj))
	}
	switch {
	case obj.View != nil:
		return b.view(t, id, obj.View, alias)
	case obj.Source != nil:
		s := NewSourceScan(id, alias, obj.Source)
		return s, tableScope(alias, s.Schema().Fields()), nil
	}
	s := &Scan{Ident: id, Table: obj.Table, Alias: alias, Fields: obj.Fields}
	if t.SystemTime != nil {
		if err := b.timeTravel(s, t.SystemTime); err != nil {
			return nil, nil, err
		}
	}
	return s, tableScope(s.Alias, s.Fields), nil
}

func objectKind(o *Object) string {
	switch {
	case o.View != nil:
		return "view"
	case o.Source != nil:
		return "connector table"
	}
	return "table"
}

// view binds a reference to view id: its query, bound afresh in an empty
// WITH environment (and, with a ViewCatalog, in the view's own catalog),
// under its column names and the reference's alias.
func (b *binder) view(t *sql.TableRef, id table.Identifier, v *sql.CreateView, alias string) (Node, *scope, error) {
	if b.viewDepth >= maxViewDepth {
		return nil, nil, errAt(Invalid, t.Name.Pos, "view %s nests views more than %d deep (is a view reading itself?)", t.Name.String(), maxViewDepth)
	}
	saved, savedCat := b.ctes, b.cat
	b.ctes = nil
	if vc, ok := b.cat.(ViewCatalog); ok {
		b.cat = vc.ForView(id)
	}
	b.viewDepth++
	n, err := b.query(v.Query)
	b.viewDepth--
	b.ctes, b.cat = saved, savedCat
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			return nil, nil, &Error{Kind: pe.Kind, Pos: t.Name.Pos, Msg: fmt.Sprintf("view %s no longer binds: %s", v.Name.String(), pe.Msg), Err: err}
		}
		return nil, nil, err
	}
	if n, err = renameColumns(n, v.Columns, t.Name.Pos, "view "+v.Name.String()); err != nil {
		return nil, nil, err
	}
	if t.Alias != nil {
		if n, err = renameColumns(n, t.Alias.Columns, t.Alias.Pos, alias); err != nil {
			return nil, nil, err
		}
	}
	return n, tableScope(alias, n.Schema().Fields()), nil
}

// timeTravel binds FOR SYSTEM_TIME AS OF: a timestamp, or (an extension
// Spark and Trino share) a snapshot id.
func (b *binder) timeTravel(s *Scan, e sql.Expr) error {
	v, err := b.expr(e, &scope{})
	if err == nil {
		v, err = expr.Fold(v, &expr.EvalContext{Ctx: b.ctx, NowMicros: time.Now().UnixMicro()})
	}
	if err != nil {
		return err
	}
	lit, ok := v.(*expr.Literal)
	if !ok || !lit.Value.IsValid() {
		return errAt(Invalid, e.Position(), "FOR SYSTEM_TIME AS OF needs a constant timestamp or snapshot id")
	}
	switch val := lit.Value.(type) {
	case *scalar.Timestamp:
		s.AsOf = time.UnixMicro(int64(val.Value)).UTC()
		if val.Type.(*arrow.TimestampType).Unit != arrow.Microsecond {
			return errAt(Invalid, e.Position(), "FOR SYSTEM_TIME AS OF: unexpected timestamp unit")
		}
	case *scalar.Int64:
		s.SnapshotID = val.Value
	case *scalar.Int32:
		s.SnapshotID = int64(val.Value)
	default:
		return errAt(Invalid, e.Position(), "FOR SYSTEM_TIME AS OF needs a TIMESTAMP or a snapshot id, not %s", typeName(lit.Type()))
	}
	return nil
}

func (b *binder) selectList(items []*sql.SelectItem, sc *scope) ([]expr.Expr, []string, error) {
	var exprs []expr.Expr
	var names []string
	for _, it := range items {
		if st, ok := it.Expr.(*sql.Star); ok {
			cols, err := sc.star(st)
			if err != nil {
				return nil, nil, err
			}
			for _, c := range cols {
				var e expr.Expr = sc.columnExpr(c)
				if sc.agg != nil {
					k, ok := sc.agg.key(e)
					if !ok {
						return nil, nil, errAt(Invalid, st.Pos, "column %s must appear in GROUP BY or be used in an aggregate", c.name)
					}
					e = k
				}
				exprs = append(exprs, e)
				names = append(names, c.name)
			}
			continue
		}
		e, err := b.expr(it.Expr, sc)
		if err != nil {
			return nil, nil, err
		}
		exprs = append(exprs, e)
		names = append(names, outputName(it, len(names)))
	}
	return exprs, names, nil
}

// outputName is a select item's column name: its alias, the column it
// passes through, or Flink's EXPR$n.
func outputName(it *sql.SelectItem, i int) string {
	if it.Alias.Name != "" {
		return it.Alias.Name
	}
	if c, ok := it.Expr.(*sql.ColumnRef); ok {
		return c.Parts[len(c.Parts)-1].Name
	}
	return fmt.Sprintf("EXPR$%d", i)
}

// orderColumn finds or adds the column an ORDER BY item sorts on.
func (b *binder) orderColumn(o *sql.OrderItem, names []string, exprs *[]expr.Expr, sc *scope, distinct bool) (int, error) {
	if l, ok := o.Expr.(*sql.Literal); ok && l.Kind == sql.LitInteger {
		n, err := strconv.Atoi(l.Value)
		if err != nil || n < 1 || n > len(names) {
			return 0, errAt(Invalid, l.Pos, "ORDER BY position %s is not in the select list (1 to %d)", l.Value, len(names))
		}
		return n - 1, nil
	}
	if c, ok := o.Expr.(*sql.ColumnRef); ok && len(c.Parts) == 1 {
		match := -1
		for i, n := range names {
			if n == c.Parts[0].Name {
				if match >= 0 {
					return 0, errAt(Invalid, c.Pos, "ORDER BY %s is ambiguous: the select list has it twice", n)
				}
				match = i
			}
		}
		if match >= 0 {
			return match, nil
		}
	}
	e, err := b.expr(o.Expr, sc)
	if err != nil {
		return 0, err
	}
	if distinct {
		return distinctOrder(o, e, *exprs)
	}
	*exprs = append(*exprs, e)
	return len(*exprs) - 1, nil
}

// withLimit puts q's LIMIT and OFFSET, if any, over n.
func withLimit(n Node, q *sql.Query) (Node, error) {
	if q.Limit == nil && q.Offset == nil {
		return n, nil
	}
	lim, off := int64(-1), int64(0)
	var err error
	if q.Limit != nil {
		if lim, err = constInt(q.Limit, "LIMIT"); err != nil {
			return nil, err
		}
	}
	if q.Offset != nil {
		if off, err = constInt(q.Offset, "OFFSET"); err != nil {
			return nil, err
		}
	}
	return &Limit{Input: n, N: lim, Offset: off}, nil
}

func constInt(e sql.Expr, what string) (int64, error) {
	l, ok := e.(*sql.Literal)
	if !ok || l.Kind != sql.LitInteger {
		return 0, errAt(Invalid, e.Position(), "%s needs a non-negative integer constant", what)
	}
	n, err := strconv.ParseInt(l.Value, 10, 64)
	if err != nil || n < 0 {
		return 0, errAt(Invalid, e.Position(), "%s %s is out of range", what, l.Value)
	}
	return n, nil
}

// expr binds a scalar expression.
func (b *binder) expr(e sql.Expr, sc *scope) (expr.Expr, error) {
	if sc.agg != nil {
		if x, done, err := b.aggExpr(e, sc.agg); done {
			return x, err
		}
	}
	at := e.Position()
	call := func(name string, args ...sql.Expr) (expr.Expr, error) {
		bound := make([]expr.Expr, 0, len(args))
		for _, a := range args {
			if a == nil {
				continue
			}
			x, err := b.expr(a, sc)
			if err != nil {
				return nil, err
			}
			bound = append(bound, x)
		}
		return b.resolve(at, name, bound)
	}
	switch e := e.(type) {
	case *sql.Literal:
		v, err := literal(e)
		if err != nil {
			return nil, errAt(Invalid, e.Pos, "%v", err)
		}
		return expr.Lit(v), nil
	case *sql.Interval:
		v, err := intervalLiteral(e)
		if err != nil {
			return nil, errAt(Invalid, e.Pos, "%v", err)
		}
		return expr.Lit(v), nil
	case *sql.ColumnRef:
		return sc.column(e)
	case *sql.BinaryExpr:
		return call(string(e.Op), e.Left, e.Right)
	case *sql.UnaryExpr:
		switch e.Op {
		case sql.OpNot:
			return call("NOT", e.Expr)
		case sql.OpNeg:
			// -2 is a negative literal, as Flink parses it (ROUND(x, -2) needs one).
			if l, ok := e.Expr.(*sql.Literal); ok && (l.Kind == sql.LitInteger || l.Kind == sql.LitDecimal || l.Kind == sql.LitApprox) {
				neg := *l
				neg.Pos, neg.Value = e.Pos, "-"+l.Value
				return b.expr(&neg, sc)
			}
			return call("NEG", e.Expr)
		}
		return b.expr(e.Expr, sc)
	case *sql.IsNull:
		return call(map[bool]string{false: "IS NULL", true: "IS NOT NULL"}[e.Not], e.Expr)
	case *sql.IsTruth:
		value := strings.ToUpper(e.Value)
		if value == "UNKNOWN" { // the unknown truth value is a BOOLEAN NULL
			x, err := b.expr(e.Expr, sc)
			if err != nil {
				return nil, err
			}
			if !arrow.TypeEqual(x.Type(), arrow.FixedWidthTypes.Boolean) && x.Type().ID() != arrow.NULL {
				return nil, errAt(Invalid, e.Pos, "IS UNKNOWN needs a BOOLEAN operand, not %s", typeName(x.Type()))
			}
			return b.resolve(at, map[bool]string{false: "IS NULL", true: "IS NOT NULL"}[e.Not], []expr.Expr{x})
		}
		name := "IS " + value
		if e.Not {
			name = "IS NOT " + value
		}
		return call(name, e.Expr)
	case *sql.IsDistinct:
		return call(map[bool]string{false: "IS DISTINCT FROM", true: "IS NOT DISTINCT FROM"}[e.Not], e.Left, e.Right)
	case *sql.Between:
		if e.Symmetric {
			return nil, unsupported(e, "BETWEEN SYMMETRIC")
		}
		x, err := b.expr(e.Expr, sc)
		if err != nil {
			return nil, err
		}
		lo, err := b.expr(e.Low, sc)
		if err != nil {
			return nil, err
		}
		hi, err := b.expr(e.High, sc)
		if err != nil {
			return nil, err
		}
		ge, err := b.resolve(at, ">=", []expr.Expr{x, lo})
		if err != nil {
			return nil, err
		}
		le, err := b.resolve(at, "<=", []expr.Expr{x, hi})
		if err != nil {
			return nil, err
		}
		both, err := b.resolve(at, "AND", []expr.Expr{ge, le})
		if err != nil || !e.Not {
			return both, err
		}
		return b.resolve(at, "NOT", []expr.Expr{both})
	case *sql.InList:
		in, err := call("IN", append([]sql.Expr{e.Expr}, e.List...)...)
		if err != nil || !e.Not {
			return in, err
		}
		return b.resolve(at, "NOT", []expr.Expr{in})
	case *sql.Like:
		name := "LIKE"
		if e.Similar {
			name = "SIMILAR TO"
		}
		like, err := call(name, e.Expr, e.Pattern, e.Escape)
		if err != nil || !e.Not {
			return like, err
		}
		return b.resolve(at, "NOT", []expr.Expr{like})
	case *sql.Case:
		return b.caseExpr(e, sc)
	case *sql.Cast:
		x, err := b.expr(e.Expr, sc)
		if err != nil {
			return nil, err
		}
		to, err := ArrowType(e.Type)
		if err != nil {
			return nil, errAt(Unsupported, e.Type.Pos, "%v", err)
		}
		c, err := expr.NewCast(x, to, e.Try)
		if err != nil {
			return nil, errAt(Invalid, e.Pos, "%v", err)
		}
		return c, nil
	case *sql.FuncCall:
		if e.Over != nil && sc.win != nil {
			return b.windowCall(e, sc)
		}
		if err := checkCall(e, sc); err != nil {
			return nil, err
		}
		for _, a := range e.Args {
			switch a.(type) {
			case *sql.Star, *sql.NamedArg, *sql.TableArg, *sql.Descriptor:
				return nil, unsupported(a, "this function argument")
			}
		}
		return call(identsString(e.Name.Parts), e.Args...)
	case *sql.NiladicCall:
		return b.resolve(at, e.Name, nil)
	case *sql.Extract:
		return b.unitCall(at, "EXTRACT", e.Unit, true, sc, e.Expr)
	case *sql.FloorCeil:
		name := map[bool]string{false: "FLOOR", true: "CEIL"}[e.Ceil]
		if e.Unit == "" {
			return call(name, e.Expr)
		}
		return b.unitCall(at, name, e.Unit, false, sc, e.Expr)
	case *sql.TimestampFunc:
		return b.unitCall(at, strings.ToUpper(e.Name), e.Unit, true, sc, e.A, e.B)
	case *sql.Position:
		if e.From != nil {
			return call("LOCATE", e.Sub, e.Str, e.From)
		}
		return call("POSITION", e.Sub, e.Str)
	case *sql.Trim:
		side := e.Side
		if side == "" {
			side = "BOTH"
		}
		var chars expr.Expr = expr.Lit(scalar.NewStringScalar(" "))
		if e.Chars != nil {
			var err error
			if chars, err = b.expr(e.Chars, sc); err != nil {
				return nil, err
			}
		}
		s, err := b.expr(e.Str, sc)
		if err != nil {
			return nil, err
		}
		return b.resolve(at, "TRIM", []expr.Expr{expr.Lit(scalar.NewStringScalar(strings.ToUpper(side))), chars, s})
	case *sql.Substring:
		return call("SUBSTRING", e.Str, e.From, e.For)
	case *sql.Overlay:
		return call("OVERLAY", e.Str, e.Placing, e.From, e.For)
	case *sql.Subquery:
		if i, ok := b.scalars[e]; ok && sc.agg == nil && i < len(sc.fields) {
			f := sc.fields[i]
			return &expr.Column{Index: i, Name: "$scalar", DataType: f.Type}, nil
		}
		return nil, unsupported(e, "a scalar subquery here (uncorrelated ones work in WHERE and in the select list without GROUP BY)")
	case *sql.Exists, *sql.InSubquery:
		return nil, unsupported(e, "a [NOT] IN or [NOT] EXISTS subquery outside the conjuncts of WHERE")
	case *sql.Star:
		return nil, errAt(Invalid, e.Pos, "* is only allowed in the select list and COUNT(*)")
	}
	return nil, unsupported(e, fmt.Sprintf("the expression %s", e.String()))
}

// unitCall binds a function whose time unit is written as a keyword: the
// unit goes first (EXTRACT, TIMESTAMPADD) or last (FLOOR/CEIL … TO unit) as a
// string literal.
func (b *binder) unitCall(at sql.Pos, name string, unit sql.TimeUnit, first bool, sc *scope, args ...sql.Expr) (expr.Expr, error) {
	u := expr.Lit(scalar.NewStringScalar(string(unit)))
	bound := make([]expr.Expr, 0, len(args)+1)
	if first {
		bound = append(bound, u)
	}
	for _, a := range args {
		x, err := b.expr(a, sc)
		if err != nil {
			return nil, err
		}
		bound = append(bound, x)
	}
	if !first {
		bound = append(bound, u)
	}
	return b.resolve(at, name, bound)
}

func (b *binder) caseExpr(c *sql.Case, sc *scope) (expr.Expr, error) {
	var operand expr.Expr
	if c.Operand != nil {
		var err error
		if operand, err = b.expr(c.Operand, sc); err != nil {
			return nil, err
		}
	}
	whens := make([]expr.When, 0, len(c.Whens))
	for _, w := range c.Whens {
		cond, err := b.expr(w.Cond, sc)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if cond, err = b.resolve(w.Pos, "=", []expr.Expr{operand, cond}); err != nil {
				return nil, err
			}
		}
		then, err := b.expr(w.Result, sc)
		if err != nil {
			return nil, err
		}
		whens = append(whens, expr.When{Cond: cond, Then: then})
	}
	var els expr.Expr
	if c.Else != nil {
		var err error
		if els, err = b.expr(c.Else, sc); err != nil {
			return nil, err
		}
	}
	out, err := expr.NewCase(whens, els)
	if err != nil {
		return nil, errAt(Invalid, c.Pos, "%v", err)
	}
	return out, nil
}

func (b *binder) resolve(at sql.Pos, name string, args []expr.Expr) (expr.Expr, error) {
	e, err := expr.Resolve(name, args)
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			return nil, pe
		}
		return nil, &Error{Kind: Invalid, Pos: at, Msg: err.Error(), Err: err}
	}
	return e, nil
}

// literal types a SQL literal as Flink does: integers INT when they fit,
// else BIGINT; exact decimals DECIMAL(p, s); approximate ones DOUBLE.
func literal(l *sql.Literal) (scalar.Scalar, error) {
	switch l.Kind {
	case sql.LitNull, sql.LitUnknown:
		return scalar.MakeNullScalar(arrow.Null), nil
	case sql.LitBool:
		return scalar.NewBooleanScalar(strings.EqualFold(l.Value, "TRUE")), nil
	case sql.LitInteger:
		n, ok := new(big.Int).SetString(l.Value, 10)
		switch {
		case ok && n.IsInt64() && n.Int64() >= -1<<31 && n.Int64() < 1<<31:
			return scalar.NewInt32Scalar(int32(n.Int64())), nil
		case ok && n.IsInt64():
			return scalar.NewInt64Scalar(n.Int64()), nil
		}
		return decimalLiteral(l.Value)
	case sql.LitDecimal:
		return decimalLiteral(l.Value)
	case sql.LitApprox:
		f, err := strconv.ParseFloat(l.Value, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %s", l.Value)
		}
		return scalar.NewFloat64Scalar(f), nil
	case sql.LitString:
		return scalar.NewStringScalar(l.Value), nil
	case sql.LitDate:
		t, err := time.Parse("2006-01-02", strings.TrimSpace(l.Value))
		if err != nil {
			return nil, fmt.Errorf("DATE '%s' is not a valid date (YYYY-MM-DD)", l.Value)
		}
		return scalar.NewDate32Scalar(arrow.Date32FromTime(t)), nil
	case sql.LitTime:
		t, err := time.Parse("15:04:05.999999999", strings.TrimSpace(l.Value))
		if err != nil {
			return nil, fmt.Errorf("TIME '%s' is not a valid time (HH:MM:SS[.fff])", l.Value)
		}
		return scalar.NewTime64Scalar(arrow.Time64(t.Sub(t.Truncate(24*time.Hour))/time.Microsecond), arrow.FixedWidthTypes.Time64us), nil
	case sql.LitTimestamp, sql.LitTimestampLTZ:
		var t time.Time
		var err error
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"} {
			if t, err = time.Parse(layout, strings.TrimSpace(l.Value)); err == nil {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("TIMESTAMP '%s' is not a valid timestamp (YYYY-MM-DD HH:MM:SS[.fff])", l.Value)
		}
		typ := &arrow.TimestampType{Unit: arrow.Microsecond}
		if l.Kind == sql.LitTimestampLTZ {
			typ.TimeZone = "UTC"
		}
		return scalar.NewTimestampScalar(arrow.Timestamp(t.UnixMicro()), typ), nil
	case sql.LitBinary:
		v, err := hexBytes(l.Value)
		if err != nil {
			return nil, err
		}
		return scalar.NewBinaryScalar(memory.NewBufferBytes(v), arrow.BinaryTypes.Binary), nil
	}
	return nil, fmt.Errorf("unsupported literal %s", l.String())
}

func decimalLiteral(text string) (scalar.Scalar, error) {
	digits := strings.TrimLeft(strings.Replace(strings.TrimPrefix(text, "-"), ".", "", 1), "0")
	scale := 0
	if i := strings.IndexByte(text, '.'); i >= 0 {
		scale = len(text) - i - 1
	}
	prec := max(len(digits), scale, 1)
	if prec > 38 {
		return nil, fmt.Errorf("number %s has more than 38 digits", text)
	}
	n, err := decimal128.FromString(text, int32(prec), int32(scale))
	if err != nil {
		return nil, fmt.Errorf("bad number %s", text)
	}
	return scalar.NewDecimal128Scalar(n, &arrow.Decimal128Type{Precision: int32(prec), Scale: int32(scale)}), nil
}

func hexBytes(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("binary literal X'%s' has an odd number of hex digits", s)
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("binary literal X'%s' is not hexadecimal", s)
		}
		out[i] = byte(v)
	}
	return out, nil
}

func identsString(ids []sql.Ident) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.Name
	}
	return strings.Join(parts, ".")
}

// typeName names an Arrow type as Flink SQL does, for messages.
func typeName(t arrow.DataType) string {
	return types.FlinkName(arrow.Field{Type: t, Nullable: true})
}
