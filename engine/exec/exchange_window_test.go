package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

// winSchema is the window tests' input: a key, a string, a value and a
// time in microseconds.
var winSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us},
}, nil)

// winRow is a row of winSchema; k, s or v < 0 stands for NULL.
type winRow struct{ k, s, v, ts int64 }

func winBatch(rows []winRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, winSchema)
	defer b.Release()
	for _, r := range rows {
		for c, x := range []int64{r.k, r.s, r.v} {
			switch {
			case x < 0:
				b.Field(c).AppendNull()
			case c == 1:
				b.Field(c).(*array.StringBuilder).Append(fmt.Sprintf("s%d", x))
			default:
				b.Field(c).(*array.Int64Builder).Append(x)
			}
		}
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.ts))
	}
	return b.NewRecordBatch()
}

// runStep is one step of a random run of rows R: a batch of rows, a
// watermark (wm > 0) or a barrier (a snapshot).
type runStep[R any] struct {
	rows    []R
	wm      int64
	barrier bool
}

type winStep = runStep[winRow]

// randomWindowSteps makes rows of 7 keys (and NULL) over about a minute,
// their times mostly rising with some out of order, a watermark that
// trails the times seen by up to 4 s (so that some rows come late), and
// barriers.
func randomWindowSteps(r *rand.Rand, events int) []winStep {
	var steps []winStep
	var cur []winRow
	var top int64
	for i := range events {
		t := int64(i)*60_000 + r.Int64N(5_000_000) // about 60 s in all
		top = max(top, t)
		opt := func(n int64) int64 {
			if r.IntN(9) == 0 {
				return -1
			}
			return r.Int64N(n)
		}
		cur = append(cur, winRow{k: opt(7), s: opt(5), v: opt(100), ts: t})
		if r.IntN(6) == 0 {
			steps, cur = append(steps, winStep{rows: cur}), nil
		}
		if r.IntN(25) == 0 {
			steps = append(steps, winStep{wm: top - r.Int64N(4_000_000)})
		}
		if r.IntN(30) == 0 {
			steps = append(steps, winStep{barrier: true})
		}
	}
	return append(steps, winStep{rows: cur}, winStep{wm: top + 60_000_000}, winStep{barrier: true})
}

// windowAggPlan is SELECT k, window_start, window_end, COUNT(*), SUM(v),
// MAX(s) FROM kind(TABLE ev, DESCRIPTOR(ts), …) GROUP BY k, window_start,
// window_end; without key, GROUP BY the window alone.
func windowAggPlan(kind string, key bool) plan.Node {
	var cols []connector.Column
	for _, f := range winSchema.Fields() {
		cols = append(cols, connector.Column{Name: f.Name, Type: f.Type, Nullable: f.Nullable})
	}
	src := plan.NewSourceScan([]string{"db", "ev"}, "", &plan.SourceTable{Spec: &connector.TableSpec{Name: "db.ev", Columns: cols}})
	const s = 1_000_000
	var tvf *plan.WindowTVF
	switch kind {
	case "TUMBLE":
		tvf = plan.NewWindowTVF(src, kind, 3, 5*s, 5*s, 0)
	case "HOP":
		tvf = plan.NewWindowTVF(src, kind, 3, 10*s, 3*s, 0)
	case "CUMULATE":
		tvf = plan.NewWindowTVF(src, kind, 3, 12*s, 4*s, 0)
	case "SESSION":
		tvf = plan.NewWindowTVF(src, kind, 3, 2*s, 0, 0)
		tvf.Partition = []int{0}
	}
	col := func(i int) expr.Expr {
		f := tvf.Schema().Field(i)
		return &expr.Column{Index: i, Name: f.Name, DataType: f.Type}
	}
	group := []expr.Expr{col(4), col(5)} // window_start, window_end
	if key {
		group = append([]expr.Expr{col(0)}, group...)
	}
	return plan.NewAggregate(tvf, group, []plan.AggCall{
		{Func: "COUNT", Type: arrow.PrimitiveTypes.Int64, NotNull: true},
		{Func: "SUM", Arg: col(2), Type: arrow.PrimitiveTypes.Int64},
		{Func: "MAX", Arg: col(1), Type: arrow.BinaryTypes.String},
	})
}

// windowRun is what a run of a window aggregation gave, step by step.
type windowRun struct {
	out   epochLog         // per watermark and barrier: what was emitted
	late  []map[string]int // per step: the late rows routed
	state [][2]int64       // per watermark and barrier: open windows, late rows
}

// runWindows drives steps through the plan built on workers, with early
// firing on a clock that moves a second per barrier (every 0: off) and
// late rows routed, snapshotting the graph at every barrier. At step
// restartAt (a barrier; -1: never) it carries on in a new graph restored
// from the last full snapshot and the deltas after it (SESSION windows
// only: other windows are rebuilt by replay, which the runtime does).
func runWindows(t *testing.T, node plan.Node, workers int, every time.Duration, steps []winStep, restartAt int) *windowRun {
	t.Helper()
	ctx := context.Background()
	run := &windowRun{}
	clock := time.Unix(0, 0)
	now := func() time.Time { return clock }
	var late map[string]int
	routeLate := func(b arrow.RecordBatch) {
		for i := range int(b.NumRows()) {
			late[renderRow(b, int(b.NumCols()), i)]++
		}
		b.Release()
	}
	start := func() *Graph {
		q, err := BuildStreamWith(ctx, node, testEv, StreamOptions{Parallelism: workers})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range q.Operators {
			setWindowClock(op, now)
		}
		g := NewGraph(q, &run.out)
		g.FireEarly(every)
		g.RouteLate(routeLate)
		return g
	}
	g := start()
	defer func() { g.Close() }()
	var chain [][]byte // the last full snapshot and the deltas after it
	mark := func() {
		run.out.endEpoch()
		open, n := g.State()
		run.state = append(run.state, [2]int64{int64(open), n})
	}
	for i, s := range steps {
		late = map[string]int{}
		switch {
		case s.rows != nil:
			if err := g.Push(ctx, 0, winBatch(s.rows)); err != nil {
				t.Fatal(err)
			}
		case s.wm > 0:
			if err := g.Watermark(ctx, s.wm); err != nil {
				t.Fatal(err)
			}
			mark()
		default:
			clock = clock.Add(time.Second)
			if err := g.Barrier(ctx, uint64(i)); err != nil {
				t.Fatal(err)
			}
			mark()
			// A full snapshot every third barrier, a delta otherwise.
			snapshot := g.SnapshotDelta
			if len(chain)%3 == 0 {
				snapshot, chain = g.Snapshot, nil
			}
			state, err := snapshot(nil)
			if err != nil {
				t.Fatal(err)
			}
			if chain = append(chain, state); i != restartAt {
				break
			}
			g.Close()
			g = start()
			if err := g.Restore(chain[0], chain[1:]...); err != nil {
				t.Fatal(err)
			}
		}
		run.late = append(run.late, late)
	}
	return run
}

// setWindowClock sets the processing-time clock of the window aggregation
// op is or runs.
func setWindowClock(op Operator, now func() time.Time) {
	switch op := op.(type) {
	case *windowAgg:
		op.now = now
	case *exchange:
		for _, w := range op.global {
			setWindowClock(w.op, now)
		}
	}
}

// TestExchangeWindowAggEqualsSingle runs random input through TUMBLE,
// HOP, CUMULATE and SESSION window aggregations on one instance and on 2
// and 3 workers, with early firing on and off and late rows routed: every
// watermark and barrier must emit the same rows, route the same late
// rows and count the same late rows. The SESSION
// windows' graph restarts from its snapshots at a random barrier.
func TestExchangeWindowAggEqualsSingle(t *testing.T) {
	for _, kind := range []string{"TUMBLE", "HOP", "CUMULATE", "SESSION"} {
		for _, every := range []time.Duration{0, time.Second} {
			for seed := range uint64(2) {
				workers := 2 + int(seed)
				t.Run(fmt.Sprintf("%s/early=%v/seed=%d/workers=%d", kind, every, seed, workers), func(t *testing.T) {
					r := rand.New(rand.NewPCG(seed, 23))
					steps := randomWindowSteps(r, 1000)
					restartAt := -1
					if kind == "SESSION" {
						var barriers []int
						for i, s := range steps {
							if s.barrier {
								barriers = append(barriers, i)
							}
						}
						restartAt = barriers[r.IntN(len(barriers))]
					}
					node := windowAggPlan(kind, true)
					want := runWindows(t, node, 1, every, steps, -1)
					got := runWindows(t, node, workers, every, steps, restartAt)
					sameEpochs(t, &got.out, &want.out)
					if updates := countKind(&want.out, "-U"); (every > 0 && kind != "SESSION") != (updates > 0) {
						t.Fatalf("early firing %v: %d updates", every, updates)
					}
					routed := 0
					for i := range steps {
						routed += len(want.late[i])
						if d := diffMultiset(got.late[i], want.late[i]); d != "" {
							t.Fatalf("step %d: late rows: %s", i, d)
						}
					}
					if kind != "SESSION" && routed == 0 {
						t.Fatal("no late rows to compare")
					}
					// A window open for keys on several workers counts once.
					for i, w := range want.state {
						if g := got.state[i]; g != w {
							t.Fatalf("mark %d: open windows and late rows %v, want %v", i, g, w)
						}
					}
				})
			}
		}
	}
}

// TestBuildWindowAggWorkers checks what runs a window aggregation on
// several workers: an exchange keyed by the GROUP BY key (a SESSION TVF
// too, by its PARTITION BY), one instance without a key besides the
// window; and that the graph sees the windows through the exchange as
// rebuilt by replay, except after a SESSION TVF, which snapshots.
func TestBuildWindowAggWorkers(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		kind     string
		key      bool
		workers  int
		want     string
		windowed bool
	}{
		{"TUMBLE", true, 1, "windowAgg", true},
		{"TUMBLE", true, 2, "Exchange[windowAgg]", true},
		{"HOP", true, 3, "Exchange[windowAgg]", true},
		{"CUMULATE", false, 2, "windowAgg", true},
		{"SESSION", true, 2, "Exchange[sessionTVF] Exchange[windowAgg]", false},
		{"SESSION", false, 2, "Exchange[sessionTVF] windowAgg", false},
		{"SESSION", true, 1, "sessionTVF windowAgg", false},
	} {
		q, err := BuildStreamWith(ctx, windowAggPlan(c.kind, c.key), testEv, StreamOptions{Parallelism: c.workers})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, op := range q.Operators {
			if n := opName(op); n != "windowTVF" {
				names = append(names, n)
			}
		}
		g := NewGraph(q, nil)
		if got := fmt.Sprint(names); got != "["+c.want+"]" || g.Windowed(0) != c.windowed {
			t.Errorf("%s key=%v on %d: %s, windowed %v; want [%s], %v", c.kind, c.key, c.workers, got, g.Windowed(0), c.want, c.windowed)
		}
		g.Close()
	}
}

// countKind counts the rows of kind in l.
func countKind(l *epochLog, kind string) int {
	n := 0
	for _, e := range l.epochs {
		for row, c := range e {
			if strings.HasPrefix(row, kind) {
				n += c
			}
		}
	}
	return n
}
