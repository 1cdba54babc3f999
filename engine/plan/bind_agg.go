package plan

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/sql"
)

// Aggregation binds as Flink (Calcite) does: GROUP BY takes expressions
// over the input columns (neither select-list aliases nor ordinals); above
// it, the select list, HAVING and ORDER BY may use an expression only when
// it is a group key or built from group keys, aggregate calls and constants.

// aggFuncs are the aggregate functions wharf plans, by the names Flink
// accepts; aliases map to their canonical name.
var aggFuncs = map[string]string{
	"COUNT": "COUNT", "SUM": "SUM", "AVG": "AVG", "MIN": "MIN", "MAX": "MAX",
	"STDDEV_POP": "STDDEV_POP", "STDDEV_SAMP": "STDDEV_SAMP", "STDDEV": "STDDEV_SAMP",
	"VAR_POP": "VAR_POP", "VAR_SAMP": "VAR_SAMP", "VARIANCE": "VAR_SAMP",
	"FIRST_VALUE": "FIRST_VALUE", "LAST_VALUE": "LAST_VALUE", "LISTAGG": "LISTAGG",
	"APPROX_COUNT_DISTINCT": "APPROX_COUNT_DISTINCT",
}

// laterFuncs are Flink aggregate, window and grouping functions wharf does
// not plan yet, with what they need.
var laterFuncs = map[string]string{
	"COLLECT": "MULTISET results", "ARRAY_AGG": "ARRAY results", "JSON_OBJECTAGG": "JSON aggregation",
	"JSON_ARRAYAGG": "JSON aggregation",
	"GROUPING":      "GROUPING SETS, ROLLUP and CUBE", "GROUPING_ID": "GROUPING SETS, ROLLUP and CUBE",
	"GROUP_ID": "GROUPING SETS, ROLLUP and CUBE",
}

func funcName(n sql.ObjectName) string {
	if len(n.Parts) != 1 {
		return ""
	}
	return strings.ToUpper(n.Parts[0].Name)
}

// aggScope is what expressions above an Aggregate can reference: its group
// keys (matched by their bound text) and the aggregate calls collected so
// far, deduplicated.
type aggScope struct {
	input  *scope // the Aggregate's input, for matching group keys
	args   *scope // for aggregate arguments: no nested aggregates
	filter *scope // for FILTER (WHERE …)
	groups []expr.Expr
	names  []string
	keys   map[string]int
	aggs   []AggCall
	aggIdx map[string]int
	// sets are the grouping sets (key indexes) of GROUPING SETS, ROLLUP
	// and CUBE; nil for a plain GROUP BY. grouping are the GROUPING calls.
	sets     [][]int
	grouping []groupingRef
}

// isAggQuery says whether a SELECT aggregates: GROUP BY, HAVING, or an
// aggregate call in the select list, HAVING or ORDER BY.
func isAggQuery(sel *sql.Select, orderBy []*sql.OrderItem) bool {
	if len(sel.GroupBy) > 0 || sel.Having != nil {
		return true
	}
	for _, it := range sel.Items {
		if hasAggregate(it.Expr) {
			return true
		}
	}
	for _, o := range orderBy {
		if hasAggregate(o.Expr) {
			return true
		}
	}
	return false
}

// hasAggregate reports an aggregate call (not a window call) in e, outside
// subqueries.
func hasAggregate(e sql.Expr) bool {
	if f, ok := e.(*sql.FuncCall); ok && f.Over == nil {
		if _, ok := aggFuncs[funcName(f.Name)]; ok {
			return true
		}
	}
	for _, c := range sqlChildren(e) {
		if c != nil && hasAggregate(c) {
			return true
		}
	}
	return false
}

// sqlChildren lists the sub-expressions of the expression forms the binder
// plans (nil entries are absent optional parts).
func sqlChildren(e sql.Expr) []sql.Expr {
	switch e := e.(type) {
	case *sql.FuncCall:
		return append(append([]sql.Expr{}, e.Args...), e.Filter)
	case *sql.BinaryExpr:
		return []sql.Expr{e.Left, e.Right}
	case *sql.UnaryExpr:
		return []sql.Expr{e.Expr}
	case *sql.IsNull:
		return []sql.Expr{e.Expr}
	case *sql.IsTruth:
		return []sql.Expr{e.Expr}
	case *sql.IsDistinct:
		return []sql.Expr{e.Left, e.Right}
	case *sql.Between:
		return []sql.Expr{e.Expr, e.Low, e.High}
	case *sql.InList:
		return append([]sql.Expr{e.Expr}, e.List...)
	case *sql.Like:
		return []sql.Expr{e.Expr, e.Pattern, e.Escape}
	case *sql.Case:
		out := []sql.Expr{e.Operand, e.Else}
		for _, w := range e.Whens {
			out = append(out, w.Cond, w.Result)
		}
		return out
	case *sql.Cast:
		return []sql.Expr{e.Expr}
	case *sql.Extract:
		return []sql.Expr{e.Expr}
	case *sql.FloorCeil:
		return []sql.Expr{e.Expr}
	case *sql.TimestampFunc:
		return []sql.Expr{e.A, e.B}
	case *sql.Position:
		return []sql.Expr{e.Sub, e.Str, e.From}
	case *sql.Trim:
		return []sql.Expr{e.Chars, e.Str}
	case *sql.Substring:
		return []sql.Expr{e.Str, e.From, e.For}
	case *sql.Overlay:
		return []sql.Expr{e.Str, e.Placing, e.From, e.For}
	}
	return nil
}

// groupBy binds the GROUP BY keys over the input scope.
func (b *binder) groupBy(items []sql.Expr, sc *scope) (*aggScope, error) {
	ag := &aggScope{
		input:  sc.in("GROUP BY"),
		args:   sc.in("nested"),
		filter: sc.in("FILTER"),
		keys:   map[string]int{},
		aggIdx: map[string]int{},
	}
	sets := [][]int{nil}
	multi := false
	for _, g := range items {
		switch g.(type) {
		case *sql.GroupingSets, *sql.Rollup, *sql.Cube:
			multi = true
		}
		s, err := b.groupingSets(g, ag)
		if err != nil {
			return nil, err
		}
		sets = crossSets(sets, s)
	}
	if multi {
		ag.sets = sets
	}
	ag.input.clause = ""
	return ag, nil
}

// aggExpr binds e above the Aggregate when e is an aggregate call, a group
// key, or a column (which must then be a group key). done is false for
// other expressions, whose parts are bound one by one the same way.
func (b *binder) aggExpr(e sql.Expr, ag *aggScope) (x expr.Expr, done bool, err error) {
	switch e := e.(type) {
	case *sql.Literal:
		return nil, false, nil
	case *sql.FuncCall:
		if _, ok := aggFuncs[funcName(e.Name)]; ok && e.Over == nil {
			x, err := b.aggCall(e, ag)
			return x, true, err
		}
		if n := funcName(e.Name); (n == "GROUPING" || n == "GROUPING_ID") && e.Over == nil {
			x, err := b.groupingCall(e, ag)
			return x, true, err
		}
	}
	x, err = b.expr(e, ag.input)
	if err == nil {
		if c, ok := ag.key(x); ok {
			return c, true, nil
		}
	}
	if c, ok := e.(*sql.ColumnRef); ok {
		if err != nil {
			return nil, true, err
		}
		return nil, true, errAt(Invalid, c.Pos, "column %s must appear in GROUP BY or be used in an aggregate", c.String())
	}
	return nil, false, nil
}

// key returns the Aggregate output column of group key x, if it is one.
func (ag *aggScope) key(x expr.Expr) (*expr.Column, bool) {
	i, ok := ag.keys[x.String()]
	if !ok {
		return nil, false
	}
	return &expr.Column{Index: i, Name: ag.names[i], DataType: ag.groups[i].Type()}, true
}

// aggCall binds an aggregate call and returns the Aggregate output column
// that holds its value.
func (b *binder) aggCall(f *sql.FuncCall, ag *aggScope) (expr.Expr, error) {
	name := aggFuncs[funcName(f.Name)]
	call := AggCall{Func: name, Distinct: f.Distinct, Sep: ","}
	args := f.Args
	for _, a := range args {
		switch a.(type) {
		case *sql.NamedArg, *sql.TableArg, *sql.Descriptor:
			return nil, unsupported(a, "this function argument")
		}
	}
	if name == "COUNT" && len(args) == 1 {
		if st, ok := args[0].(*sql.Star); ok {
			if f.Distinct || len(st.Qualifier) > 0 {
				return nil, errAt(Invalid, st.Pos, "COUNT takes * only as COUNT(*)")
			}
			args = nil
		}
	}
	switch {
	case name == "COUNT" && args == nil:
	case name == "COUNT" && len(args) > 1:
		return nil, errAt(Unsupported, args[1].Position(), "COUNT over several expressions is not supported yet")
	case name == "LISTAGG" && (len(args) == 1 || len(args) == 2):
	case len(args) != 1:
		want := "1 argument"
		if name == "LISTAGG" {
			want = "1 or 2 arguments"
		}
		return nil, errAt(Invalid, f.Pos, "%s takes %s, got %d", name, want, len(args))
	}
	for _, a := range args {
		if _, ok := a.(*sql.Star); ok {
			return nil, errAt(Invalid, a.Position(), "* is only allowed in the select list and COUNT(*)")
		}
	}
	if len(args) > 0 {
		x, err := b.expr(args[0], ag.args)
		if err != nil {
			return nil, err
		}
		call.Arg = x
	}
	if len(args) == 2 {
		l, ok := args[1].(*sql.Literal)
		if !ok || l.Kind != sql.LitString {
			return nil, errAt(Invalid, args[1].Position(), "LISTAGG's separator must be a string literal")
		}
		call.Sep = l.Value
	}
	if f.Filter != nil {
		c, err := b.expr(f.Filter, ag.filter)
		if err != nil {
			return nil, err
		}
		if !arrow.TypeEqual(c.Type(), arrow.FixedWidthTypes.Boolean) {
			return nil, errAt(Invalid, f.Filter.Position(), "FILTER needs a BOOLEAN condition, not %s", typeName(c.Type()))
		}
		call.Filter = c
	}
	var argType arrow.DataType
	if call.Arg != nil {
		argType = call.Arg.Type()
	}
	typ, notNull, ok := aggResultType(name, argType)
	if !ok {
		return nil, errAt(Invalid, f.Pos, "cannot apply '%s' to arguments of type %s", name, typeName(argType))
	}
	call.Type, call.NotNull = typ, notNull
	switch name {
	case "MIN", "MAX", "FIRST_VALUE", "LAST_VALUE", "APPROX_COUNT_DISTINCT":
		call.Distinct = false // the same result either way
	case "COUNT":
		// COUNT(1) counts rows, as COUNT(*) does.
		if l, ok := call.Arg.(*expr.Literal); ok && !call.Distinct && l.Value.IsValid() {
			call.Arg = nil
		}
	}
	key := call.String()
	i, ok := ag.aggIdx[key]
	if !ok {
		i = len(ag.aggs)
		ag.aggIdx[key] = i
		ag.aggs = append(ag.aggs, call)
	}
	return &expr.Column{Index: len(ag.groups) + i, Name: key, DataType: typ}, nil
}

// aggResultType is an aggregate's result type for its argument type (nil
// for COUNT(*)), as Flink derives it: SUM keeps integer and floating types
// and widens DECIMAL(p, s) to DECIMAL(38, s); AVG, STDDEV_* and VAR_* keep
// integer and floating types (AVG of INT is an INT, by integer division)
// and give DECIMAL(38, max(6, s)) for decimals.
func aggResultType(name string, t arrow.DataType) (arrow.DataType, bool, bool) {
	switch name {
	case "COUNT":
		return arrow.PrimitiveTypes.Int64, true, true
	case "APPROX_COUNT_DISTINCT":
		return arrow.PrimitiveTypes.Int64, true, valueType(t)
	}
	if t == nil {
		return nil, false, false
	}
	switch name {
	case "SUM":
		switch {
		case isIntType(t), isFloatType(t):
			return t, false, true
		case t.ID() == arrow.DECIMAL128:
			return &arrow.Decimal128Type{Precision: 38, Scale: t.(*arrow.Decimal128Type).Scale}, false, true
		}
	case "AVG", "STDDEV_POP", "STDDEV_SAMP", "VAR_POP", "VAR_SAMP":
		switch {
		case isIntType(t), isFloatType(t):
			return t, false, true
		case t.ID() == arrow.DECIMAL128:
			return &arrow.Decimal128Type{Precision: 38, Scale: max(6, t.(*arrow.Decimal128Type).Scale)}, false, true
		}
	case "MIN", "MAX", "FIRST_VALUE", "LAST_VALUE":
		return t, false, valueType(t)
	case "LISTAGG":
		return arrow.BinaryTypes.String, false, t.ID() == arrow.STRING
	}
	return nil, false, false
}

func isIntType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

func isFloatType(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

// valueType says whether the executor can group by, compare and store
// values of t (grouping keys, MIN/MAX, DISTINCT).
func valueType(t arrow.DataType) bool {
	if t == nil {
		return false
	}
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DECIMAL128, arrow.STRING, arrow.BINARY, arrow.DATE32, arrow.TIME64, arrow.TIMESTAMP:
		return true
	}
	return false
}

// checkCall rejects the function-call forms that are not scalar calls where
// b.expr meets them: aggregates outside an aggregating select list,
// window calls, DISTINCT and FILTER on scalar functions.
func checkCall(f *sql.FuncCall, sc *scope) error {
	name := funcName(f.Name)
	if f.Over != nil {
		switch sc.clause {
		case "nested":
			return errAt(Invalid, f.Pos, "window function calls cannot be nested in aggregate or window calls")
		case "":
			return errAt(Invalid, f.Pos, "window function calls are only allowed in the select list and ORDER BY")
		}
		return errAt(Invalid, f.Pos, "window function calls are not allowed in %s", sc.clause)
	}
	if name == "GROUPING" || name == "GROUPING_ID" {
		return errAt(Invalid, f.Pos, "%s is only allowed in the select list, HAVING and ORDER BY of a query with GROUP BY", name)
	}
	if _, ok := windowFuncs[name]; ok {
		return errAt(Invalid, f.Pos, "window function %s needs an OVER clause", name)
	}
	if what, ok := laterFuncs[name]; ok {
		return errAt(Unsupported, f.Pos, "%s is not supported yet (it needs %s)", name, what)
	}
	if _, ok := aggFuncs[name]; ok {
		switch sc.clause {
		case "nested":
			return errAt(Invalid, f.Pos, "aggregate function calls cannot be nested")
		case "":
			return errAt(Invalid, f.Pos, "aggregate function %s is not allowed here", name)
		}
		return errAt(Invalid, f.Pos, "aggregate functions are not allowed in %s", sc.clause)
	}
	if f.Distinct {
		return errAt(Invalid, f.Pos, "DISTINCT is only allowed in aggregate function calls")
	}
	if f.Filter != nil {
		return errAt(Invalid, f.Filter.Position(), "FILTER is only allowed in aggregate function calls")
	}
	return nil
}

// distinctOrder finds the select-list column an ORDER BY expression of a
// SELECT DISTINCT sorts on: it must be one.
func distinctOrder(o *sql.OrderItem, e expr.Expr, visible []expr.Expr) (int, error) {
	for i, v := range visible {
		if v.String() == e.String() {
			return i, nil
		}
	}
	return 0, errAt(Invalid, o.Expr.Position(), "ORDER BY %s: with SELECT DISTINCT, ORDER BY may only use select-list columns", e)
}
