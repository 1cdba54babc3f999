package exec_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/exec/exectest"
	"github.com/wharfdata/wharf/engine/expr"
)

// The window aggregation's input: window_start, window_end, a group key g,
// a value v and a label s; v and s may be NULL.
var waSchema = arrow.NewSchema([]arrow.Field{
	{Name: "window_start", Type: tsType},
	{Name: "window_end", Type: tsType},
	{Name: "g", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// waRow is one input row; a negative v is NULL, and so is an empty s.
type waRow struct {
	start, end, g, v int64
	s                string
}

func waBatch(mem memory.Allocator, rows []waRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, waSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r.start))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(r.end))
		b.Field(2).(*array.Int64Builder).Append(r.g)
		if r.v < 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Int64Builder).Append(r.v)
		}
		if r.s == "" {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.StringBuilder).Append(r.s)
		}
	}
	return b.NewRecordBatch()
}

// newWindowHashAgg is GROUP BY window_start, window_end, g with COUNT(*),
// SUM(v), MAX(s) and MIN(v): one window's aggregation, or with all windows
// at once, the batch result.
func newWindowHashAgg(ev *expr.EvalContext) (*exec.HashAgg, error) {
	colOf := func(i int) expr.Evaluator {
		e, err := expr.Compile(&expr.Column{Index: i, DataType: waSchema.Field(i).Type})
		if err != nil {
			panic(err)
		}
		return e
	}
	i64, str := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	out := arrow.NewSchema([]arrow.Field{
		{Name: "window_start", Type: tsType}, {Name: "window_end", Type: tsType}, {Name: "g", Type: i64},
		{Name: "n", Type: i64}, {Name: "total", Type: i64, Nullable: true}, {Name: "top", Type: str, Nullable: true}, {Name: "least", Type: i64, Nullable: true},
	}, nil)
	return exec.NewHashAgg(out, []expr.Evaluator{colOf(0), colOf(1), colOf(2)}, []arrow.DataType{tsType, tsType, i64}, []exec.AggSpec{
		{Func: "COUNT", Type: i64},
		{Func: "SUM", Arg: colOf(3), ArgType: i64, Type: i64},
		{Func: "MAX", Arg: colOf(4), ArgType: str, Type: str},
		{Func: "MIN", Arg: colOf(3), ArgType: i64, Type: i64},
	}, ev)
}

func newWindowAggOp(ev *expr.EvalContext) exec.Operator {
	return exec.NewWindowAgg(func() (*exec.HashAgg, error) { return newWindowHashAgg(ev) }, 0, 1, ev.Alloc)
}

// upsertTable applies a window aggregation's changelog by key (window
// start, window end, g), strictly: +I and +U only for a key it does not
// hold (unless the key was written before a restart, which a sink that
// upserts replaces), -U only of exactly the row it holds. It records how
// many rows arrived while their window was still open.
type upsertTable struct {
	t        *testing.T
	rows     map[string]string
	replaces map[string]bool // keys a restarted operator may insert again
	wm       int64
	early    int // +I/+U rows of windows the watermark had not closed
	updates  int // -U rows
	plain    int // batches without row kinds
}

func newUpsertTable(t *testing.T) *upsertTable {
	return &upsertTable{t: t, rows: map[string]string{}, replaces: map[string]bool{}, wm: math.MinInt64}
}

func (u *upsertTable) Emit(_ context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	kinds := exec.RowKinds(b)
	if kinds == nil {
		u.plain++
	}
	ends := b.Column(1).(*array.Timestamp)
	for i := range int(b.NumRows()) {
		key, row := exectest.RenderRow(b, 3, i), exectest.RenderRow(b, 7, i)
		kind := exec.Insert
		if kinds != nil {
			kind = exec.RowKind(kinds.Value(i))
		}
		have, ok := u.rows[key]
		switch kind {
		case exec.Insert, exec.UpdateAfter:
			if ok && !u.replaces[key] {
				return fmt.Errorf("%s %s: the key holds %s, not retracted", kind, row, have)
			}
			delete(u.replaces, key)
			u.rows[key] = row
			if int64(ends.Value(i)) > u.wm {
				u.early++
			}
		case exec.UpdateBefore:
			if have != row {
				return fmt.Errorf("-U %s: the key holds %q", row, have)
			}
			delete(u.rows, key)
			u.updates++
		default:
			return fmt.Errorf("row kind %s from a window aggregation", kind)
		}
	}
	return nil
}

// restarted lets every key held be inserted again.
func (u *upsertTable) restarted() {
	for k := range u.rows {
		u.replaces[k] = true
	}
}

// TestWindowAggEarlyFiring feeds random rows of overlapping windows with
// random barriers, watermarks and processing times, once with a restart
// (a new operator rebuilt by replaying the open windows' rows, as the
// runtime does), and checks the changelog key by key: each -U retracts the
// row held, partial results appear before windows close, and once every
// window has closed the table equals the batch aggregation.
func TestWindowAggEarlyFiring(t *testing.T) {
	for seed := range uint64(6) {
		for _, restart := range []bool{false, true} {
			t.Run(fmt.Sprintf("seed=%d/restart=%v", seed, restart), func(t *testing.T) {
				earlyFiring(t, seed, restart)
			})
		}
	}
}

func earlyFiring(t *testing.T, seed uint64, restart bool) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ev := &expr.EvalContext{Ctx: ctx, Alloc: mem}
	rng := rand.New(rand.NewPCG(seed, 7))

	// Rows in roughly increasing time, each in a 10-wide window and, half
	// of them, in an overlapping 20-wide one; a batch is a few rows.
	var batches [][]waRow
	for at := int64(0); len(batches) < 120; {
		var rows []waRow
		for range 1 + rng.IntN(6) {
			at += rng.Int64N(3)
			ts := at + rng.Int64N(8) // out of order within a few units
			r := waRow{start: ts / 10 * 10, g: rng.Int64N(4), v: rng.Int64N(50) - 5, s: []string{"", "a", "b", "c"}[rng.IntN(4)]}
			r.end = r.start + 10
			rows = append(rows, r)
			if rng.IntN(2) == 0 {
				r.start = ts / 5 * 5
				r.end = r.start + 20
				rows = append(rows, r)
			}
		}
		batches = append(batches, rows)
	}
	// minEnd[i] is the least window end of batches i and later: a
	// watermark below it makes no row late.
	minEnd := make([]int64, len(batches)+1)
	minEnd[len(batches)] = math.MaxInt64
	for i := len(batches) - 1; i >= 0; i-- {
		minEnd[i] = minEnd[i+1]
		for _, r := range batches[i] {
			minEnd[i] = min(minEnd[i], r.end)
		}
	}

	clock := time.Unix(0, 0)
	now := func() time.Time { return clock }
	const delay = 20 * time.Millisecond
	table := newUpsertTable(t)
	op := newWindowAggOp(ev)
	defer func() { op.Close() }()
	exec.FireEarlyAt(op, delay, now)
	restartAt := -1
	if restart {
		restartAt = 30 + rng.IntN(60)
	}
	var epoch uint64
	for i, rows := range batches {
		clock = clock.Add(time.Duration(rng.IntN(20)) * time.Millisecond)
		b := waBatch(mem, rows)
		err := op.Process(ctx, b, table)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		if rng.IntN(3) == 0 {
			if wm := minEnd[i+1] - 1; wm > table.wm {
				table.wm = wm
				if err := op.(exec.WatermarkHandler).OnWatermark(ctx, wm, table); err != nil {
					t.Fatal(err)
				}
			}
		}
		if rng.IntN(2) == 0 {
			epoch++
			if err := op.(exec.BarrierHandler).OnBarrier(ctx, epoch, table); err != nil {
				t.Fatal(err)
			}
		}
		if i != restartAt {
			continue
		}
		// A crash: what the operator held is lost; a new one sees the
		// watermark it had, then every row of the windows still open.
		op.Close()
		op = newWindowAggOp(ev)
		if err := op.(exec.WatermarkHandler).OnWatermark(ctx, table.wm, table); err != nil {
			t.Fatal(err)
		}
		for _, rows := range batches[:i+1] {
			open := slices.DeleteFunc(slices.Clone(rows), func(r waRow) bool { return r.end <= table.wm })
			b := waBatch(mem, open)
			err := op.Process(ctx, b, table)
			b.Release()
			if err != nil {
				t.Fatal(err)
			}
		}
		exec.FireEarlyAt(op, delay, now)
		table.restarted()
	}
	table.wm = math.MaxInt64
	if err := op.(exec.WatermarkHandler).OnWatermark(ctx, math.MaxInt64, table); err != nil {
		t.Fatal(err)
	}
	if open, late := op.(exec.StateReporter).State(); open != 0 || late != 0 {
		t.Fatalf("%d windows open and %d late rows after the last watermark", open, late)
	}

	batch, err := newWindowHashAgg(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := exectest.NewMultiset()
	for _, rows := range batches {
		b := waBatch(mem, rows)
		err := batch.Process(ctx, b, nil)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Finish(ctx, want); err != nil {
		t.Fatal(err)
	}
	batch.Close()
	got := exectest.MultisetOf(slices.Collect(maps.Values(table.rows)))
	if d := got.Diff(want); d != "" {
		t.Fatalf("the changelog applied differs from the batch result:\n%s", d)
	}
	if table.early == 0 || table.updates == 0 {
		t.Fatalf("%d rows of open windows and %d updates: early firing did not fire", table.early, table.updates)
	}
	t.Logf("%d rows, %d early, %d updates", want.Len(), table.early, table.updates)
}

// changeLog renders each row emitted with its kind; a batch without row kinds
// is "+I" and marked "(plain)".
type changeLog struct{ lines []string }

func (l *changeLog) Emit(_ context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	kinds := exec.RowKinds(b)
	for i := range int(b.NumRows()) {
		kind := "+I (plain)"
		if kinds != nil {
			kind = exec.RowKind(kinds.Value(i)).String()
		}
		l.lines = append(l.lines, kind+" "+exectest.RenderRow(b, 7, i))
	}
	return nil
}

// TestWindowAggEarlyFiringSteps follows one window's results step by step,
// with early firing on and off.
func TestWindowAggEarlyFiringSteps(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ev := &expr.EvalContext{Ctx: ctx, Alloc: mem}
	const w0 = "1970-01-01T00:00:00|1970-01-01T00:00:00.00001"
	const w1 = "1970-01-01T00:00:00.00001|1970-01-01T00:00:00.00002"
	const w2 = "1970-01-01T00:00:00.00002|1970-01-01T00:00:00.00003"
	// Each step: the processing time (ms), rows to process, then a
	// watermark (0: none) and a barrier.
	steps := []struct {
		at      int
		rows    []waRow
		wm      int64
		barrier bool
	}{
		{at: 0, rows: []waRow{{0, 10, 1, 5, "a"}}, barrier: true},                      // delay not over
		{at: 20, barrier: true},                                                        // first firing
		{at: 25, rows: []waRow{{0, 10, 1, 7, "b"}, {0, 10, 2, -1, ""}}, barrier: true}, // 5 ms after it
		{at: 40, barrier: true},                                                        // g1 updated, g2 new
		{at: 60, barrier: true},                                                        // nothing changed
		{at: 61, rows: []waRow{{0, 10, 2, 3, ""}, {10, 20, 1, 1, "x"}}, wm: 10},        // w0 closes: only g2 changed
		{at: 62, wm: 20},                                                               // w1 closes, never fired
		{at: 100, rows: []waRow{{20, 30, 4, 4, "d"}}},
		{at: 130, barrier: true},
		{at: 131, wm: 30}, // w2 closes unchanged
	}
	cases := []struct {
		name  string
		early bool
		want  []string
	}{
		{"early firing", true, []string{
			"+I (plain) " + w0 + "|1|1|5|a|5",
			"-U " + w0 + "|1|1|5|a|5", "+U " + w0 + "|1|2|12|b|5", "+I " + w0 + "|2|1|NULL|NULL|NULL",
			"-U " + w0 + "|2|1|NULL|NULL|NULL", "+U " + w0 + "|2|2|3|NULL|3",
			"+I (plain) " + w1 + "|1|1|1|x|1",
			"+I (plain) " + w2 + "|4|1|4|d|4",
		}},
		{"off", false, []string{
			"+I (plain) " + w0 + "|1|2|12|b|5", "+I (plain) " + w0 + "|2|2|3|NULL|3",
			"+I (plain) " + w1 + "|1|1|1|x|1",
			"+I (plain) " + w2 + "|4|1|4|d|4",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var clock time.Time
			op := newWindowAggOp(ev)
			defer op.Close()
			if c.early {
				exec.FireEarlyAt(op, 20*time.Millisecond, func() time.Time { return clock })
			}
			var log changeLog
			for i, s := range steps {
				clock = time.UnixMilli(int64(s.at))
				if len(s.rows) > 0 {
					b := waBatch(mem, s.rows)
					err := op.Process(ctx, b, &log)
					b.Release()
					if err != nil {
						t.Fatal(err)
					}
				}
				if s.wm != 0 {
					if err := op.(exec.WatermarkHandler).OnWatermark(ctx, s.wm, &log); err != nil {
						t.Fatal(err)
					}
				}
				if s.barrier {
					if err := op.(exec.BarrierHandler).OnBarrier(ctx, uint64(i), &log); err != nil {
						t.Fatal(err)
					}
				}
			}
			if !slices.Equal(log.lines, c.want) {
				t.Fatalf("got\n  %s\nwant\n  %s", joinLines(log.lines), joinLines(c.want))
			}
		})
	}
}

func joinLines(l []string) string { return fmt.Sprint(len(l)) + " rows\n  " + fmt.Sprintf("%q", l) }
