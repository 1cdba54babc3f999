package exec

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// FuzzRestoreState feeds arbitrary bytes to the GROUP BY's and the
// Top-N's RestoreState. Invariants: no panic; state that restores
// snapshots to the same bytes and emits without error.
func FuzzRestoreState(f *testing.F) {
	newOps := func() []Operator { return newFuzzOps(f) }
	// Seeds: real snapshots of both operators.
	steps, _ := randomChangelog(rand.New(rand.NewPCG(1, 2)), 60, true)
	for k, op := range newOps() {
		for _, s := range steps {
			if s.barrier || len(s.rows) == 0 {
				continue
			}
			kinds := s.kinds
			if k == 1 {
				kinds = nil
			}
			if err := op.Process(context.Background(), batchOf(s.rows, kinds), nil); err != nil {
				f.Fatal(err)
			}
		}
		if err := op.(BarrierHandler).OnBarrier(context.Background(), 1, emitFunc(func(b arrow.RecordBatch) { b.Release() })); err != nil {
			f.Fatal(err)
		}
		state, err := op.(Snapshotter).SnapshotState([]byte{byte(k)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(state)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		op := newOps()[int(data[0])%2]
		if op.(Snapshotter).RestoreState(data[1:]) != nil {
			return
		}
		again, err := op.(Snapshotter).SnapshotState(nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(data[1:]) {
			// Maps are written in key order; restored bytes may differ
			// only where the input was not canonical. Must restore again.
			if err := newOps()[int(data[0])%2].(Snapshotter).RestoreState(again); err != nil {
				t.Fatalf("a restored state's snapshot does not restore: %v", err)
			}
		}
		if err := op.(BarrierHandler).OnBarrier(context.Background(), 2, emitFunc(func(b arrow.RecordBatch) { b.Release() })); err != nil {
			t.Fatal(err)
		}
		_ = op.(StateSizer).StateBytes()
	})
}

// FuzzApplyDelta feeds arbitrary bytes to the GROUP BY's and the Top-N's
// ApplyDelta, after a real base. Invariants: no panic; state a delta
// applied to snapshots to bytes that restore, and emits without error.
func FuzzApplyDelta(f *testing.F) {
	newOps := func() []Operator { return newFuzzOps(f) }
	release := emitFunc(func(b arrow.RecordBatch) { b.Release() })
	// The bases are taken half-way; seeds are real deltas after them.
	steps, _ := randomChangelog(rand.New(rand.NewPCG(3, 4)), 120, true)
	var bases [2][]byte
	for k, op := range newOps() {
		for i, s := range steps {
			if len(s.rows) > 0 {
				kinds := s.kinds
				if k == 1 {
					kinds = nil
				}
				if err := op.Process(context.Background(), batchOf(s.rows, kinds), nil); err != nil {
					f.Fatal(err)
				}
			}
			if i%10 != 9 {
				continue
			}
			if err := op.(BarrierHandler).OnBarrier(context.Background(), uint64(i), release); err != nil {
				f.Fatal(err)
			}
			if bases[k] == nil && i >= len(steps)/2 {
				var err error
				if bases[k], err = op.(Snapshotter).SnapshotState(nil); err != nil {
					f.Fatal(err)
				}
				continue
			}
			if bases[k] != nil {
				d, err := op.(IncrementalSnapshotter).SnapshotDelta([]byte{byte(k)})
				if err != nil {
					f.Fatal(err)
				}
				f.Add(d)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		k := int(data[0]) % 2
		op := newOps()[k].(IncrementalSnapshotter)
		if err := op.RestoreState(bases[k]); err != nil {
			t.Fatal(err)
		}
		if op.ApplyDelta(data[1:]) != nil {
			return
		}
		once, err := op.SnapshotState(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := newOps()[k].(Snapshotter).RestoreState(once); err != nil {
			t.Fatalf("a snapshot of a state a delta applied to does not restore: %v", err)
		}
		if err := op.(BarrierHandler).OnBarrier(context.Background(), 2, release); err != nil {
			t.Fatal(err)
		}
		_ = op.(StateSizer).StateBytes()
	})
}

// newFuzzOps returns the operators both fuzz targets snapshot: a GROUP BY
// over a changelog, then a Top-N.
func newFuzzOps(f *testing.F) []Operator {
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	specs, aggFields := testAggs()
	schema := arrow.NewSchema(append([]arrow.Field{clSchema.Field(0), clSchema.Field(1)}, aggFields...), nil)
	g, err := NewGroupAgg(schema, []expr.Evaluator{clCol(0), clCol(1)}, []arrow.DataType{clSchema.Field(0).Type, clSchema.Field(1).Type}, specs, true, ev)
	if err != nil {
		f.Fatal(err)
	}
	r, err := NewRank(rankSchema, []int{0}, []SortKey{{Column: 2, Descending: true}, {Column: 1}}, 3, false, ev)
	if err != nil {
		f.Fatal(err)
	}
	return []Operator{g, r}
}
