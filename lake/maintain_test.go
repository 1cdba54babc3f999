package lake_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// TestCompactWithConcurrentAppend: compaction of many small files while a
// foreign writer appends loses no row of either and leaves fewer files.
func TestCompactWithConcurrentAppend(t *testing.T) {
	ctx := context.Background()
	src := source{parts: 2, perPart: 400}
	wh := newWarehouse(t, true, "")
	id := createEvents(t, wh)
	if err := (jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 20}).run(ctx); err != nil {
		t.Fatal(err)
	}
	before := liveFiles(t, wh, id)
	stop := make(chan struct{})
	appended := make(chan int64)
	go func() {
		var n int64
		defer func() { appended <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			tbl, err := wh.LoadTable(ctx, id)
			if err == nil {
				if _, err := tbl.Append(ctx, recordReader(foreignBatch(n, 5)), nil); err == nil {
					n += 5
				}
			}
			time.Sleep(200 * time.Millisecond) // C1's rate
		}
	}()
	// One append is sure to land between the compaction's planning and its
	// commit, whatever the timing of the periodic ones.
	var planned *int64
	lake.SetAfterCompactPlan(func() {
		if planned != nil {
			return
		}
		tbl, err := wh.LoadTable(ctx, id)
		if err != nil {
			t.Error(err)
			return
		}
		id := tbl.CurrentSnapshot().SnapshotID
		planned = &id
		if _, err := tbl.Append(ctx, recordReader(foreignBatch(1_000_000, 5)), nil); err != nil {
			t.Error(err)
		}
	})
	defer lake.SetAfterCompactPlan(nil)
	res, err := wh.Compact(ctx, id, 0)
	time.Sleep(300 * time.Millisecond) // let an append land after the rewrite too
	close(stop)
	n := <-appended
	if err != nil {
		t.Fatal(err)
	}
	if res.RemovedDataFiles == 0 {
		t.Fatalf("nothing compacted: %+v", res)
	}
	if got := scan(t, wh, id).foreign; got != n+5 || n == 0 {
		t.Fatalf("foreign rows = %d, appended %d + 5 during the compaction", got, n)
	}
	// The rewrite was rebased: its snapshot sits above the append that landed
	// after it was planned, not directly on the snapshot it planned from.
	replace := res.Table.CurrentSnapshot()
	for s := replace; s != nil && s.Summary != nil && s.Summary.Operation != "replace"; {
		s = res.Table.SnapshotByID(*s.ParentSnapshotID)
		replace = s
	}
	if planned == nil || replace == nil || replace.ParentSnapshotID == nil || *replace.ParentSnapshotID == *planned {
		t.Fatalf("the compaction was not rebased over the concurrent append (planned from %v)", planned)
	}
	checkExact(t, wh, id, src)
	// Every foreign append adds one file, the hook's included.
	want := before - res.RemovedDataFiles + res.AddedDataFiles + int(n/5) + 1
	if after := liveFiles(t, wh, id); after != want || res.AddedDataFiles >= res.RemovedDataFiles {
		t.Fatalf("live files %d → %d, want %d after %+v and %d appends", before, after, want, res, n/5+1)
	}
}

// TestOrphansAndPendingEpochs: orphan cleanup removes files no snapshot
// references — but not those of an epoch prepared and not yet committed —
// and expiry keeps the snapshot of an epoch whose commit is not recorded.
func TestOrphansAndPendingEpochs(t *testing.T) {
	ctx := context.Background()
	src := source{parts: 2, perPart: 300}
	wh := newWarehouse(t, true, "")
	id := createEvents(t, wh)

	// An upload that never got a prepared record: a true orphan.
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := src.next(nil, 10)
	orphans, err := lakeWrite(ctx, tbl, rec)
	if err != nil {
		t.Fatal(err)
	}
	// A job that crashes after preparing epoch 3: its files are in flight.
	j := jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 50,
		opts: []commit.Option{commit.WithHook(crashOnce(commit.FPAfterPrepare, 3))}}
	if err := j.run(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("run: %v", err)
	}
	pending, err := commit.Pending(ctx, wh.Records())
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending = %v, %v", pending, err)
	}
	deleted, err := lake.RemoveOrphansNow(wh, ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range orphans {
		if !slices.Contains(deleted, f.FilePath()) {
			t.Errorf("orphan %s not deleted", f.FilePath())
		}
	}
	for _, f := range pending[0].Files {
		if slices.Contains(deleted, f) {
			t.Fatalf("deleted %s of a pending epoch", f)
		}
	}

	// A crash after the catalog commit of the next epoch leaves a snapshot
	// whose commit is not recorded; foreign appends bury it; expiry to one
	// snapshot must keep it.
	j.opts = []commit.Option{commit.WithHook(crashOnce(commit.FPAfterCommit, 2))}
	if err := j.run(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("run: %v", err)
	}
	for i := int64(0); i < 3; i++ {
		tbl, err := wh.LoadTable(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tbl.Append(ctx, recordReader(foreignBatch(i*5, 5)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := wh.ExpireSnapshots(ctx, id, 1, 0); err != nil {
		t.Fatal(err)
	}
	if n := snapshotCount(t, wh, id); n != 4 {
		t.Fatalf("snapshots after expiry = %d, want 4 (3 foreign + the pending epoch's)", n)
	}
	j.opts = nil
	if err := j.run(ctx); err != nil {
		t.Fatal(err)
	}
	checkExact(t, wh, id, src)
}

func liveFiles(t *testing.T, wh *lake.Warehouse, id tableIdent) int {
	t.Helper()
	tbl, err := wh.LoadTable(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(tasks)
}

// TestCompactReplansOverConcurrentDeletes: an upsert epoch that deletes rows
// of the files being rewritten lands between the rewrite and its commit. The
// rewrite must not be rebased over it (its outputs still hold the deleted
// rows); it is planned again, and no deleted row comes back.
func TestCompactReplansOverConcurrentDeletes(t *testing.T) {
	ctx := context.Background()
	wh := warehouseOn(t, "sqlite")
	id := createPK(t, wh, "pk", nil)
	r := rand.New(rand.NewPCG(9, 9))
	model := map[int64]int64{}
	u := newUpserter(t, wh, id)
	for range 3 {
		u.epochInto(model, randomChanges(r, 1000, 600))
	}
	raced := 0
	lake.SetAfterCompactPlan(func() {
		if raced++; raced > 1 {
			return
		}
		u.epochInto(model, randomChanges(r, 1000, 600))
	})
	defer lake.SetAfterCompactPlan(nil)
	res, err := wh.Compact(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if raced < 2 || res.RemovedDataFiles == 0 {
		t.Fatalf("rewritten %d times, %+v: want a second plan that compacted", raced, res)
	}
	checkContents(t, wh, id, model, "after a compaction raced by an upsert epoch")
	u.epochInto(model, randomChanges(r, 1000, 600))
	checkContents(t, wh, id, model, "after the next epoch")
}

// TestUpsertEpochAbortedAfterCompaction: a compaction lands between an
// upsert epoch's prepared record and its commit, so the epoch's position
// deletes name files that are gone: the commit fails (or the job crashed
// there, and recovery cannot finish it). That must not stop the job for
// good: the epoch landed nowhere, so its record goes and the job computes
// it again against the compacted table.
func TestUpsertEpochAbortedAfterCompaction(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%v", crash), func(t *testing.T) {
			ctx := context.Background()
			wh := warehouseOn(t, "sqlite")
			id := createPK(t, wh, "pk", nil)
			r := rand.New(rand.NewPCG(11, 11))
			model := map[int64]int64{}
			prepared := 0
			u := newUpserter(t, wh, id, commit.WithHook(func(p string) error {
				if p != commit.FPAfterPrepare {
					return nil
				}
				if prepared++; prepared != 4 {
					return nil
				}
				if res, err := wh.Compact(ctx, id, 0); err != nil || res.RemovedDataFiles == 0 {
					t.Errorf("compact: %+v, %v", res, err)
				}
				if crash {
					return errCrash
				}
				return nil
			}))
			for range 3 {
				u.epochInto(model, randomChanges(r, 1000, 600))
			}
			cs := randomChanges(r, 1000, 600)
			data, deletes := u.flush(cs)
			if len(deletes) == 0 {
				t.Fatal("the epoch deletes nothing: the test would prove nothing")
			}
			_, err := u.commit(len(cs), data, deletes)
			if want := map[bool]error{false: commit.ErrDeletedFileGone, true: errCrash}[crash]; !errors.Is(err, want) {
				t.Fatalf("commit: %v, want %v", err, want)
			}
			if !crash {
				// Aborted on the spot: a restart, not a fatal error, mends it.
				if errkind.Of(err) != errkind.Retryable {
					t.Fatalf("commit: %v is not retryable", err)
				}
				if pending, err := commit.Pending(ctx, wh.Records()); err != nil || len(pending) != 0 {
					t.Fatalf("pending after the failed commit: %v, %v", pending, err)
				}
			}
			again := newUpserter(t, wh, id)
			if again.next != 4 || again.offset != u.offset {
				t.Fatalf("resumed at epoch %d, offset %d; want epoch 4 at offset %d", again.next, again.offset, u.offset)
			}
			if pending, err := commit.Pending(ctx, wh.Records()); err != nil || len(pending) != 0 {
				t.Fatalf("pending after the abort: %v, %v", pending, err)
			}
			again.epochInto(model, cs)
			checkContents(t, wh, id, model, "after the aborted epoch ran again")
		})
	}
}
