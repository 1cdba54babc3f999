package olap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

func newGate(t *testing.T, cfg Config, sopts ...session.Option) *Gate {
	t.Helper()
	wh, err := lake.Open(context.Background(), lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	return New(session.New(wh, sopts...), WithConfig(cfg))
}

func exec(t *testing.T, g *Gate, q string) *session.Result {
	t.Helper()
	r, err := g.Exec(context.Background(), q, false)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	t.Cleanup(r.Release)
	return r
}

// value renders the one cell of a one-row, one-column result.
func value(t *testing.T, r *session.Result) string {
	t.Helper()
	var out []string
	for _, b := range r.Batches {
		for i := range int(b.NumRows()) {
			out = append(out, b.Column(0).ValueStr(i))
		}
	}
	if len(out) != 1 {
		t.Fatalf("want one row, got %v", out)
	}
	return out[0]
}

func counts(g *Gate) (hits, misses float64) {
	return testutil.ToFloat64(g.m.resultHits), testutil.ToFloat64(g.m.resultMisses)
}

func TestResultCacheKeyedBySnapshots(t *testing.T) {
	g := newGate(t, Config{})
	exec(t, g, "CREATE TABLE a (k BIGINT, v STRING)")
	exec(t, g, "CREATE TABLE b (k BIGINT)")
	exec(t, g, "INSERT INTO a VALUES (1, 'x'), (2, 'y')")
	exec(t, g, "INSERT INTO b VALUES (1)")

	steps := []struct {
		sql              string
		want             string
		hits, misses     float64 // counters after the step
		preparedHitsGrow bool
	}{
		{"SELECT COUNT(*) FROM a", "2", 0, 1, false},
		{"select   COUNT(*)\n from a -- same query: keyword case, spaces and comments differ", "2", 1, 1, true},
		{"SELECT COUNT(*) FROM b", "1", 1, 2, false},
		{"SELECT COUNT(*) FROM b", "1", 2, 2, true},
		{"INSERT INTO a VALUES (3, 'z')", "", 2, 2, false},
		{"SELECT COUNT(*) FROM a", "3", 2, 3, false}, // a moved: a miss, and the new answer
		{"SELECT COUNT(*) FROM b", "1", 3, 3, true},  // b did not: still cached
		{"SELECT COUNT(*) FROM a", "3", 4, 3, true},
		{"SELECT COUNT(*), CURRENT_TIMESTAMP FROM a", "", 4, 3, false},                                    // not deterministic: never cached
		{"SELECT COUNT(*) FROM a FOR SYSTEM_TIME AS OF TIMESTAMP '2000-01-01 00:00:00'", "", 4, 4, false}, // a miss, and the error is not kept
	}
	for i, st := range steps {
		before := testutil.ToFloat64(g.m.preparedHits)
		r, err := g.Exec(context.Background(), st.sql, false)
		if i == len(steps)-1 {
			var se *session.Error
			if !errors.As(err, &se) || se.Code != session.CodeNotFound {
				t.Fatalf("step %d: want NOT_FOUND, got %v", i, err)
			}
		} else if err != nil {
			t.Fatalf("step %d %s: %v", i, st.sql, err)
		}
		if st.want != "" {
			if got := value(t, r); got != st.want {
				t.Errorf("step %d %s = %s, want %s", i, st.sql, got, st.want)
			}
		}
		r.Release()
		if h, m := counts(g); h != st.hits || m != st.misses {
			t.Errorf("step %d %s: hits/misses %v/%v, want %v/%v", i, st.sql, h, m, st.hits, st.misses)
		}
		if grew := testutil.ToFloat64(g.m.preparedHits) > before; grew != st.preparedHitsGrow {
			t.Errorf("step %d %s: prepared plan reused = %v, want %v", i, st.sql, grew, st.preparedHitsGrow)
		}
	}
}

// One text in two databases is two statements: one-part names resolve in
// the call's database, on the parsed path and on the path that skips the
// parser for a text seen before.
func TestPreparedPerDatabase(t *testing.T) {
	g := newGate(t, Config{})
	exec(t, g, "CREATE DATABASE other")
	exec(t, g, "CREATE TABLE t (k BIGINT)")
	exec(t, g, "CREATE TABLE other.t (k BIGINT)")
	exec(t, g, "INSERT INTO t VALUES (1)")
	exec(t, g, "INSERT INTO other.t VALUES (1), (2)")
	for round := range 3 {
		for _, c := range []struct{ db, want string }{{"default", "1"}, {"other", "2"}} {
			ctx := session.WithDatabase(context.Background(), c.db)
			r, err := g.Exec(ctx, "SELECT COUNT(*) FROM t", true)
			if err != nil {
				t.Fatal(err)
			}
			if got := value(t, r); got != c.want {
				t.Errorf("round %d, database %s: %s rows, want %s", round, c.db, got, c.want)
			}
			r.Release()
		}
	}
	// Errors keep their position on the path that skips the parser: the
	// table is gone after the text was prepared.
	q := "SELECT COUNT(*) FROM other.t"
	exec(t, g, q)
	exec(t, g, "DROP TABLE other.t")
	_, err := g.Exec(context.Background(), q, true)
	var se *session.Error
	if !errors.As(err, &se) || se.Code != session.CodeNotFound {
		t.Fatalf("after DROP TABLE: %v, want NOT_FOUND", err)
	}
}

func TestResultCacheEvictsByBytes(t *testing.T) {
	g := newGate(t, Config{ResultCacheBytes: 64 << 10})
	exec(t, g, "CREATE TABLE t (k BIGINT, s STRING)")
	exec(t, g, "INSERT INTO t VALUES (1, '"+strings.Repeat("x", 1000)+"'), (2, 'y')")
	for i := range 200 {
		exec(t, g, fmt.Sprintf("SELECT k, s, %d FROM t", i))
	}
	used, n := g.results.lru.size()
	if used > 64<<10 || n == 0 || n == 200 || testutil.ToFloat64(g.m.resultEvictions) == 0 {
		t.Fatalf("cache holds %d bytes in %d entries, evictions %v", used, n, testutil.ToFloat64(g.m.resultEvictions))
	}
	// The newest results are the ones kept, and still readable.
	if got := value(t, exec(t, g, "SELECT COUNT(*) FROM (SELECT k, s, 199 FROM t)")); got != "2" {
		t.Fatal(got)
	}
	r := exec(t, g, "SELECT k, s, 199 FROM t")
	if h, _ := counts(g); h == 0 || r.Batches[0].Column(1).(*array.String).Value(1) != "y" {
		t.Fatalf("hits %v", h)
	}
}

// A cached result is shared: readers' releases must not free it.
func TestCachedResultOutlivesReaders(t *testing.T) {
	g := newGate(t, Config{})
	exec(t, g, "CREATE TABLE t (k BIGINT)")
	exec(t, g, "INSERT INTO t VALUES (7)")
	for range 5 {
		r, err := g.Exec(context.Background(), "SELECT k FROM t", true)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Batches[0].Column(0).(*array.Int64).Value(0); got != 7 {
			t.Fatal(got)
		}
		r.Release()
	}
}

func TestAdmissionLanes(t *testing.T) {
	m := newMetrics(nilRegistry(), func() *resultCache { return nil }, nil, nil, nil, nil)
	ctx := context.Background()
	heavy := newLane(LaneHeavy, LaneLimits{Concurrency: 1, Queue: 1, MaxWait: 50 * time.Millisecond}, m.lanes[LaneHeavy])
	small := newLane(LaneSmall, LaneLimits{Concurrency: 2, Queue: 0}, m.lanes[LaneSmall])

	rel, err := heavy.admit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// One waits in the queue; it gives up after MaxWait with OVERLOADED.
	waited := make(chan error, 1)
	go func() {
		_, err := heavy.admit(ctx)
		waited <- err
	}()
	for testutil.ToFloat64(m.lanes[LaneHeavy].queued) != 1 {
		time.Sleep(time.Millisecond)
	}
	// The queue is full: refused at once.
	if _, err := heavy.admit(ctx); !overloaded(err) {
		t.Fatalf("third heavy: %v", err)
	}
	// Small statements are not held up by the heavy lane.
	r1, err1 := small.admit(ctx)
	r2, err2 := small.admit(ctx)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, err := small.admit(ctx); !overloaded(err) { // no queue at all in this lane
		t.Fatalf("third small: %v", err)
	}
	r1()
	r1() // idempotent
	if r3, err := small.admit(ctx); err != nil {
		t.Fatal(err)
	} else {
		r3()
	}
	r2()
	if err := <-waited; !overloaded(err) || !strings.Contains(err.Error(), "waited 50ms") {
		t.Fatalf("queued heavy: %v", err)
	}
	rel()
	// Cancelled while queued: the caller's error, not OVERLOADED.
	rel, _ = heavy.admit(ctx)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	heavy.limits.MaxWait = 0
	if _, err := heavy.admit(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled: %v", err)
	}
	rel()
	lm := m.lanes[LaneHeavy]
	if a, f, w, c := testutil.ToFloat64(lm.admitted), testutil.ToFloat64(lm.rejectedFull), testutil.ToFloat64(lm.rejectedWait), testutil.ToFloat64(lm.cancelled); a != 2 || f != 1 || w != 1 || c != 1 {
		t.Fatalf("heavy admitted %v full %v wait %v cancelled %v", a, f, w, c)
	}
	if q := testutil.ToFloat64(lm.queued); q != 0 {
		t.Fatalf("queue depth %v after all left", q)
	}
}

func overloaded(err error) bool {
	var se *session.Error
	return errors.As(err, &se) && se.Code == session.CodeOverloaded
}

func TestLimits(t *testing.T) {
	g := newGate(t, Config{}, session.WithQueryMemory(64<<10))
	exec(t, g, "CREATE TABLE big (k BIGINT, v STRING)")
	var b strings.Builder
	b.WriteString("INSERT INTO big VALUES ")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 'v%d')", i, i)
	}
	exec(t, g, b.String())
	_, err := g.Exec(context.Background(), "SELECT k, v, LISTAGG(v), COUNT(DISTINCT v) FROM big GROUP BY k, v", true)
	var se *session.Error
	if !errors.As(err, &se) || se.Code != session.CodeMemoryLimit {
		t.Fatalf("memory: %v", err)
	}
	// Every SELECT over big is heavy here, and the heavy lane's time limit
	// is 1 ns; a SELECT without a table stays small and runs.
	tight := New(g.Session, WithConfig(Config{Heavy: LaneLimits{Concurrency: 1, Timeout: time.Nanosecond}, HeavyBytes: 1}))
	if _, err := tight.Exec(context.Background(), "SELECT COUNT(*) FROM big", true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	if r, err := tight.Exec(context.Background(), "SELECT 1 + 1", true); err != nil || value(t, r) != "2" {
		t.Fatalf("small: %v", err)
	}
}

func nilRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

func TestBatchBytes(t *testing.T) {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues([]int64{1, 2, 3, 4}, nil)
	arr := b.NewArray()
	defer arr.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{arr}, 4)
	defer rec.Release()
	if n := batchBytes(rec); n < 32 {
		t.Fatalf("batchBytes = %d", n)
	}
}

// TestPageCacheMetrics: the page cache's lookups and size are exported,
// and a lookup with another key on the same page finds its filter column
// cached.
func TestPageCacheMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	wh, err := lake.Open(context.Background(), lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	g := New(session.New(wh), WithConfig(Config{ResultCacheBytes: -1}), WithRegisterer(reg))
	exec(t, g, "CREATE TABLE p (k BIGINT, v STRING)")
	exec(t, g, "INSERT INTO p VALUES (1, 'x'), (2, 'y'), (3, 'z')")
	read := func(outcome string) float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				if mf.GetName() == "wharf_olap_page_cache_bytes" && outcome == "" {
					return m.GetGauge().GetValue()
				}
				if mf.GetName() == "wharf_olap_page_cache_total" && len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
		t.Fatalf("no page cache series for outcome %q", outcome)
		return 0
	}
	misses := read("miss")
	if got := value(t, exec(t, g, "SELECT v FROM p WHERE k = 2")); got != "y" {
		t.Fatalf("k = 2: %s", got)
	}
	if read("miss") == misses || read("") == 0 {
		t.Fatalf("a first lookup: %v misses (before %v), %v bytes", read("miss"), misses, read(""))
	}
	hits, misses := read("hit"), read("miss")
	if got := value(t, exec(t, g, "SELECT v FROM p WHERE k = 3")); got != "z" {
		t.Fatalf("k = 3: %s", got)
	}
	// The filter column's page is a hit; v's, decoded for its row only
	// and not cached, a miss again.
	if read("hit") != hits+1 || read("miss") != misses+1 {
		t.Fatalf("another key on the same pages: hits %v → %v, misses %v → %v", hits, read("hit"), misses, read("miss"))
	}
	read("evict")
}
