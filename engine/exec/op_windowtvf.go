package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/plan"
)

// windowTVF assigns rows to windows (plan.WindowTVF): each row comes out
// once per window it belongs to, with the window's bounds appended. It
// keeps nothing between batches.
type windowTVF struct {
	n     *plan.WindowTVF
	alloc memory.Allocator
	idx   []int32 // reused: the input row of each output row
	start []int64 // reused: its window start
}

// NewWindowTVF returns the operator for n.
func NewWindowTVF(n *plan.WindowTVF, alloc memory.Allocator) Operator {
	return &windowTVF{n: n, alloc: alloc}
}

// floorTo is the start of the window of length step (aligned to offset)
// that holds t, also for times before the epoch.
func floorTo(t, step, offset int64) int64 {
	d := (t - offset) % step
	if d < 0 {
		d += step
	}
	return t - d
}

func (w *windowTVF) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	ts := b.Column(w.n.TimeCol).(*array.Timestamp)
	w.idx, w.start = w.idx[:0], w.start[:0]
	size, slide, off := w.n.Size, w.n.Slide, w.n.Offset
	var ends []int64 // CUMULATE windows share a start: their ends differ
	for i := range ts.Len() {
		if ts.IsNull(i) {
			continue
		}
		t := int64(ts.Value(i))
		switch w.n.Kind {
		case "TUMBLE":
			w.idx, w.start = append(w.idx, int32(i)), append(w.start, floorTo(t, size, off))
		case "HOP":
			// Windows start every slide; those starting in (t-size, t] hold t.
			for s := floorTo(t, slide, off); s > t-size; s -= slide {
				w.idx, w.start = append(w.idx, int32(i)), append(w.start, s)
			}
		case "CUMULATE":
			// Windows [s, s+k·step) of the size-aligned period s that end after t.
			s := floorTo(t, size, off)
			for e := floorTo(t, slide, off) + slide; e <= s+size; e += slide {
				w.idx, w.start = append(w.idx, int32(i)), append(w.start, s)
				ends = append(ends, e)
			}
		}
	}
	if len(w.idx) == 0 {
		return nil
	}
	cols, err := takeColumns(ctx, w.alloc, b.Columns(), w.idx)
	if err != nil {
		return err
	}
	tsType := ts.DataType()
	starts, endsB, times := array.NewTimestampBuilder(w.alloc, tsType.(*arrow.TimestampType)), array.NewTimestampBuilder(w.alloc, tsType.(*arrow.TimestampType)), array.NewTimestampBuilder(w.alloc, tsType.(*arrow.TimestampType))
	defer starts.Release()
	defer endsB.Release()
	defer times.Release()
	starts.Reserve(len(w.start))
	endsB.Reserve(len(w.start))
	times.Reserve(len(w.start))
	for k, s := range w.start {
		e := s + size
		if ends != nil {
			e = ends[k]
		}
		starts.UnsafeAppend(arrow.Timestamp(s))
		endsB.UnsafeAppend(arrow.Timestamp(e))
		times.UnsafeAppend(arrow.Timestamp(e - 1000))
	}
	cols = append(cols, starts.NewArray(), endsB.NewArray(), times.NewArray())
	rec := array.NewRecordBatch(w.n.Schema(), cols, int64(len(w.idx)))
	releaseAll(cols)
	return out.Emit(ctx, rec)
}

func (w *windowTVF) Finish(context.Context, Emitter) error { return nil }
func (w *windowTVF) Close()                                {}
