package commit

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/errkind"
)

// DeleteRef is what the pre-commit record keeps of one position delete file,
// enough to rebuild its manifest entry during recovery: the file's partition
// and spec are those of the one data file it deletes from, looked up then.
type DeleteRef struct {
	Path     string `json:"path"`
	DataFile string `json:"data_file"` // the only data file its rows name
	Rows     int64  `json:"rows"`
	Size     int64  `json:"size"`
}

// ErrDeletedFileGone says an epoch's position deletes name a data file that is
// no longer live (a concurrent compaction or overwrite replaced it): the
// deletes cannot be applied, and retrying the same files cannot help. The
// epoch must be recomputed against the table as it now is.
var ErrDeletedFileGone = errors.New("position deletes name a data file that is no longer live")

// PositionDeleteFile is the manifest entry of a Parquet position delete file
// holding rows rows, all naming the live data file ref: it takes ref's spec
// and partition (the spec requires both to match), records ref as its
// referenced data file (so a concurrent removal of ref fails the commit
// instead of resurrecting rows), and sets the file_path bounds readers prune
// by.
func PositionDeleteFile(meta table.Metadata, ref iceberg.DataFile, path string, rows, size int64) (iceberg.DataFile, error) {
	spec := meta.PartitionSpecByID(int(ref.SpecID()))
	if spec == nil {
		return nil, fmt.Errorf("data file %s: no partition spec %d", ref.FilePath(), ref.SpecID())
	}
	b, err := iceberg.NewDataFileBuilder(*spec, iceberg.EntryContentPosDeletes, path, iceberg.ParquetFile, ref.Partition(), nil, nil, rows, size)
	if err != nil {
		return nil, err
	}
	fp, _ := iceberg.PositionalDeleteSchema.FindFieldByName("file_path")
	bound := []byte(ref.FilePath()) // a string bound is its UTF-8 bytes
	b.ReferencedDataFile(ref.FilePath()).
		LowerBoundValues(map[int][]byte{fp.ID: bound}).
		UpperBoundValues(map[int][]byte{fp.ID: bound}).
		ValueCounts(map[int]int64{fp.ID: rows}).
		NullValueCounts(map[int]int64{fp.ID: 0})
	return b.Build(), nil
}

// deleteRefs turns an epoch's delete files into their records, refusing
// what the ledger cannot rebuild during recovery.
func deleteRefs(deletes []iceberg.DataFile) ([]DeleteRef, error) {
	refs := make([]DeleteRef, 0, len(deletes))
	for _, d := range deletes {
		ref := d.ReferencedDataFile()
		if d.ContentType() != iceberg.EntryContentPosDeletes || ref == nil || *ref == "" || d.FileFormat() != iceberg.ParquetFile {
			return nil, errkind.Errorf(errkind.Fatal, "delete file %s: the ledger commits Parquet position delete files naming one data file each (see PositionDeleteFile)", d.FilePath())
		}
		refs = append(refs, DeleteRef{Path: d.FilePath(), DataFile: *ref, Rows: d.Count(), Size: d.FileSizeBytes()})
	}
	return refs, nil
}

// rebuildDeletes rebuilds the manifest entries of a prepared epoch's delete
// files against tbl's current snapshot.
func rebuildDeletes(ctx context.Context, tbl *table.Table, refs []DeleteRef) ([]iceberg.DataFile, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	want := map[string]bool{}
	for _, r := range refs {
		want[r.DataFile] = true
	}
	live := map[string]iceberg.DataFile{}
	for df, err := range LiveFiles(ctx, tbl) {
		if err != nil {
			return nil, err
		}
		if df.ContentType() == iceberg.EntryContentData && want[df.FilePath()] {
			live[df.FilePath()] = df
		}
	}
	out := make([]iceberg.DataFile, 0, len(refs))
	for _, r := range refs {
		df, ok := live[r.DataFile]
		if !ok {
			return nil, errkind.Errorf(errkind.Fatal, "%w: %s (deleted from by %s)", ErrDeletedFileGone, r.DataFile, r.Path)
		}
		d, err := PositionDeleteFile(tbl.Metadata(), df, r.Path, r.Rows, r.Size)
		if err != nil {
			return nil, errkind.Wrap(errkind.Fatal, err)
		}
		out = append(out, d)
	}
	return out, nil
}
