package lake_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/testkit"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// TestCrashAtEachFailpoint (R2): one crash per run at a commit failpoint, at a
// seeded epoch, then a clean restart; and crashes during recovery itself and
// during the recovery of that recovery.
func TestCrashAtEachFailpoint(t *testing.T) {
	src := source{parts: 8, perPart: 500}
	points := []string{commit.FPAfterUpload, commit.FPAfterPrepare, commit.FPAfterCommit, commit.FPAfterRecord}
	for _, point := range points {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", point, seed), func(t *testing.T) {
				ctx := context.Background()
				wh := newWarehouse(t, true, "")
				id := createEvents(t, wh)
				n := 1 + rand.New(rand.NewPCG(seed, 0)).IntN(4)
				j := jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 100,
					opts: []commit.Option{commit.WithHook(crashOnce(point, n))}}
				if err := j.run(ctx); !errors.Is(err, errCrash) {
					t.Fatalf("first run: %v, want a crash", err)
				}
				// Restart through a counting catalog: after a crash past the
				// catalog commit, recovery's only commit is the fence; the
				// crashed epoch is recognised, not committed again (R2 c, d).
				cat := &faultyCatalog{inner: wh.Catalog()}
				l, err := commit.New(wh.Records(), cat, true, "copy")
				if err != nil {
					t.Fatal(err)
				}
				j.opts, j.ledger = nil, l
				if err := j.run(ctx); err != nil {
					t.Fatal(err)
				}
				checkExact(t, wh, id, src)
				epochs := int(src.perPart / j.perPart)
				if point == commit.FPAfterCommit || point == commit.FPAfterRecord {
					if want := 1 + epochs - n; cat.commits != want {
						t.Fatalf("restart made %d catalog commits, want %d (fence + %d remaining epochs)", cat.commits, want, epochs-n)
					}
				}
			})
		}
	}
	// Recovery crashes: leave a prepared epoch behind, crash while recovering
	// it, crash again while recovering from that, then recover cleanly.
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprintf("during-recovery/seed%d", seed), func(t *testing.T) {
			ctx := context.Background()
			wh := newWarehouse(t, true, "")
			id := createEvents(t, wh)
			n := 1 + rand.New(rand.NewPCG(seed, 1)).IntN(4)
			j := jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 100}
			for _, h := range []func(string) error{
				crashOnce(commit.FPAfterPrepare, n),
				crashOnce(commit.FPRecoverFenced, 1), // recovery crashes
				crashOnce(commit.FPRecoverClaimed, 1),
				crashOnce(commit.FPAfterCommit, 1), // recovery's own finishing commit crashes
			} {
				j.opts = []commit.Option{commit.WithHook(h)}
				if err := j.run(ctx); !errors.Is(err, errCrash) {
					t.Fatalf("run: %v, want a crash", err)
				}
			}
			j.opts = nil
			if err := j.run(ctx); err != nil {
				t.Fatal(err)
			}
			checkExact(t, wh, id, src)
		})
	}
}

// TestInFlightCommitOfOldIncarnation (R3): generation 1 is paused right
// before its catalog commit of an epoch; generation 2 recovers — finishing
// that epoch from its pre-commit record — and completes the job; then
// generation 1's commit is let go. It must not land.
func TestInFlightCommitOfOldIncarnation(t *testing.T) {
	ctx := context.Background()
	src := source{parts: 4, perPart: 300}
	wh := newWarehouse(t, true, "")
	id := createEvents(t, wh)
	paused, release := make(chan struct{}), make(chan struct{})
	hits := 0
	hook := func(p string) error {
		if p == commit.FPBeforeCatalog {
			if hits++; hits == 2 {
				close(paused)
				<-release
			}
		}
		return nil
	}
	old := make(chan error, 1)
	go func() {
		old <- jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 100, opts: []commit.Option{commit.WithHook(hook)}}.run(ctx)
	}()
	<-paused
	if err := (jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 100}).run(ctx); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-old; !errors.Is(err, commit.ErrFenced) {
		t.Fatalf("old incarnation: %v, want ErrFenced", err)
	}
	checkExact(t, wh, id, src)
}

// TestZombieWriter (R4): once generation 2 has started, generation 1 commits
// nothing more, and learns that it is fenced.
func TestZombieWriter(t *testing.T) {
	ctx := context.Background()
	src := source{parts: 2, perPart: 400}
	wh := newWarehouse(t, true, "")
	id := createEvents(t, wh)
	zombie, err := wh.Ledger("copy")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zombie.Recover(ctx, []tableIdent{id}); err != nil {
		t.Fatal(err)
	}
	commitEpoch := func(l *commit.Ledger, epoch uint64) error {
		tbl, err := wh.LoadTable(ctx, id)
		if err != nil {
			return err
		}
		rec, ranges := src.next(l.Positions(), 100)
		files, err := lakeWrite(ctx, tbl, rec)
		if err != nil {
			return err
		}
		_, err = l.Commit(ctx, commit.Epoch{Number: epoch, Sources: ranges}, commit.Target{Table: id, Files: files})
		return err
	}
	for e := uint64(1); e <= 2; e++ {
		if err := commitEpoch(zombie, e); err != nil {
			t.Fatal(err)
		}
	}
	// Generation 2 takes over and finishes the job.
	if err := (jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 100}).run(ctx); err != nil {
		t.Fatal(err)
	}
	before := snapshotCount(t, wh, id)
	for try := 0; try < 3; try++ { // a zombie retrying its next epoch
		if err := commitEpoch(zombie, 3); !errors.Is(err, commit.ErrFenced) {
			t.Fatalf("zombie epoch 3, try %d: %v, want ErrFenced", try, err)
		}
	}
	if after := snapshotCount(t, wh, id); after != before {
		t.Fatalf("zombie committed: %d snapshots, had %d", after, before)
	}
	checkExact(t, wh, id, src)
}

// TestForeignWriter (C1): another writer appends every 200 ms while the job
// commits. No epoch fails; every row of both is there.
func TestForeignWriter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := source{parts: 4, perPart: 500}
	wh := newWarehouse(t, true, "")
	id := createEvents(t, wh)
	foreignRows := make(chan int64, 1)
	go func() {
		var n int64
		defer func() { foreignRows <- n }()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			tbl, err := wh.LoadTable(ctx, id)
			if err != nil {
				continue
			}
			rec := foreignBatch(n, 10)
			if _, err := tbl.Append(ctx, recordReader(rec), nil); err == nil {
				n += 10
			}
		}
	}()
	if err := (jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 25}).run(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	n := <-foreignRows
	if n == 0 {
		t.Fatal("the foreign writer never committed; the test proves nothing")
	}
	if got := scan(t, wh, id); got.foreign != n {
		t.Fatalf("foreign rows = %d, want %d", got.foreign, n)
	}
	checkExact(t, wh, id, src)
}

// faultyCatalog fails commits the way catalogs do: clean conflicts (nothing
// applied) and 5xx answers after or without applying.
type faultyCatalog struct {
	inner     table.CatalogIO
	mu        sync.Mutex
	conflicts int // next commits answer ErrCommitFailed without applying
	after5xx  int // next commits apply, then answer 500
	before5xx int // next commits answer 500 without applying
	commits   int // commits passed to the inner catalog
}

func (c *faultyCatalog) LoadTable(ctx context.Context, id table.Identifier) (*table.Table, error) {
	return c.inner.LoadTable(ctx, id)
}

func (c *faultyCatalog) CommitTable(ctx context.Context, id table.Identifier, reqs []table.Requirement, ups []table.Update) (table.Metadata, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.conflicts > 0:
		c.conflicts--
		return nil, "", fmt.Errorf("%w: injected conflict", table.ErrCommitFailed)
	case c.before5xx > 0:
		c.before5xx--
		return nil, "", errors.New("injected: 503 Service Unavailable")
	case c.after5xx > 0:
		c.after5xx--
		if _, _, err := c.inner.CommitTable(ctx, id, reqs, ups); err != nil {
			return nil, "", err
		}
		return nil, "", errors.New("injected: 500 Internal Server Error (after applying)")
	}
	c.commits++
	return c.inner.CommitTable(ctx, id, reqs, ups)
}

// TestCatalogFaults (C3, C4): the catalog answers conflict k times (k = 0..6,
// beyond the 4 retries iceberg-go makes), or 5xx after or without applying.
// One snapshot per txid; no referenced file deleted (verify checks existence).
func TestCatalogFaults(t *testing.T) {
	src := source{parts: 2, perPart: 200}
	type faults struct{ conflicts, after5xx, before5xx int }
	var cases []faults
	for k := 0; k <= 6; k++ {
		cases = append(cases, faults{conflicts: k})
	}
	cases = append(cases, faults{after5xx: 1}, faults{after5xx: 3}, faults{before5xx: 2})
	for _, fc := range cases {
		t.Run(fmt.Sprintf("conflicts=%d,after5xx=%d,before5xx=%d", fc.conflicts, fc.after5xx, fc.before5xx), func(t *testing.T) {
			ctx := context.Background()
			wh := newWarehouse(t, false, "")
			id := createEvents(t, wh)
			cat := &faultyCatalog{inner: wh.Catalog(), conflicts: fc.conflicts, after5xx: fc.after5xx, before5xx: fc.before5xx}
			l, err := commit.New(wh.Records(), cat, true, "copy", commit.WithMaxAttempts(8))
			if err != nil {
				t.Fatal(err)
			}
			if err := (jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 50, ledger: l}).run(ctx); err != nil {
				t.Fatal(err)
			}
			if cat.conflicts+cat.after5xx+cat.before5xx != 0 {
				t.Fatal("not every injected fault was hit")
			}
			checkExact(t, wh, id, src)
		})
	}
}

// TestExpiryThenCrash (C6): expire down to one snapshot, crash right after a
// catalog commit, restart: no duplicate, no loss — the positions live in the
// job's committed records. Then a rollback behind the job's last commit stops
// the job with an explicit error.
func TestExpiryThenCrash(t *testing.T) {
	ctx := context.Background()
	src := source{parts: 4, perPart: 300}
	wh := newWarehouse(t, true, "")
	id := createEvents(t, wh)
	expireAt := 0
	hook := func(p string) error {
		if p != commit.FPAfterRecord {
			return nil
		}
		if expireAt++; expireAt == 2 {
			if _, err := wh.ExpireSnapshots(ctx, id, 1, 0); err != nil {
				return err
			}
		}
		return nil
	}
	crashAfterExpiry := func(p string) error {
		if err := hook(p); err != nil {
			return err
		}
		if p == commit.FPAfterCommit && expireAt >= 2 {
			return errCrash
		}
		return nil
	}
	j := jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 50, opts: []commit.Option{commit.WithHook(crashAfterExpiry)}}
	if err := j.run(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("first run: %v, want a crash", err)
	}
	if n := snapshotCount(t, wh, id); n > 3 {
		t.Fatalf("expiry left %d snapshots", n)
	}
	j.opts = nil
	if err := j.run(ctx); err != nil {
		t.Fatal(err)
	}
	checkExact(t, wh, id, src)

	// Roll the table back one snapshot: the job must refuse to go on.
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.RollbackToSnapshot(*tbl.CurrentSnapshot().ParentSnapshotID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := j.run(ctx); !errors.Is(err, commit.ErrRolledBack) {
		t.Fatalf("after rollback: %v, want ErrRolledBack", err)
	}
}

// TestObjectStore503 (O1, PR size): 10% of all S3 requests answer 503
// SlowDown, 1% 500 before and 1% after applying; the ingest completes exactly.
func TestObjectStore503(t *testing.T) {
	ctx := context.Background()
	m := testkit.MinIO(t)
	proxy := testkit.NewFaultProxy(t, m.Endpoint, testkit.FaultProxyConfig{Seed: 7, SlowDown: 0.10, InternalError: 0.01, InternalErrorAfter: 0.01})
	src := source{parts: 8, perPart: 250}
	wh := newWarehouse(t, true, proxy.URL)
	id := createEvents(t, wh)
	if err := (jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 50}).run(ctx); err != nil {
		t.Fatal(err)
	}
	st := proxy.Stats()
	if st.SlowDown == 0 {
		t.Fatalf("no fault was injected: %+v", st)
	}
	t.Logf("proxy: %+v", st)
	proxy.Enable(false)
	checkExact(t, wh, id, src)
}

type tableIdent = table.Identifier

func lakeWrite(ctx context.Context, tbl *table.Table, rec arrow.RecordBatch) ([]iceberg.DataFile, error) {
	return lake.WriteFiles(ctx, tbl, arrowSchema, lake.Batches(rec))
}

func snapshotCount(t *testing.T, wh *lake.Warehouse, id table.Identifier) int {
	t.Helper()
	tbl, err := wh.LoadTable(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return len(tbl.Metadata().Snapshots())
}

// foreignBatch is n rows with negative keys, from -(start+1) down.
func foreignBatch(start, n int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrowSchema)
	defer b.Release()
	for i := start; i < start+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(-(i + 1))
		b.Field(1).(*array.Int64Builder).Append(0)
		b.Field(2).(*array.Int32Builder).AppendNull()
		b.Field(3).(*array.Int64Builder).AppendNull()
	}
	return b.NewRecordBatch()
}

func recordReader(rec arrow.RecordBatch) array.RecordReader {
	defer rec.Release()
	r, _ := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	return r
}

// appendBatches writes each batch (of schema sc, released here) as files of
// tbl and commits them in one transaction, a snapshot per batch, outside
// any job; it returns the table as committed.
func appendBatches(t testing.TB, tbl *table.Table, sc *arrow.Schema, recs ...arrow.RecordBatch) *table.Table {
	t.Helper()
	ctx := context.Background()
	tx := tbl.NewTransaction()
	for _, rec := range recs {
		files, err := lake.WriteFiles(ctx, tbl, sc, lake.Batches(rec))
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.AddDataFiles(ctx, files, nil); err != nil {
			t.Fatal(err)
		}
	}
	tbl, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// TestEmptyEpochs: epochs whose rows the job filters out commit their
// positions as snapshots without files, so a restart does not read them
// again and the lineage index stays contiguous; a crash at any point of
// such an epoch's commit recovers like any other epoch's.
func TestEmptyEpochs(t *testing.T) {
	src := source{parts: 4, perPart: 600}
	dropped := func(e uint64) bool { return e%2 == 0 } // 2, 4, 6
	points := []string{commit.FPAfterUpload, commit.FPAfterPrepare, commit.FPAfterCommit, commit.FPAfterRecord}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			ctx := context.Background()
			wh := warehouseOn(t, "sqlite")
			id := createEvents(t, wh)
			// The second commit is epoch 2, the first empty one.
			j := jobRun{wh: wh, ident: id, job: "filter", src: src, perPart: 100, drop: dropped,
				opts: []commit.Option{commit.WithHook(crashOnce(point, 2))}}
			if err := j.run(ctx); !errors.Is(err, errCrash) {
				t.Fatalf("first run: %v, want a crash", err)
			}
			j.opts = nil
			if err := j.run(ctx); err != nil {
				t.Fatal(err)
			}
			got := scan(t, wh, id)
			if want := src.total() / 2; got.rows != want || got.distinct != want {
				t.Fatalf("rows=%d distinct=%d, want %d of each (the odd epochs)", got.rows, got.distinct, want)
			}
			lin, err := wh.Lineage(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(lin) != 6 {
				t.Fatalf("%d indexed snapshots, want one per epoch (6)", len(lin))
			}
			tbl, err := wh.LoadTable(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range lin {
				if l.Epoch != uint64(i+1) || l.Sources[0].From != int64(100*i) {
					t.Fatalf("entry %d: epoch %d from %d", i, l.Epoch, l.Sources[0].From)
				}
				added := tbl.Metadata().SnapshotByID(l.SnapshotID).Summary.Properties["added-data-files"]
				if dropped(l.Epoch) != (added == "" || added == "0") {
					t.Fatalf("epoch %d: added-data-files %q", l.Epoch, added)
				}
			}
			rep, err := lake.Verify(ctx, tbl)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Fatalf("verify: %+v", rep.Checks)
			}
		})
	}
}
