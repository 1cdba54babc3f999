package restcat_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/testkit"
	"github.com/wharfdata/wharf/lake/restcat"
)

var arrowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "data", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// rows builds an Arrow table of ids [from, to) with data "row-<id>".
func rows(from, to int64) arrow.Table {
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrowSchema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.Int64Builder).Append(i)
		b.Field(1).(*array.StringBuilder).Append(rowData(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewTableFromRecords(arrowSchema, []arrow.RecordBatch{rec})
}

// readIDs scans a table and returns its ids, sorted, checking each row's data.
func readIDs(t *testing.T, tbl *table.Table) []int64 {
	t.Helper()
	ctx := context.Background()
	if tbl.CurrentSnapshot() == nil {
		return nil
	}
	_, it, err := tbl.Scan().ToArrowRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for b, err := range it {
		if err != nil {
			t.Fatal(err)
		}
		id := b.Column(0).(*array.Int64)
		data := b.Column(1).(*array.String)
		for i := 0; i < id.Len(); i++ {
			if want := rowData(id.Value(i)); data.Value(i) != want {
				t.Fatalf("row %d: data %q, want %q", id.Value(i), data.Value(i), want)
			}
			ids = append(ids, id.Value(i))
		}
		b.Release()
	}
	slices.Sort(ids)
	return ids
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// pointers reads every table's metadata_location straight from the store's
// database: the ground truth of what is committed.
func pointers(t *testing.T, s *server) map[string]string {
	t.Helper()
	rs, err := s.db.Query(`SELECT table_namespace, table_name, metadata_location FROM iceberg_tables WHERE catalog_name = 'wharf'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[string]string{}
	for rs.Next() {
		var ns, name, loc string
		if err := rs.Scan(&ns, &name, &loc); err != nil {
			t.Fatal(err)
		}
		out[ns+"."+name] = loc
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// metadataFiles lists the metadata JSON files under a local table location.
func metadataFiles(t *testing.T, tbl *table.Table) []string {
	t.Helper()
	dir := filepath.Join(strings.TrimPrefix(tbl.Location(), "file://"), "metadata")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".metadata.json") {
			out = append(out, e.Name())
		}
	}
	return out
}

// twoTables sets up mt.a and mt.b and returns a client.
func twoTables(t *testing.T, s *server) (*rest.Catalog, table.Identifier, table.Identifier) {
	t.Helper()
	cat := s.client(t)
	a, b := table.Identifier{"mt", "a"}, table.Identifier{"mt", "b"}
	mustCreate(t, cat, a)
	mustCreate(t, cat, b)
	return cat, a, b
}

// appendBoth builds a multi-table transaction appending ids [from, to) to
// both tables, from freshly loaded tables.
func appendBoth(t *testing.T, cat *rest.Catalog, ids []table.Identifier, from, to int64) *catalog.MultiTableTransaction {
	t.Helper()
	ctx := context.Background()
	mtx, err := catalog.NewMultiTableTransaction(cat)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		tbl, err := cat.LoadTable(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		tx := tbl.NewTransaction()
		data := rows(from, to)
		err = tx.AppendTable(ctx, data, 1000, nil)
		data.Release()
		if err != nil {
			t.Fatal(err)
		}
		if err := mtx.AddTransaction(tx); err != nil {
			t.Fatal(err)
		}
	}
	return mtx
}

func checkRows(t *testing.T, cat catalog.Catalog, id table.Identifier, want []int64) {
	t.Helper()
	tbl, err := cat.LoadTable(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got := readIDs(t, tbl); !slices.Equal(got, want) {
		t.Fatalf("%v: ids %v, want %v", id, got, want)
	}
}

var errInjected = errors.New("injected fault")

// TestMultiTableCommit: a multi-table transaction over iceberg-go's REST
// client commits both tables, and each way it can fail leaves both as they
// were: a crash between the two pointer swaps, a conflicting commit to one
// table, a store error on the second swap.
func TestMultiTableCommit(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	cat, a, b := twoTables(t, s)
	both := []table.Identifier{a, b}

	// Both tables move together.
	if err := appendBoth(t, cat, both, 0, 10).Commit(ctx); err != nil {
		t.Fatal(err)
	}
	checkRows(t, cat, a, seq(0, 10))
	checkRows(t, cat, b, seq(0, 10))

	// unchanged asserts that a failed commit left every pointer, every row,
	// and the set of metadata files (no garbage from the failed attempt) as
	// they were before it.
	unchanged := func(t *testing.T, before map[string]string, files map[string][]string) {
		t.Helper()
		if after := pointers(t, s); !mapsEqual(before, after) {
			t.Fatalf("pointers moved:\nbefore %v\nafter  %v", before, after)
		}
		for _, id := range both {
			tbl, err := cat.LoadTable(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got := metadataFiles(t, tbl); !slices.Equal(got, files[id[1]]) {
				t.Fatalf("%v metadata files %v, want %v", id, got, files[id[1]])
			}
			if got := readIDs(t, tbl); !slices.Equal(got, seq(0, 10)) {
				t.Fatalf("%v: ids %v, want 0..9", id, got)
			}
		}
	}
	snapshot := func(t *testing.T) (map[string]string, map[string][]string) {
		t.Helper()
		files := map[string][]string{}
		for _, id := range both {
			tbl, err := cat.LoadTable(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			files[id[1]] = metadataFiles(t, tbl)
		}
		return pointers(t, s), files
	}

	t.Run("crash between the pointer swaps", func(t *testing.T) {
		before, files := snapshot(t)
		hit := 0
		s.setHook(func(p string) error {
			if p == restcat.FaultAfterFirstSwap {
				hit++
				return errInjected
			}
			return nil
		})
		defer s.setHook(nil)
		err := appendBoth(t, cat, both, 10, 20).Commit(ctx)
		if err == nil || hit != 1 {
			t.Fatalf("commit: %v (hook hit %d times), want a failure after the first swap", err, hit)
		}
		// Nothing was applied, and the server says so (503, not 409: no
		// conflict, just a failed store).
		if !errors.Is(err, rest.ErrCommitStateUnknown) || !strings.Contains(err.Error(), "nothing was committed") {
			t.Fatalf("error %v", err)
		}
		unchanged(t, before, files)
	})

	t.Run("conflicting commit to one table", func(t *testing.T) {
		before, _ := snapshot(t)
		// Just before the swaps, another writer commits to table b.
		var concurrent error
		fired := false
		s.setHook(func(p string) error {
			if p != restcat.FaultBeforeSwaps || fired {
				return nil
			}
			fired = true
			tbl, err := cat.LoadTable(ctx, b)
			if err != nil {
				concurrent = err
				return nil
			}
			data := rows(100, 101)
			defer data.Release()
			_, concurrent = tbl.AppendTable(ctx, data, 10, nil)
			return nil
		})
		defer s.setHook(nil)
		err := appendBoth(t, cat, both, 10, 20).Commit(ctx)
		if concurrent != nil {
			t.Fatalf("concurrent commit: %v", concurrent)
		}
		if !errors.Is(err, table.ErrCommitFailed) {
			t.Fatalf("commit: %v, want CommitFailed (409)", err)
		}
		after := pointers(t, s)
		if after["mt.a"] != before["mt.a"] {
			t.Fatalf("table a moved although the transaction failed: %s → %s", before["mt.a"], after["mt.a"])
		}
		if after["mt.b"] == before["mt.b"] {
			t.Fatal("the concurrent commit to b did not land")
		}
		checkRows(t, cat, a, seq(0, 10))
		checkRows(t, cat, b, append(seq(0, 10), 100))
	})

	t.Run("store error on the second swap", func(t *testing.T) {
		checkRowsB := append(seq(0, 10), 100)
		before := pointers(t, s)
		// A real database failure: the trigger aborts the UPDATE of b's row,
		// which comes after a's in the swap order.
		if _, err := s.db.Exec(`CREATE TRIGGER fail_b BEFORE UPDATE OF metadata_location ON iceberg_tables WHEN NEW.table_name = 'b' BEGIN SELECT RAISE(ABORT, 'injected store failure'); END`); err != nil {
			t.Fatal(err)
		}
		err := appendBoth(t, cat, both, 10, 20).Commit(ctx)
		if !errors.Is(err, rest.ErrCommitStateUnknown) || !strings.Contains(err.Error(), "injected store failure") {
			t.Fatalf("commit: %v, want the store failure", err)
		}
		if after := pointers(t, s); !mapsEqual(before, after) {
			t.Fatalf("pointers moved:\nbefore %v\nafter  %v", before, after)
		}
		checkRows(t, cat, a, seq(0, 10))
		checkRows(t, cat, b, checkRowsB)

		// With the store healthy again the same change commits, to both.
		if _, err := s.db.Exec(`DROP TRIGGER fail_b`); err != nil {
			t.Fatal(err)
		}
		if err := appendBoth(t, cat, both, 10, 20).Commit(ctx); err != nil {
			t.Fatal(err)
		}
		checkRows(t, cat, a, seq(0, 20))
		checkRows(t, cat, b, append(seq(0, 20), 100))
	})
}

// TestMultiTableCommitFaultPoints fails a two-table commit at each fault
// point through the store API: never does one table move without the other.
func TestMultiTableCommitFaultPoints(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { faultPoints(t, func(t *testing.T) *server { return newServer(t) }) })
	t.Run("postgres", func(t *testing.T) {
		pg := testkit.Postgres(t)
		faultPoints(t, func(t *testing.T) *server {
			return newServer(t, serverConfig{dialect: restcat.Postgres, dsn: pg.NewDatabase(t)})
		})
	})
}

func faultPoints(t *testing.T, newServer func(*testing.T) *server) {
	ctx := context.Background()
	for _, point := range []string{restcat.FaultBeforeSwaps, restcat.FaultAfterFirstSwap, restcat.FaultBeforeTxCommit} {
		t.Run(point, func(t *testing.T) {
			s := newServer(t)
			cat, a, b := twoTables(t, s)
			before := pointers(t, s)
			s.setHook(func(p string) error {
				if p == point {
					return errInjected
				}
				return nil
			})
			changes := []restcat.TableChange{
				{Ident: a, Updates: []table.Update{table.NewSetPropertiesUpdate(map[string]string{"k": "a"})}},
				{Ident: b, Updates: []table.Update{table.NewSetPropertiesUpdate(map[string]string{"k": "b"})}},
			}
			_, err := s.store.Commit(ctx, changes)
			if !errors.Is(err, restcat.ErrNotApplied) || !errors.Is(err, errInjected) {
				t.Fatalf("commit: %v", err)
			}
			if after := pointers(t, s); !mapsEqual(before, after) {
				t.Fatalf("pointers moved:\nbefore %v\nafter  %v", before, after)
			}
			s.setHook(nil)
			if _, err := s.store.Commit(ctx, changes); err != nil {
				t.Fatal(err)
			}
			for _, id := range []table.Identifier{a, b} {
				tbl, err := cat.LoadTable(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if got := tbl.Properties()["k"]; got != id[1] {
					t.Fatalf("%v: k=%q", id, got)
				}
			}
		})
	}
}

// TestMultiTableRequirementFails: one table's failed requirement fails the
// whole transaction, with 409, before anything moves.
func TestMultiTableRequirementFails(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	cat, a, b := twoTables(t, s)
	before := pointers(t, s)
	stale := int64(12345)
	err := cat.CommitTransaction(ctx, []table.TableCommit{
		{Identifier: a, Updates: []table.Update{table.NewSetPropertiesUpdate(map[string]string{"k": "v"})}},
		{Identifier: b, Requirements: []table.Requirement{table.AssertRefSnapshotID("main", &stale)},
			Updates: []table.Update{table.NewSetPropertiesUpdate(map[string]string{"k": "v"})}},
	})
	if !errors.Is(err, table.ErrCommitFailed) {
		t.Fatalf("commit: %v, want CommitFailed", err)
	}
	if after := pointers(t, s); !mapsEqual(before, after) {
		t.Fatalf("pointers moved:\nbefore %v\nafter  %v", before, after)
	}
	// A missing table fails it too, with 404.
	err = cat.CommitTransaction(ctx, []table.TableCommit{
		{Identifier: a, Updates: []table.Update{table.NewSetPropertiesUpdate(map[string]string{"k": "v"})}},
		{Identifier: table.Identifier{"mt", "nope"}, Updates: []table.Update{table.NewSetPropertiesUpdate(map[string]string{"k": "v"})}},
	})
	if !errors.Is(err, catalog.ErrNoSuchTable) {
		t.Fatalf("commit with a missing table: %v", err)
	}
	if after := pointers(t, s); !mapsEqual(before, after) {
		t.Fatalf("pointers moved:\nbefore %v\nafter  %v", before, after)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMultiTableConcurrent: writers run multi-table appends to a and b at
// once (half list the tables as b, a), retrying conflicts on fresh tables.
// Every commit lands in both tables or neither, so a and b end with the same
// rows, and every writer's rows are there exactly once.
func TestMultiTableConcurrent(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { concurrentPairs(t, newServer(t)) })
	t.Run("postgres", func(t *testing.T) {
		pg := testkit.Postgres(t)
		concurrentPairs(t, newServer(t, serverConfig{dialect: restcat.Postgres, dsn: pg.NewDatabase(t)}))
	})
}

func concurrentPairs(t *testing.T, s *server) {
	ctx := context.Background()
	cat, a, b := twoTables(t, s)
	const writers = 4
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			order := []table.Identifier{a, b}
			if w%2 == 1 {
				order = []table.Identifier{b, a}
			}
			for attempt := 0; attempt < 50; attempt++ {
				err := appendBoth(t, cat, order, int64(w)*10, int64(w)*10+10).Commit(ctx)
				if !errors.Is(err, table.ErrCommitFailed) {
					errs[w] = err
					return
				}
			}
			errs[w] = fmt.Errorf("writer %d: still conflicting after 50 attempts", w)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	checkRows(t, cat, a, seq(0, writers*10))
	checkRows(t, cat, b, seq(0, writers*10))
}
