package exec_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/exec/exectest"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

func interval(d time.Duration) expr.Expr {
	return expr.Lit(scalar.NewDurationScalar(arrow.Duration(d.Microseconds()), &arrow.DurationType{Unit: arrow.Microsecond}))
}

// boundedCases are joins whose state the watermark bounds: an interval
// join (r.t BETWEEN l.t - 3 ms AND l.t + 2 ms) and a window join (the
// times as window ends, equal on both sides).
func boundedCases(kind plan.JoinKind) map[string]struct {
	join   *plan.Join
	bounds exec.TimeBounds
	window bool
} {
	lt, rt := col(2, tsType), col(5, tsType)
	between := call("AND",
		call(">=", rt, call("-", lt, interval(3*time.Millisecond))),
		call("<=", rt, call("+", lt, interval(2*time.Millisecond))))
	return map[string]struct {
		join   *plan.Join
		bounds exec.TimeBounds
		window bool
	}{
		"interval": {keyJoin(kind, between), exec.TimeBounds{LeftCol: 2, RightCol: 2, LeftLife: 2001, RightLife: 3001}, false},
		"window":   {keyJoin(kind, call("=", lt, rt)), exec.TimeBounds{LeftCol: 2, RightCol: 2}, true},
	}
}

// windowed rounds every row's time up to the end of its 10 ms window.
func windowed(rows []row) []row {
	for i := range rows {
		rows[i].t = (rows[i].t/10_000 + 1) * 10_000
	}
	return rows
}

// TestBoundedJoinMatchesBatch: interval and window joins of append-only
// inputs, with watermarks, emit only inserts and, after the last
// watermark, exactly the batch join.
func TestBoundedJoinMatchesBatch(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []plan.JoinKind{plan.JoinInner, plan.JoinLeft, plan.JoinRight, plan.JoinFull} {
		for name, c := range boundedCases(kind) {
			t.Run(fmt.Sprintf("%s/%s", kind, name), func(t *testing.T) {
				for seed := range uint64(20) {
					rng := rand.New(rand.NewPCG(seed, 11))
					lrows, rrows := genRows(rng, true, 80, 4, false), genRows(rng, false, 80, 4, false)
					if c.window {
						lrows, rrows = windowed(lrows), windowed(rrows)
					}
					left, right := toBatches(leftSchema, lrows, 1+rng.IntN(6), false), toBatches(rightSchema, rrows, 1+rng.IntN(6), false)
					want := batchJoin(t, c.join, left, right)
					got, err := exectest.Drive(ctx, func() (exec.TwoInput, error) {
						op, err := exec.NewStreamJoin(c.join, exec.StreamJoinOptions{Bounds: &c.bounds}, testEval())
						if err == nil && op.Updating() {
							t.Fatal("a bounded join of append-only inputs says it updates")
						}
						return op, err
					}, exectest.Input{Batches: left, TimeCol: 2}, exectest.Input{Batches: right, TimeCol: 2}, seed)
					if err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
					if got.Retracted != 0 {
						t.Fatalf("seed %d: %d retractions from a bounded join", seed, got.Retracted)
					}
					if d := got.Diff(want); d != "" {
						t.Fatalf("seed %d: the streaming join differs from the batch join:\n%s", seed, d)
					}
				}
			})
		}
	}
}

// TestBoundedJoinState: fed in time order with watermarks, a bounded
// join holds only the rows near the watermark, and nothing after the
// last one.
func TestBoundedJoinState(t *testing.T) {
	ctx := context.Background()
	for name, c := range boundedCases(plan.JoinFull) {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			lrows, rrows := genRows(rng, true, 2000, 50, false), genRows(rng, false, 2000, 50, false)
			if c.window {
				lrows, rrows = windowed(lrows), windowed(rrows)
			}
			left, right := toBatches(leftSchema, lrows, 10, false), toBatches(rightSchema, rrows, 10, false)
			op, err := exec.NewStreamJoin(c.join, exec.StreamJoinOptions{Bounds: &c.bounds}, testEval())
			if err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			out := exectest.NewMultiset()
			var peak int64
			for i := range left {
				if err := op.Process(ctx, left[i], out); err != nil {
					t.Fatal(err)
				}
				if err := op.ProcessRight(ctx, right[i], out); err != nil {
					t.Fatal(err)
				}
				// Rows come in time order, give or take 0.5 ms.
				if err := op.OnWatermark(ctx, int64(i*10_000-1000), out); err != nil {
					t.Fatal(err)
				}
				peak = max(peak, op.StateBytes())
			}
			if err := op.OnWatermark(ctx, math.MaxInt64, out); err != nil {
				t.Fatal(err)
			}
			if b := op.StateBytes(); b != 0 {
				t.Fatalf("StateBytes = %d after the last watermark, want 0", b)
			}
			// 4000 rows of ~30 bytes plus overhead would be ~500 KB held.
			if peak > 60_000 {
				t.Fatalf("peak StateBytes = %d: the watermark does not bound the state", peak)
			}
			t.Logf("peak state %d bytes, %d rows out", peak, out.Len())
		})
	}
}

// TestBoundedJoinLateAndTTL: under Bounds, a row the watermark already
// passed is joined but not kept (an outer one is emitted at once), and a
// row that leaves by TTL is emitted like one the watermark passed.
func TestBoundedJoinLateAndTTL(t *testing.T) {
	ctx := context.Background()
	c := boundedCases(plan.JoinLeft)["interval"]
	now := time.Unix(1000, 0)
	op, err := exec.NewStreamJoin(c.join, exec.StreamJoinOptions{Bounds: &c.bounds, TTL: time.Minute, Now: func() time.Time { return now }}, testEval())
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	out := exectest.NewMultiset()
	if err := op.OnWatermark(ctx, 10_000_000, out); err != nil {
		t.Fatal(err)
	}
	k := int64(1)
	late := toBatches(leftSchema, []row{{kind: exec.Insert, k: &k, x: "late", t: 0}}, 1, false)[0]
	if err := op.Process(ctx, late, out); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 1 || op.StateBytes() != 0 {
		t.Fatalf("a late row: %d rows out (want 1), %d bytes kept (want 0)", out.Len(), op.StateBytes())
	}
	early := toBatches(leftSchema, []row{{kind: exec.Insert, k: &k, x: "kept", t: 20_000_000}}, 1, false)[0]
	if err := op.Process(ctx, early, out); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 1 || op.StateBytes() == 0 {
		t.Fatalf("a row in time: %d rows out (want 1), %d bytes kept", out.Len(), op.StateBytes())
	}
	now = now.Add(2 * time.Minute)
	if err := op.OnBarrier(ctx, 1, out); err != nil {
		t.Fatal(err)
	}
	got := out.Rows()
	if len(got) != 2 || op.StateBytes() != 0 {
		t.Fatalf("after the TTL: %q, %d bytes kept", got, op.StateBytes())
	}
	// Both left rows, NULL-padded: the late one at once, the kept one as it
	// left by TTL.
	if !strings.HasPrefix(got[0], "1|kept|") || !strings.HasSuffix(got[0], "|NULL|NULL|NULL") ||
		!strings.HasPrefix(got[1], "1|late|") || !strings.HasSuffix(got[1], "|NULL|NULL|NULL") {
		t.Fatalf("after the TTL: %q, %d bytes kept", got, op.StateBytes())
	}
}
