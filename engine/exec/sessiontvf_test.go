package exec_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/exec/exectest"
	"github.com/wharfdata/wharf/engine/plan"
)

// TestSessionStreamEqualsBatch: rows arriving out of order in small batches,
// with the watermark moving up to (never past) the earliest row still to
// come, and a snapshot restored half-way, give the same sessions as all
// rows at once. Rows that bridge two open sessions merge them.
func TestSessionStreamEqualsBatch(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "ts", Type: tsType}}, nil)
	// Partitioned by k, and not (one key: every row in group 0).
	for _, part := range [][]int{{0}, nil} {
		tvf := plan.NewWindowTVF(input{schema}, "SESSION", 1, 10_000_000, 0, 0) // a 10 s gap
		tvf.Partition = part
		sessionStreamEqualsBatch(t, schema, tvf)
	}
}

func sessionStreamEqualsBatch(t *testing.T, schema *arrow.Schema, tvf *plan.WindowTVF) {
	mem := memory.DefaultAllocator
	ctx := context.Background()
	batchOf := func(rows [][2]int64) arrow.RecordBatch {
		k, ts := array.NewInt64Builder(mem), array.NewTimestampBuilder(mem, tsType)
		for _, r := range rows {
			k.Append(r[0])
			ts.Append(arrow.Timestamp(r[1]))
		}
		return array.NewRecordBatch(schema, []arrow.Array{k.NewArray(), ts.NewArray()}, int64(len(rows)))
	}
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		rows := make([][2]int64, 400)
		for i := range rows {
			// Times mostly rising with some disorder; gaps sometimes over 10 s.
			rows[i] = [2]int64{int64(r.IntN(5)), int64(i)*1_500_000 + int64(r.IntN(6_000_000))}
		}
		want := exectest.NewMultiset()
		all := exec.NewSessionTVF(tvf, mem)
		if err := all.Process(ctx, batchOf(rows), nil); err != nil {
			t.Fatal(err)
		}
		if err := all.Finish(ctx, want); err != nil {
			t.Fatal(err)
		}
		all.Close()

		got := exectest.NewMultiset()
		op := exec.NewSessionTVF(tvf, mem)
		restoreAt := len(rows) / 2
		for i := 0; i < len(rows); {
			n := min(len(rows)-i, 1+r.IntN(30))
			if err := op.Process(ctx, batchOf(rows[i:i+n]), nil); err != nil {
				t.Fatal(err)
			}
			i += n
			wm := int64(1) << 62
			for _, row := range rows[i:] {
				wm = min(wm, row[1])
			}
			if err := op.(exec.WatermarkHandler).OnWatermark(ctx, wm-1, got); err != nil {
				t.Fatal(err)
			}
			if i >= restoreAt && restoreAt > 0 {
				restoreAt = 0
				state, err := op.(exec.Snapshotter).SnapshotState(nil)
				if err != nil {
					t.Fatal(err)
				}
				op.Close()
				op = exec.NewSessionTVF(tvf, mem)
				if err := op.(exec.Snapshotter).RestoreState(state); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := op.Finish(ctx, got); err != nil {
			t.Fatal(err)
		}
		op.Close()
		if late := lateOf(op); late != 0 {
			t.Fatalf("seed %d: %d rows counted late", seed, late)
		}
		if d := got.Diff(want); d != "" {
			t.Fatalf("seed %d: streamed sessions differ from the batch's:\n%s", seed, d)
		}
		if want.Len() != len(rows) {
			t.Fatalf("seed %d: %d rows in sessions, want %d", seed, want.Len(), len(rows))
		}
		// Rows are k|ts|window_start|window_end|window_time.
		if n := len(slices.Compact(want.Project(0, 2).Rows())); n < 10 && tvf.Partition != nil {
			t.Fatalf("seed %d: only %d sessions: the data do not exercise sessions", seed, n)
		}
	}
}

func lateOf(op exec.Operator) int64 {
	_, late := op.(exec.StateReporter).State()
	return late
}
