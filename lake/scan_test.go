package lake_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// TestScanPruningAndTimeTravel: a filter on the partition column reads only
// the matching partition's files; a filter on a non-partition column prunes
// by file min/max; time travel reads old snapshots by id and by time.
func TestScanPruningAndTimeTravel(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	id, err := lake.Ident("pruned")
	if err != nil {
		t.Fatal(err)
	}
	spec := iceberg.NewPartitionSpec(iceberg.PartitionField{SourceIDs: []int{3}, FieldID: 1000, Name: "part", Transform: iceberg.IdentityTransform{}})
	if _, err := wh.CreateTable(ctx, id, icebergSchema, lake.TableOptions{Spec: &spec}); err != nil {
		t.Fatal(err)
	}
	// Three epochs; each writes 100 rows of each of 4 partitions, so the keys
	// of a file (partition p, epoch e) span a narrow range: min/max prunes.
	src := source{parts: 4, perPart: 300}
	l, err := wh.Ledger("copy")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Recover(ctx, []table.Identifier{id}); err != nil {
		t.Fatal(err)
	}
	var snaps []int64
	var times []time.Time
	for e := uint64(1); e <= 3; e++ {
		tbl, _ := wh.LoadTable(ctx, id)
		rec, ranges := src.next(l.Positions(), 100)
		files, err := lakeWrite(ctx, tbl, rec)
		if err != nil {
			t.Fatal(err)
		}
		res, err := l.Commit(ctx, commit.Epoch{Number: e, Sources: ranges}, commit.Target{Table: id, Files: files})
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, res.SnapshotID)
		times = append(times, time.Now())
		time.Sleep(5 * time.Millisecond) // distinct commit timestamps
	}
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	count := func(opts lake.ScanOptions) (int64, lake.ScanStats) {
		t.Helper()
		ps, err := lake.PlanScan(ctx, tbl, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, batches, err := ps.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for b, err := range batches {
			if err != nil {
				t.Fatal(err)
			}
			if opts.Columns != nil && int(b.NumCols()) != len(opts.Columns) {
				t.Fatalf("projection: %d columns", b.NumCols())
			}
			n += b.NumRows()
			b.Release()
		}
		return n, ps.Stats
	}
	f := func(name string, opts lake.ScanOptions, wantRows int64, wantKept, wantTotal int) {
		t.Run(name, func(t *testing.T) {
			rows, st := count(opts)
			if rows != wantRows || st.FilesKept != wantKept || st.FilesTotal != wantTotal {
				t.Fatalf("rows %d, files %d of %d; want %d rows, %d of %d files", rows, st.FilesKept, st.FilesTotal, wantRows, wantKept, wantTotal)
			}
			if st.FilesKept < st.FilesTotal && st.BytesKept >= st.BytesTotal {
				t.Fatalf("bytes kept %d of %d", st.BytesKept, st.BytesTotal)
			}
		})
	}
	f("all", lake.ScanOptions{}, 1200, 12, 12)
	f("projection", lake.ScanOptions{Columns: []string{"key"}}, 1200, 12, 12)
	f("partition pruning", lake.ScanOptions{Filter: iceberg.EqualTo(iceberg.Reference("part"), int32(2))}, 300, 3, 12)
	// Keys of partition 1 are 300..599; epoch 2 wrote 400..499.
	f("min/max pruning", lake.ScanOptions{Filter: iceberg.EqualTo(iceberg.Reference("key"), int64(450))}, 1, 1, 12)
	f("range", lake.ScanOptions{Filter: iceberg.NewAnd(iceberg.GreaterThanEqual(iceberg.Reference("key"), int64(400)), iceberg.LessThan(iceberg.Reference("key"), int64(500)))}, 100, 1, 12)
	f("snapshot id", lake.ScanOptions{SnapshotID: snaps[0]}, 400, 4, 4)
	f("as of time", lake.ScanOptions{AsOf: times[1]}, 800, 8, 8)
	if _, err := lake.PlanScan(ctx, tbl, lake.ScanOptions{AsOf: time.Unix(1, 0)}); err == nil {
		t.Fatal("a time before the first snapshot was accepted")
	}
}

// TestWriteRollsAndRecordsStats: the writer rolls at the target size and
// writes the column statistics that pruning relies on.
func TestWriteRollsAndRecordsStats(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	id, _ := lake.Ident("rolled")
	// Files roll at row-group boundaries: small row groups make the 512 KiB
	// target observable on a small input.
	tbl, err := wh.CreateTable(ctx, id, icebergSchema, lake.TableOptions{Properties: iceberg.Properties{"write.parquet.row-group-limit": "10000"}})
	if err != nil {
		t.Fatal(err)
	}
	src := source{parts: 1, perPart: 200_000}
	var batches []arrow.RecordBatch
	pos := commit.Positions{}
	for !src.done(pos) {
		rec, ranges := src.next(pos, 10_000)
		batches = append(batches, rec)
		pos = pos.Advance(ranges)
	}
	files, err := lake.WriteFiles(ctx, tbl, arrowSchema, lake.Batches(batches...), lake.WithTargetFileSize(512<<10))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("%d files for ~%d KiB at a 512 KiB target", len(files), 200_000*32/1024)
	}
	var rows int64
	for _, f := range files {
		rows += f.Count()
		if f.FileSizeBytes() > 2*(512<<10) {
			t.Errorf("file of %d bytes at a 512 KiB target", f.FileSizeBytes())
		}
		if len(f.LowerBoundValues()) == 0 || len(f.UpperBoundValues()) == 0 || len(f.NullValueCounts()) == 0 {
			t.Errorf("file %s lacks column statistics", f.FilePath())
		}
	}
	if rows != 200_000 {
		t.Fatalf("rows in files = %d", rows)
	}
}
