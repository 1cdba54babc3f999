package exec

import (
	"context"
	"errors"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Pipeline chains operators into a sink and is driven from outside, one
// batch at a time. Batch queries use it through Run; continuous jobs
// through a Graph of pipelines.
type Pipeline struct {
	ops      []Operator
	emitters []Emitter // emitters[i] feeds ops[i]; the last is the sink
}

// NewPipeline connects ops, in order, to sink.
func NewPipeline(ops []Operator, sink Emitter) *Pipeline {
	emitters := make([]Emitter, len(ops)+1)
	emitters[len(ops)] = sink
	for i := len(ops) - 1; i >= 0; i-- {
		emitters[i] = &stage{op: ops[i], next: emitters[i+1]}
	}
	return &Pipeline{ops: ops, emitters: emitters}
}

// Head is where the pipeline's input goes.
func (p *Pipeline) Head() Emitter { return p.emitters[0] }

// Push runs one batch through the pipeline, taking ownership of it. A query
// over its memory budget returns a *MemoryLimitError.
func (p *Pipeline) Push(ctx context.Context, b arrow.RecordBatch) (err error) {
	defer recoverBudget(&err)
	return p.emitters[0].Emit(ctx, b)
}

// Finish ends a bounded input: each operator flushes in order.
func (p *Pipeline) Finish(ctx context.Context) (err error) {
	defer recoverBudget(&err)
	for i, op := range p.ops {
		if err := op.Finish(ctx, p.emitters[i+1]); err != nil && !errors.Is(err, ErrEnough) {
			return err
		}
	}
	return nil
}

// Close releases every operator.
func (p *Pipeline) Close() {
	for _, op := range p.ops {
		op.Close()
	}
}

// recoverBudget turns a budget's panic (see Budget) into the error it
// carries; any other panic is a bug and goes on.
func recoverBudget(err *error) {
	if r := recover(); r != nil {
		if e, ok := r.(*MemoryLimitError); ok {
			*err = e
			return
		}
		panic(r)
	}
}

// StateReporter is implemented by operators that keep windows open.
type StateReporter interface {
	State() (open int, late int64)
}

// WindowLister is a StateReporter whose windows are shared by keys (TUMBLE,
// HOP, CUMULATE: one [start, end] for every key), not a key's own (a
// session): on several workers a window open on two is counted once.
type WindowLister interface {
	OpenWindows(dst [][2]int64) [][2]int64 // appends each open window's [start, end]
}

// LateRouter is implemented by operators that drop rows arriving after
// their window closed: RouteLate hands such rows to fn (which owns each
// batch) instead.
type LateRouter interface {
	RouteLate(fn func(arrow.RecordBatch))
}

// EarlyFirer is implemented by operators that can emit the partial results
// of their open windows at barriers: FireEarly turns that on with a delay
// (every > 0) or off.
type EarlyFirer interface {
	FireEarly(every time.Duration)
}

// replayed is implemented by operators whose state is rebuilt after a
// restart by replaying their input instead of being snapshotted (see
// Graph.Windowed).
type replayed interface {
	rebuiltByReplay() bool
}
