package lake

import (
	"context"
	"fmt"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// planCached plans the files of snap from the manifest cache, producing the
// tasks iceberg-go's Scan.PlanFiles would, in the same order, less their
// residuals (nil: the reader applies the whole filter). A filter prunes
// files by their partition values and column bounds (filePruner), keeping
// every file PlanFiles keeps and perhaps a few more. ok is false for the
// scans it leaves to iceberg-go: delete manifests (delete matching), v1
// snapshots that embed their manifest paths, and filters that do not bind
// (iceberg-go reports the error).
func planCached(ctx context.Context, c *ManifestCache, tbl *table.Table, snap *table.Snapshot, filter iceberg.BooleanExpression) (tasks []table.FileScanTask, ok bool, err error) {
	if snap.ManifestList == "" {
		return nil, false, nil
	}
	var prune *filePruner
	if filter != nil && !filter.Equals(iceberg.AlwaysTrue{}) {
		schema, found := snapshotSchema(tbl.Metadata(), snap)
		if !found {
			return nil, false, nil
		}
		if prune, err = newFilePruner(tbl.Metadata(), schema, filter); err != nil {
			return nil, false, nil
		}
	}
	fio, err := tbl.FS(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("table %s file IO: %w", tbl.Identifier(), err)
	}
	mfs, err := c.list(fio, snap.ManifestList)
	if err != nil {
		return nil, false, err
	}
	// As PlanFiles: skip manifests known to hold no live entries.
	live := make([]iceberg.ManifestFile, 0, len(mfs))
	for _, mf := range mfs {
		if mf.ManifestContent() == iceberg.ManifestContentDeletes {
			return nil, false, nil
		}
		if mf.HasAddedFiles() || mf.HasExistingFiles() {
			live = append(live, mf)
		}
	}
	entries, err := c.entries(fio, live)
	if err != nil {
		return nil, false, err
	}
	n := 0
	for _, es := range entries {
		n += len(es)
	}
	target := tbl.Metadata().Properties().GetInt64(table.ReadSplitTargetSizeKey, table.ReadSplitTargetSizeDefault)
	tasks = make([]table.FileScanTask, 0, n)
	for i, es := range entries {
		for _, e := range es {
			df := e.DataFile()
			if df.ContentType() != iceberg.EntryContentData {
				return nil, false, fmt.Errorf("%w: data manifest %s lists %s file %q", table.ErrInvalidMetadata, live[i].FilePath(), df.ContentType(), df.FilePath())
			}
			// iceberg-go's metrics evaluator drops files without rows even
			// when nothing is filtered.
			if df.Count() == 0 {
				continue
			}
			if prune != nil {
				keep, err := prune.keep(df)
				if err != nil {
					return nil, false, fmt.Errorf("table %s: pruning %s: %w", tbl.Identifier(), df.FilePath(), err)
				}
				if !keep {
					continue
				}
			}
			t := table.FileScanTask{File: df, Length: df.FileSizeBytes(), FirstRowID: df.FirstRowID()}
			if seq := e.SequenceNum(); seq >= 0 {
				t.DataSequenceNumber = &seq
			}
			tasks = appendSplit(tasks, t, target)
		}
	}
	return tasks, true, nil
}

// appendSplit appends t, cut as PlanFiles cuts a whole Parquet file larger
// than target: into ranges of consecutive row groups (split offsets) of up to
// target bytes, the first starting at 0. Files without usable offsets stay
// whole.
func appendSplit(tasks []table.FileScanTask, t table.FileScanTask, target int64) []table.FileScanTask {
	f := t.File
	size := f.FileSizeBytes()
	offs := f.SplitOffsets()
	if f.FileFormat() != iceberg.ParquetFile || target <= 0 || size <= target || len(offs) < 2 {
		return append(tasks, t)
	}
	for i, o := range offs {
		if o < 0 || o >= size || (i > 0 && o <= offs[i-1]) {
			return append(tasks, t)
		}
	}
	var start, end int64
	for i := range offs {
		chunkStart, chunkEnd := offs[i], size
		if i == 0 {
			chunkStart = 0
		}
		if i+1 < len(offs) {
			chunkEnd = offs[i+1]
		}
		if end > start && chunkEnd-start > target {
			tasks = appendRange(tasks, t, start, end)
			start = chunkStart
		}
		end = chunkEnd
	}
	return appendRange(tasks, t, start, end)
}

func appendRange(tasks []table.FileScanTask, t table.FileScanTask, start, end int64) []table.FileScanTask {
	t.Start, t.Length = start, end-start
	return append(tasks, t)
}

// snapshotSchema is the schema PlanFiles binds a filter to for a scan of
// snap (planScan always names its snapshot): the snapshot's own, else the
// current one.
func snapshotSchema(md table.Metadata, snap *table.Snapshot) (*iceberg.Schema, bool) {
	if snap.SchemaID == nil {
		return md.CurrentSchema(), true
	}
	for _, s := range md.Schemas() {
		if s.ID == *snap.SchemaID {
			return s, true
		}
	}
	return nil, false
}
