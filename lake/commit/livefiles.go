package commit

import (
	"context"
	"fmt"
	"iter"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// LiveFiles yields every live file (data and delete files) of tbl's
// current snapshot, nothing for a table without one; it stops at the first
// manifest that cannot be read, yielding the error.
func LiveFiles(ctx context.Context, tbl *table.Table) iter.Seq2[iceberg.DataFile, error] {
	return func(yield func(iceberg.DataFile, error) bool) {
		cur := tbl.CurrentSnapshot()
		if cur == nil {
			return
		}
		fs, err := tbl.FS(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		mfs, err := cur.Manifests(fs)
		if err != nil {
			yield(nil, fmt.Errorf("read manifest list of snapshot %d: %w", cur.SnapshotID, err))
			return
		}
		for _, mf := range mfs {
			for e, err := range mf.Entries(fs, true) {
				if err != nil {
					yield(nil, fmt.Errorf("read manifest %s: %w", mf.FilePath(), err))
					return
				}
				if !yield(e.DataFile(), nil) {
					return
				}
			}
		}
	}
}
