package restcat_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/testkit"
	"github.com/wharfdata/wharf/lake/commit"
	"github.com/wharfdata/wharf/lake/restcat"
)

func kafka(p int32, from, to int64) commit.Range {
	return commit.Range{Kind: "kafka", Name: "orders", Partition: p, From: from, To: to}
}

// wharfProps is the summary the ledger writes for epoch n of job, with the
// txid derived from the table as the ledger derives it.
func wharfProps(tbl *table.Table, job string, n uint64, rs ...commit.Range) iceberg.Properties {
	wm := int64(1000 * n)
	e := commit.Epoch{Job: job, JobVersion: "v1", Generation: 1, Number: n, Sources: rs, Watermark: &wm, State: "state/1/" + job}
	return e.Properties(commit.TxID(job, tbl.Metadata().TableUUID().String(), n))
}

// appendWith appends ids [from, to) with snapshot summary props through cat.
func appendWith(t *testing.T, cat catalog.Catalog, id table.Identifier, from, to int64, props iceberg.Properties) error {
	t.Helper()
	ctx := context.Background()
	tbl, err := cat.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	data := rows(from, to)
	defer data.Release()
	if err := tx.AppendTable(ctx, data, 1000, props); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Commit(ctx)
	return err
}

func load(t *testing.T, cat catalog.Catalog, id table.Identifier) *table.Table {
	t.Helper()
	tbl, err := cat.LoadTable(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// TestLineageIndex: wharf snapshots are indexed in their commit; a gap, an
// overlap, a repeated txid and a multi-table epoch whose tables disagree are
// refused with a 409 and nothing applied; foreign snapshots pass unindexed.
func TestLineageIndex(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { lineageIndex(t, newServer(t)) })
	t.Run("postgres", func(t *testing.T) {
		dsn := testkit.Postgres(t).NewDatabase(t)
		lineageIndex(t, newServer(t, serverConfig{dialect: restcat.Postgres, dsn: dsn}))
	})
}

func lineageIndex(t *testing.T, s *server) {
	ctx := context.Background()
	cat, a, b := twoTables(t, s)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(appendWith(t, cat, a, 0, 10, wharfProps(load(t, cat, a), "j", 1, kafka(0, 0, 10), kafka(1, 0, 0))))
	must(appendWith(t, cat, a, 10, 20, wharfProps(load(t, cat, a), "j", 2, kafka(0, 10, 20), kafka(1, 0, 5))))
	must(appendWith(t, cat, a, 100, 105, nil)) // a foreign writer

	got, err := s.store.Lineage(ctx, a)
	must(err)
	if len(got) != 2 {
		t.Fatalf("indexed %d snapshots, want 2 (the foreign one unindexed): %+v", len(got), got)
	}
	e2 := got[1]
	if e2.Job != "j" || e2.JobVersion != "v1" || e2.Epoch != 2 || e2.Generation != 1 || e2.Watermark == nil || *e2.Watermark != 2000 ||
		e2.State != "state/1/j" || e2.SnapshotID == 0 || e2.SequenceNumber != 2 || e2.CommittedAtMs == 0 ||
		len(e2.Sources) != 2 || e2.Sources[0] != kafka(0, 10, 20) || e2.Sources[1] != kafka(1, 0, 5) {
		t.Fatalf("epoch 2 indexed as %+v", e2)
	}
	if snap := load(t, cat, a).Metadata().SnapshotByID(e2.SnapshotID); snap == nil || snap.Summary.Properties[commit.KeyTxID] != e2.TxID {
		t.Fatalf("indexed snapshot %d does not carry txid %s", e2.SnapshotID, e2.TxID)
	}
	derived, err := s.store.DerivedFrom(ctx, kafka(0, 0, 0).Key(), 12, 13)
	must(err)
	if len(derived) != 1 || derived[0].Epoch != 2 {
		t.Fatalf("derived from orders/0 [12,13): %+v", derived)
	}
	derived, err = s.store.DerivedFrom(ctx, kafka(0, 0, 0).Key(), 5, 15)
	must(err)
	if len(derived) != 2 {
		t.Fatalf("derived from orders/0 [5,15): %d snapshots, want 2", len(derived))
	}

	refused := []struct {
		name  string
		props iceberg.Properties
		want  []string
	}{
		{"gap", wharfProps(load(t, cat, a), "j", 3, kafka(0, 25, 30), kafka(1, 5, 5)), []string{"job j", "kafka:orders/0", "expected from 20", "got from 25", "gap"}},
		{"overlap", wharfProps(load(t, cat, a), "j", 3, kafka(0, 20, 30), kafka(1, 4, 9)), []string{"job j", "kafka:orders/1", "expected from 5", "got from 4", "overlap"}},
		{"late epoch", wharfProps(load(t, cat, a), "j", 1, kafka(0, 20, 30)), []string{"epoch 2 is already indexed"}},
		{"txid again", load(t, cat, a).CurrentSnapshot().Summary.Properties, []string{"already committed"}},
	}
	// A replay of epoch 1 under another key (a replaced table's txid) is
	// late; the foreign snapshot's summary has no txid, so use epoch 2's.
	refused[2].props[commit.KeyTxID] = "another-key"
	refused[3].props = load(t, cat, a).Metadata().SnapshotByID(e2.SnapshotID).Summary.Properties
	for _, c := range refused {
		before := pointers(t, s)
		err := appendWith(t, cat, a, 200, 201, c.props)
		if !errors.Is(err, table.ErrCommitFailed) {
			t.Fatalf("%s: %v, want a 409 CommitFailed", c.name, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("%s: error %q does not say %q", c.name, err, w)
			}
		}
		if after := pointers(t, s); !mapsEqual(before, after) {
			t.Fatalf("%s: a refused commit moved a pointer", c.name)
		}
	}

	// A job's first range of a partition is free; another job has its own.
	must(appendWith(t, cat, b, 0, 3, wharfProps(load(t, cat, b), "k", 7, kafka(0, 500, 503))))

	// Both tables of a multi-table epoch carry the same ranges; when they
	// disagree, neither commits.
	multi := func(rb commit.Range) error {
		mtx, err := catalog.NewMultiTableTransaction(cat)
		must(err)
		for _, c := range []struct {
			id table.Identifier
			r  commit.Range
		}{{a, kafka(0, 20, 30)}, {b, rb}} {
			tbl := load(t, cat, c.id)
			tx := tbl.NewTransaction()
			data := rows(300, 310)
			err := tx.AppendTable(ctx, data, 1000, wharfProps(tbl, "j", 3, c.r))
			data.Release()
			must(err)
			must(mtx.AddTransaction(tx))
		}
		return mtx.Commit(ctx)
	}
	before := pointers(t, s)
	if err := multi(kafka(0, 20, 31)); !errors.Is(err, table.ErrCommitFailed) || !strings.Contains(err.Error(), "epoch 3 is indexed with range [20,30), got [20,31)") {
		t.Fatalf("disagreeing multi-table epoch: %v", err)
	}
	if after := pointers(t, s); !mapsEqual(before, after) {
		t.Fatal("a refused multi-table commit moved a pointer")
	}
	must(multi(kafka(0, 20, 30)))
	for _, id := range []table.Identifier{a, b} {
		got, err := s.store.Lineage(ctx, id)
		must(err)
		if last := got[len(got)-1]; last.Job != "j" || last.Epoch != 3 {
			t.Fatalf("%v: last indexed %+v, want job j epoch 3", id, last)
		}
	}
}

// TestLineageRESTError: the refusal reaches a REST client as the spec's 409
// CommitFailedException, its message naming job, partition and positions.
func TestLineageRESTError(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	cat, a, _ := twoTables(t, s)
	if err := appendWith(t, cat, a, 0, 10, wharfProps(load(t, cat, a), "j", 1, kafka(0, 0, 10))); err != nil {
		t.Fatal(err)
	}
	tbl := load(t, cat, a)
	tx := tbl.NewTransaction()
	data := rows(10, 20)
	defer data.Release()
	if err := tx.AppendTable(ctx, data, 1000, wharfProps(tbl, "j", 2, kafka(0, 11, 20))); err != nil {
		t.Fatal(err)
	}
	tc, err := tx.TableCommit()
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"requirements": tc.Requirements, "updates": tc.Updates})
	if err != nil {
		t.Fatal(err)
	}
	status, resp := get(t, s, "POST", "/v1/namespaces/mt/tables/a", string(body))
	if status != 409 || errType(t, status, resp) != restcat.TypeCommitFailed {
		t.Fatalf("gap over REST: %d %v", status, resp)
	}
	msg := resp["error"].(map[string]any)["message"].(string)
	for _, w := range []string{"job j epoch 2", "kafka:orders/0", "expected from 10", "got from 11", "gap"} {
		if !strings.Contains(msg, w) {
			t.Fatalf("message %q does not say %q", msg, w)
		}
	}
}
