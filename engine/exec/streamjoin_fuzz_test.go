package exec_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/plan"
)

// FuzzStreamJoinRestore: any bytes either restore or fail with an error,
// never a panic, leaving no state; state that restores snapshots to bytes
// that restore to the same state.
func FuzzStreamJoinRestore(f *testing.F) {
	ctx := context.Background()
	newJoin := func() *exec.StreamJoin { return newFuzzJoin(f, exec.StreamJoinOptions{}) }
	rng := rand.New(rand.NewPCG(1, 1))
	left := toBatches(leftSchema, genRows(rng, true, 20, 4, false), 5, false)
	right := toBatches(rightSchema, genRows(rng, false, 20, 4, false), 5, false)
	seed := newJoin()
	for i := range left {
		if err := seed.Process(ctx, left[i], discard{}); err != nil {
			f.Fatal(err)
		}
		if err := seed.ProcessRight(ctx, right[i], discard{}); err != nil {
			f.Fatal(err)
		}
	}
	state, err := seed.SnapshotState(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(state)
	f.Add([]byte{1})
	f.Add([]byte{2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, state []byte) {
		op := newJoin()
		defer op.Close()
		if err := op.RestoreState(state); err != nil {
			if op.StateBytes() != 0 {
				t.Fatalf("a failed restore left %d bytes of state", op.StateBytes())
			}
			return
		}
		once, err := op.SnapshotState(nil)
		if err != nil {
			t.Fatal(err)
		}
		again := restoresSame(t, newJoin(), once, "restored state")
		defer again.Close()
		// Running over restored state is Drive's part (exectest): here
		// a fuzzed count of copies could ask for billions of rows.
	})
}

// FuzzStreamJoinDelta: any bytes applied as a delta to a restored state
// either apply or fail with an error, never a panic, leaving no state;
// state a delta applied to snapshots to bytes that restore to the same
// state.
func FuzzStreamJoinDelta(f *testing.F) {
	ctx := context.Background()
	newJoin := func() *exec.StreamJoin { return newFuzzJoin(f, exec.StreamJoinOptions{}) }
	rng := rand.New(rand.NewPCG(2, 2))
	left := toBatches(leftSchema, genRows(rng, true, 40, 4, true), 5, true)
	right := toBatches(rightSchema, genRows(rng, false, 40, 4, true), 5, true)
	op := newFuzzJoin(f, exec.StreamJoinOptions{LeftUpdating: true, RightUpdating: true})
	// The base is taken half-way; seeds are real deltas after it.
	var base []byte
	n := min(len(left), len(right))
	for i := range n {
		if err := op.Process(ctx, left[i], discard{}); err != nil {
			f.Fatal(err)
		}
		if err := op.ProcessRight(ctx, right[i], discard{}); err != nil {
			f.Fatal(err)
		}
		var err error
		if i == n/2 {
			base, err = op.SnapshotState(nil)
		} else if i > n/2 {
			var d []byte
			d, err = op.SnapshotDelta(nil)
			f.Add(d)
		}
		if err != nil {
			f.Fatal(err)
		}
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, delta []byte) {
		op := newJoin()
		defer op.Close()
		if err := op.RestoreState(base); err != nil {
			t.Fatal(err)
		}
		if err := op.ApplyDelta(delta); err != nil {
			if op.StateBytes() != 0 {
				t.Fatalf("a failed delta left %d bytes of state", op.StateBytes())
			}
			return
		}
		pending, _ := op.SnapshotDelta(nil)
		once, err := op.SnapshotState(nil)
		if err != nil {
			t.Fatal(err)
		}
		again := restoresSame(t, newJoin(), once, "a state a delta applied to")
		defer again.Close()
		if none, _ := again.SnapshotDelta(nil); string(pending) != string(none) {
			t.Fatal("applying a delta left changes to snapshot")
		}
	})
}

// newFuzzJoin is the join both fuzz targets restore state into: a FULL
// join on the key with a residual on the two times.
func newFuzzJoin(f *testing.F, opt exec.StreamJoinOptions) *exec.StreamJoin {
	j := keyJoin(plan.JoinFull, call("<=", col(2, tsType), col(5, tsType)))
	op, err := exec.NewStreamJoin(j, opt, testEval())
	if err != nil {
		f.Fatal(err)
	}
	return op
}

// restoresSame restores snapshot (of what) into op, failing unless it
// restores and snapshots to the same bytes again; it returns op.
func restoresSame(t *testing.T, op *exec.StreamJoin, snapshot []byte, what string) *exec.StreamJoin {
	t.Helper()
	if err := op.RestoreState(snapshot); err != nil {
		t.Fatalf("a snapshot of %s does not restore: %v", what, err)
	}
	if again, _ := op.SnapshotState(nil); string(again) != string(snapshot) {
		t.Fatal("snapshot, restore, snapshot changed the bytes")
	}
	return op
}

// discard releases what it is given.
type discard struct{}

func (discard) Emit(_ context.Context, b arrow.RecordBatch) error {
	b.Release()
	return nil
}
