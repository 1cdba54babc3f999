package exec

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// windowAgg is a streaming window aggregation: a plan.Aggregate grouped by
// the window_start and window_end of a window TVF, over an unbounded input.
// Each open window has a hash aggregation of its own; when the watermark
// passes a window's end, its groups are emitted (that aggregation's
// Finish) and its state is dropped. A row whose window has already closed
// is late: it is counted and dropped, as in Flink.
//
// It keeps the open windows' aggregations between batches; nothing else.
// Its state is rebuilt after a restart by replaying the input from the
// positions the runtime records (see engine/runtime), so it has no
// snapshot of its own.
type windowAgg struct {
	newAgg           func() (Operator, error)
	startCol, endCol int
	alloc            memory.Allocator
	open             map[[2]int64]Operator // by [start, end]
	wm               int64
	late             int64
	routeLate        func(arrow.RecordBatch) // takes late rows; nil: they are dropped
}

// RouteLate hands rows that arrive after their window closed to fn, which
// owns each batch, instead of dropping them.
func (w *windowAgg) RouteLate(fn func(arrow.RecordBatch)) { w.routeLate = fn }

// NewWindowAgg returns a streaming window aggregation whose windows are
// input columns startCol and endCol; newAgg builds one window's hash
// aggregation.
func NewWindowAgg(newAgg func() (Operator, error), startCol, endCol int, alloc memory.Allocator) Operator {
	return &windowAgg{newAgg: newAgg, startCol: startCol, endCol: endCol, alloc: alloc, open: map[[2]int64]Operator{}, wm: math.MinInt64}
}

// errEmitBeforeClose guards the contract: a window's aggregation emits only
// when the window closes.
var errEmitBeforeClose = errors.New("BUG: a window aggregation emitted before its window closed")

type noEmit struct{}

func (noEmit) Emit(_ context.Context, b arrow.RecordBatch) error {
	b.Release()
	return errEmitBeforeClose
}

func (w *windowAgg) Process(ctx context.Context, b arrow.RecordBatch, _ Emitter) error {
	starts := b.Column(w.startCol).(*array.Timestamp)
	ends := b.Column(w.endCol).(*array.Timestamp)
	rows := map[[2]int64][]int32{}
	var keys [][2]int64
	var late []int32
	for i := range int(b.NumRows()) {
		k := [2]int64{int64(starts.Value(i)), int64(ends.Value(i))}
		if k[1] <= w.wm {
			w.late++
			late = append(late, int32(i))
			continue
		}
		if _, ok := rows[k]; !ok {
			keys = append(keys, k)
		}
		rows[k] = append(rows[k], int32(i))
	}
	if len(late) > 0 && w.routeLate != nil {
		cols, err := takeColumns(ctx, w.alloc, b.Columns(), late)
		if err != nil {
			return err
		}
		rec := array.NewRecordBatch(b.Schema(), cols, int64(len(late)))
		releaseAll(cols)
		w.routeLate(rec)
	}
	for _, k := range keys {
		op, ok := w.open[k]
		if !ok {
			var err error
			if op, err = w.newAgg(); err != nil {
				return err
			}
			w.open[k] = op
		}
		idx := rows[k]
		if len(idx) == int(b.NumRows()) {
			if err := op.Process(ctx, b, noEmit{}); err != nil {
				return err
			}
			continue
		}
		cols, err := takeColumns(ctx, w.alloc, b.Columns(), idx)
		if err != nil {
			return err
		}
		sub := array.NewRecordBatch(b.Schema(), cols, int64(len(idx)))
		releaseAll(cols)
		err = op.Process(ctx, sub, noEmit{})
		sub.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// OnWatermark emits every window that ends at or before wm, in order of
// end, then start.
func (w *windowAgg) OnWatermark(ctx context.Context, wm int64, out Emitter) error {
	if wm <= w.wm {
		return nil
	}
	w.wm = wm
	var closed [][2]int64
	for k := range w.open {
		if k[1] <= wm {
			closed = append(closed, k)
		}
	}
	return w.emit(ctx, closed, out)
}

func (w *windowAgg) emit(ctx context.Context, keys [][2]int64, out Emitter) error {
	slices.SortFunc(keys, func(a, b [2]int64) int { return cmp.Or(cmp.Compare(a[1], b[1]), cmp.Compare(a[0], b[0])) })
	for _, k := range keys {
		op := w.open[k]
		delete(w.open, k)
		err := op.Finish(ctx, out)
		op.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Finish ends a bounded input: every open window closes.
func (w *windowAgg) Finish(ctx context.Context, out Emitter) error {
	var all [][2]int64
	for k := range w.open {
		all = append(all, k)
	}
	return w.emit(ctx, all, out)
}

func (w *windowAgg) Close() {
	for k, op := range w.open {
		op.Close()
		delete(w.open, k)
	}
}

// State reports the open windows and the rows that arrived after their
// window had closed.
func (w *windowAgg) State() (open int, late int64) { return len(w.open), w.late }
