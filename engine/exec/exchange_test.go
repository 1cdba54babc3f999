package exec

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

// epochLog records a changelog epoch by epoch: per epoch the multiset of
// its rows, each with its row kind.
type epochLog struct {
	epochs []map[string]int
	cur    map[string]int
}

func (l *epochLog) Emit(_ context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	if l.cur == nil {
		l.cur = map[string]int{}
	}
	kinds := RowKinds(b)
	n := int(b.NumCols())
	if kinds != nil {
		n--
	}
	for i := range int(b.NumRows()) {
		kind := Insert
		if kinds != nil {
			kind = RowKind(kinds.Value(i))
		}
		l.cur[kind.String()+renderRow(b, n, i)]++
	}
	return nil
}

func (l *epochLog) endEpoch() {
	l.epochs, l.cur = append(l.epochs, l.cur), nil
}

// sameEpochs fails unless got and want emitted the same changelog at every
// barrier.
func sameEpochs(t *testing.T, got, want *epochLog) {
	t.Helper()
	if len(got.epochs) != len(want.epochs) {
		t.Fatalf("%d epochs, want %d", len(got.epochs), len(want.epochs))
	}
	rows := 0
	for e := range want.epochs {
		rows += len(want.epochs[e])
		if d := diffMultiset(got.epochs[e], want.epochs[e]); d != "" {
			t.Fatalf("epoch %d: %s", e, d)
		}
	}
	if rows == 0 {
		t.Fatal("no rows to compare")
	}
}

// hotKeys gives about 90% of the rows of steps key 0 and spreads the rest
// over 1,000 keys, by each row's d, so that a retraction keeps the key of
// the row it retracts.
func hotKeys(steps []step) {
	for i := range steps {
		for j := range steps[i].rows {
			row := &steps[i].rows[j]
			k := int64(0)
			if d := row.d % 10; d == 0 || d == 5 {
				k = 1 + (row.d/10%1000+1000)%1000
			}
			row.k = &k
		}
	}
}

var testEv = &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}

// groupAggCase is a continuous GROUP BY of the random input by keys.
type groupAggCase struct {
	keys    []int
	specs   []AggSpec
	schema  *arrow.Schema
	retract bool
}

func newGroupAggCase(keys []int, retract, twoPhase bool) groupAggCase {
	specs, aggFields := testAggs()
	c := groupAggCase{keys: keys, retract: retract}
	var fields []arrow.Field
	for _, k := range keys {
		fields = append(fields, clSchema.Field(k))
	}
	for i := range specs {
		if twoPhase && partialBlocker(&specs[i], retract) != "" {
			continue
		}
		c.specs, fields = append(c.specs, specs[i]), append(fields, aggFields[i])
	}
	c.schema = arrow.NewSchema(fields, nil)
	return c
}

func (c groupAggCase) keyEvs() ([]expr.Evaluator, []arrow.DataType) {
	var evs []expr.Evaluator
	var types []arrow.DataType
	for _, k := range c.keys {
		evs, types = append(evs, clCol(k)), append(types, clSchema.Field(k).Type)
	}
	return evs, types
}

func (c groupAggCase) phase(phase aggPhase) func() (Operator, error) {
	return func() (Operator, error) {
		evs, types := c.keyEvs()
		g, err := newGroupAgg(c.schema, evs, types, c.specs, c.retract, phase, testEv)
		if err != nil {
			return nil, err
		}
		return g, nil
	}
}

// exchange runs the GROUP BY on n workers, in one phase or two.
func (c groupAggCase) exchange(n int, twoPhase bool) (Operator, error) {
	if twoPhase {
		return newTwoPhaseExchange(n, len(c.keys), testEv, c.phase(localPhase), c.phase(globalPhase))
	}
	evs, _ := c.keyEvs()
	return newKeyedExchange(n, evs, testEv, c.phase(onePhase))
}

// TestExchangeGroupAggEqualsSingle runs random inputs (append-only or a
// changelog, keys spread or one hot key) through a GROUP BY on one
// instance, and through exchanges of 2 and 3 workers in one and two
// phases, restarted from a snapshot at a random barrier: every epoch must
// emit the same changes.
func TestExchangeGroupAggEqualsSingle(t *testing.T) {
	for _, keys := range [][]int{{0}, {0, 1}, {}} {
		for _, retract := range []bool{false, true} {
			for _, hot := range []bool{false, true} {
				for seed := range uint64(2) {
					for _, twoPhase := range []bool{false, true} {
						n := 2 + int(seed) // 2 and 3 workers
						t.Run(fmt.Sprintf("keys=%v/retract=%v/hot=%v/seed=%d/two-phase=%v/n=%d", keys, retract, hot, seed, twoPhase, n), func(t *testing.T) {
							r := rand.New(rand.NewPCG(seed, 17))
							steps, _ := randomChangelog(r, 600+r.IntN(600), retract)
							if hot {
								hotKeys(steps)
							}
							c := newGroupAggCase(keys, retract, twoPhase)
							want := &epochLog{}
							runStream(t, func() []Operator { return []Operator{must(t)(c.phase(onePhase)())} }, steps, -1, want)
							got := &epochLog{}
							runStream(t, func() []Operator { return []Operator{must(t)(c.exchange(n, twoPhase))} }, steps, randomBarrier(r, steps), got)
							sameEpochs(t, got, want)
						})
					}
				}
			}
		}
	}
}

// TestExchangeRankEqualsSingle is TestExchangeGroupAggEqualsSingle for
// Top-N, partitioned by its PARTITION BY columns.
func TestExchangeRankEqualsSingle(t *testing.T) {
	for _, part := range [][]int{{0}, {0, 1}, nil} {
		for _, hot := range []bool{false, true} {
			for seed := range uint64(2) {
				t.Run(fmt.Sprintf("part=%v/hot=%v/seed=%d", part, hot, seed), func(t *testing.T) {
					r := rand.New(rand.NewPCG(seed, 19))
					steps, _ := randomChangelog(r, 600+r.IntN(600), false)
					if hot {
						hotKeys(steps)
					}
					order := []SortKey{{Column: 2, Descending: true}, {Column: 6}}
					newRank := func() (Operator, error) {
						r, err := NewRank(rankSchema, part, order, 3, false, testEv)
						if err != nil {
							return nil, err
						}
						return r, nil
					}
					want := &epochLog{}
					runStream(t, func() []Operator { return []Operator{must(t)(newRank())} }, steps, -1, want)
					var keys []expr.Evaluator
					for _, k := range part {
						keys = append(keys, clCol(k))
					}
					got := &epochLog{}
					runStream(t, func() []Operator { return []Operator{must(t)(newKeyedExchange(3, keys, testEv, newRank))} }, steps, randomBarrier(r, steps), got)
					sameEpochs(t, got, want)
				})
			}
		}
	}
}

func must(t *testing.T) func(Operator, error) Operator {
	return func(op Operator, err error) Operator {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
}

// TestExchangeRestoreMismatch refuses state of another number of workers,
// or of the unwrapped operator.
func TestExchangeRestoreMismatch(t *testing.T) {
	ctx := context.Background()
	c := newGroupAggCase([]int{0}, false, true) // aggregates both phasings run
	r := rand.New(rand.NewPCG(1, 1))
	rows := make([]testRow, 100)
	for i := range rows {
		rows[i] = randRow(r)
	}
	snapshot := func(op Operator) []byte {
		g := NewGraph(&Query{Operators: []Operator{op}}, emitFunc(func(b arrow.RecordBatch) { b.Release() }))
		defer g.Close()
		if err := g.Push(ctx, 0, batchOf(rows, nil)); err != nil {
			t.Fatal(err)
		}
		if err := g.Barrier(ctx, 1); err != nil {
			t.Fatal(err)
		}
		b, err := g.Snapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	two := snapshot(must(t)(c.exchange(2, false)))
	restore := func(op Operator, state []byte) error {
		g := NewGraph(&Query{Operators: []Operator{op}}, nil)
		defer g.Close()
		return g.Restore(state)
	}
	if err := restore(must(t)(c.exchange(2, true)), two); err != nil {
		t.Errorf("two phases restore one phase's state of as many workers: %v", err)
	}
	for _, c := range []struct {
		op    Operator
		state []byte
		want  string
	}{
		{must(t)(c.exchange(3, false)), two, "state written with 2 workers; this job runs 3"},
		{must(t)(c.exchange(1, true)), two, "state written with 2 workers; this job runs 1"},
		{must(t)(c.phase(onePhase)()), two, "state was taken of operator 0:Exchange[GroupAgg], the plan has 0:GroupAgg here"},
		{must(t)(c.exchange(2, false)), snapshot(must(t)(c.phase(onePhase)())), "state was taken of operator 0:GroupAgg, the plan has 0:Exchange[GroupAgg] here"},
		{must(t)(c.exchange(2, false)), two[:len(two)-3], "truncated"},
	} {
		if err := restore(c.op, c.state); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// TestExchangeErrors checks that an instance's error fails the exchange's
// next call (and every one after), and that Close then returns.
func TestExchangeErrors(t *testing.T) {
	ctx := context.Background()
	one := int64(1)
	row := testRow{k: &one, v: &one}
	drop := emitFunc(func(b arrow.RecordBatch) { b.Release() })
	for _, twoPhase := range []bool{false, true} {
		t.Run(fmt.Sprint("two-phase=", twoPhase), func(t *testing.T) {
			op := must(t)(newGroupAggCase([]int{0}, true, twoPhase).exchange(2, twoPhase))
			defer op.Close()
			// A retraction of a row never inserted: one phase fails as the
			// row is folded, two phases once the epoch's partials add up.
			// Either way on a worker, so Process, which only queues the
			// row, cannot fail yet: the barrier reports it.
			if err := op.Process(ctx, batchOf([]testRow{row}, []RowKind{Delete}), drop); err != nil {
				t.Fatalf("Process failed before a worker had the row: %v", err)
			}
			err := op.(BarrierHandler).OnBarrier(ctx, 1, drop)
			if err == nil || !strings.Contains(err.Error(), "retract") {
				t.Fatalf("got %v", err)
			}
			if err := op.Process(ctx, batchOf([]testRow{row}, []RowKind{Insert}), drop); err == nil {
				t.Error("a failed exchange took more rows")
			}
			if _, err := op.(Snapshotter).SnapshotState(nil); err == nil {
				t.Error("a failed exchange took a snapshot")
			}
		})
	}
	// An error of the operator downstream is returned unchanged.
	op := must(t)(newGroupAggCase([]int{0}, false, false).exchange(2, false))
	defer op.Close()
	if err := op.Process(ctx, batchOf([]testRow{row}, nil), drop); err != nil {
		t.Fatal(err)
	}
	if err := op.(BarrierHandler).OnBarrier(ctx, 1, emitFunc(func(b arrow.RecordBatch) { b.Release() })); err != nil {
		t.Fatal(err)
	}
	if err := op.Process(ctx, batchOf([]testRow{row}, nil), drop); err != nil {
		t.Fatal(err)
	}
	if err := op.Finish(ctx, errEmitter{ErrEnough}); !errors.Is(err, ErrEnough) {
		t.Errorf("got %v, want ErrEnough", err)
	}
}

type errEmitter struct{ err error }

func (e errEmitter) Emit(_ context.Context, b arrow.RecordBatch) error {
	b.Release()
	return e.err
}

// TestExchangeNoGoroutineLeft closes exchanges in every state (never
// started, busy, failed) and checks that no worker is left running.
func TestExchangeNoGoroutineLeft(t *testing.T) {
	ctx := context.Background()
	before := runtime.NumGoroutine()
	r := rand.New(rand.NewPCG(2, 2))
	steps, _ := randomChangelog(r, 3000, true)
	drop := emitFunc(func(b arrow.RecordBatch) { b.Release() })
	for _, twoPhase := range []bool{false, true} {
		c := newGroupAggCase([]int{0, 1}, true, twoPhase)
		must(t)(c.exchange(3, twoPhase)).Close() // never started
		busy := must(t)(c.exchange(3, twoPhase))
		for _, s := range steps {
			if len(s.rows) > 0 {
				if err := busy.Process(ctx, batchOf(s.rows, s.kinds), drop); err != nil {
					t.Fatal(err)
				}
			}
		}
		busy.Close() // with rows queued, perhaps
		failed := must(t)(c.exchange(3, twoPhase))
		one := int64(1)
		_ = failed.Process(ctx, batchOf([]testRow{{k: &one}}, []RowKind{Delete}), drop)
		_ = failed.(BarrierHandler).OnBarrier(ctx, 1, drop)
		failed.Close()
	}
	// Close waits for the workers, but the runtime may not yet have
	// retired their goroutines.
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
}

// TestPartialBlocker says which aggregates cannot run in two phases.
func TestPartialBlocker(t *testing.T) {
	specs, _ := testAggs()
	var blocked []string
	for _, retract := range []bool{false, true} {
		for i := range specs {
			if partialBlocker(&specs[i], retract) != "" {
				blocked = append(blocked, fmt.Sprintf("%v:a%d", retract, i))
			}
		}
	}
	// DISTINCT (a12-a14) always; floating-point sums (a3 is AVG of an
	// integer, a10 MAX of a float: both merge); MIN/MAX (a4-a7, a10, a11)
	// over a changelog.
	want := []string{"false:a12", "false:a13", "false:a14",
		"true:a4", "true:a5", "true:a6", "true:a7", "true:a10", "true:a11", "true:a12", "true:a13", "true:a14"}
	if !slices.Equal(blocked, want) {
		t.Errorf("blocked %v, want %v", blocked, want)
	}
	f := AggSpec{Func: "SUM", ArgType: arrow.PrimitiveTypes.Float64}
	if why := partialBlocker(&f, false); !strings.Contains(why, "floating-point") {
		t.Errorf("SUM(DOUBLE): %q", why)
	}
}

// TestBuildGroupAggPhases checks which GROUP BY the planner builds for a
// job's options: one instance, an exchange in one phase or in two, or an
// error naming the aggregate that cannot run in two phases.
func TestBuildGroupAggPhases(t *testing.T) {
	spec := &connector.TableSpec{Name: "db.bid", Columns: []connector.Column{
		{Name: "auction", Type: arrow.PrimitiveTypes.Int64}, {Name: "price", Type: arrow.PrimitiveTypes.Float64},
	}}
	src := plan.NewSourceScan([]string{"db", "bid"}, "", &plan.SourceTable{Spec: spec})
	col := func(i int) expr.Expr {
		f := spec.Schema().Field(i)
		return &expr.Column{Index: i, Name: f.Name, DataType: f.Type}
	}
	i64 := arrow.PrimitiveTypes.Int64
	count := plan.AggCall{Func: "COUNT", Type: i64, NotNull: true}
	maxPrice := plan.AggCall{Func: "MAX", Arg: col(1), Type: arrow.PrimitiveTypes.Float64}
	sumPrice := plan.AggCall{Func: "SUM", Arg: col(1), Type: arrow.PrimitiveTypes.Float64}
	distinct := plan.AggCall{Func: "COUNT", Arg: col(1), Distinct: true, Type: i64, NotNull: true}
	for _, c := range []struct {
		aggs []plan.AggCall
		opts StreamOptions
		want string
	}{
		{[]plan.AggCall{count, maxPrice}, StreamOptions{}, "one instance"},
		{[]plan.AggCall{count, maxPrice}, StreamOptions{Parallelism: 1, AggPhase: AggPhaseAuto}, "one instance"},
		{[]plan.AggCall{count, maxPrice}, StreamOptions{Parallelism: 2}, "two phases on 2"},
		{[]plan.AggCall{count, maxPrice}, StreamOptions{Parallelism: 3, AggPhase: AggPhaseOne}, "one phase on 3"},
		{[]plan.AggCall{count, maxPrice}, StreamOptions{Parallelism: 1, AggPhase: AggPhaseTwo}, "two phases on 1"},
		{[]plan.AggCall{count, distinct}, StreamOptions{Parallelism: 2}, "one phase on 2"},
		{[]plan.AggCall{count, sumPrice}, StreamOptions{Parallelism: 2}, "one phase on 2"},
		{[]plan.AggCall{count, distinct}, StreamOptions{Parallelism: 2, AggPhase: AggPhaseTwo}, "COUNT(DISTINCT price) cannot be aggregated in two phases: a DISTINCT aggregate"},
		{[]plan.AggCall{sumPrice}, StreamOptions{AggPhase: AggPhaseTwo}, "SUM(price) cannot be aggregated in two phases: floating-point sums"},
	} {
		op, err := buildGroupAggWith(plan.NewAggregate(src, []expr.Expr{col(0)}, c.aggs), testEv, c.opts)
		var got string
		switch x := op.(type) {
		case nil:
			got = err.Error()
		case *GroupAgg:
			got = "one instance"
		case *incExchange:
			got = fmt.Sprintf("one phase on %d", len(x.global))
			if x.local != nil {
				got = fmt.Sprintf("two phases on %d", len(x.local))
			}
		default:
			got = fmt.Sprintf("%T", op)
		}
		if op != nil {
			op.Close()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%v, %+v: got %s, want %s", c.aggs, c.opts, got, c.want)
		}
	}
}
