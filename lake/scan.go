package lake

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// ScanOptions select what a scan reads.
type ScanOptions struct {
	Columns []string                  // projection; empty = all
	Filter  iceberg.BooleanExpression // pushed down to partitions, file stats and rows; nil = all
	// Time travel: SnapshotID wins over AsOf; both zero = the current snapshot.
	SnapshotID int64
	AsOf       time.Time // the newest snapshot committed at or before AsOf
}

// ScanStats say what pruning did: data files and bytes of the snapshot, and
// those left to read after partition and min/max pruning.
type ScanStats struct {
	SnapshotID int64
	FilesTotal int
	FilesKept  int
	BytesTotal int64
	BytesKept  int64
}

// ScanResult is a planned scan: the schema of its batches, the batches
// (produced lazily; the caller releases each), and the pruning figures.
type ScanResult struct {
	Schema  *arrow.Schema
	Batches iter.Seq2[arrow.RecordBatch, error]
	Stats   ScanStats
}

// Scan plans and starts a scan of tbl: the projection and filter are pushed
// down to iceberg-go's planner (manifest partition pruning, file min/max
// pruning) and reader (row-group pruning, row filtering).
func Scan(ctx context.Context, tbl *table.Table, opts ScanOptions) (*ScanResult, error) {
	var sopts []table.ScanOption
	if len(opts.Columns) > 0 {
		sopts = append(sopts, table.WithSelectedFields(opts.Columns...))
	}
	if opts.Filter != nil {
		sopts = append(sopts, table.WithRowFilter(opts.Filter))
	}
	snap := tbl.CurrentSnapshot()
	switch {
	case opts.SnapshotID != 0:
		if snap = tbl.SnapshotByID(opts.SnapshotID); snap == nil {
			return nil, fmt.Errorf("table %v has no snapshot %d", tbl.Identifier(), opts.SnapshotID)
		}
	case !opts.AsOf.IsZero():
		if snap = tbl.SnapshotAsOf(opts.AsOf.UnixMilli(), true); snap == nil {
			return nil, fmt.Errorf("table %v has no snapshot at or before %s", tbl.Identifier(), opts.AsOf.UTC().Format(time.RFC3339Nano))
		}
	}
	res := &ScanResult{}
	if snap == nil { // an empty table
		sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, false, false)
		if err != nil {
			return nil, err
		}
		res.Schema = sc
		res.Batches = func(func(arrow.RecordBatch, error) bool) {}
		return res, nil
	}
	sopts = append(sopts, table.WithSnapshotID(snap.SnapshotID))
	s := tbl.Scan(sopts...)
	tasks, err := s.PlanFiles(ctx)
	if err != nil {
		return nil, err
	}
	st := ScanStats{SnapshotID: snap.SnapshotID, FilesKept: len(tasks)}
	for _, t := range tasks {
		st.BytesKept += t.File.FileSizeBytes()
	}
	// The totals come from the snapshot summary: no second planning pass.
	if snap.Summary != nil {
		st.FilesTotal, _ = strconv.Atoi(snap.Summary.Properties["total-data-files"])
		st.BytesTotal, _ = strconv.ParseInt(snap.Summary.Properties["total-files-size"], 10, 64)
	}
	res.Stats = st
	res.Schema, res.Batches, err = s.ReadTasks(ctx, tasks)
	if err != nil {
		return nil, err
	}
	return res, nil
}
