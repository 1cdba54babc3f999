package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// Materialized applies a changelog to a multiset of rows (rendered as
// text, without the row kind), failing on a retraction of a row that is
// not there: a wrong retraction must fail the test.
type Materialized struct {
	t    testing.TB
	rows map[string]int
}

func newMaterialized(t testing.TB) *Materialized { return &Materialized{t: t, rows: map[string]int{}} }

func (m *Materialized) Emit(_ context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	kinds := RowKinds(b)
	n := int(b.NumCols())
	if kinds != nil {
		n--
	}
	for i := range int(b.NumRows()) {
		row := renderRow(b, n, i)
		if kinds != nil && RowKind(kinds.Value(i)).Retracts() {
			if m.rows[row] == 0 {
				m.t.Fatalf("%s retracts %q, which is not there", RowKind(kinds.Value(i)), row)
			}
			if m.rows[row]--; m.rows[row] == 0 {
				delete(m.rows, row)
			}
			continue
		}
		m.rows[row]++
	}
	return nil
}

func renderRow(b arrow.RecordBatch, cols, i int) string {
	cells := make([]string, cols)
	for c := range cols {
		if col := b.Column(c); col.IsNull(i) {
			cells[c] = "NULL"
		} else {
			cells[c] = col.ValueStr(i)
		}
	}
	return strings.Join(cells, "|")
}

// sameMultiset fails unless got and want hold the same rows.
func sameMultiset(t testing.TB, got, want map[string]int) {
	t.Helper()
	if d := diffMultiset(got, want); d != "" {
		t.Fatal(d)
	}
}

// diffMultiset describes how got and want differ, "" when they do not.
func diffMultiset(got, want map[string]int) string {
	var diff []string
	for r, n := range want {
		if got[r] != n {
			diff = append(diff, fmt.Sprintf("%q: got %d, want %d", r, got[r], n))
		}
	}
	for r, n := range got {
		if _, ok := want[r]; !ok {
			diff = append(diff, fmt.Sprintf("%q: got %d, want 0", r, n))
		}
	}
	if len(diff) == 0 {
		return ""
	}
	slices.Sort(diff)
	return fmt.Sprintf("%d rows differ (of %d wanted), e.g.:\n%s", len(diff), len(want), strings.Join(diff[:min(len(diff), 10)], "\n"))
}

// testRow is a row of the random input: k and s are keys, v, d, f values,
// flag a FILTER.
type testRow struct {
	k    *int64
	s    *string
	v    *int64
	d    int64 // cents
	f    float64
	flag *bool
	ts   int64
}

var clSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "d", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_ms},
}, nil)

func randRow(r *rand.Rand) testRow {
	opt := func(v int64, nullOneIn int) *int64 {
		if r.IntN(nullOneIn) == 0 {
			return nil
		}
		return &v
	}
	row := testRow{k: opt(r.Int64N(6), 10), v: opt(r.Int64N(40)-10, 8), d: r.Int64N(100000) - 20000, f: float64(r.IntN(50)) / 4, ts: r.Int64N(30)}
	if r.IntN(12) > 0 {
		s := fmt.Sprintf("s%d", r.IntN(5))
		row.s = &s
	}
	if r.IntN(10) > 0 {
		fl := r.IntN(2) == 0
		row.flag = &fl
	}
	return row
}

// batchOf builds a batch of rows; with kinds, a changelog.
func batchOf(rows []testRow, kinds []RowKind) arrow.RecordBatch {
	schema := clSchema
	if kinds != nil {
		schema = arrow.NewSchema(append(clSchema.Fields(), RowKindField), nil)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i, row := range rows {
		appendOpt(b.Field(0).(*array.Int64Builder), row.k)
		if row.s == nil {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(*row.s)
		}
		appendOpt(b.Field(2).(*array.Int64Builder), row.v)
		b.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(row.d))
		b.Field(4).(*array.Float64Builder).Append(row.f)
		if row.flag == nil {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.BooleanBuilder).Append(*row.flag)
		}
		b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(row.ts))
		if kinds != nil {
			b.Field(7).(*array.Int8Builder).Append(int8(kinds[i]))
		}
	}
	return b.NewRecordBatch()
}

func appendOpt(b *array.Int64Builder, v *int64) {
	if v == nil {
		b.AppendNull()
	} else {
		b.Append(*v)
	}
}

func clCol(i int) expr.Evaluator {
	f := clSchema.Field(i)
	e, err := expr.Compile(&expr.Column{Index: i, Name: f.Name, DataType: f.Type})
	if err != nil {
		panic(err)
	}
	return e
}

// testAggs are the aggregates the random tests compute.
func testAggs() ([]AggSpec, []arrow.Field) {
	i64, str := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	spec := func(fn string, arg int, distinct bool, filter bool, out arrow.DataType) AggSpec {
		s := AggSpec{Func: fn, Distinct: distinct, Type: out}
		if arg >= 0 {
			s.Arg, s.ArgType = clCol(arg), clSchema.Field(arg).Type
		}
		if filter {
			s.Filter = clCol(5)
		}
		return s
	}
	specs := []AggSpec{
		spec("COUNT", -1, false, false, i64),
		spec("COUNT", 2, false, false, i64),
		spec("SUM", 2, false, false, i64),
		spec("AVG", 2, false, false, i64),
		spec("MIN", 2, false, false, i64),
		spec("MAX", 2, false, false, i64),
		spec("MIN", 1, false, false, str),
		spec("MAX", 1, false, true, str),
		spec("SUM", 3, false, false, &arrow.Decimal128Type{Precision: 38, Scale: 2}),
		spec("AVG", 3, false, true, &arrow.Decimal128Type{Precision: 38, Scale: 6}),
		spec("MAX", 4, false, false, arrow.PrimitiveTypes.Float64),
		spec("MIN", 6, false, false, clSchema.Field(6).Type),
		spec("COUNT", 2, true, false, i64),
		spec("SUM", 2, true, true, i64),
		spec("COUNT", 1, true, true, i64),
		spec("COUNT", -1, false, true, i64),
	}
	fields := make([]arrow.Field, len(specs))
	for i, s := range specs {
		fields[i] = arrow.Field{Name: fmt.Sprintf("a%d", i), Type: s.Type, Nullable: true}
	}
	return specs, fields
}

// step is one step of a random run: a batch of rows, or a barrier.
type step struct {
	rows    []testRow
	kinds   []RowKind
	barrier bool
}

// randomChangelog returns steps that insert rows and, with retract, update
// and delete live ones; and the rows live at the end.
func randomChangelog(r *rand.Rand, events int, retract bool) (steps []step, live []testRow) {
	cur := step{}
	for range events {
		switch x := r.IntN(10); {
		case retract && x < 2 && len(live) > 1:
			j := r.IntN(len(live))
			cur.rows, cur.kinds = append(cur.rows, live[j]), append(cur.kinds, Delete)
			live = slices.Delete(live, j, j+1)
		case retract && x < 4 && len(live) > 1:
			j := r.IntN(len(live))
			now := randRow(r)
			cur.rows, cur.kinds = append(cur.rows, live[j], now), append(cur.kinds, UpdateBefore, UpdateAfter)
			live[j] = now
		default:
			row := randRow(r)
			cur.rows, cur.kinds = append(cur.rows, row), append(cur.kinds, Insert)
			live = append(live, row)
		}
		if r.IntN(7) == 0 {
			steps, cur = append(steps, cur), step{}
		}
		if r.IntN(40) == 0 {
			steps = append(steps, step{barrier: true})
		}
	}
	steps = append(steps, cur)
	if !retract {
		for i := range steps {
			steps[i].kinds = nil
		}
	}
	return steps, live
}

// randomBarrier picks the step of one of steps' barriers, or -1 (none), at
// random: where runStream restarts from a snapshot.
func randomBarrier(r *rand.Rand, steps []step) int {
	barriers := []int{-1}
	for i, s := range steps {
		if s.barrier {
			barriers = append(barriers, i)
		}
	}
	return barriers[r.IntN(len(barriers))]
}

// runStream drives steps through a fresh chain from newOps into m,
// snapshotting the graph at every barrier: a full snapshot every third
// one, a delta otherwise. At step snapAt (a barrier; -1: never) it
// continues in a new chain restored from the last full snapshot and the
// deltas after it, which must hold the state the old chain held.
func runStream(t *testing.T, newOps func() []Operator, steps []step, snapAt int, m Emitter) {
	t.Helper()
	ctx := context.Background()
	ops := newOps()
	p := NewGraph(&Query{Operators: ops}, m)
	var chain [][]byte
	for i, s := range steps {
		if !s.barrier {
			if len(s.rows) > 0 {
				if err := p.Push(ctx, 0, batchOf(s.rows, s.kinds)); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		if err := p.Barrier(ctx, uint64(i)); err != nil {
			t.Fatal(err)
		}
		endEpoch(m)
		snapshot, full := p.SnapshotDelta, len(chain) == 0 || len(chain)%3 == 0
		if full {
			snapshot, chain = p.Snapshot, nil
		}
		b, err := snapshot([]byte("prefix"))
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, b[len("prefix"):])
		if i != snapAt {
			continue
		}
		want, err := p.Snapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
		ops = newOps()
		p = NewGraph(&Query{Operators: ops}, m)
		if err := p.Restore(chain[0], chain[1:]...); err != nil {
			t.Fatal(err)
		}
		if again, _ := p.Snapshot(nil); string(again) != string(want) {
			t.Fatalf("state restored from a snapshot and %d deltas snapshots differently", len(chain)-1)
		}
	}
	if err := p.Barrier(ctx, uint64(len(steps))); err != nil { // the last epoch's changes
		t.Fatal(err)
	}
	endEpoch(m)
	p.Close()
}

// endEpoch tells a sink that records epochs (epochLog) that a barrier
// passed.
func endEpoch(m Emitter) {
	if e, ok := m.(interface{ endEpoch() }); ok {
		e.endEpoch()
	}
}

// runBatch runs ops over rows as one bounded input.
func runBatch(t *testing.T, ops []Operator, rows []testRow) map[string]int {
	t.Helper()
	m := newMaterialized(t)
	p := NewPipeline(ops, m)
	defer p.Close()
	if len(rows) > 0 {
		if err := p.Push(context.Background(), batchOf(rows, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m.rows
}

func TestGroupAggEqualsBatch(t *testing.T) {
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	specs, aggFields := testAggs()
	for _, keys := range [][]int{{0}, {0, 1}, {}} {
		for _, retract := range []bool{false, true} {
			for seed := range uint64(6) {
				t.Run(fmt.Sprintf("keys=%v/retract=%v/seed=%d", keys, retract, seed), func(t *testing.T) {
					r := rand.New(rand.NewPCG(seed, 7))
					var kevs []expr.Evaluator
					var ktypes []arrow.DataType
					var fields []arrow.Field
					for _, k := range keys {
						kevs, ktypes, fields = append(kevs, clCol(k)), append(ktypes, clSchema.Field(k).Type), append(fields, clSchema.Field(k))
					}
					schema := arrow.NewSchema(append(fields, aggFields...), nil)
					newOps := func() []Operator {
						g, err := NewGroupAgg(schema, kevs, ktypes, specs, retract, ev)
						if err != nil {
							t.Fatal(err)
						}
						return []Operator{g}
					}
					steps, live := randomChangelog(r, 600+r.IntN(600), retract)
					got := newMaterialized(t)
					runStream(t, newOps, steps, randomBarrier(r, steps), got)
					h, err := NewHashAgg(schema, kevs, ktypes, specs, ev)
					if err != nil {
						t.Fatal(err)
					}
					want := runBatch(t, []Operator{h}, live)
					if len(want) == 0 {
						t.Fatal("no rows to compare")
					}
					sameMultiset(t, got.rows, want)
				})
			}
		}
	}
}

func TestGroupAggRefuses(t *testing.T) {
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	for _, fn := range []string{"LISTAGG", "STDDEV_POP", "FIRST_VALUE", "APPROX_COUNT_DISTINCT"} {
		spec := AggSpec{Func: fn, Arg: clCol(1), ArgType: arrow.BinaryTypes.String, Type: arrow.BinaryTypes.String}
		_, err := NewGroupAgg(arrow.NewSchema([]arrow.Field{{Name: "x", Type: spec.Type}}, nil), nil, nil, []AggSpec{spec}, false, ev)
		if err == nil || !strings.Contains(err.Error(), "cannot compute "+fn) {
			t.Errorf("%s: %v", fn, err)
		}
	}
}

// TestGroupAggChanges checks the changelog itself: one net change per
// group per epoch, and nothing for a group that came back to its result.
func TestGroupAggChanges(t *testing.T) {
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	specs, aggFields := testAggs()
	schema := arrow.NewSchema(append([]arrow.Field{clSchema.Field(0)}, aggFields[:2]...), nil)
	g, err := NewGroupAgg(schema, []expr.Evaluator{clCol(0)}, []arrow.DataType{clSchema.Field(0).Type}, specs[:2], true, ev)
	if err != nil {
		t.Fatal(err)
	}
	one, two := int64(1), int64(2)
	a, b := testRow{k: &one, v: &one}, testRow{k: &two, v: &two}
	var log []string
	sink := emitFunc(func(rec arrow.RecordBatch) {
		kinds := RowKinds(rec)
		for i := range int(rec.NumRows()) {
			log = append(log, RowKind(kinds.Value(i)).String()+renderRow(rec, 3, i))
		}
		rec.Release()
	})
	ctx := context.Background()
	epoch := func(rows []testRow, kinds []RowKind) string {
		log = nil
		if err := g.Process(ctx, batchOf(rows, kinds), nil); err != nil {
			t.Fatal(err)
		}
		if err := g.OnBarrier(ctx, 0, sink); err != nil {
			t.Fatal(err)
		}
		return strings.Join(log, " ")
	}
	for _, c := range []struct {
		rows  []testRow
		kinds []RowKind
		want  string
	}{
		{[]testRow{a, a, b}, []RowKind{Insert, Insert, Insert}, "+I1|2|2 +I2|1|1"},
		{[]testRow{a, a}, []RowKind{Delete, Insert}, ""},
		{[]testRow{a, b}, []RowKind{Delete, Delete}, "-U1|2|2 -D2|1|1 +U1|1|1"},
		{[]testRow{b}, []RowKind{Insert}, "+I2|1|1"},
	} {
		if got := epoch(c.rows, c.kinds); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	if err := g.Process(ctx, batchOf([]testRow{b, b}, []RowKind{Delete, Delete}), nil); err == nil || !strings.Contains(err.Error(), "never received") {
		t.Errorf("a wrong retraction: %v", err)
	}
}

type emitFunc func(arrow.RecordBatch)

func (f emitFunc) Emit(_ context.Context, b arrow.RecordBatch) error { f(b); return nil }
