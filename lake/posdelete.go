package lake

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake/commit"
)

// writePositionDeletes writes the rows at positions (ascending) of the live
// data file ref as one Parquet position delete file (the spec's file_path,
// pos columns, with their reserved field ids) at path, and returns its
// manifest entry.
func writePositionDeletes(tbl *table.Table, fsys iceio.WriteFileIO, ref iceberg.DataFile, positions []int64, path string) (iceberg.DataFile, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, table.PositionalDeleteArrowSchema)
	defer b.Release()
	paths := b.Field(0).(*array.StringBuilder)
	pos := b.Field(1).(*array.Int64Builder)
	paths.Reserve(len(positions))
	for range positions {
		paths.Append(ref.FilePath())
	}
	pos.AppendValues(positions, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()

	out, err := fsys.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create position delete file %s: %w", path, err)
	}
	cw := &countingWriter{w: out}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDictionaryDefault(true))
	w, err := pqarrow.NewFileWriter(table.PositionalDeleteArrowSchema, cw, props, pqarrow.DefaultWriterProps())
	if err == nil {
		err = w.Write(rec)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write position delete file %s: %w", path, err)
	}
	return commit.PositionDeleteFile(tbl.Metadata(), ref, path, int64(len(positions)), cw.n)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// openParquet opens a Parquet file of the table for Arrow reads.
func openParquet(fsys iceio.IO, path string) (*pqarrow.FileReader, func(), error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	pr, err := file.NewParquetReader(f)
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
	if err != nil {
		_ = pr.Close()
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return fr, func() { _ = pr.Close() }, nil
}

// readColumns reads the named top-level primitive columns of a Parquet file
// in row order, found by Iceberg field id (names as a fallback for files
// written without ids), and calls fn with each batch's columns in the order
// asked.
func readColumns(ctx context.Context, fsys iceio.IO, path string, ids []int, names []string, fn func(cols []arrow.Array, rows int) error) error {
	fr, done, err := openParquet(fsys, path)
	if err != nil {
		return err
	}
	defer done()
	sc := fr.ParquetReader().MetaData().Schema
	leaves := make([]int, len(ids))
	for j, id := range ids {
		leaves[j] = -1
		for i := 0; i < sc.NumColumns(); i++ {
			c := sc.Column(i)
			if int(c.SchemaNode().FieldID()) == id || (c.SchemaNode().FieldID() < 0 && c.Path() == names[j]) {
				leaves[j] = i
				break
			}
		}
		if leaves[j] < 0 {
			return fmt.Errorf("file %s has no column %s (field id %d)", path, names[j], id)
		}
	}
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer rr.Release()
	cols := make([]arrow.Array, len(ids))
	for rr.Next() {
		rec := rr.RecordBatch()
		for j, leaf := range leaves {
			idx := rec.Schema().FieldIndices(sc.Column(leaf).Name())
			if len(idx) != 1 {
				return fmt.Errorf("read %s: column %s not found once in the batch", path, names[j])
			}
			cols[j] = rec.Column(idx[0])
		}
		if err := fn(cols, int(rec.NumRows())); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := rr.Err(); err != nil && err != io.EOF {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// readPositionDeletes calls fn with each (file_path, pos) row of a position
// delete file.
func readPositionDeletes(ctx context.Context, fsys iceio.IO, del iceberg.DataFile, fn func(path string, pos int64) error) error {
	fields := iceberg.PositionalDeleteSchema.Fields()
	return readColumns(ctx, fsys, del.FilePath(), []int{fields[0].ID, fields[1].ID}, []string{fields[0].Name, fields[1].Name}, func(cols []arrow.Array, rows int) error {
		paths, ok1 := cols[0].(*array.String)
		pos, ok2 := cols[1].(*array.Int64)
		if !ok1 || !ok2 {
			return fmt.Errorf("position delete columns are %s, %s; want string, int64", cols[0].DataType(), cols[1].DataType())
		}
		for i := 0; i < rows; i++ {
			if paths.IsNull(i) || pos.IsNull(i) {
				return fmt.Errorf("row %d: null file_path or pos", i)
			}
			if err := fn(paths.Value(i), pos.Value(i)); err != nil {
				return err
			}
		}
		return nil
	})
}
