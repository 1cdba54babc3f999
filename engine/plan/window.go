package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/expr"
)

// BoundKind says where one end of a window frame is.
type BoundKind uint8

const (
	UnboundedPreceding BoundKind = iota + 1
	Preceding                    // N PRECEDING
	CurrentRow
	Following // N FOLLOWING
	UnboundedFollowing
)

// Frame is a window call's frame: ROWS counts rows from the current one;
// RANGE extends CURRENT ROW to the row's peers and measures offsets on
// the one ORDER BY key, in its units (see window_range.go).
type Frame struct {
	Rows         bool
	Start, End   BoundKind
	StartN, EndN int64 // offsets of Preceding and Following
}

// DefaultFrame is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW: the
// whole partition without ORDER BY (every row is a peer of every other).
var DefaultFrame = Frame{Start: UnboundedPreceding, End: CurrentRow}

func (f Frame) String() string {
	bound := func(k BoundKind, n int64) string {
		switch k {
		case UnboundedPreceding:
			return "UNBOUNDED PRECEDING"
		case Preceding:
			return fmt.Sprintf("%d PRECEDING", n)
		case CurrentRow:
			return "CURRENT ROW"
		case Following:
			return fmt.Sprintf("%d FOLLOWING", n)
		}
		return "UNBOUNDED FOLLOWING"
	}
	kind := "RANGE"
	if f.Rows {
		kind = "ROWS"
	}
	return kind + " BETWEEN " + bound(f.Start, f.StartN) + " AND " + bound(f.End, f.EndN)
}

// WindowCall is one window function call of a Window node: a ranking
// function (ROW_NUMBER, RANK, DENSE_RANK, PERCENT_RANK, CUME_DIST, NTILE),
// a navigation function (LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE) or
// an aggregate over the frame.
type WindowCall struct {
	Func    string
	Args    []expr.Expr // over the Window's input: the value; LAG/LEAD's default second
	N       int64       // NTILE's buckets, LAG/LEAD's offset, NTH_VALUE's position
	Frame   Frame       // aggregates, FIRST_VALUE, LAST_VALUE, NTH_VALUE
	Type    arrow.DataType
	NotNull bool
}

// framed says whether the call's result depends on its frame.
func (c *WindowCall) framed() bool {
	switch c.Func {
	case "ROW_NUMBER", "RANK", "DENSE_RANK", "PERCENT_RANK", "CUME_DIST", "NTILE", "LAG", "LEAD":
		return false
	}
	return true
}

// String prints the call (without its partition and order).
func (c *WindowCall) String() string {
	args := make([]string, 0, len(c.Args)+1)
	for _, a := range c.Args {
		args = append(args, a.String())
	}
	switch c.Func {
	case "COUNT":
		if len(c.Args) == 0 {
			args = append(args, "*")
		}
	case "NTILE":
		args = append(args, fmt.Sprint(c.N))
	case "LAG", "LEAD":
		if c.N != 1 || len(c.Args) > 1 {
			args = append(args[:1], append([]string{fmt.Sprint(c.N)}, args[1:]...)...)
		}
	case "NTH_VALUE":
		args = append(args, fmt.Sprint(c.N))
	}
	s := c.Func + "(" + strings.Join(args, ", ") + ")"
	if c.framed() {
		s += " " + c.Frame.String()
	}
	return s
}

// Window computes window function calls that share one PARTITION BY and
// ORDER BY. Its output is its input's columns, then one column per call.
// Partition holds columns of the input; the binder projects computed keys
// first.
type Window struct {
	Input     Node
	Partition []expr.Expr
	Order     []SortKey
	Funcs     []WindowCall
	schema    *arrow.Schema
}

// NewWindow builds a Window node, deriving its schema.
func NewWindow(input Node, partition []expr.Expr, order []SortKey, funcs []WindowCall) *Window {
	fields := append([]arrow.Field(nil), input.Schema().Fields()...)
	for i := range funcs {
		fields = append(fields, arrow.Field{Name: funcs[i].String(), Type: funcs[i].Type, Nullable: !funcs[i].NotNull})
	}
	return &Window{Input: input, Partition: partition, Order: order, Funcs: funcs, schema: arrow.NewSchema(fields, nil)}
}

func (w *Window) Schema() *arrow.Schema { return w.schema }
func (w *Window) Children() []Node      { return []Node{w.Input} }

// explainWindow prints a Window node's line.
func explainWindow(w *Window) string {
	var b strings.Builder
	b.WriteString("Window")
	if len(w.Partition) > 0 {
		parts := make([]string, len(w.Partition))
		for i, p := range w.Partition {
			parts[i] = p.String()
		}
		fmt.Fprintf(&b, " partition=[%s]", strings.Join(parts, ", "))
	}
	if len(w.Order) > 0 {
		fmt.Fprintf(&b, " order=[%s]", sortKeysString(w.Input.Schema(), w.Order))
	}
	calls := make([]string, len(w.Funcs))
	for i := range w.Funcs {
		calls[i] = w.Funcs[i].String()
	}
	fmt.Fprintf(&b, " calls=[%s]", strings.Join(calls, ", "))
	return b.String()
}

func sortKeysString(in *arrow.Schema, keys []SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = in.Field(k.Column).Name
		if k.Descending {
			parts[i] += " DESC"
		}
		if k.NullsFirst {
			parts[i] += " NULLS FIRST"
		} else {
			parts[i] += " NULLS LAST"
		}
	}
	return strings.Join(parts, ", ")
}

// pruneWindow narrows a Window's input to the columns needed above it and
// by its keys and calls.
func pruneWindow(w *Window, need map[int]bool) (Node, map[int]int) {
	nIn := w.Input.Schema().NumFields()
	in := map[int]bool{}
	for i := range need {
		if i < nIn {
			in[i] = true
		}
	}
	for _, p := range w.Partition {
		refs(p, in)
	}
	for _, k := range w.Order {
		in[k.Column] = true
	}
	for _, c := range w.Funcs {
		for _, a := range c.Args {
			refs(a, in)
		}
	}
	child, m := prune(w.Input, in)
	if m == nil {
		return NewWindow(child, w.Partition, w.Order, w.Funcs), nil
	}
	part := make([]expr.Expr, len(w.Partition))
	for i, p := range w.Partition {
		part[i] = renumber(p, m)
	}
	order := append([]SortKey(nil), w.Order...)
	for i := range order {
		order[i].Column = m[order[i].Column]
	}
	funcs := append([]WindowCall(nil), w.Funcs...)
	for i := range funcs {
		args := make([]expr.Expr, len(funcs[i].Args))
		for j, a := range funcs[i].Args {
			args[j] = renumber(a, m)
		}
		funcs[i].Args = args
	}
	out := NewWindow(child, part, order, funcs)
	remap := map[int]int{}
	for old, nw := range m {
		remap[old] = nw
	}
	width := child.Schema().NumFields()
	for k := range w.Funcs {
		remap[nIn+k] = width + k
	}
	return out, remap
}
