package lake_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
)

// A table partitioned on a string column that holds "" (truncate(1, s):
// its partition values include ""): iceberg-go v0.7 writes the manifest's
// lower bound for "" as none and its planner then prunes the manifest, so
// `s = 'ba'` finds nothing. Wharf's scans must find every row, from the
// manifest cache and, once the table has delete files (where the cache
// does not serve), through iceberg-go.
func TestScanEmptyStringPartition(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	spec := iceberg.NewPartitionSpec(iceberg.PartitionField{SourceIDs: []int{3}, FieldID: 1000, Name: "s_trunc", Transform: iceberg.TruncateTransform{Width: 1}})
	id, _ := lake.Ident("trunc_empty")
	keyed := iceberg.NewSchemaWithIdentifiers(0, []int{1}, pruneSchema.Fields()...)
	tbl, err := wh.CreateTable(ctx, id, keyed, lake.TableOptions{Spec: &spec})
	if err != nil {
		t.Fatal(err)
	}
	for c := range 3 {
		tbl = appendBatches(t, tbl, pruneArrow, pruneBatch(c*100, 100))
	}
	// read calls fn with each batch of a scan of s filtered by f (nil: none).
	read := func(f iceberg.BooleanExpression, fn func(s *array.String)) {
		t.Helper()
		p, err := lake.PlanScan(ctx, tbl, lake.ScanOptions{Filter: f, Columns: []string{"s"}})
		if err != nil {
			t.Fatal(err)
		}
		_, rows, err := p.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for b, err := range rows {
			if err != nil {
				t.Fatal(err)
			}
			fn(b.Column(0).(*array.String))
			b.Release()
		}
	}
	count := func(f iceberg.BooleanExpression) int64 {
		t.Helper()
		var n int64
		read(f, func(s *array.String) { n += int64(s.Len()) })
		return n
	}
	// pruneBatch cycles through pruneWords ("ba" is one of 10), with NULLs
	// now and then: count the expected rows from an unfiltered scan.
	perWord, wantNotNull := map[string]int64{}, int64(0)
	read(nil, func(s *array.String) {
		for i := range s.Len() {
			if s.IsValid(i) {
				perWord[s.Value(i)]++
				wantNotNull++
			}
		}
	})
	ba, notNull := iceberg.EqualTo(iceberg.Reference("s"), "ba"), iceberg.NotNull(iceberg.Reference("s"))
	wantBA, wantZZ := perWord["ba"], perWord["zz"]
	if wantBA == 0 || wantZZ == 0 {
		t.Fatalf("the table has %d rows with s = 'ba', %d with s = 'zz'; the test needs some", wantBA, wantZZ)
	}
	if got, gotNotNull := count(ba), count(notNull); got != wantBA || gotNotNull != wantNotNull {
		t.Fatalf("cached planning: %d rows with s = 'ba', %d with s not null; want %d, %d", got, gotNotNull, wantBA, wantNotNull)
	}
	if got, err := lake.PlanFiles(ctx, tbl, lake.ScanOptions{Filter: ba}); err == nil && len(got) == 0 {
		t.Logf("iceberg-go's own planner still keeps no file for s = 'ba' (the bug this guards against)")
	}
	// A delete file makes the scan fall back to iceberg-go's planning: an
	// upsert of row 8 (s = "zz") replaces it with s = "zzz".
	w, err := lake.NewUpsertWriter(ctx, tbl, pruneArrow)
	if err != nil {
		t.Fatal(err)
	}
	row := pruneBatch(8, 1)
	defer row.Release()
	zzz := pruneBatch(9, 1) // s = "zzz"
	defer zzz.Release()
	upd := array.NewRecordBatch(pruneArrow, []arrow.Array{row.Column(0), row.Column(1), zzz.Column(2), row.Column(3), row.Column(4), row.Column(5)}, 1)
	defer upd.Release()
	if err := w.Write(ctx, upd, nil); err != nil {
		t.Fatal(err)
	}
	data, deletes, err := w.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.NewRowDelta(nil).AddRows(data...).AddDeletes(deletes...).Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if tbl, err = tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	w.Committed()
	if !hasDeletes(ctx, t, tbl) {
		t.Fatal("the delete wrote no delete file: the fallback is not exercised")
	}
	if got := count(ba); got != wantBA {
		t.Fatalf("with delete files: %d rows with s = 'ba', want %d", got, wantBA)
	}
	if got := count(iceberg.EqualTo(iceberg.Reference("s"), "zz")); got != wantZZ-1 {
		t.Fatalf("with delete files: %d rows with s = 'zz', want %d (one replaced)", got, wantZZ-1)
	}
}

func hasDeletes(ctx context.Context, t *testing.T, tbl *table.Table) bool {
	t.Helper()
	fs, err := tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mfs, err := tbl.CurrentSnapshot().Manifests(fs)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mfs {
		if m.ManifestContent() == iceberg.ManifestContentDeletes {
			return true
		}
	}
	return false
}
