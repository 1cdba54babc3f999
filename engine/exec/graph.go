package exec

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/plan"
)

// Graph is a continuous job's operators: a tree whose root feeds the sink
// and whose leaves are the job's unbounded sources, joined by two-input
// operators. The job pushes each source batch into the leaf or leaves that
// read it; barriers and watermarks pass through every operator in
// topological order (an operator after all of its inputs), so a two-input
// operator sees a barrier once, after both inputs have emitted what the
// epoch holds. The job's goroutine drives the graph: an exchange (see
// op_exchange.go) runs the instances of a keyed operator on workers of its
// own, but takes its batches and emits its output on that goroutine, and
// waits for its workers in each barrier and watermark, so every other
// operator runs on the job's goroutine.
type Graph struct {
	// Leaves are the unbounded source scans, in the order Push takes them.
	Leaves []*plan.SourceScan
	heads  []Emitter
	// windowed[i] says a window aggregation lies between leaf i and the
	// first operator that snapshots its state (see Windowed).
	windowed []bool
	ops      []Operator // topological order
	outs     []Emitter  // outs[i] receives ops[i]'s output
}

// rightStage feeds a two-input operator's right input.
type rightStage struct {
	op   TwoInput
	next Emitter
}

func (s *rightStage) Emit(ctx context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	return s.op.ProcessRight(ctx, b, s.next)
}

// NewGraph connects a streaming query (BuildStream) to sink.
func NewGraph(q *Query, sink Emitter) *Graph {
	g := &Graph{}
	g.add(q, sink)
	return g
}

// add wires q's chain of operators to out, recursing into the right inputs
// of its two-input operators, which come before them in g.ops.
func (g *Graph) add(q *Query, out Emitter) {
	p := NewPipeline(q.Operators, out)
	leaf := len(g.Leaves)
	g.Leaves, g.heads, g.windowed = append(g.Leaves, q.Stream), append(g.heads, p.Head()), append(g.windowed, false)
	open := true // no snapshotting operator met yet on the way up from the leaf
	for i, op := range q.Operators {
		if right, ok := q.Right[i]; ok {
			g.add(right, &rightStage{op: op.(TwoInput), next: p.emitters[i+1]})
		}
		if r, ok := op.(replayed); ok && open && r.rebuiltByReplay() {
			g.windowed[leaf] = true
		}
		if _, ok := op.(Snapshotter); ok {
			open = false
		}
		g.ops, g.outs = append(g.ops, op), append(g.outs, p.emitters[i+1])
	}
}

// Windowed says whether leaf i's rows reach a window aggregation before any
// operator that snapshots its state: such a leaf may be fed rows again from
// before the committed positions to rebuild its windows (see
// engine/runtime), and no other leaf may.
func (g *Graph) Windowed(i int) bool { return g.windowed[i] }

// Push runs one batch of leaf i's source through the graph, taking
// ownership of it.
func (g *Graph) Push(ctx context.Context, i int, b arrow.RecordBatch) (err error) {
	defer recoverBudget(&err)
	return g.heads[i].Emit(ctx, b)
}

// Barrier passes the barrier of epoch through the operators (see
// BarrierHandler).
func (g *Graph) Barrier(ctx context.Context, epoch uint64) (err error) {
	defer recoverBudget(&err)
	for i, op := range g.ops {
		if h, ok := op.(BarrierHandler); ok {
			if err := h.OnBarrier(ctx, epoch, g.outs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Watermark tells the operators that event time has reached micros.
func (g *Graph) Watermark(ctx context.Context, micros int64) (err error) {
	defer recoverBudget(&err)
	for i, op := range g.ops {
		if h, ok := op.(WatermarkHandler); ok {
			if err := h.OnWatermark(ctx, micros, g.outs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// State sums the open windows and late rows of the graph's operators.
func (g *Graph) State() (open int, late int64) {
	for _, op := range g.ops {
		if r, ok := op.(StateReporter); ok {
			o, l := r.State()
			open, late = open+o, late+l
		}
	}
	return open, late
}

// FireEarly turns early firing on (every > 0) or off in the graph's
// window aggregations (see windowAgg), on all their instances.
func (g *Graph) FireEarly(every time.Duration) {
	for _, op := range g.ops {
		if f, ok := op.(EarlyFirer); ok {
			f.FireEarly(every)
		}
	}
}

// OperatorState is one stateful operator's share of a job's state.
type OperatorState struct {
	Operator string `json:"operator"`
	Bytes    int64  `json:"bytes"`
}

// StateBytes lists the state each operator that reports it holds, in
// topological order.
func (g *Graph) StateBytes() []OperatorState {
	var out []OperatorState
	for i, op := range g.ops {
		if s, ok := op.(StateSizer); ok {
			out = append(out, OperatorState{Operator: opLabel(i, op), Bytes: s.StateBytes()})
		}
	}
	return out
}

// RouteLate routes the late rows of every operator that has them to fn.
func (g *Graph) RouteLate(fn func(arrow.RecordBatch)) {
	for _, op := range g.ops {
		if r, ok := op.(LateRouter); ok {
			r.RouteLate(fn)
		}
	}
}

// Snapshot appends the state of every Snapshotter, each framed with its
// position and type so Restore can check that the graph is the same. It
// starts a new delta (see SnapshotDelta).
func (g *Graph) Snapshot(dst []byte) ([]byte, error) {
	return g.snapshot(dst, false)
}

// SnapshotDelta appends, framed as Snapshot frames them, what changed since
// the last Snapshot or SnapshotDelta: an IncrementalSnapshotter's delta and
// the full state of every other Snapshotter. Restore takes it after the
// full snapshot it follows.
func (g *Graph) SnapshotDelta(dst []byte) ([]byte, error) {
	return g.snapshot(dst, true)
}

func (g *Graph) snapshot(dst []byte, delta bool) ([]byte, error) {
	for i, op := range g.ops {
		s, ok := op.(Snapshotter)
		if !ok {
			continue
		}
		dst = appendFrame(dst, []byte(opLabel(i, op)))
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0) // the state's length, set below
		var err error
		if inc, ok := s.(IncrementalSnapshotter); ok && delta {
			dst, err = inc.SnapshotDelta(dst)
		} else {
			dst, err = s.SnapshotState(dst)
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot of operator %d (%s): %w", i, opName(op), err)
		}
		binary.LittleEndian.PutUint64(dst[at:], uint64(len(dst)-at-8))
	}
	return dst, nil
}

// Incremental says whether any operator takes deltas: without one,
// SnapshotDelta is Snapshot.
func (g *Graph) Incremental() bool {
	for _, op := range g.ops {
		if _, ok := op.(IncrementalSnapshotter); ok {
			return true
		}
	}
	return false
}

// Restore loads what Snapshot wrote into the graph's operators, then the
// deltas SnapshotDelta wrote after it, oldest first: an
// IncrementalSnapshotter applies each, any other operator loads the last
// full state it holds. A snapshot of another graph (the job's SQL or
// wharf's planner changed) is refused.
func (g *Graph) Restore(base []byte, deltas ...[]byte) error {
	objs := append([][]byte{base}, deltas...)
	for i, op := range g.ops {
		s, ok := op.(Snapshotter)
		if !ok {
			continue
		}
		want := opLabel(i, op)
		bodies := make([][]byte, len(objs))
		for k := range objs {
			var err error
			if bodies[k], objs[k], err = nextFrame(objs[k], want); err != nil {
				return fmt.Errorf("operator state%s: %s: %w", chainPart(k), want, err)
			}
		}
		inc, ok := s.(IncrementalSnapshotter)
		if !ok {
			if err := s.RestoreState(bodies[len(bodies)-1]); err != nil {
				return fmt.Errorf("operator state%s: %s: %w", chainPart(len(bodies)-1), want, err)
			}
			continue
		}
		if err := s.RestoreState(bodies[0]); err != nil {
			return fmt.Errorf("operator state: %s: %w", want, err)
		}
		for k, d := range bodies[1:] {
			if err := inc.ApplyDelta(d); err != nil {
				return fmt.Errorf("operator state%s: %s: %w", chainPart(k+1), want, err)
			}
		}
	}
	for k, rest := range objs {
		if len(rest) != 0 {
			return fmt.Errorf("operator state%s: %d bytes left after the last operator: the job's plan changed", chainPart(k), len(rest))
		}
	}
	return nil
}

// nextFrame reads one operator's frames, its name and its state, checking
// that the name is want.
func nextFrame(b []byte, want string) (body, rest []byte, err error) {
	name, rest, err := readFrame(b)
	if err != nil {
		return nil, nil, err
	}
	if string(name) != want {
		return nil, nil, fmt.Errorf("state was taken of operator %s, the plan has %s here: the job's plan changed", name, want)
	}
	return readFrame(rest)
}

// chainPart names the k-th object of a restore in errors: the full
// snapshot is unnamed, as it was before deltas.
func chainPart(k int) string {
	if k == 0 {
		return ""
	}
	return fmt.Sprintf(" (delta %d)", k)
}

// Stateful says whether any operator snapshots its state.
func (g *Graph) Stateful() bool {
	for _, op := range g.ops {
		if _, ok := op.(Snapshotter); ok {
			return true
		}
	}
	return false
}

// Close releases every operator.
func (g *Graph) Close() {
	for _, op := range g.ops {
		op.Close()
	}
}

// opLabel names operator i of the graph in state frames and reports: a
// snapshot restores only into a graph with the same labels.
func opLabel(i int, op Operator) string { return fmt.Sprintf("%d:%s", i, opName(op)) }

func opName(op Operator) string {
	if l, ok := op.(labeled); ok {
		return l.label()
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", op), "*exec.")
}

// labeled is implemented by operators named otherwise than by their type
// (an exchange, by the operator it runs).
type labeled interface{ label() string }

func appendFrame(dst, b []byte) []byte {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	return append(append(dst, n[:]...), b...)
}

func readFrame(b []byte) (frame, rest []byte, err error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("truncated: %d bytes where a length was expected", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("truncated: a frame of %d bytes, %d left", n, len(b)-8)
	}
	return b[8 : 8+n], b[8+n:], nil
}
