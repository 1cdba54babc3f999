package lake

import (
	"context"
	"iter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"

	"github.com/wharfdata/wharf/lake/parquetw"
)

// WriteOption tunes WriteFiles.
type WriteOption func(*writeConfig)

type writeConfig struct{ targetSize int64 }

// WithTargetFileSize rolls to a new data file at about n bytes (default: the
// table's write.target-file-size-bytes, 128 MiB for wharf's tables).
func WithTargetFileSize(n int64) WriteOption { return func(c *writeConfig) { c.targetSize = n } }

// WriteFiles writes batches as Parquet data files of tbl — fanned out per
// partition of the table's spec, rolled at the target size, with column
// statistics for pruning — and returns them uncommitted. The file names carry
// a fresh UUID, so a retried or replayed write never overwrites a file that a
// snapshot may reference. WriteFiles releases the batches it reads.
//
// Tables with flat schemas are written by lake/parquetw (parquet-go). Tables
// with a nested column (list, map, struct), which parquetw does not write,
// are written by iceberg-go's table.WriteRecords (arrow-go's pqarrow).
func WriteFiles(ctx context.Context, tbl *table.Table, schema *arrow.Schema, batches iter.Seq2[arrow.RecordBatch, error], opts ...WriteOption) ([]iceberg.DataFile, error) {
	var cfg writeConfig
	for _, o := range opts {
		o(&cfg)
	}
	if parquetw.Supported(tbl.Schema()) == nil {
		var popts []parquetw.Option
		if cfg.targetSize > 0 {
			popts = append(popts, parquetw.WithTargetFileSize(cfg.targetSize))
		}
		return parquetw.Write(ctx, tbl, schema, batches, popts...)
	}
	// Nested columns: the one fallback to iceberg-go's writer.
	wopts := []table.WriteRecordOption{table.WithWriteUUID(uuid.New())}
	if cfg.targetSize > 0 {
		wopts = append(wopts, table.WithTargetFileSize(cfg.targetSize))
	}
	var files []iceberg.DataFile
	for df, err := range table.WriteRecords(ctx, tbl, schema, batches, wopts...) {
		if err != nil {
			return nil, err
		}
		files = append(files, df)
	}
	return files, nil
}

// Batches turns a slice of batches into the sequence WriteFiles reads.
func Batches(bs ...arrow.RecordBatch) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		for i, b := range bs {
			if !yield(b, nil) {
				for _, rest := range bs[i+1:] {
					rest.Release()
				}
				return
			}
		}
	}
}
