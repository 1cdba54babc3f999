// Package exec runs query plans as pipelines of vectorized operators over
// Arrow record batches. The same operators serve batch jobs and interactive
// queries here, and (through the optional hooks below) continuous jobs.
//
// The operator contract, which every operator in this package keeps:
//
//   - Push-based. The operator's input calls Process with one batch at a time,
//     always from one goroutine: an operator instance needs no locks for its
//     own state. Parallelism comes from several instances (one per worker),
//     never from concurrent calls into one instance: a continuous job's
//     keyed operators (GROUP BY, Top-N, window aggregations) run as an
//     exchange (op_exchange.go) of instances, each driven by a goroutine
//     of its own and fed the rows of the keys it owns. An instance's Emitter is the exchange's, which
//     passes the output on from the job's goroutine: whatever follows an
//     exchange is called from one goroutine as before.
//   - Ownership. The batch passed to Process belongs to the caller and is valid
//     only during the call; an operator that keeps rows past the call Retains
//     the batch (and Releases it later) or copies them. A batch passed to
//     Emitter.Emit is handed over: the receiver releases it.
//   - Output. An operator emits zero or more batches per input batch through
//     its Emitter, and may emit at Finish (sort, aggregate).
//   - End of input. Finish is called once after the last batch of a bounded
//     input. Close is called exactly once, after Finish or after an error,
//     and releases whatever the operator still holds.
//   - Errors. Process and Finish return an error to stop the pipeline; an
//     error returned by Emit (downstream) is returned unchanged. ErrEnough
//     from Emit means downstream needs no more rows (a LIMIT is satisfied):
//     upstream stops reading and the pipeline ends without error.
//   - Streaming (optional interfaces, never called by batch queries):
//     BarrierHandler is called when an aligned checkpoint barrier reaches the
//     operator, after every batch of the epoch and before any of the next; it
//     emits what the epoch must contain, snapshots its state, and the driver
//     forwards the barrier. WatermarkHandler is called when the operator's
//     input watermark advances.
package exec

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
)

// Operator is one step of a pipeline; see the package documentation.
type Operator interface {
	Process(ctx context.Context, batch arrow.RecordBatch, out Emitter) error
	Finish(ctx context.Context, out Emitter) error
	Close()
}

// Emitter receives an operator's output batches, taking ownership of each.
type Emitter interface {
	Emit(ctx context.Context, batch arrow.RecordBatch) error
}

// Source produces a pipeline's input: it emits batches until its input ends,
// the context is cancelled, or Emit returns an error (ErrEnough included).
type Source interface {
	Run(ctx context.Context, out Emitter) error
}

// BarrierHandler is implemented by operators with state to checkpoint.
type BarrierHandler interface {
	OnBarrier(ctx context.Context, epoch uint64, out Emitter) error
}

// WatermarkHandler is implemented by operators that act on event time.
type WatermarkHandler interface {
	OnWatermark(ctx context.Context, micros int64, out Emitter) error
}

// ErrEnough tells upstream that downstream needs no more input.
var ErrEnough = errors.New("exec: enough rows")

// stage connects an operator to the next stage.
type stage struct {
	op   Operator
	next Emitter
}

func (s *stage) Emit(ctx context.Context, b arrow.RecordBatch) error {
	defer b.Release() // Process borrows; the stage owns what it was handed
	return s.op.Process(ctx, b, s.next)
}

// Run drives src through ops into sink, then finishes the operators in order
// and closes them all. It returns the first error; ErrEnough ends the run
// early without one.
func Run(ctx context.Context, src Source, ops []Operator, sink Emitter) (err error) {
	p := NewPipeline(ops, sink)
	defer p.Close()
	if err := runSource(ctx, src, p.Head()); err != nil && !errors.Is(err, ErrEnough) {
		return err
	}
	return p.Finish(ctx)
}

func runSource(ctx context.Context, src Source, head Emitter) (err error) {
	defer recoverBudget(&err)
	return src.Run(ctx, head)
}
