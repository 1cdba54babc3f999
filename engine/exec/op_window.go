package exec

import (
	"bytes"
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// BoundKind is where one end of a window frame is.
type BoundKind uint8

const (
	UnboundedPreceding BoundKind = iota + 1
	Preceding
	CurrentRow
	Following
	UnboundedFollowing
)

// WindowFrame is a frame: ROWS counts rows, RANGE extends CURRENT ROW to
// the row's peers (rows equal on the ORDER BY keys) and measures offsets
// on the one ORDER BY key (see window_range.go).
type WindowFrame struct {
	Rows         bool
	Start, End   BoundKind
	StartN, EndN int64
}

// WindowFunc is one window function call.
type WindowFunc struct {
	Func     string           // as plan.WindowCall.Func
	Args     []expr.Evaluator // the value; LAG/LEAD's default second
	ArgTypes []arrow.DataType // of Args
	N        int64            // NTILE buckets, LAG/LEAD offset, NTH_VALUE position
	Frame    WindowFrame      // aggregates and FIRST_VALUE, LAST_VALUE, NTH_VALUE
	Type     arrow.DataType   // the result
}

// Window buffers its whole input, sorts it by the partition keys and then
// the order keys, and at Finish emits it with one more column per window
// function. Buffered input is copied into alloc (the query's Budget) in
// chunks of 32 batches, and the sorted copy and results are allocated there.
type Window struct {
	schema    *arrow.Schema
	partition []int
	keys      []compute.SortKey
	order     []int
	funcs     []WindowFunc
	ev        *expr.EvalContext
	alloc     memory.Allocator
	held      []arrow.RecordBatch
}

// NewWindow returns a window operator producing schema (the input's
// columns, then one per func).
func NewWindow(schema *arrow.Schema, partition []int, order []SortKey, funcs []WindowFunc, ev *expr.EvalContext) *Window {
	w := &Window{schema: schema, partition: partition, funcs: funcs, ev: ev, alloc: ev.Alloc}
	for _, p := range partition {
		w.keys = append(w.keys, compute.SortKey{ColumnIndex: p, Order: compute.SortOrderAscending, NullPlacement: compute.SortNullsAtStart})
	}
	for _, k := range order {
		sk := compute.SortKey{ColumnIndex: k.Column, Order: compute.SortOrderAscending, NullPlacement: compute.SortNullsAtEnd}
		if k.Descending {
			sk.Order = compute.SortOrderDescending
		}
		if k.NullsFirst {
			sk.NullPlacement = compute.SortNullsAtStart
		}
		w.keys = append(w.keys, sk)
		w.order = append(w.order, k.Column)
	}
	return w
}

func (w *Window) Process(_ context.Context, b arrow.RecordBatch, _ Emitter) error {
	if b.NumRows() == 0 {
		return nil
	}
	b.Retain()
	w.held = append(w.held, b)
	// Copy the held batches into the query's memory every so often, so
	// that what the window buffers is charged to its Budget as it grows.
	if len(w.held) >= 32 {
		merged, err := concatBatches(w.held, w.alloc)
		if err != nil {
			return err
		}
		w.release()
		w.held = []arrow.RecordBatch{merged}
	}
	return nil
}

func (w *Window) release() {
	for _, b := range w.held {
		b.Release()
	}
	w.held = nil
}

func (w *Window) Close() { w.release() }

func (w *Window) Finish(ctx context.Context, out Emitter) error {
	if len(w.held) == 0 {
		return nil
	}
	ctx = compute.WithAllocator(ctx, w.alloc)
	whole, err := concatBatches(w.held, w.alloc)
	if err != nil {
		return err
	}
	w.release()
	defer whole.Release()
	sorted := whole
	if len(w.keys) > 0 {
		s := &Sort{keys: w.keys, limit: -1, alloc: w.alloc, held: []arrow.RecordBatch{whole}}
		if sorted, err = s.sorted(ctx); err != nil {
			return err
		}
		defer sorted.Release()
	}
	n := int(sorted.NumRows())
	part := boundaries(sorted, w.partition, n, nil)
	peers := boundaries(sorted, w.order, n, part)
	cols := make([]arrow.Array, 0, len(w.schema.Fields()))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, c := range sorted.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	for i := range w.funcs {
		c, err := w.compute(ctx, &w.funcs[i], sorted, part, peers)
		if err != nil {
			return err
		}
		cols = append(cols, c)
	}
	return out.Emit(ctx, array.NewRecordBatch(w.schema, cols, int64(n)))
}

// boundaries marks where a new run of rows equal on cols starts (within
// the runs of outer, when given): starts[i] is true at run starts.
func boundaries(b arrow.RecordBatch, cols []int, n int, outer []bool) []bool {
	starts := make([]bool, n)
	if n > 0 {
		starts[0] = true
	}
	for i := 1; i < n; i++ {
		if outer != nil && outer[i] {
			starts[i] = true
			continue
		}
		for _, c := range cols {
			if !sameValue(b.Column(c), i-1, i) {
				starts[i] = true
				break
			}
		}
	}
	return starts
}

type valuer[T comparable] interface{ Value(int) T }

func eq[T comparable](a valuer[T], i, j int) bool { return a.Value(i) == a.Value(j) }

// sameValue says whether rows i and j of a hold the same value (NULLs are
// the same as each other).
func sameValue(a arrow.Array, i, j int) bool {
	ni, nj := a.IsNull(i), a.IsNull(j)
	if ni || nj {
		return ni && nj
	}
	switch a := a.(type) {
	case *array.Boolean:
		return eq(a, i, j)
	case *array.Int8:
		return eq(a, i, j)
	case *array.Int16:
		return eq(a, i, j)
	case *array.Int32:
		return eq(a, i, j)
	case *array.Int64:
		return eq(a, i, j)
	case *array.Float32:
		return eq(a, i, j)
	case *array.Float64:
		return eq(a, i, j)
	case *array.Decimal128:
		return eq(a, i, j)
	case *array.String:
		return eq(a, i, j)
	case *array.Date32:
		return eq(a, i, j)
	case *array.Time64:
		return eq(a, i, j)
	case *array.Timestamp:
		return eq(a, i, j)
	case *array.Binary:
		return bytes.Equal(a.Value(i), a.Value(j))
	}
	return a.ValueStr(i) == a.ValueStr(j)
}

// runs turns run starts into [start, end) per row.
func runs(starts []bool) (from, to []int) {
	n := len(starts)
	from, to = make([]int, n), make([]int, n)
	s := 0
	for i := range n {
		if starts[i] {
			s = i
		}
		from[i] = s
	}
	e := n
	for i := n - 1; i >= 0; i-- {
		to[i] = e
		if starts[i] {
			e = i
		}
	}
	return from, to
}

// compute evaluates one window function over the sorted rows.
func (w *Window) compute(ctx context.Context, f *WindowFunc, b arrow.RecordBatch, part, peers []bool) (arrow.Array, error) {
	n := int(b.NumRows())
	ps, pe := runs(part)
	qs, qe := runs(peers)
	if f.Frame.rangeOffsets() {
		g := *f
		desc := w.keys[len(w.partition)].Order == compute.SortOrderDescending
		g.Frame, qs, qe = rangeBounds(b.Column(w.order[0]), desc, f.Frame, ps, pe, qs, qe)
		f = &g
	}
	switch f.Func {
	case "ROW_NUMBER", "RANK", "DENSE_RANK":
		out := make([]int64, n)
		dense := int64(0)
		for i := range n {
			if part[i] {
				dense = 0
			}
			if peers[i] {
				dense++
			}
			switch f.Func {
			case "ROW_NUMBER":
				out[i] = int64(i - ps[i] + 1)
			case "RANK":
				out[i] = int64(qs[i] - ps[i] + 1)
			default:
				out[i] = dense
			}
		}
		return fixedArray(w.alloc, f.Type, out, nil), nil
	case "PERCENT_RANK", "CUME_DIST":
		out := make([]float64, n)
		for i := range n {
			size := float64(pe[i] - ps[i])
			if f.Func == "CUME_DIST" {
				out[i] = float64(qe[i]-ps[i]) / size
			} else if size > 1 {
				out[i] = float64(qs[i]-ps[i]) / (size - 1)
			}
		}
		return fixedArray(w.alloc, f.Type, out, nil), nil
	case "NTILE":
		out := make([]int32, n)
		for i := range n {
			size, k := int64(pe[i]-ps[i]), int64(i-ps[i])
			q, r := size/f.N, size%f.N
			// The first r buckets have q+1 rows.
			if k < r*(q+1) {
				out[i] = int32(k/(q+1)) + 1
			} else {
				out[i] = int32(r + (k-r*(q+1))/q + 1)
			}
		}
		return fixedArray(w.alloc, f.Type, out, nil), nil
	}
	args := make([]arrow.Array, len(f.Args))
	defer func() {
		for _, a := range args {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i, e := range f.Args {
		a, err := e(w.ev, b)
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	switch f.Func {
	case "LAG", "LEAD":
		idx := make([]int64, n)
		valid := make([]bool, n)
		for i := range n {
			j := int64(i) - f.N
			if f.Func == "LEAD" {
				j = int64(i) + f.N
			}
			switch {
			case j >= int64(ps[i]) && j < int64(pe[i]):
				idx[i], valid[i] = j, true
			case len(args) > 1:
				idx[i], valid[i] = int64(n+i), true // the row's default
			}
		}
		src := args[0]
		if len(args) > 1 {
			c, err := array.Concatenate([]arrow.Array{args[0], args[1]}, w.alloc)
			if err != nil {
				return nil, err
			}
			defer c.Release()
			src = c
		}
		return take(ctx, w.alloc, src, idx, valid)
	case "FIRST_VALUE", "LAST_VALUE", "NTH_VALUE":
		idx := make([]int64, n)
		valid := make([]bool, n)
		for i := range n {
			s, e := frameOf(&f.Frame, i, ps[i], pe[i], qs[i], qe[i])
			var j int
			switch f.Func {
			case "FIRST_VALUE":
				j = s
			case "LAST_VALUE":
				j = e - 1
			default:
				j = s + int(f.N) - 1
			}
			if s < e && j >= s && j < e {
				idx[i], valid[i] = int64(j), true
			}
		}
		return take(ctx, w.alloc, args[0], idx, valid)
	}
	var arg arrow.Array
	var argType arrow.DataType
	if len(args) > 0 {
		arg, argType = args[0], f.ArgTypes[0]
	}
	return w.aggregate(ctx, f, arg, argType, ps, pe, qs, qe)
}

// frameOf is row i's frame [s, e) in its partition [ps, pe) with peers
// [qs, qe).
func frameOf(f *WindowFrame, i, ps, pe, qs, qe int) (s, e int) {
	switch f.Start {
	case UnboundedPreceding:
		s = ps
	case Preceding:
		s = max(ps, i-int(min(f.StartN, int64(i+1))))
	case CurrentRow:
		s = i
		if !f.Rows {
			s = qs
		}
	case Following:
		s = min(pe, i+int(min(f.StartN, int64(pe))))
	default:
		s = pe
	}
	switch f.End {
	case UnboundedFollowing:
		e = pe
	case Following:
		e = min(pe, i+1+int(min(f.EndN, int64(pe))))
	case CurrentRow:
		e = i + 1
		if !f.Rows {
			e = qe
		}
	case Preceding:
		e = max(ps, i+1-int(min(f.EndN, int64(i+1))))
	default:
		e = ps
	}
	return s, max(s, e)
}

// take gathers src's rows idx (NULL where valid is false).
func take(ctx context.Context, alloc memory.Allocator, src arrow.Array, idx []int64, valid []bool) (arrow.Array, error) {
	ix := fixedArray(alloc, arrow.PrimitiveTypes.Int64, idx, valid)
	defer ix.Release()
	return compute.TakeArray(ctx, src, ix)
}

// aggregate folds each row's frame with the aggregate's accumulator.
// Frames that start at the partition's start grow row by row: one group
// per partition, its value read whenever the frame's end moves (once per
// partition when the frame is the whole partition). Other frames slide:
// one group per row, each folding its frame's rows.
func (w *Window) aggregate(ctx context.Context, f *WindowFunc, arg arrow.Array, argType arrow.DataType, ps, pe, qs, qe []int) (arrow.Array, error) {
	n := len(ps)
	acc, err := newAccumulator(&AggSpec{Func: f.Func, ArgType: argType, Type: f.Type})
	if err != nil {
		return nil, err
	}
	usable := func(r int) bool { return arg == nil || arg.IsValid(r) }
	groups := make([]uint32, n)
	if f.Frame.Start != UnboundedPreceding {
		acc.grow(n)
		sel := make([]int32, 0, 64)
		for i := range n {
			s, e := frameOf(&f.Frame, i, ps[i], pe[i], qs[i], qe[i])
			sel = sel[:0]
			for r := s; r < e; r++ {
				if usable(r) {
					groups[r] = uint32(i)
					sel = append(sel, int32(r))
				}
			}
			if len(sel) > 0 {
				acc.update(&aggRows{groups: groups, sel: sel, n: n}, arg)
			}
		}
		return acc.emit(w.alloc, 0, n), nil
	}
	// Growing frames: group g is partition g.
	var pieces []arrow.Array
	defer func() {
		for _, p := range pieces {
			p.Release()
		}
	}()
	idx := make([]int64, n)
	sel := make([]int32, 0, 64)
	g := -1
	for i := 0; i < n; {
		g++
		acc.grow(g + 1)
		start, end := ps[i], pe[i]
		folded := start
		last := -1
		for ; i < end; i++ {
			_, e := frameOf(&f.Frame, i, start, end, qs[i], qe[i])
			if e > folded {
				sel = sel[:0]
				for r := folded; r < e; r++ {
					if usable(r) {
						groups[r] = uint32(g)
						sel = append(sel, int32(r))
					}
				}
				if len(sel) > 0 {
					acc.update(&aggRows{groups: groups, sel: sel, n: n}, arg)
				}
				folded = e
				last = -1
			}
			if last < 0 {
				pieces = append(pieces, acc.emit(w.alloc, g, g+1))
				last = len(pieces) - 1
			}
			idx[i] = int64(last)
		}
	}
	if len(pieces) == 0 {
		return array.MakeArrayOfNull(w.alloc, f.Type, 0), nil
	}
	all, err := array.Concatenate(pieces, w.alloc)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	return take(ctx, w.alloc, all, idx, nil)
}
