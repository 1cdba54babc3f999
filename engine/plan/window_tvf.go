package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/engine/types"
)

// WindowTVF is a windowing table function, Flink's TUMBLE, HOP, CUMULATE
// and SESSION: each input row is assigned to the windows its time column
// falls in (one for TUMBLE and SESSION, Size/Slide for HOP, up to Size/Slide
// for CUMULATE) and
// comes out once per window with window_start, window_end and window_time
// (window_end minus 1 ms, as Flink) appended. Rows with a NULL time are
// dropped. Times are microseconds.
type WindowTVF struct {
	Input   Node
	Kind    string // TUMBLE, HOP, CUMULATE
	TimeCol int
	// Size is the window length; Slide is HOP's slide and CUMULATE's step
	// (TUMBLE: Size). Windows are aligned to Offset from the epoch. For
	// SESSION, Size is the gap: rows of one Partition key closer than it
	// share a window [first time, last time + gap).
	Size, Slide, Offset int64
	Partition           []int // SESSION's PARTITION BY columns
	schema              *arrow.Schema
}

// NewWindowTVF derives the output schema.
func NewWindowTVF(in Node, kind string, timeCol int, size, slide, offset int64) *WindowTVF {
	fields := append([]arrow.Field(nil), in.Schema().Fields()...)
	tf := in.Schema().Field(timeCol)
	md := types.Declared("TIMESTAMP(3)")
	if tf.Type.(*arrow.TimestampType).TimeZone != "" {
		md = types.Declared("TIMESTAMP_LTZ(3)")
	}
	for _, name := range []string{"window_start", "window_end", "window_time"} {
		fields = append(fields, arrow.Field{Name: name, Type: tf.Type, Metadata: md})
	}
	return &WindowTVF{Input: in, Kind: kind, TimeCol: timeCol, Size: size, Slide: slide, Offset: offset, schema: arrow.NewSchema(fields, nil)}
}

// withInput is w over another input with the same columns.
func (w *WindowTVF) withInput(in Node) *WindowTVF {
	out := NewWindowTVF(in, w.Kind, w.TimeCol, w.Size, w.Slide, w.Offset)
	out.Partition = w.Partition
	return out
}

func (w *WindowTVF) Schema() *arrow.Schema { return w.schema }
func (w *WindowTVF) Children() []Node      { return []Node{w.Input} }

// windowTVF binds TABLE(TUMBLE|HOP|CUMULATE|SESSION(TABLE t, DESCRIPTOR(ts), …)).
func (b *binder) windowTVF(t *sql.TableFunc) (Node, *scope, error) {
	call := t.Call
	kind := strings.ToUpper(call.Name.String())
	var params []string // after DATA and TIMECOL, in positional order
	switch kind {
	case "TUMBLE":
		params = []string{"SIZE", "OFFSET"}
	case "HOP":
		params = []string{"SLIDE", "SIZE", "OFFSET"}
	case "CUMULATE":
		params = []string{"STEP", "SIZE", "OFFSET"}
	case "SESSION":
		params = []string{"GAP"}
	default:
		return nil, nil, unsupported(t, "table function "+call.Name.String())
	}
	if t.Lateral {
		return nil, nil, unsupported(t, "LATERAL window functions")
	}
	args := map[string]sql.Expr{}
	names := append([]string{"DATA", "TIMECOL"}, params...)
	for i, a := range call.Args {
		name := ""
		if na, ok := a.(*sql.NamedArg); ok {
			name, a = strings.ToUpper(na.Name.Name), na.Value
		} else if i < len(names) {
			name = names[i]
		} else {
			return nil, nil, errAt(Invalid, a.Position(), "%s takes at most %d arguments", kind, len(names))
		}
		if _, dup := args[name]; dup || !contains(names, name) {
			return nil, nil, errAt(Invalid, a.Position(), "%s has no argument %s here (it takes %s)", kind, name, strings.Join(names, ", "))
		}
		args[name] = a
	}
	for _, need := range names {
		if _, ok := args[need]; !ok && need != "OFFSET" {
			return nil, nil, errAt(Invalid, call.Pos, "%s needs its %s argument", kind, need)
		}
	}
	data, ok := args["DATA"].(*sql.TableArg)
	if !ok {
		return nil, nil, errAt(Invalid, args["DATA"].Position(), "the first argument of %s is TABLE name", kind)
	}
	if len(data.PartitionBy) > 0 && kind != "SESSION" {
		return nil, nil, errAt(Invalid, data.PartitionBy[0].Position(), "PARTITION BY belongs to SESSION windows; %s windows group by GROUP BY alone", kind)
	}
	in, _, err := b.from(&sql.TableRef{Pos: data.Pos, Name: data.Name})
	if err != nil {
		return nil, nil, err
	}
	var partition []int
	for _, e := range data.PartitionBy {
		c, ok := e.(*sql.ColumnRef)
		i := -1
		if ok && len(c.Parts) == 1 {
			i = slices.IndexFunc(in.Schema().Fields(), func(f arrow.Field) bool { return strings.EqualFold(f.Name, c.Parts[0].Name) })
		}
		if i < 0 {
			return nil, nil, errAt(Invalid, e.Position(), "PARTITION BY of %s takes columns of %s", kind, data.Name.String())
		}
		partition = append(partition, i)
	}
	desc, ok := args["TIMECOL"].(*sql.Descriptor)
	if !ok || len(desc.Columns) != 1 {
		return nil, nil, errAt(Invalid, args["TIMECOL"].Position(), "the time column of %s is DESCRIPTOR(column)", kind)
	}
	col := desc.Columns[0]
	timeCol := -1
	for i, f := range in.Schema().Fields() {
		if strings.EqualFold(f.Name, col.Name) {
			timeCol = i
		}
	}
	if timeCol < 0 {
		return nil, nil, errAt(NotFound, col.Pos, "column %s not found in %s", col.Name, data.Name.String())
	}
	if _, ok := in.Schema().Field(timeCol).Type.(*arrow.TimestampType); !ok {
		return nil, nil, errAt(Invalid, col.Pos, "the time column %s of %s must be a TIMESTAMP or TIMESTAMP_LTZ", col.Name, kind)
	}
	micros := func(name string) (int64, error) {
		a, ok := args[name]
		if !ok {
			return 0, nil
		}
		x, err := b.expr(a, &scope{})
		if err == nil {
			x, err = expr.Fold(x, &expr.EvalContext{Ctx: b.ctx})
		}
		if err != nil {
			return 0, err
		}
		lit, ok := x.(*expr.Literal)
		d, isDur := scalar.Scalar(nil), false
		if ok {
			d = lit.Value
			_, isDur = d.(*scalar.Duration)
		}
		if !isDur || !d.IsValid() {
			return 0, errAt(Invalid, a.Position(), "%s of %s must be a day-time INTERVAL constant", name, kind)
		}
		return int64(d.(*scalar.Duration).Value), nil
	}
	sizeArg := "SIZE"
	if kind == "SESSION" {
		sizeArg = "GAP"
	}
	size, err := micros(sizeArg)
	if err != nil {
		return nil, nil, err
	}
	slide := size
	if kind != "TUMBLE" && kind != "SESSION" {
		if slide, err = micros(params[0]); err != nil {
			return nil, nil, err
		}
	}
	offset, err := micros("OFFSET")
	if err != nil {
		return nil, nil, err
	}
	switch {
	case size <= 0 || slide <= 0:
		return nil, nil, errAt(Invalid, call.Pos, "%s: window sizes must be positive", kind)
	case size%slide != 0:
		return nil, nil, errAt(Invalid, call.Pos, "%s: the size must be a whole multiple of the %s", kind, strings.ToLower(params[0]))
	}
	n := NewWindowTVF(in, kind, timeCol, size, slide, offset)
	n.Partition = partition
	alias := data.Name.Parts[len(data.Name.Parts)-1].Name
	if t.Alias != nil {
		alias = t.Alias.Name.Name
	}
	return n, tableScope(alias, n.Schema().Fields()), nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (w *WindowTVF) String() string {
	return fmt.Sprintf("%s(%s, size=%dus, slide=%dus)", w.Kind, w.Input.Schema().Field(w.TimeCol).Name, w.Size, w.Slide)
}

// WindowColumns finds, among n's output columns, the window_start and
// window_end of a window TVF below it, through filters and projections
// that pass them on unchanged, and through window aggregations (grouped by
// both), whose windows a later aggregation may group by again (Flink's
// window propagation).
func WindowColumns(n Node) (start, end int, tvf *WindowTVF, ok bool) {
	// trace maps an output column of n to a column of the TVF, or -1.
	var trace func(n Node, col int) (int, *WindowTVF)
	trace = func(n Node, col int) (int, *WindowTVF) {
		switch n := n.(type) {
		case *WindowTVF:
			return col, n
		case *Filter:
			return trace(n.Input, col)
		case *Project:
			c, ok := n.Exprs[col].(*expr.Column)
			if !ok {
				return -1, nil
			}
			return trace(n.Input, c.Index)
		case *Aggregate:
			if col >= len(n.GroupBy) {
				return -1, nil
			}
			c, ok := n.GroupBy[col].(*expr.Column)
			if s, e, _, windowed := WindowColumns(n.Input); !ok || !windowed || !n.GroupsBy(s) || !n.GroupsBy(e) {
				return -1, nil
			}
			return trace(n.Input, c.Index)
		}
		return -1, nil
	}
	start, end = -1, -1
	for i := range n.Schema().NumFields() {
		c, t := trace(n, i)
		if t == nil {
			continue
		}
		base := t.Input.Schema().NumFields()
		switch c {
		case base:
			start, tvf = i, t
		case base + 1:
			end, tvf = i, t
		}
	}
	return start, end, tvf, start >= 0 && end >= 0
}
