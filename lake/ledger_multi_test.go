package lake_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
	"github.com/wharfdata/wharf/lake/objstore"
	"github.com/wharfdata/wharf/lake/restcat"
)

// multiRun is a test job that copies the source into several tables, each
// epoch committed to all of them in one catalog transaction.
type multiRun struct {
	wh      *lake.Warehouse
	ids     []table.Identifier
	job     string
	src     source
	perPart int64
	opts    []commit.Option
	cat     table.CatalogIO // when set, the ledger's catalog instead of the warehouse's
}

func (j multiRun) run(ctx context.Context) error {
	cat := j.cat
	if cat == nil {
		cat = j.wh.Catalog()
	}
	l, err := commit.New(j.wh.Records(), cat, true, j.job, j.opts...)
	if err != nil {
		return err
	}
	res, err := l.Recover(ctx, j.ids)
	if err != nil {
		return err
	}
	pos, epoch := res.Positions, res.NextEpoch
	for !j.src.done(pos) {
		rec, ranges := j.src.next(pos, j.perPart)
		var targets []commit.Target
		for i, id := range j.ids {
			tbl, err := j.wh.LoadTable(ctx, id)
			if err != nil {
				return err
			}
			if i < len(j.ids)-1 {
				rec.Retain() // WriteFiles releases it once per table
			}
			files, err := lake.WriteFiles(ctx, tbl, arrowSchema, lake.Batches(rec))
			if err != nil {
				return err
			}
			targets = append(targets, commit.Target{Table: id, Files: files})
		}
		if _, err := l.Commit(ctx, commit.Epoch{Number: epoch, JobVersion: "v1", Sources: ranges}, targets...); err != nil {
			return err
		}
		pos, epoch = l.Positions(), epoch+1
	}
	return nil
}

func createNamed(t *testing.T, wh *lake.Warehouse, name string) table.Identifier {
	t.Helper()
	id, err := lake.Ident(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wh.CreateTable(context.Background(), id, icebergSchema, lake.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	return id
}

// epochsOf lists the job epochs on a table's main branch, oldest first.
func epochsOf(t *testing.T, wh *lake.Warehouse, id table.Identifier) []uint64 {
	t.Helper()
	tbl, err := wh.LoadTable(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	f, err := commit.FactsOf(tbl.Metadata(), "", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, s := range f.Ancestry {
		if s.TxID != "" {
			out = append(out, s.Epoch)
		}
	}
	slices.Reverse(out)
	return out
}

// checkTogether asserts that every table holds the same epochs, on its main
// branch and in the lineage index: never one table without the other.
func checkTogether(t *testing.T, wh *lake.Warehouse, ids []table.Identifier) {
	t.Helper()
	want := epochsOf(t, wh, ids[0])
	for _, id := range ids {
		if got := epochsOf(t, wh, id); !slices.Equal(got, want) {
			t.Fatalf("%v holds epochs %v, %v holds %v", ids[0], want, id, got)
		}
		lin, err := wh.Lineage(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var indexed []uint64
		for _, l := range lin {
			indexed = append(indexed, l.Epoch)
		}
		if !slices.Equal(indexed, want) {
			t.Fatalf("%v: lineage index has epochs %v, main branch %v", id, indexed, want)
		}
	}
}

// TestMultiTableCrash: a crash at each failpoint of a two-table epoch, then a
// restart: both tables exact, every epoch in both or in neither, at every
// moment between crash and recovery.
func TestMultiTableCrash(t *testing.T) {
	points := []string{commit.FPAfterUpload, commit.FPAfterPrepare, commit.FPBeforeCatalog, commit.FPAfterCommit, commit.FPAfterRecord}
	for _, kind := range []string{"sqlite", "postgres"} {
		for _, point := range points {
			if kind == "postgres" && point != commit.FPAfterPrepare && point != commit.FPAfterCommit {
				continue // the catalog matters at the commit; SQLite covers the rest
			}
			t.Run(kind+"/"+point, func(t *testing.T) {
				ctx := context.Background()
				wh := warehouseOn(t, kind)
				ids := []table.Identifier{createNamed(t, wh, "events"), createNamed(t, wh, "events_copy")}
				src := source{parts: 2, perPart: 60}
				j := multiRun{wh: wh, ids: ids, job: "fan", src: src, perPart: 20,
					opts: []commit.Option{commit.WithHook(crashOnce(point, 2))}}
				if err := j.run(ctx); !errors.Is(err, errCrash) {
					t.Fatalf("first run: %v", err)
				}
				checkTogether(t, wh, ids)
				j.opts = nil
				if err := j.run(ctx); err != nil {
					t.Fatal(err)
				}
				for _, id := range ids {
					checkExact(t, wh, id, src)
				}
				checkTogether(t, wh, ids)
			})
		}
	}
}

// storeCatalog commits through its own restcat store over the warehouse's
// database, so that store faults can be injected.
type storeCatalog struct {
	table.CatalogIO
	store *restcat.Store
}

func (c storeCatalog) CommitTransaction(ctx context.Context, commits []table.TableCommit) error {
	changes := make([]restcat.TableChange, len(commits))
	for i, tc := range commits {
		changes[i] = restcat.TableChange{Ident: tc.Identifier, Requirements: tc.Requirements, Updates: tc.Updates}
	}
	_, err := c.store.Commit(ctx, changes)
	return err
}

// TestMultiTableStoreFaults: the store fails inside its transaction (after
// the first pointer swap, before the database commit) or before it: the
// ledger retries, and no state in between shows one table without the other.
func TestMultiTableStoreFaults(t *testing.T) {
	for _, point := range []string{restcat.FaultBeforeSwaps, restcat.FaultAfterFirstSwap, restcat.FaultBeforeTxCommit} {
		t.Run(point, func(t *testing.T) {
			ctx := context.Background()
			wh := newWarehouse(t, false, "")
			ids := []table.Identifier{createNamed(t, wh, "events"), createNamed(t, wh, "events_copy")}
			var hits atomic.Int32
			cdb, _ := wh.CatalogDB()
			store, err := restcat.NewStore(ctx, cdb.DB, restcat.Dialect(cdb.Dialect), cdb.Name, cdb.Props, restcat.WithFaultHook(func(p string) error {
				if p == point && hits.Add(1)%2 == 1 { // every other commit fails
					return errors.New("injected store error")
				}
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			src := source{parts: 2, perPart: 60}
			j := multiRun{wh: wh, ids: ids, job: "fan", src: src, perPart: 20, cat: storeCatalog{wh.Catalog(), store},
				opts: []commit.Option{commit.WithHook(func(p string) error {
					if p == commit.FPBeforeCatalog {
						checkTogether(t, wh, ids) // after each failed attempt too
					}
					return nil
				})}}
			if err := j.run(ctx); err != nil {
				t.Fatal(err)
			}
			if hits.Load() < 3 {
				t.Fatalf("fault point %s hit %d times", point, hits.Load())
			}
			for _, id := range ids {
				checkExact(t, wh, id, src)
			}
			checkTogether(t, wh, ids)
		})
	}
}

// TestMultiTableConflict: a foreign writer commits to one of the tables
// between the epoch's load and its commit; the whole transaction fails, the
// ledger rebuilds it, and both tables end exact.
func TestMultiTableConflict(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	ids := []table.Identifier{createNamed(t, wh, "events"), createNamed(t, wh, "events_copy")}
	var foreign int64
	hook := func(p string) error {
		if p != commit.FPBeforeCatalog || foreign >= 30 {
			return nil
		}
		tbl, err := wh.LoadTable(ctx, ids[1])
		if err != nil {
			return err
		}
		if _, err := tbl.Append(ctx, recordReader(foreignBatch(foreign, 10)), nil); err != nil {
			return err
		}
		foreign += 10
		checkTogether(t, wh, ids)
		return nil
	}
	src := source{parts: 2, perPart: 60}
	if err := (multiRun{wh: wh, ids: ids, job: "fan", src: src, perPart: 20, opts: []commit.Option{commit.WithHook(hook)}}).run(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		checkExact(t, wh, id, src)
	}
	if got := scan(t, wh, ids[1]); got.foreign != 30 {
		t.Fatalf("foreign rows %d, want 30", got.foreign)
	}
	checkTogether(t, wh, ids)
}

// TestMultiTableNeedsTransactions: a catalog without multi-table
// transactions refuses a two-table epoch before preparing it.
func TestMultiTableNeedsTransactions(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	ids := []table.Identifier{createNamed(t, wh, "events"), createNamed(t, wh, "events_copy")}
	l, err := commit.New(wh.Records(), &faultyCatalog{inner: wh.Catalog()}, true, "fan")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Recover(ctx, ids); err != nil {
		t.Fatal(err)
	}
	file := func(id table.Identifier) []commit.Target {
		tbl, _ := wh.LoadTable(ctx, id)
		rec, _ := source{parts: 1, perPart: 1}.next(nil, 1)
		files, err := lake.WriteFiles(ctx, tbl, arrowSchema, lake.Batches(rec))
		if err != nil {
			t.Fatal(err)
		}
		return []commit.Target{{Table: id, Files: files}}
	}
	_, err = l.Commit(ctx, commit.Epoch{Number: 1}, append(file(ids[0]), file(ids[1])...)...)
	if err == nil || !strings.Contains(err.Error(), "multi-table transactions") {
		t.Fatalf("two tables on a catalog without transactions: %v", err)
	}
}

// TestLedgerLineage: a job's epochs are indexed once each, also across a
// crash after the catalog commit (the retry finds its txid); a writer whose
// ranges overlap the job's indexed ones is refused by the index even when
// its own records (and so its guard) know nothing of them.
func TestLedgerLineage(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			wh := warehouseOn(t, kind)
			id := createEvents(t, wh)
			src := source{parts: 2, perPart: 100}
			j := jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 25,
				opts: []commit.Option{commit.WithHook(crashOnce(commit.FPAfterCommit, 2))}}
			if err := j.run(ctx); !errors.Is(err, errCrash) {
				t.Fatalf("first run: %v", err)
			}
			j.opts = nil
			if err := j.run(ctx); err != nil {
				t.Fatal(err)
			}
			checkExact(t, wh, id, src)
			lin, err := wh.Lineage(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(lin) != 4 {
				t.Fatalf("%d indexed snapshots, want one per epoch (4)", len(lin))
			}
			for i, l := range lin {
				if l.Job != "copy" || l.Epoch != uint64(i+1) || len(l.Sources) != 2 {
					t.Fatalf("entry %d: %+v", i, l)
				}
				for _, r := range l.Sources {
					if r.From != int64(25*i) || r.To != int64(25*(i+1)) {
						t.Fatalf("epoch %d: range %+v", l.Epoch, r)
					}
				}
			}
			if lin[0].Generation != 1 || lin[3].Generation != 2 {
				t.Fatalf("generations %d..%d, want 1..2 (one restart)", lin[0].Generation, lin[3].Generation)
			}
			from, err := wh.DerivedFrom(ctx, src.rangeKey(1), 30, 60)
			if err != nil {
				t.Fatal(err)
			}
			if len(from) != 2 || from[0].Epoch != 2 || from[1].Epoch != 3 {
				t.Fatalf("derived from gen:test/1 [30,60): %+v", from)
			}

			// The same job name with lost records, on a fresh table: its
			// guard sees nothing, the index sees a replay from 0.
			other := createNamed(t, wh, "events_again")
			recs, err := objstore.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			l, err := commit.New(recs, wh.Catalog(), true, "copy")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Recover(ctx, []table.Identifier{other}); err != nil {
				t.Fatal(err)
			}
			tbl, _ := wh.LoadTable(ctx, other)
			rec, ranges := src.next(nil, 10)
			files, err := lake.WriteFiles(ctx, tbl, arrowSchema, lake.Batches(rec))
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Commit(ctx, commit.Epoch{Number: 1, Sources: ranges}, commit.Target{Table: other, Files: files})
			if !errors.Is(err, commit.ErrDiscontiguous) || !strings.Contains(err.Error(), "epoch 4 is already indexed; got epoch 1 from 0") {
				t.Fatalf("overlapping writer: %v", err)
			}
			if n := snapshotCount(t, wh, other); n != 0 {
				t.Fatalf("refused commit left %d snapshots", n)
			}
		})
	}
}
