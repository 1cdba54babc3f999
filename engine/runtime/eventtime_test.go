package runtime

import (
	"maps"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/plan"
)

// batchOf makes a one-column batch of event times (micros); -1 is NULL.
func batchOf(ts ...int64) arrow.RecordBatch {
	b := array.NewTimestampBuilder(memory.DefaultAllocator, &arrow.TimestampType{Unit: arrow.Microsecond})
	for _, t := range ts {
		if t < 0 {
			b.AppendNull()
		} else {
			b.Append(arrow.Timestamp(t))
		}
	}
	col := b.NewArray()
	return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "t", Type: col.DataType(), Nullable: true}}, nil), []arrow.Array{col}, int64(col.Len()))
}

func TestEventTime(t *testing.T) {
	e := newEventTime(&plan.Watermark{Column: 0, Delay: 100}, 1000)
	if e.advance() != e.watermark || millis(e.watermark) != nil || len(e.replayState()) != 0 {
		t.Fatalf("before any row: wm %d, millis %v, state %v", e.watermark, millis(e.watermark), e.replayState())
	}
	e.observe(0, 0, batchOf(500, 900, -1)) // split 0 positions [0,3)
	e.observe(1, 0, batchOf(2000))         // split 1
	e.observe(0, 3, batchOf(1500, 1400))   // split 0 [3,5)
	e.observe(0, 5, batchOf(-1, -1))       // only NULL times: nothing to track
	if wm := e.advance(); wm != 1400 {     // min(1500, 2000) - 100
		t.Fatalf("watermark %d, want 1400", wm)
	}
	// Split 0's first batch (max 900) may still feed a window ending after
	// 1400 (900 + 1000 > 1400): replay starts at its position.
	if got := e.replayState(); !maps.Equal(got, map[int32]int64{0: 0, 1: 0}) {
		t.Fatalf("state %v", got)
	}
	e.observe(0, 7, batchOf(3000))
	e.observe(1, 1, batchOf(3100))
	if wm := e.advance(); wm != 2900 {
		t.Fatalf("watermark %d, want 2900", wm)
	}
	// 900+1000 and 1500+1000 are past: split 0 replays from 7; split 1's
	// 2000+1000 > 2900 keeps its first batch.
	if got := e.replayState(); !maps.Equal(got, map[int32]int64{0: 7, 1: 0}) {
		t.Fatalf("state %v", got)
	}
	if ms := millis(e.watermark); ms == nil || *ms != 2 {
		t.Fatalf("millis %v", ms)
	}
	// The watermark never goes back, also when a split lags.
	e.observe(2, 0, batchOf(10))
	if wm := e.advance(); wm != 2900 {
		t.Fatalf("watermark went back to %d", wm)
	}
	// The state reads back; split 2's rows are late (10+1000 <= 2900), so
	// nothing of it needs replay.
	st, err := decodeState(jobState{Replay: map[string]map[int32]int64{"gen:bid": e.replayState()}}.encode())
	if r := st.Replay["gen:bid"]; err != nil || r[0] != 7 || r[1] != 0 || len(r) != 2 {
		t.Fatalf("decodeState: %v %v", st, err)
	}
	if _, err := decodeState(`{"replay":{"gen:bid":{"x":1}}}`); err == nil {
		t.Fatal("a bad split parsed")
	}
	// A restored watermark is in milliseconds.
	f := newEventTime(&plan.Watermark{}, 0)
	ms := int64(5)
	f.restore(&ms)
	if f.watermark != 5000 || f.replayState() != nil {
		t.Fatalf("restore: %d %v", f.watermark, f.replayState())
	}
}

func TestEventTimeIdle(t *testing.T) {
	now := time.Unix(1000, 0)
	e := newEventTime(&plan.Watermark{Column: 0, IdleTimeout: 10 * time.Second}, 0)
	e.now = func() time.Time { return now }
	e.observe(0, 0, batchOf(100))
	e.observe(1, 0, batchOf(5000))
	if wm := e.advance(); wm != 100 {
		t.Fatalf("watermark %d, want 100", wm)
	}
	now = now.Add(11 * time.Second)
	e.observe(1, 1, batchOf(6000)) // split 0 has been quiet for 11 s
	if wm := e.advance(); wm != 6000 {
		t.Fatalf("watermark %d, want 6000 with split 0 idle", wm)
	}
	now = now.Add(11 * time.Second) // every split idle: the smallest counts
	if wm := e.advance(); wm != 6000 {
		t.Fatalf("watermark %d, want 6000 (never back)", wm)
	}
}

// A split that has delivered nothing since the start holds the watermark
// back, until the idle timeout when one is declared.
func TestEventTimeWaitsForEverySplit(t *testing.T) {
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, idle := range []time.Duration{0, time.Second} {
		e := newEventTime(&plan.Watermark{Column: 0, IdleTimeout: idle}, 0)
		e.now = func() time.Time { return now }
		e.expect([]int32{0, 1})
		e.observe(0, 0, batchOf(5000))
		if wm := e.advance(); wm != math.MinInt64 {
			t.Fatalf("idle %s: watermark %d before split 1 delivered", idle, wm)
		}
		now = now.Add(2 * time.Second)
		want := int64(math.MinInt64)
		if idle > 0 {
			want = 5000
		}
		if wm := e.advance(); wm != want {
			t.Fatalf("idle %s: watermark %d after 2 s, want %d", idle, wm, want)
		}
		// Once both delivered: the least of them, or, with the timeout,
		// split 1's alone, split 0 having been idle for 2 s.
		e.observe(1, 0, batchOf(7000))
		if want = 5000; idle > 0 {
			want = 7000
		}
		if wm := e.advance(); wm != want {
			t.Fatalf("idle %s: watermark %d once both delivered, want %d", idle, wm, want)
		}
	}
}
