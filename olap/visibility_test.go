package olap

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// While a continuous job commits every second, 10,000 concurrent
// SELECT COUNT(*) each answer the row count of some committed snapshot,
// never part of an epoch, and no client sees the count go back. Two clients
// of the 64 go through a gate without a result cache, so each of their
// queries plans and scans (each commit adds a manifest those scans read).
func TestAtomicVisibility(t *testing.T) {
	const queries, workers = 10_000, 64
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	jobs := runtime.NewManager(wh, runtime.WithRestartBackoff(50*time.Millisecond))
	s := session.New(wh, session.WithJobs(jobs))
	if err := jobs.Resume(ctx, s); err != nil { // makes s the job planner
		t.Fatal(err)
	}
	cached := New(s)
	uncached := New(s, WithConfig(Config{ResultCacheBytes: -1}))
	exec(t, cached, `CREATE TABLE gen (id BIGINT, v INT) WITH ('connector' = 'datagen', 'rows-per-second' = '3000')`)
	exec(t, cached, `CREATE TABLE sink (id BIGINT, v INT)`)
	r := exec(t, cached, `INSERT INTO sink SELECT id, v FROM gen`)
	if r.Kind != session.ResultJob {
		t.Fatalf("not a job: %+v", r)
	}
	defer jobs.Close(ctx)
	id := table.Identifier{"default", "sink"}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		tbl, err := wh.LoadTable(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if tbl.CurrentSnapshot() != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no commit within 20 s")
		}
	}

	answers := make([][]int64, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	qctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	for w := range workers {
		g := cached
		if w%32 == 31 {
			g = uncached
		}
		wg.Go(func() {
			for next.Add(1) <= queries && qctx.Err() == nil {
				r, err := g.Exec(qctx, "SELECT COUNT(*) FROM sink", true)
				if err != nil {
					t.Error(err)
					return
				}
				n, err := strconv.ParseInt(value(t, r), 10, 64)
				r.Release()
				if err != nil {
					t.Error(err)
					return
				}
				answers[w] = append(answers[w], n)
				// Paced so the 10k queries span several commits (~5 s).
				time.Sleep(30 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	if qctx.Err() != nil {
		t.Fatalf("10k queries did not finish in 45 s")
	}
	if _, err := jobs.Stop(ctx, r.JobID); err != nil {
		t.Fatal(err)
	}

	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	committed := map[int64]bool{}
	for _, snap := range tbl.Metadata().Snapshots() {
		n, err := strconv.ParseInt(snap.Summary.Properties["total-records"], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		committed[n] = true
	}
	seen := map[int64]bool{}
	total := 0
	for w, as := range answers {
		for i, n := range as {
			if !committed[n] {
				t.Fatalf("worker %d saw %d rows: no snapshot has that many (committed: %v)", w, n, committed)
			}
			if i > 0 && n < as[i-1] {
				t.Fatalf("worker %d saw the count go back from %d to %d", w, as[i-1], n)
			}
			seen[n] = true
		}
		total += len(as)
	}
	if total != queries || len(seen) < 2 {
		t.Fatalf("%d answers over %d distinct snapshots; want %d over several", total, len(seen), queries)
	}
	hits, misses := counts(cached)
	t.Logf("%d queries saw %d of %d committed snapshots; cached gate: %v hits, %v misses", total, len(seen), len(committed), hits, misses)
}
