// Package exectest is the test kit for streaming operators: a changelog
// materialized as a multiset, and a driver that feeds a two-input operator
// its inputs interleaved in a random order, with watermarks, barriers and
// a snapshot/restore at a random barrier.
package exectest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/exec"
)

// Multiset is a changelog applied: each row (rendered as text) with its
// count. It is an exec.Emitter.
type Multiset struct {
	rows map[string]int
	// Retracted counts the retractions applied.
	Retracted int
}

// NewMultiset returns an empty multiset.
func NewMultiset() *Multiset { return &Multiset{rows: map[string]int{}} }

// Emit applies a batch: inserts add a row, retractions remove one; a
// retraction of a row not present fails.
func (m *Multiset) Emit(_ context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	return m.Apply(b)
}

// Apply is Emit without taking ownership of b.
func (m *Multiset) Apply(b arrow.RecordBatch) error {
	kinds := exec.RowKinds(b)
	ncols := int(b.NumCols())
	if kinds != nil {
		ncols--
	}
	for i := range int(b.NumRows()) {
		row := RenderRow(b, ncols, i)
		if kinds != nil && exec.RowKind(kinds.Value(i)).Retracts() {
			if m.rows[row] == 0 {
				return fmt.Errorf("row %d: %s retracts (%s), which is not in the result", i, exec.RowKind(kinds.Value(i)), row)
			}
			m.Retracted++
			if m.rows[row]--; m.rows[row] == 0 {
				delete(m.rows, row)
			}
			continue
		}
		m.rows[row]++
	}
	return nil
}

// MultisetOf returns the multiset of rendered rows (see RenderRow).
func MultisetOf(rows []string) *Multiset {
	m := NewMultiset()
	for _, r := range rows {
		m.rows[r]++
	}
	return m
}

// Project keeps columns cols (by position) of each row.
func (m *Multiset) Project(cols ...int) *Multiset {
	out := NewMultiset()
	for row, n := range m.rows {
		cells := strings.Split(row, "|")
		kept := make([]string, len(cols))
		for i, c := range cols {
			kept[i] = cells[c]
		}
		out.rows[strings.Join(kept, "|")] += n
	}
	return out
}

// Rows lists the rows, each as often as it is held, sorted.
func (m *Multiset) Rows() []string {
	var out []string
	for r, n := range m.rows {
		for range n {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// Len is the number of rows held.
func (m *Multiset) Len() int {
	n := 0
	for _, c := range m.rows {
		n += c
	}
	return n
}

// Diff describes how m and want differ, "" when they hold the same rows.
func (m *Multiset) Diff(want *Multiset) string {
	var b strings.Builder
	for r, n := range m.rows {
		if w := want.rows[r]; w != n {
			fmt.Fprintf(&b, "  %s: got %d, want %d\n", r, n, w)
		}
	}
	for r, w := range want.rows {
		if _, ok := m.rows[r]; !ok {
			fmt.Fprintf(&b, "  %s: got 0, want %d\n", r, w)
		}
	}
	return b.String()
}

// RenderRow prints the first ncols columns of row i.
func RenderRow(b arrow.RecordBatch, ncols, i int) string {
	parts := make([]string, ncols)
	for c := range ncols {
		col := b.Column(c)
		if col.IsNull(i) {
			parts[c] = "NULL"
			continue
		}
		parts[c] = col.ValueStr(i)
	}
	return strings.Join(parts, "|")
}

// Input is one side of a two-input operator: its batches in order, and
// the column of its event time (a TIMESTAMP in microseconds) from which
// the driver derives watermarks, -1 for none.
type Input struct {
	Batches []arrow.RecordBatch
	TimeCol int
}

// Drive feeds left and right to the operator newOp returns, interleaving
// their batches in an order drawn from seed. After each batch it may pass
// a barrier and, when the operator handles watermarks and both inputs
// have time columns, a watermark: the least time any batch still to come
// holds, minus one, so that no row is late. At one random barrier it
// snapshots the operator (when it is an exec.Snapshotter), closes it,
// and continues with a fresh one restored from the bytes. An
// exec.IncrementalSnapshotter is snapshotted at every barrier instead, a
// full snapshot or (at random) a delta, and the fresh one is restored from
// the last full snapshot and the deltas after it; it must then hold the
// state the closed one held. At the end it passes the watermark MaxInt64.
// It returns the operator's output applied to a multiset.
func Drive(ctx context.Context, newOp func() (exec.TwoInput, error), left, right Input, seed uint64) (*Multiset, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	op, err := newOp()
	if err != nil {
		return nil, err
	}
	defer func() { op.Close() }()
	out := NewMultiset()
	inputs := [2]Input{left, right}
	next := [2]int{}
	total := len(left.Batches) + len(right.Batches)
	restoreAt := rng.IntN(total + 1)
	var epoch uint64
	var chain [][]byte // an IncrementalSnapshotter's full snapshot and deltas
	lastWM := int64(math.MinInt64)
	for fed := 0; fed < total; fed++ {
		side := rng.IntN(2)
		if next[side] == len(inputs[side].Batches) {
			side = 1 - side
		}
		b := inputs[side].Batches[next[side]]
		next[side]++
		if side == 0 {
			err = op.Process(ctx, b, out)
		} else {
			err = op.ProcessRight(ctx, b, out)
		}
		if err != nil {
			return nil, err
		}
		if wh, ok := op.(exec.WatermarkHandler); ok && left.TimeCol >= 0 && right.TimeCol >= 0 && rng.IntN(2) == 0 {
			wm := min(pendingMin(inputs[0], next[0]), pendingMin(inputs[1], next[1]))
			if wm != math.MaxInt64 {
				wm--
			}
			if wm > lastWM {
				lastWM = wm
				if err := wh.OnWatermark(ctx, wm, out); err != nil {
					return nil, err
				}
			}
		}
		if rng.IntN(3) != 0 && fed != restoreAt {
			continue
		}
		epoch++
		if bh, ok := op.(exec.BarrierHandler); ok {
			if err := bh.OnBarrier(ctx, epoch, out); err != nil {
				return nil, err
			}
		}
		if inc, ok := op.(exec.IncrementalSnapshotter); ok {
			if chain, err = snapshotChain(inc, chain, len(chain) == 0 || rng.IntN(4) == 0); err != nil {
				return nil, err
			}
		}
		snap, ok := op.(exec.Snapshotter)
		if !ok || fed != restoreAt {
			continue
		}
		state, err := snap.SnapshotState(nil)
		if err != nil {
			return nil, err
		}
		op.Close()
		if op, err = newOp(); err != nil {
			return nil, err
		}
		if err := restoreChain(op.(exec.Snapshotter), state, chain); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		again, err := op.(exec.Snapshotter).SnapshotState(nil)
		if err != nil {
			return nil, err
		}
		if string(again) != string(state) {
			return nil, fmt.Errorf("a restored operator snapshots %d bytes, not the %d it held (%d deltas)", len(again), len(state), len(chain)-1)
		}
	}
	if wh, ok := op.(exec.WatermarkHandler); ok {
		if err := wh.OnWatermark(ctx, math.MaxInt64, out); err != nil {
			return nil, err
		}
	}
	return out, op.Finish(ctx, out)
}

// snapshotChain appends op's delta to chain, or starts a new chain with
// its full snapshot.
func snapshotChain(op exec.IncrementalSnapshotter, chain [][]byte, full bool) ([][]byte, error) {
	if full {
		b, err := op.SnapshotState(nil)
		return [][]byte{b}, err
	}
	b, err := op.SnapshotDelta(nil)
	return append(chain, b), err
}

// restoreChain restores op from chain when it is an
// IncrementalSnapshotter, and from state otherwise.
func restoreChain(op exec.Snapshotter, state []byte, chain [][]byte) error {
	inc, ok := op.(exec.IncrementalSnapshotter)
	if !ok {
		return op.RestoreState(state)
	}
	if err := inc.RestoreState(chain[0]); err != nil {
		return err
	}
	for k, d := range chain[1:] {
		if err := inc.ApplyDelta(d); err != nil {
			return fmt.Errorf("delta %d: %w", k+1, err)
		}
	}
	return nil
}

// pendingMin is the least event time in in's batches from next on;
// MaxInt64 when none are left.
func pendingMin(in Input, next int) int64 {
	least := int64(math.MaxInt64)
	for _, b := range in.Batches[next:] {
		ts := b.Column(in.TimeCol).(*array.Timestamp)
		for i := range ts.Len() {
			if ts.IsValid(i) {
				least = min(least, int64(ts.Value(i)))
			}
		}
	}
	return least
}
