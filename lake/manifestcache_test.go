package lake_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// taskKey is what a planned task means to a reader. The residual is left
// out: cached planning leaves it nil (the reader applies the whole filter).
func taskKey(t table.FileScanTask) string {
	seq := int64(-1)
	if t.DataSequenceNumber != nil {
		seq = *t.DataSequenceNumber
	}
	first := int64(-1)
	if t.FirstRowID != nil {
		first = *t.FirstRowID
	}
	return fmt.Sprintf("%s [%d+%d] rows=%d spec=%d seq=%d first=%d deletes=%d/%d/%d",
		t.File.FilePath(), t.Start, t.Length, t.File.Count(), t.File.SpecID(), seq, first,
		len(t.DeleteFiles), len(t.EqualityDeleteFiles), len(t.DeletionVectorFiles))
}

// samePlan plans opts over a fresh cache and checks the tasks, in order, and
// the stats against iceberg-go's own planning; it returns the cache.
func samePlan(t *testing.T, tbl *table.Table, opts lake.ScanOptions) *lake.ManifestCache {
	t.Helper()
	ctx := context.Background()
	mc := lake.NewManifestCache(64 << 20)
	got, err := lake.PlanScanWith(ctx, tbl, opts, mc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := lake.PlanScanWith(ctx, tbl, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := lake.PlanFiles(ctx, tbl, opts)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(ts []table.FileScanTask) []string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = taskKey(t)
		}
		return out
	}
	if g, w := keys(got.Tasks()), keys(ref); !slices.Equal(g, w) {
		t.Fatalf("cached plan:\n%q\niceberg-go:\n%q", g, w)
	}
	if got.Stats != want.Stats {
		t.Fatalf("stats %+v, iceberg-go's %+v", got.Stats, want.Stats)
	}
	gn, gok := got.RowCount()
	wn, wok := want.RowCount()
	if gn != wn || gok != wok {
		t.Fatalf("RowCount %d %v, iceberg-go's %d %v", gn, gok, wn, wok)
	}
	return mc
}

// commitEpochs copies src into id, perEpoch records per partition a commit.
func commitEpochs(t *testing.T, wh *lake.Warehouse, id table.Identifier, job string, src source, perEpoch int64) {
	t.Helper()
	if err := (jobRun{wh: wh, ident: id, job: job, src: src, perPart: perEpoch}).run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestManifestCachePlansAsIcebergGo: planning from cached manifests gives
// iceberg-go's tasks and stats across partitioning, filters, time travel,
// compaction and overwrite.
func TestManifestCachePlansAsIcebergGo(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	specs := map[string]*iceberg.PartitionSpec{
		"unpartitioned": nil,
		"identity":      ptr(iceberg.NewPartitionSpec(iceberg.PartitionField{SourceIDs: []int{3}, FieldID: 1000, Name: "part", Transform: iceberg.IdentityTransform{}})),
		"bucket":        ptr(iceberg.NewPartitionSpec(iceberg.PartitionField{SourceIDs: []int{1}, FieldID: 1000, Name: "key_bucket", Transform: iceberg.BucketTransform{NumBuckets: 4}})),
	}
	filters := map[string]iceberg.BooleanExpression{
		"none":      nil,
		"true":      iceberg.AlwaysTrue{},
		"partition": iceberg.EqualTo(iceberg.Reference("part"), int32(2)),
		"min/max":   iceberg.EqualTo(iceberg.Reference("key"), int64(450)),
		"range":     iceberg.NewAnd(iceberg.GreaterThanEqual(iceberg.Reference("key"), int64(400)), iceberg.LessThan(iceberg.Reference("key"), int64(500))),
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			id, _ := lake.Ident("mc_" + name)
			if _, err := wh.CreateTable(ctx, id, icebergSchema, lake.TableOptions{Spec: spec}); err != nil {
				t.Fatal(err)
			}
			src := source{parts: 4, perPart: 300}
			commitEpochs(t, wh, id, "copy_"+name, src, 100)
			tbl, err := wh.LoadTable(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for fname, f := range filters {
				t.Run(fname, func(t *testing.T) { samePlan(t, tbl, lake.ScanOptions{Filter: f, Columns: []string{"key"}}) })
			}
			// The first snapshot: one commit of three.
			first := tbl.Metadata().Snapshots()[0].SnapshotID
			t.Run("time travel", func(t *testing.T) { samePlan(t, tbl, lake.ScanOptions{SnapshotID: first}) })

			if _, err := wh.Compact(ctx, id, 128<<20); err != nil {
				t.Fatal(err)
			}
			tbl, _ = wh.LoadTable(ctx, id)
			t.Run("compacted", func(t *testing.T) { samePlan(t, tbl, lake.ScanOptions{}) })
			t.Run("before compaction", func(t *testing.T) { samePlan(t, tbl, lake.ScanOptions{SnapshotID: first}) })

			// An overwrite replaces every live file with one epoch's worth.
			l, err := wh.Ledger("over_" + name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Recover(ctx, []table.Identifier{id}); err != nil {
				t.Fatal(err)
			}
			rec, ranges := src.next(l.Positions(), 10)
			files, err := lakeWrite(ctx, tbl, rec)
			if err != nil {
				t.Fatal(err)
			}
			all := func(iceberg.DataFile) bool { return true }
			if _, err := l.Commit(ctx, commit.Epoch{Number: 1, Sources: ranges}, commit.Target{Table: id, Files: files, Replace: all}); err != nil {
				t.Fatal(err)
			}
			tbl, _ = wh.LoadTable(ctx, id)
			t.Run("overwritten", func(t *testing.T) {
				samePlan(t, tbl, lake.ScanOptions{})
				ps, err := lake.PlanScan(ctx, tbl, lake.ScanOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if n, ok := ps.RowCount(); !ok || n != 40 || ps.Stats.FilesKept != len(files) {
					t.Fatalf("after overwrite: %d rows (%v) in %d files; want 40 in %d", n, ok, ps.Stats.FilesKept, len(files))
				}
			})
		})
	}
}

// TestManifestCacheManyCommits: after 100 single-file commits the second
// scan decodes nothing, and a further commit costs one list and one manifest.
func TestManifestCacheManyCommits(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	id, _ := lake.Ident("many")
	// One manifest per commit, as iceberg-go's fast append writes them.
	unmerged := iceberg.Properties{table.ManifestMergeEnabledKey: "false"}
	if _, err := wh.CreateTable(ctx, id, icebergSchema, lake.TableOptions{Properties: unmerged}); err != nil {
		t.Fatal(err)
	}
	appendCommits(t, wh, id, 0, 100)
	tbl, _ := wh.LoadTable(ctx, id)
	mc := samePlan(t, tbl, lake.ScanOptions{})
	if st := mc.Stats(); st.Misses != 101 || st.Files != 101 {
		t.Fatalf("cold scan: %+v; want 101 misses (a list and 100 manifests)", st)
	}
	plan := func() {
		t.Helper()
		ps, err := lake.PlanScanWith(ctx, tbl, lake.ScanOptions{}, mc)
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := ps.RowCount(); !ok || n != int64(tbl.CurrentSnapshot().Summary.Properties.GetInt("total-records", -1)) {
			t.Fatalf("RowCount %d %v", n, ok)
		}
	}
	plan()
	if st := mc.Stats(); st.Misses != 101 || st.Hits != 101 {
		t.Fatalf("warm scan: %+v; want no new misses and 101 hits", st)
	}
	appendCommits(t, wh, id, 100, 1)
	tbl, _ = wh.LoadTable(ctx, id)
	plan()
	if st := mc.Stats(); st.Misses != 103 {
		t.Fatalf("after one more commit: %+v; want 2 new misses", st)
	}
}

// appendCommits appends n snapshots of one single-row file each (rows from..
// from+n-1), in one catalog commit to keep the test fast: each is still a
// snapshot with its own manifest.
func appendCommits(t testing.TB, wh *lake.Warehouse, id table.Identifier, from, n int64) {
	t.Helper()
	ctx := context.Background()
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var recs []arrow.RecordBatch
	for i := from; i < from+n; i++ {
		recs = append(recs, foreignBatch(i, 1))
	}
	appendBatches(t, tbl, arrowSchema, recs...)
}

// TestManifestCacheEvicts: a bound smaller than the manifests keeps the
// cache within it, and planning stays right.
func TestManifestCacheEvicts(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	id, _ := lake.Ident("evicted")
	if _, err := wh.CreateTable(ctx, id, icebergSchema, lake.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	commitEpochs(t, wh, id, "copy", source{parts: 1, perPart: 20}, 1)
	tbl, _ := wh.LoadTable(ctx, id)
	mc := lake.NewManifestCache(8 << 10)
	for range 2 {
		ps, err := lake.PlanScanWith(ctx, tbl, lake.ScanOptions{}, mc)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := ps.RowCount(); n != 20 {
			t.Fatalf("%d rows", n)
		}
	}
	if st := mc.Stats(); st.Evictions == 0 || st.Bytes > 8<<10 {
		t.Fatalf("%+v: want evictions and at most 8 KiB held", st)
	}
}

func ptr[T any](v T) *T { return &v }
