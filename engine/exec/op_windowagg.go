package exec

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// windowAgg is a streaming window aggregation: a plan.Aggregate grouped by
// the window_start and window_end of a window TVF, over an unbounded input.
// Each open window has a hash aggregation of its own, folded incrementally
// batch by batch; when the watermark passes a window's end, its groups are
// emitted (that aggregation's Finish) and its state is dropped. A row
// whose window has already closed is late: it is counted and dropped, as
// in Flink.
//
// Early firing (FireEarly) makes the output a changelog: at a barrier, a
// window that changed and last fired (or, never fired, received its first
// row) at least the delay ago emits its partial results, each group +I the
// first time and -U/+U when its row changed; its close then emits only
// what changed since. A window that never fired emits its rows as plain
// inserts (a batch without row kinds), so without early firing the output
// is append-only, as before. Groups keep their number in a window's hash
// aggregation and its Finish emits them in that order, so a group's row
// is found again by position.
//
// It keeps the open windows' aggregations between batches, and with early
// firing the last results each window emitted; nothing else. Its state is
// rebuilt after a restart by replaying the input from the positions the
// runtime records (see engine/runtime), so it has no snapshot of its own:
// a rebuilt window does not know what it fired before, and fires +I rows
// again, which a sink upserting by key takes as replacements.
type windowAgg struct {
	newAgg           func() (*HashAgg, error)
	startCol, endCol int
	alloc            memory.Allocator
	open             map[[2]int64]*openWindow // by [start, end]
	wm               int64
	late             int64
	routeLate        func(arrow.RecordBatch) // takes late rows; nil: they are dropped

	every     time.Duration    // early firing's delay; 0: off
	now       func() time.Time // processing time, for early firing
	changelog *arrow.Schema    // the output's schema plus RowKindColumn, made on first use
	aggTypes  []arrow.DataType // the output's aggregate columns, made with changelog
	scratch   rowEncoder       // a window's current results, compared with what it fired
}

// openWindow is one open window.
type openWindow struct {
	agg *HashAgg
	// With early firing: whether rows arrived since the window last fired,
	// when it last fired (or received its first row), and the aggregates of
	// each group as fired then (nil: it never fired).
	dirty bool
	since time.Time
	fired *rowEncoder
}

// RouteLate hands rows that arrive after their window closed to fn, which
// owns each batch, instead of dropping them.
func (w *windowAgg) RouteLate(fn func(arrow.RecordBatch)) { w.routeLate = fn }

// NewWindowAgg returns a streaming window aggregation whose windows are
// input columns startCol and endCol; newAgg builds one window's hash
// aggregation.
func NewWindowAgg(newAgg func() (*HashAgg, error), startCol, endCol int, alloc memory.Allocator) Operator {
	return &windowAgg{newAgg: newAgg, startCol: startCol, endCol: endCol, alloc: alloc, open: map[[2]int64]*openWindow{}, wm: math.MinInt64, now: time.Now}
}

// FireEarly turns early firing on with the given delay (0: off). Windows
// already open count their delay from now: the runtime arms it once the
// replay that rebuilds them after a restart is over, so that a window half
// rebuilt never fires a result smaller than the one it fired before.
func (w *windowAgg) FireEarly(every time.Duration) {
	w.every = every
	now := w.now()
	for _, win := range w.open {
		win.since = now
	}
}

// errEmitBeforeClose guards the contract: a window's aggregation emits only
// when the windowAgg asks it to (Finish).
var errEmitBeforeClose = errors.New("BUG: a window aggregation emitted while folding rows")

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
		win, ok := w.open[k]
		if !ok {
			agg, err := w.newAgg()
			if err != nil {
				return err
			}
			win = &openWindow{agg: agg}
			if w.every > 0 {
				win.since = w.now()
			}
			w.open[k] = win
		}
		win.dirty = true
		idx := rows[k]
		if len(idx) == int(b.NumRows()) {
			if err := win.agg.Process(ctx, b, noEmit{}); err != nil {
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
		err = win.agg.Process(ctx, sub, noEmit{})
		sub.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// OnBarrier fires, with early firing on, every window that is due.
func (w *windowAgg) OnBarrier(ctx context.Context, _ uint64, out Emitter) error {
	if w.every <= 0 {
		return nil
	}
	now := w.now()
	var due [][2]int64
	for k, win := range w.open {
		if win.dirty && now.Sub(win.since) >= w.every {
			due = append(due, k)
		}
	}
	sortWindows(due)
	for _, k := range due {
		win := w.open[k]
		if err := w.fire(ctx, win, false, out); err != nil {
			return err
		}
		win.dirty, win.since = false, now
	}
	return nil
}

// OnWatermark closes every window that ends at or before wm, in order of
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
	return w.close(ctx, closed, out)
}

func sortWindows(keys [][2]int64) {
	slices.SortFunc(keys, func(a, b [2]int64) int { return cmp.Or(cmp.Compare(a[1], b[1]), cmp.Compare(a[0], b[0])) })
}

// close emits the final results of windows keys and drops them.
func (w *windowAgg) close(ctx context.Context, keys [][2]int64, out Emitter) error {
	sortWindows(keys)
	for _, k := range keys {
		win := w.open[k]
		delete(w.open, k)
		err := w.fire(ctx, win, true, out)
		win.agg.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// fire emits a window's results: all of them as inserts if it never fired,
// else the changes since it last did. A window that fires early (final
// false) keeps what it fired.
func (w *windowAgg) fire(ctx context.Context, win *openWindow, final bool, out Emitter) error {
	if win.fired == nil && final {
		// Fast path: the window's only emission.
		return win.agg.Finish(ctx, out)
	}
	var c Collect
	if err := win.agg.Finish(ctx, &c); err != nil {
		c.Release()
		return err
	}
	cur, err := concatBatches(c.Batches, w.alloc)
	c.Release()
	if err != nil {
		return err
	}
	defer cur.Release()
	nkeys, n := len(win.agg.keys), int(cur.NumRows())
	if win.fired == nil {
		win.fired = &rowEncoder{}
		win.fired.encode(cur.Columns()[nkeys:], n)
		cur.Retain()
		return out.Emit(ctx, cur)
	}
	w.scratch.encode(cur.Columns()[nkeys:], n)
	var retract, add []int32
	var old [][]byte
	var kinds []int8
	for i := range n {
		if i >= len(win.fired.offs)-1 {
			add, kinds = append(add, int32(i)), append(kinds, int8(Insert))
			continue
		}
		if prev := win.fired.row(i); !bytes.Equal(prev, w.scratch.row(i)) {
			retract, old = append(retract, int32(i)), append(old, prev)
			add, kinds = append(add, int32(i)), append(kinds, int8(UpdateAfter))
		}
	}
	if w.changelog == nil {
		fields := cur.Schema().Fields()
		w.changelog = arrow.NewSchema(append(fields, RowKindField), nil)
		for _, f := range fields[nkeys:] {
			w.aggTypes = append(w.aggTypes, f.Type)
		}
	}
	if len(retract) > 0 {
		cols, err := takeColumns(ctx, w.alloc, cur.Columns()[:nkeys], retract)
		if err != nil {
			return err
		}
		cols = append(cols, decodeRows(w.alloc, w.aggTypes, old)...)
		rec := withKinds(w.changelog, cols, slices.Repeat([]int8{int8(UpdateBefore)}, len(retract)), w.alloc)
		releaseAll(cols)
		if err := out.Emit(ctx, rec); err != nil {
			return err
		}
	}
	if !final {
		*win.fired, w.scratch = w.scratch, *win.fired
	}
	if len(add) == 0 {
		return nil
	}
	cols, err := takeColumns(ctx, w.alloc, cur.Columns(), add)
	if err != nil {
		return err
	}
	rec := withKinds(w.changelog, cols, kinds, w.alloc)
	releaseAll(cols)
	return out.Emit(ctx, rec)
}

// Finish ends a bounded input: every open window closes.
func (w *windowAgg) Finish(ctx context.Context, out Emitter) error {
	var all [][2]int64
	for k := range w.open {
		all = append(all, k)
	}
	return w.close(ctx, all, out)
}

func (w *windowAgg) Close() {
	for k, win := range w.open {
		win.agg.Close()
		delete(w.open, k)
	}
}

// State reports the open windows and the rows that arrived after their
// window had closed.
func (w *windowAgg) State() (open int, late int64) { return len(w.open), w.late }

func (w *windowAgg) OpenWindows(dst [][2]int64) [][2]int64 {
	for k := range w.open {
		dst = append(dst, k)
	}
	return dst
}

// StateBytes estimates the open windows' aggregations (as charged to the
// memory budget) and, with early firing, the results they fired.
func (w *windowAgg) StateBytes() int64 {
	var n int64
	for _, win := range w.open {
		n += win.agg.charged
		if win.fired != nil {
			n += win.fired.size()
		}
	}
	return n
}

// rebuiltByReplay: the open windows are not snapshotted (see windowAgg).
func (w *windowAgg) rebuiltByReplay() bool { return true }
