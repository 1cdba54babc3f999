package exec

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
)

// Pipeline chains operators into a sink and is driven from outside, one
// batch at a time: a continuous job pushes each source batch, then a
// barrier at every epoch boundary, and never finishes. Batch queries use it
// through Run.
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

// Barrier passes the barrier of epoch through the operators in order: each
// that keeps state emits what the epoch must contain (see BarrierHandler).
func (p *Pipeline) Barrier(ctx context.Context, epoch uint64) (err error) {
	defer recoverBudget(&err)
	for i, op := range p.ops {
		if h, ok := op.(BarrierHandler); ok {
			if err := h.OnBarrier(ctx, epoch, p.emitters[i+1]); err != nil {
				return err
			}
		}
	}
	return nil
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

// Watermark tells the operators in order that event time has reached
// micros: windows that end by then close and emit.
func (p *Pipeline) Watermark(ctx context.Context, micros int64) (err error) {
	defer recoverBudget(&err)
	for i, op := range p.ops {
		if h, ok := op.(WatermarkHandler); ok {
			if err := h.OnWatermark(ctx, micros, p.emitters[i+1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// StateReporter is implemented by operators that keep windows open.
type StateReporter interface {
	State() (open int, late int64)
}

// State sums the open windows and late rows of the pipeline's operators.
func (p *Pipeline) State() (open int, late int64) {
	for _, op := range p.ops {
		if r, ok := op.(StateReporter); ok {
			o, l := r.State()
			open, late = open+o, late+l
		}
	}
	return open, late
}

// LateRouter is implemented by operators that drop rows arriving after
// their window closed: RouteLate hands such rows to fn (which owns each
// batch) instead.
type LateRouter interface {
	RouteLate(fn func(arrow.RecordBatch))
}

// RouteLate routes the late rows of every operator that has them to fn.
func (p *Pipeline) RouteLate(fn func(arrow.RecordBatch)) {
	for _, op := range p.ops {
		if r, ok := op.(LateRouter); ok {
			r.RouteLate(fn)
		}
	}
}
