package exec

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/internal/errkind"
)

// An exchange runs one keyed operator of a continuous job (a GROUP BY, a
// Top-N, a window aggregation, a SESSION window TVF) as several
// instances, each on a goroutine of its own (a worker): Process hashes
// each row's key columns to pick the instance that owns the key, and
// hands each instance its rows through a bounded queue, so a slow
// instance holds the driver back instead of rows piling up. The
// operator contract holds for every instance (one goroutine calls it) and
// for what follows the exchange: what the instances emit is held, and the
// exchange emits it on the driver's goroutine.
//
// Barriers, watermarks and Finish wait until every instance has processed
// the rows before them, call the hook on all instances at once, then emit
// their output instance by instance, so an epoch's output is the same
// whatever the workers' timing. An instance's error fails the exchange's
// next call.
//
// The hooks a Graph reaches window operators by (EarlyFirer, LateRouter,
// StateReporter, replayed) are forwarded to every instance on its worker;
// late rows are handed on from the driver's goroutine, in instance order,
// before Process returns (see flushAfter).
//
// In a two-phase aggregation the exchange also runs local phases (see
// GroupAgg): Process cuts each batch into contiguous slices, one per local
// worker, without hashing; each local worker folds its slice into one
// partial row per group and routes the partial rows by the hash of their
// keys to the instances (the global phases), which add them up. A hot key
// then costs each local worker a share of its rows and its global
// instance one row per batch and local worker.
type exchange struct {
	name   string           // the wrapped operator's, for state labels
	keys   []expr.Evaluator // one phase: the input rows' key columns
	nkeys  int              // two phases: the key columns leading each partial row
	ev     *expr.EvalContext
	global []*worker // the keyed operator's instances
	local  []*worker // two phases: the local phases; nil otherwise
	split  splitter  // the driver's scratch

	localWG, globalWG sync.WaitGroup // tasks queued and not yet done
	localGo, globalGo sync.WaitGroup // the workers' goroutines
	started           bool
	closing           atomic.Bool // set by Close: workers skip what is queued

	lateFn func(arrow.RecordBatch) // RouteLate's; nil: the instances drop late rows
}

// exchangeQueue is how many batches each worker's queue holds: enough to
// keep it busy while the driver splits the next batch, few enough to bound
// the memory of rows in flight.
const exchangeQueue = 4

// exchangeVersion is the first byte of an exchange's snapshots and deltas.
// Version 1: the number of instances, then each instance's snapshot (or
// delta) as a length-prefixed byte string.
const exchangeVersion = 1

// worker is one instance and the goroutine that drives it.
type worker struct {
	id      int
	op      Operator
	tasks   chan task
	pending *sync.WaitGroup // its phase's queued tasks
	out     Emitter         // where op emits: the worker itself, or a router to the global phase

	mu   sync.Mutex
	held []arrow.RecordBatch // emitted by op, not yet passed on by the driver
	late []arrow.RecordBatch // routed late by op, not yet passed on
	err  error               // op's first error; later tasks are skipped
}

// task is a batch for the instance to process or, with hook set, a call
// into it.
type task struct {
	ctx  context.Context
	b    arrow.RecordBatch // owned by the task; nil for a hook
	hook func(w *worker) error
}

// newKeyedExchange runs n instances of newOp's operator, routing each row
// of the input by its keys (evaluated over the input rows).
func newKeyedExchange(n int, keys []expr.Evaluator, ev *expr.EvalContext, newOp func() (Operator, error)) (Operator, error) {
	x := &exchange{keys: keys, ev: ev}
	if err := x.addWorkers(&x.global, &x.globalWG, n, newOp, nil); err != nil {
		x.Close()
		return nil, err
	}
	return x.wrap(), nil
}

// newTwoPhaseExchange runs n local phases made by newLocal over slices of
// the input, and n global ones made by newGlobal, fed the local phases'
// output routed by its first nkeys columns.
func newTwoPhaseExchange(n, nkeys int, ev *expr.EvalContext, newLocal, newGlobal func() (Operator, error)) (Operator, error) {
	x := &exchange{nkeys: nkeys, ev: ev}
	err := x.addWorkers(&x.global, &x.globalWG, n, newGlobal, nil)
	if err == nil {
		err = x.addWorkers(&x.local, &x.localWG, n, newLocal, func() Emitter { return &router{x: x} })
	}
	if err != nil {
		x.Close()
		return nil, err
	}
	return x.wrap(), nil
}

// addWorkers makes n workers of newOp's instances; out makes where each
// emits (nil: the worker holds it for the driver).
func (x *exchange) addWorkers(to *[]*worker, pending *sync.WaitGroup, n int, newOp func() (Operator, error), out func() Emitter) error {
	for i := range n {
		op, err := newOp()
		if err != nil {
			return err
		}
		w := &worker{id: i, op: op, tasks: make(chan task, exchangeQueue), pending: pending}
		w.out = w
		if out != nil {
			w.out = out()
		}
		*to = append(*to, w)
	}
	x.name = opName(x.global[0].op) // the global phase's, in two phases
	return nil
}

// wrap adds the snapshot methods the instances have.
func (x *exchange) wrap() Operator {
	switch x.global[0].op.(type) {
	case IncrementalSnapshotter:
		return &incExchange{snapExchange{x}}
	case Snapshotter:
		return &snapExchange{x}
	}
	return x
}

// label names the exchange in state labels: not as the operator it wraps,
// whose state is one instance's and restores into one instance only. The
// global phase of a two-phase aggregation keeps the state of the one-phase
// one, so the two share a label.
func (x *exchange) label() string { return "Exchange[" + x.name + "]" }

// start starts the workers' goroutines, at the first call that needs them
// (a graph that is only checked, never run, starts none).
func (x *exchange) start() {
	if x.started {
		return
	}
	x.started = true
	for _, w := range x.global {
		x.globalGo.Add(1)
		go w.loop(&x.globalGo, &x.closing)
	}
	for _, w := range x.local {
		x.localGo.Add(1)
		go w.loop(&x.localGo, &x.closing)
	}
}

// send queues t for w, waiting while w's queue is full.
func (w *worker) send(t task) {
	w.pending.Add(1)
	w.tasks <- t
}

// route queues each instance its part of a split batch.
func (x *exchange) route(ctx context.Context, parts []arrow.RecordBatch) {
	for j, p := range parts {
		if p != nil {
			x.global[j].send(task{ctx: ctx, b: p})
		}
	}
}

func (x *exchange) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	x.start()
	if err := x.failure(); err != nil {
		return err
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if x.local != nil {
		// Local phases need no key: contiguous slices, without copying.
		per := (n + len(x.local) - 1) / len(x.local)
		for i, w := range x.local {
			if i*per >= n {
				break
			}
			w.send(task{ctx: ctx, b: b.NewSlice(int64(i*per), int64(min(n, (i+1)*per)))})
		}
		return x.flushAfter(ctx, out)
	}
	keys, err := evalAll(x.keys, x.ev, b)
	if err != nil {
		return err
	}
	parts, err := x.split.split(ctx, x.ev, b, keys, len(x.global))
	releaseAll(keys)
	if err != nil {
		return err
	}
	x.route(ctx, parts)
	return x.flushAfter(ctx, out)
}

// flushAfter emits what the instances have emitted after Process queued a
// batch. With late rows routed it first waits for the batch: the runtime
// tells replayed rows from new ones by the batch being pushed (late rows
// of a replay were routed before the restart), so they must reach its
// function before the next batch comes.
func (x *exchange) flushAfter(ctx context.Context, out Emitter) error {
	if x.lateFn != nil {
		if err := x.drain(); err != nil {
			return err
		}
	}
	return x.flush(ctx, out)
}

// OnBarrier passes the barrier to every instance once all have processed
// the epoch's rows.
func (x *exchange) OnBarrier(ctx context.Context, epoch uint64, out Emitter) error {
	return x.everyInstance(ctx, out, func(w *worker) error {
		if h, ok := w.op.(BarrierHandler); ok {
			return h.OnBarrier(ctx, epoch, w.out)
		}
		return nil
	})
}

// OnWatermark passes the watermark on once every instance has processed
// the rows before it (and emitted what they gave).
func (x *exchange) OnWatermark(ctx context.Context, micros int64, out Emitter) error {
	return x.everyInstance(ctx, out, func(w *worker) error {
		if h, ok := w.op.(WatermarkHandler); ok {
			return h.OnWatermark(ctx, micros, w.out)
		}
		return nil
	})
}

func (x *exchange) Finish(ctx context.Context, out Emitter) error {
	return x.everyInstance(ctx, out, func(w *worker) error { return w.op.Finish(ctx, w.out) })
}

// everyInstance emits what the instances emitted so far, calls hook on
// every instance at once, then emits what they emitted, instance by
// instance.
func (x *exchange) everyInstance(ctx context.Context, out Emitter, hook func(w *worker) error) error {
	if err := x.drain(); err != nil {
		return err
	}
	if err := x.flush(ctx, out); err != nil {
		return err
	}
	if err := x.each(ctx, hook); err != nil {
		return err
	}
	return x.flush(ctx, out)
}

// drain waits until every worker has done what was queued for it.
func (x *exchange) drain() error {
	x.localWG.Wait() // the local phases' output is queued for the instances
	x.globalWG.Wait()
	return x.failure()
}

// each runs hook on every instance, on its worker after what was queued
// before (the local phases' output included), and waits for all.
func (x *exchange) each(ctx context.Context, hook func(w *worker) error) error {
	x.start()
	x.localWG.Wait() // the local phases' output is queued for the instances
	for _, w := range x.global {
		w.send(task{ctx: ctx, hook: hook})
	}
	x.globalWG.Wait()
	return x.failure()
}

// failure is the first error of a worker, in worker order.
func (x *exchange) failure() error {
	for _, ws := range [][]*worker{x.local, x.global} {
		for _, w := range ws {
			w.mu.Lock()
			err := w.err
			w.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// flush emits what the instances have emitted so far, instance by
// instance, after handing on their late rows; it does not wait for them.
func (x *exchange) flush(ctx context.Context, out Emitter) error {
	for _, w := range x.global {
		for _, b := range w.take(&w.late) {
			if x.lateFn == nil { // routing turned off since
				b.Release()
				continue
			}
			x.lateFn(b)
		}
	}
	for _, w := range x.global {
		held := w.take(&w.held)
		for i, b := range held {
			if err := out.Emit(ctx, b); err != nil {
				for _, rest := range held[i+1:] {
					rest.Release()
				}
				return err
			}
		}
	}
	return nil
}

// Close stops every worker, then closes the instances and releases what
// they emitted and no one took.
func (x *exchange) Close() {
	if x.started {
		x.closing.Store(true)
		// Local phases first: they may be queueing partial rows for the
		// global ones, which keep draining their queues until closed.
		for _, w := range x.local {
			close(w.tasks)
		}
		x.localGo.Wait()
		for _, w := range x.global {
			close(w.tasks)
		}
		x.globalGo.Wait()
	}
	for _, w := range append(x.local, x.global...) {
		w.op.Close()
		for _, b := range append(w.held, w.late...) {
			b.Release()
		}
		w.held, w.late = nil, nil
	}
}

// loop runs the worker's tasks until its queue is closed.
func (w *worker) loop(running *sync.WaitGroup, closing *atomic.Bool) {
	defer running.Done()
	for t := range w.tasks {
		w.run(t, closing)
		w.pending.Done()
	}
}

func (w *worker) run(t task, closing *atomic.Bool) {
	if t.b != nil {
		defer t.b.Release()
	}
	w.mu.Lock()
	failed := w.err != nil
	w.mu.Unlock()
	if failed || closing.Load() {
		return
	}
	if err := w.call(t); err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
	}
}

// call runs t. A panic cannot be recovered on the driver's goroutine, so
// it becomes the worker's error here: a memory budget's as itself, any
// other as a BUG with its stack.
func (w *worker) call(t task) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*MemoryLimitError); ok {
				err = e
				return
			}
			err = fmt.Errorf("BUG: worker %d of %s: %v\n%s", w.id, opName(w.op), r, debug.Stack())
		}
	}()
	if t.hook != nil {
		return t.hook(w)
	}
	return w.op.Process(t.ctx, t.b, w.out)
}

// Emit holds what the instance emits for the driver.
func (w *worker) Emit(_ context.Context, b arrow.RecordBatch) error {
	w.mu.Lock()
	w.held = append(w.held, b)
	w.mu.Unlock()
	return nil
}

// take empties list, one of w's, under w's lock.
func (w *worker) take(list *[]arrow.RecordBatch) []arrow.RecordBatch {
	w.mu.Lock()
	defer w.mu.Unlock()
	got := *list
	*list = nil
	return got
}

// holdLate holds a late batch the instance routes for the driver.
func (w *worker) holdLate(b arrow.RecordBatch) {
	w.mu.Lock()
	w.late = append(w.late, b)
	w.mu.Unlock()
}

// The window hooks below run on every instance through each, so they never
// race with a worker. They return no error: a worker's failure fails the
// exchange's next call.

// RouteLate routes the late rows of every instance to fn (see flushAfter).
func (x *exchange) RouteLate(fn func(arrow.RecordBatch)) {
	if _, ok := x.global[0].op.(LateRouter); !ok {
		return
	}
	x.lateFn = fn
	_ = x.each(context.Background(), func(w *worker) error {
		var hold func(arrow.RecordBatch)
		if fn != nil {
			hold = w.holdLate
		}
		w.op.(LateRouter).RouteLate(hold)
		return nil
	})
}

// FireEarly sets every instance's early firing: each fires its own windows
// at a barrier, and OnBarrier gathers what they fired.
func (x *exchange) FireEarly(every time.Duration) {
	if _, ok := x.global[0].op.(EarlyFirer); !ok {
		return
	}
	_ = x.each(context.Background(), func(w *worker) error {
		w.op.(EarlyFirer).FireEarly(every)
		return nil
	})
}

// State sums the instances' late rows and open windows, each counted on
// its worker once it has processed every row queued before; a window
// shared by keys (WindowLister) open on several workers counts once.
func (x *exchange) State() (open int, late int64) {
	if _, ok := x.global[0].op.(StateReporter); !ok {
		return 0, 0
	}
	var (
		o, l atomic.Int64
		mu   sync.Mutex
		wins = map[[2]int64]struct{}{}
	)
	_ = x.each(context.Background(), func(w *worker) error {
		wo, wl := w.op.(StateReporter).State()
		l.Add(wl)
		lister, ok := w.op.(WindowLister)
		if !ok {
			o.Add(int64(wo))
			return nil
		}
		mine := lister.OpenWindows(nil)
		mu.Lock()
		for _, k := range mine {
			wins[k] = struct{}{}
		}
		mu.Unlock()
		return nil
	})
	return int(o.Load()) + len(wins), l.Load()
}

// rebuiltByReplay: the instances' state is rebuilt by replay as theirs is.
func (x *exchange) rebuiltByReplay() bool {
	r, ok := x.global[0].op.(replayed)
	return ok && r.rebuiltByReplay()
}

// router sends a local phase's partial rows to the global phases, by the
// hash of their keys; it runs on the local phase's worker.
type router struct {
	x *exchange
	s splitter
}

func (r *router) Emit(ctx context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	x := r.x
	parts, err := r.s.split(ctx, x.ev, b, b.Columns()[:x.nkeys], len(x.global))
	if err != nil {
		return err
	}
	x.route(ctx, parts)
	return nil
}

// splitter partitions a batch's rows among n workers by the hash of their
// key columns (encoded as rowEncoder encodes them, so NULL keys and equal
// values of any type go to one worker).
type splitter struct {
	enc   rowEncoder
	idx   [][]int32
	parts []arrow.RecordBatch
}

// split returns one batch per worker, nil where it gets no rows. The slice
// is the splitter's, valid until its next split.
func (s *splitter) split(ctx context.Context, ev *expr.EvalContext, b arrow.RecordBatch, keys []arrow.Array, n int) ([]arrow.RecordBatch, error) {
	rows := int(b.NumRows())
	s.enc.encode(keys, rows)
	s.idx = growTo(s.idx, n)
	for j := range s.idx {
		s.idx[j] = s.idx[j][:0]
	}
	for i := range rows {
		j := workerOf(hashBytes(s.enc.row(i)), n)
		s.idx[j] = append(s.idx[j], int32(i))
	}
	s.parts = resize(s.parts, n)
	clear(s.parts)
	parts := s.parts
	for j, idx := range s.idx[:n] {
		switch len(idx) {
		case 0:
		case rows:
			// Fast path: every row goes to one worker (one key, or one hot
			// key in a small batch).
			b.Retain()
			parts[j] = b
		default:
			cols, err := takeColumns(ctx, ev.Alloc, b.Columns(), idx)
			if err != nil {
				for _, p := range parts {
					if p != nil {
						p.Release()
					}
				}
				return nil, err
			}
			parts[j] = array.NewRecordBatch(b.Schema(), cols, int64(len(idx)))
			releaseAll(cols)
		}
	}
	return parts, nil
}

// workerOf picks one of n workers for a key's hash by its high bits: the
// instances' own hash tables index by the low bits of the same hash, which
// would leave most of their slots unused if the exchange did too.
func workerOf(h uint64, n int) int { return int((h >> 32) * uint64(n) >> 32) }

// snapExchange is an exchange of operators that snapshot their state.
type snapExchange struct{ *exchange }

// SnapshotState appends every instance's state, each taken on its worker.
func (x snapExchange) SnapshotState(dst []byte) ([]byte, error) {
	return x.snapshot(dst, func(op Operator) ([]byte, error) { return op.(Snapshotter).SnapshotState(nil) })
}

// RestoreState loads each instance's state; a snapshot of another number
// of instances is refused.
func (x snapExchange) RestoreState(state []byte) error {
	return x.restore(state, "", func(op Operator, b []byte) error { return op.(Snapshotter).RestoreState(b) })
}

func (x snapExchange) snapshot(dst []byte, take func(op Operator) ([]byte, error)) ([]byte, error) {
	parts := make([][]byte, len(x.global))
	err := x.each(context.Background(), func(w *worker) error {
		var err error
		parts[w.id], err = take(w.op)
		return err
	})
	if err != nil {
		return nil, err
	}
	st := stateWriter{b: append(dst, exchangeVersion)}
	st.uvarint(uint64(len(parts)))
	for _, p := range parts {
		st.bytes(p)
	}
	return st.b, nil
}

// restore splits what snapshot wrote and gives each instance its part.
// The number of instances comes from the sink table's 'wharf.parallelism',
// which cannot change after CREATE TABLE yet: a mismatch means state
// from another plan. Rescaling would have to re-partition every
// instance's groups by key.
func (x snapExchange) restore(state []byte, what string, load func(op Operator, b []byte) error) error {
	r := &stateReader{what: x.label() + what, b: state}
	r.header(exchangeVersion)
	n := r.count(1)
	if r.err == nil && n != len(x.global) {
		return errkind.Errorf(errkind.Fatal, "%s: state written with %d workers; this job runs %d (a job's parallelism cannot change)", x.label(), n, len(x.global))
	}
	parts := make([][]byte, n)
	for i := range parts {
		parts[i] = r.bytes()
	}
	if err := r.done(); err != nil {
		return err
	}
	return x.each(context.Background(), func(w *worker) error { return load(w.op, parts[w.id]) })
}

// StateBytes sums the instances' state, each measured on its worker.
func (x *exchange) StateBytes() int64 {
	var sum atomic.Int64
	_ = x.each(context.Background(), func(w *worker) error {
		if s, ok := w.op.(StateSizer); ok {
			sum.Add(s.StateBytes())
		}
		return nil
	})
	return sum.Load()
}

// incExchange is an exchange of operators that snapshot deltas.
type incExchange struct{ snapExchange }

// SnapshotDelta appends every instance's delta, framed as SnapshotState
// frames their states.
func (x incExchange) SnapshotDelta(dst []byte) ([]byte, error) {
	return x.snapshot(dst, func(op Operator) ([]byte, error) { return op.(IncrementalSnapshotter).SnapshotDelta(nil) })
}

// ApplyDelta applies each instance's part of a delta.
func (x incExchange) ApplyDelta(delta []byte) error {
	return x.restore(delta, " delta", func(op Operator, b []byte) error { return op.(IncrementalSnapshotter).ApplyDelta(b) })
}
