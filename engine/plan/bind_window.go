package plan

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/sql"
)

// Window calls bind in the select list and ORDER BY, after WHERE, GROUP BY
// and HAVING: their arguments, PARTITION BY and ORDER BY are expressions
// over what the select list sees (above an aggregation, its group keys and
// aggregate calls, so SUM(COUNT(*)) OVER () works). Each call binds to a
// placeholder column; once the select block is bound, windows() stacks one
// Window node per distinct PARTITION BY/ORDER BY and points the
// placeholders at their calls' columns.

// windowFuncs are the window-only functions, with their argument counts.
var windowFuncs = map[string][2]int{
	"ROW_NUMBER": {0, 0}, "RANK": {0, 0}, "DENSE_RANK": {0, 0}, "PERCENT_RANK": {0, 0},
	"CUME_DIST": {0, 0}, "NTILE": {1, 1}, "LAG": {1, 3}, "LEAD": {1, 3}, "NTH_VALUE": {2, 2},
}

// windowAggs are the aggregate functions allowed with OVER.
var windowAggs = map[string]bool{
	"COUNT": true, "SUM": true, "AVG": true, "MIN": true, "MAX": true,
	"STDDEV_POP": true, "STDDEV_SAMP": true, "VAR_POP": true, "VAR_SAMP": true,
	"FIRST_VALUE": true, "LAST_VALUE": true,
}

type winOrder struct {
	x                expr.Expr
	desc, nullsFirst bool
}

type boundWindow struct {
	spec      string // partition and order, printed: calls with the same share a node
	partition []expr.Expr
	order     []winOrder
	call      WindowCall
	refs      []*expr.Column // the placeholders bound to this call
}

// winScope collects a select block's window calls.
type winScope struct {
	named map[string]*sql.WindowSpec
	calls []*boundWindow
	idx   map[string]int
}

func newWinScope(defs []*sql.NamedWindow) (*winScope, error) {
	ws := &winScope{named: map[string]*sql.WindowSpec{}, idx: map[string]int{}}
	for _, d := range defs {
		if _, dup := ws.named[d.Name.Name]; dup {
			return nil, errAt(Invalid, d.Name.Pos, "window %s is defined twice", d.Name.Name)
		}
		ws.named[d.Name.Name] = d.Spec
	}
	return ws, nil
}

// resolve merges a spec with the named window it refines.
func (ws *winScope) resolve(s *sql.WindowSpec, depth int) (*sql.WindowSpec, error) {
	if s.Base.Name == "" {
		return s, nil
	}
	base, ok := ws.named[s.Base.Name]
	if !ok || depth > len(ws.named) {
		return nil, errAt(Invalid, s.Base.Pos, "window %s is not defined", s.Base.Name)
	}
	base, err := ws.resolve(base, depth+1)
	if err != nil {
		return nil, err
	}
	out := *base
	if len(s.PartitionBy) > 0 {
		return nil, errAt(Invalid, s.PartitionBy[0].Position(), "a window that refines window %s cannot have PARTITION BY", s.Base.Name)
	}
	if len(s.OrderBy) > 0 {
		if len(base.OrderBy) > 0 {
			return nil, errAt(Invalid, s.OrderBy[0].Pos, "window %s already has ORDER BY", s.Base.Name)
		}
		out.OrderBy = s.OrderBy
	}
	if s.Frame != nil {
		if base.Frame != nil {
			return nil, errAt(Invalid, s.Frame.Pos, "window %s already has a frame", s.Base.Name)
		}
		out.Frame = s.Frame
	}
	return &out, nil
}

// windowCall binds f, which has OVER, and returns its placeholder column.
func (b *binder) windowCall(f *sql.FuncCall, sc *scope) (expr.Expr, error) {
	ws := sc.win
	name := funcName(f.Name)
	counts, isWin := windowFuncs[name]
	if !isWin && !windowAggs[name] {
		if _, ok := aggFuncs[name]; ok {
			return nil, errAt(Unsupported, f.Pos, "%s as a window function is not supported yet", name)
		}
		return nil, errAt(Invalid, f.Pos, "OVER is only allowed on window and aggregate functions, not %s", identsString(f.Name.Parts))
	}
	if f.Distinct {
		return nil, errAt(Unsupported, f.Pos, "DISTINCT in window aggregates is not supported yet")
	}
	if f.Filter != nil {
		return nil, errAt(Unsupported, f.Filter.Position(), "FILTER in window calls is not supported yet")
	}
	spec, err := ws.resolve(f.Over, 0)
	if err != nil {
		return nil, err
	}
	// Arguments and keys see the select list's input, without windows.
	asc := *sc
	asc.win, asc.clause = nil, "nested"
	bw := &boundWindow{call: WindowCall{Func: name, Frame: DefaultFrame}}
	for _, p := range spec.PartitionBy {
		x, err := b.expr(p, &asc)
		if err != nil {
			return nil, err
		}
		if !valueType(x.Type()) {
			return nil, errAt(Unsupported, p.Position(), "PARTITION BY on %s is not supported yet", typeName(x.Type()))
		}
		bw.partition = append(bw.partition, x)
	}
	for _, o := range spec.OrderBy {
		x, err := b.expr(o.Expr, &asc)
		if err != nil {
			return nil, err
		}
		if !valueType(x.Type()) {
			return nil, errAt(Unsupported, o.Expr.Position(), "ORDER BY on %s is not supported yet", typeName(x.Type()))
		}
		k := winOrder{x: x, desc: o.Desc, nullsFirst: !o.Desc}
		switch o.Nulls {
		case sql.NullsFirst:
			k.nullsFirst = true
		case sql.NullsLast:
			k.nullsFirst = false
		}
		bw.order = append(bw.order, k)
	}
	if err := b.windowArgs(f, spec, name, isWin, counts, &asc, bw); err != nil {
		return nil, err
	}
	key := bw.specString() + "|" + bw.call.String()
	i, ok := ws.idx[key]
	if !ok {
		i = len(ws.calls)
		ws.idx[key] = i
		bw.spec = bw.specString()
		ws.calls = append(ws.calls, bw)
	}
	// Placeholders are named apart: different calls must not print alike.
	col := &expr.Column{Index: -1, Name: ws.calls[i].call.Func + "#" + strconv.Itoa(i), DataType: bw.call.Type}
	ws.calls[i].refs = append(ws.calls[i].refs, col)
	return col, nil
}

func (bw *boundWindow) specString() string {
	s := "PARTITION BY"
	for _, p := range bw.partition {
		s += " " + p.String() + ","
	}
	s += " ORDER BY"
	for _, o := range bw.order {
		s += fmt.Sprintf(" %s %v %v,", o.x, o.desc, o.nullsFirst)
	}
	return s
}

// windowArgs binds a window call's arguments and frame and derives its type.
func (b *binder) windowArgs(f *sql.FuncCall, spec *sql.WindowSpec, name string, isWin bool, counts [2]int, asc *scope, bw *boundWindow) error {
	call := &bw.call
	args := f.Args
	for _, a := range args {
		switch a.(type) {
		case *sql.NamedArg, *sql.TableArg, *sql.Descriptor:
			return unsupported(a, "this function argument")
		}
	}
	if name == "COUNT" && len(args) == 1 {
		if _, ok := args[0].(*sql.Star); ok {
			args = nil
		}
	}
	switch {
	case isWin:
		if len(args) < counts[0] || len(args) > counts[1] {
			want := fmt.Sprint(counts[0])
			if counts[1] != counts[0] {
				want = fmt.Sprintf("%d to %d", counts[0], counts[1])
			}
			return errAt(Invalid, f.Pos, "%s takes %s arguments, got %d", name, want, len(args))
		}
	case name == "COUNT" && len(args) <= 1:
	case len(args) != 1:
		return errAt(Invalid, f.Pos, "%s takes 1 argument, got %d", name, len(args))
	}
	for _, a := range args {
		if _, ok := a.(*sql.Star); ok {
			return errAt(Invalid, a.Position(), "* is only allowed in the select list and COUNT(*)")
		}
	}
	switch name {
	case "RANK", "DENSE_RANK", "PERCENT_RANK", "CUME_DIST":
		if len(spec.OrderBy) == 0 {
			return errAt(Invalid, f.Pos, "%s needs ORDER BY in its window", name)
		}
	}
	if spec.Frame != nil {
		if !call.framed() {
			return errAt(Invalid, spec.Frame.Pos, "%s does not take a window frame (ROWS or RANGE)", name)
		}
		fr, err := frame(spec.Frame, bw.order)
		if err != nil {
			return err
		}
		call.Frame = fr
	}
	switch name {
	case "ROW_NUMBER", "RANK", "DENSE_RANK":
		call.Type, call.NotNull = arrow.PrimitiveTypes.Int64, true
		return nil
	case "PERCENT_RANK", "CUME_DIST":
		call.Type, call.NotNull = arrow.PrimitiveTypes.Float64, true
		return nil
	case "NTILE":
		n, err := positiveConst(args[0], "NTILE's number of buckets")
		if err != nil {
			return err
		}
		call.N, call.Type, call.NotNull = n, arrow.PrimitiveTypes.Int32, true
		return nil
	}
	if len(args) > 0 {
		x, err := b.expr(args[0], asc)
		if err != nil {
			return err
		}
		call.Args = []expr.Expr{x}
	}
	switch name {
	case "LAG", "LEAD", "NTH_VALUE", "FIRST_VALUE", "LAST_VALUE":
		t := call.Args[0].Type()
		if !valueType(t) {
			return errAt(Unsupported, args[0].Position(), "%s on %s is not supported yet", name, typeName(t))
		}
		call.Type, call.N = t, 1
		if name == "NTH_VALUE" {
			n, err := positiveConst(args[1], "NTH_VALUE's position")
			if err != nil {
				return err
			}
			call.N = n
		}
		if (name == "LAG" || name == "LEAD") && len(args) > 1 {
			n, err := constInt(args[1], name+"'s offset")
			if err != nil {
				return err
			}
			call.N = n
		}
		if (name == "LAG" || name == "LEAD") && len(args) > 2 {
			d, err := b.expr(args[2], asc)
			if err != nil {
				return err
			}
			if !arrow.TypeEqual(d.Type(), t) {
				if d, err = expr.NewCast(d, t, false); err != nil {
					return errAt(Invalid, args[2].Position(), "%s's default must have the type of its value (%s): %v", name, typeName(t), err)
				}
				if _, err := expr.Fold(d, &expr.EvalContext{Ctx: b.ctx, NowMicros: time.Now().UnixMicro()}); err != nil {
					return errAt(Invalid, args[2].Position(), "%s's default must have the type of its value (%s): %v", name, typeName(t), err)
				}
			}
			call.Args = append(call.Args, d)
		}
		return nil
	}
	var argType arrow.DataType
	if len(call.Args) > 0 {
		argType = call.Args[0].Type()
	}
	typ, notNull, ok := aggResultType(name, argType)
	if !ok {
		return errAt(Invalid, f.Pos, "cannot apply '%s' to arguments of type %s", name, typeName(argType))
	}
	if name == "COUNT" {
		if l, ok := firstArg(call.Args).(*expr.Literal); ok && l.Value.IsValid() {
			call.Args = nil
		}
	}
	call.Type, call.NotNull = typ, notNull
	return nil
}

func firstArg(xs []expr.Expr) expr.Expr {
	if len(xs) == 0 {
		return nil
	}
	return xs[0]
}

func positiveConst(e sql.Expr, what string) (int64, error) {
	l, ok := e.(*sql.Literal)
	if !ok || l.Kind != sql.LitInteger {
		return 0, errAt(Invalid, e.Position(), "%s must be a positive integer constant", what)
	}
	n, err := strconv.ParseInt(l.Value, 10, 64)
	if err != nil || n < 1 {
		return 0, errAt(Invalid, e.Position(), "%s must be a positive integer constant, not %s", what, l.Value)
	}
	return n, nil
}

// frame binds ROWS|RANGE [BETWEEN] bounds; order is the window's ORDER BY,
// which RANGE offsets are measured on.
func frame(w *sql.WindowFrame, order []winOrder) (Frame, error) {
	fr := Frame{Rows: !w.Range, End: CurrentRow}
	var err error
	if fr.Start, fr.StartN, err = frameBound(w.Start, w.Range, order); err != nil {
		return fr, err
	}
	if w.End != nil {
		if fr.End, fr.EndN, err = frameBound(w.End, w.Range, order); err != nil {
			return fr, err
		}
	}
	switch {
	case fr.Start == UnboundedFollowing:
		return fr, errAt(Invalid, w.Start.Pos, "a window frame cannot start at UNBOUNDED FOLLOWING")
	case fr.End == UnboundedPreceding:
		return fr, errAt(Invalid, w.End.Pos, "a window frame cannot end at UNBOUNDED PRECEDING")
	case fr.Start > fr.End:
		return fr, errAt(Invalid, w.Pos, "the window frame starts after it ends")
	}
	return fr, nil
}

func frameBound(fb *sql.FrameBound, isRange bool, order []winOrder) (BoundKind, int64, error) {
	switch fb.Kind {
	case sql.UnboundedPreceding:
		return UnboundedPreceding, 0, nil
	case sql.CurrentRow:
		return CurrentRow, 0, nil
	case sql.UnboundedFollowing:
		return UnboundedFollowing, 0, nil
	}
	var n int64
	var err error
	if isRange {
		n, err = rangeOffset(fb, order)
	} else {
		n, err = constInt(fb.Offset, "a ROWS frame offset")
	}
	if err != nil {
		return 0, 0, err
	}
	if fb.Kind == sql.Preceding {
		return Preceding, n, nil
	}
	return Following, n, nil
}

// windows stacks the Window nodes of the calls bound in ws over input and
// points their placeholders at the calls' columns. Computed keys are
// projected first, after the input's columns.
func (b *binder) windows(input Node, ws *winScope) Node {
	if len(ws.calls) == 0 {
		return input
	}
	in := input.Schema()
	width := in.NumFields()
	var exprs []expr.Expr
	var names []string
	for i := range width {
		f := in.Field(i)
		exprs = append(exprs, &expr.Column{Index: i, Name: f.Name, DataType: f.Type})
		names = append(names, f.Name)
	}
	extra := map[string]int{}
	column := func(x expr.Expr) *expr.Column {
		if c, ok := x.(*expr.Column); ok {
			return c
		}
		i, ok := extra[x.String()]
		if !ok {
			i = len(exprs)
			extra[x.String()] = i
			exprs = append(exprs, x)
			names = append(names, fmt.Sprintf("$wkey%d", i-width))
		}
		return &expr.Column{Index: i, Name: names[i], DataType: x.Type()}
	}
	type group struct {
		partition []expr.Expr
		order     []SortKey
		calls     []*boundWindow
	}
	var groups []*group
	bySpec := map[string]*group{}
	for _, bw := range ws.calls {
		g, ok := bySpec[bw.spec]
		if !ok {
			g = &group{}
			for _, p := range bw.partition {
				g.partition = append(g.partition, column(p))
			}
			for _, o := range bw.order {
				g.order = append(g.order, SortKey{Column: column(o.x).Index, Descending: o.desc, NullsFirst: o.nullsFirst})
			}
			bySpec[bw.spec] = g
			groups = append(groups, g)
		}
		g.calls = append(g.calls, bw)
	}
	var out Node = input
	if len(exprs) > width {
		out = NewProject(input, exprs, names)
	}
	for _, g := range groups {
		base := out.Schema().NumFields()
		funcs := make([]WindowCall, len(g.calls))
		for i, bw := range g.calls {
			funcs[i] = bw.call
			for _, r := range bw.refs {
				r.Index = base + i
			}
		}
		out = NewWindow(out, g.partition, g.order, funcs)
	}
	return out
}
