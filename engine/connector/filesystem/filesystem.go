// Package filesystem is Flink's 'filesystem' connector as a bounded source:
// the files a path names ('path' = a file, a directory, or a glob; local or
// s3://), read in path order, one split per file. It is how users bring
// existing data in: INSERT INTO lake_table SELECT * FROM files.
//
// Positions are row numbers within a file: a batch of split i covers rows
// [From, To) of the i-th file, so a job can resume mid-file.
//
// Formats: parquet (columns matched by name, case-insensitively, and cast
// to the declared types; a column the file lacks is NULL), and csv, json
// (one object per line) and raw, one record per line, decoded by
// engine/format with its options ('csv.field-delimiter', …); for those a
// position is a line number.
package filesystem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake"
)

const defaultBatchRows = 64 << 10

// Open validates the options and lists the files; it reads nothing yet.
func Open(ctx context.Context, spec *connector.TableSpec) (connector.Source, error) {
	path := spec.Options["path"]
	if path == "" {
		return nil, errkind.Errorf(errkind.Fatal, "table %s: the filesystem connector needs 'path'", spec.Name)
	}
	formatOpts := map[string]string{}
	for k := range spec.Options {
		switch {
		case k == "connector", k == "path", k == "format":
		case strings.HasPrefix(k, spec.Options["format"]+"."):
			formatOpts[k] = spec.Options[k]
		case k == "source.monitor-interval":
			return nil, errkind.Errorf(errkind.Fatal, "table %s: 'source.monitor-interval' (watching a directory for new files) is not supported yet; the filesystem connector reads the files present when the query starts", spec.Name)
		default:
			return nil, errkind.Errorf(errkind.Fatal, "table %s: unknown option '%s' for the filesystem connector (it takes 'path' and 'format')", spec.Name, k)
		}
	}
	format := spec.Options["format"]
	switch format {
	case "parquet", "csv", "json", "raw":
	case "":
		return nil, errkind.Errorf(errkind.Fatal, "table %s: the filesystem connector needs 'format' (parquet, csv, json or raw)", spec.Name)
	default:
		return nil, errkind.Errorf(errkind.Fatal, "table %s: format '%s' is not supported by the filesystem connector (parquet, csv, json and raw are)", spec.Name, format)
	}
	for _, c := range spec.Columns {
		if c.MetadataKey != "" && c.MetadataKey != "file.path" {
			return nil, errkind.Errorf(errkind.Fatal, "table %s: column %s: the filesystem connector has one metadata key, 'file.path'", spec.Name, c.Name)
		}
	}
	files, err := spec.Files.Glob(ctx, path)
	if err != nil {
		return nil, errkind.Errorf(errkind.Fatal, "table %s: %w", spec.Name, err)
	}
	mem := spec.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rows := spec.BatchRows
	if rows <= 0 {
		rows = defaultBatchRows
	}
	src := &source{spec: spec, schema: spec.Schema(), files: files, mem: mem, batchRows: rows, format: format, formatOpts: formatOpts}
	if format != "parquet" {
		// Check the format's options now, not at the first file.
		if _, err := src.newLineDecoder(); err != nil {
			return nil, err
		}
	}
	return src, nil
}

type source struct {
	spec      *connector.TableSpec
	schema    *arrow.Schema
	files     []lake.FileInfo
	mem       memory.Allocator
	batchRows int

	format     string
	formatOpts map[string]string

	from map[int32]int64
	next int // the file being read
	cur  reader
}

func (s *source) Schema() *arrow.Schema { return s.schema }

func (s *source) Splits(context.Context) ([]int32, error) {
	out := make([]int32, len(s.files))
	for i := range out {
		out[i] = int32(i)
	}
	return out, nil
}

func (s *source) Start(_ context.Context, from map[int32]int64) error {
	s.from = from
	return nil
}

func (s *source) Next(ctx context.Context) (connector.Batch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return connector.Batch{}, err
		}
		if s.cur == nil {
			if s.next >= len(s.files) {
				return connector.Batch{}, io.EOF
			}
			r, err := s.openFile(ctx, s.next)
			if err != nil {
				return connector.Batch{}, err
			}
			s.cur = r
			s.next++
		}
		b, err := s.cur.read()
		if errors.Is(err, io.EOF) {
			s.cur.close()
			s.cur = nil
			continue
		}
		if err != nil {
			return connector.Batch{}, errkind.Errorf(errkind.Fatal, "table %s: %s: %w", s.spec.Name, s.files[s.next-1].Path, err)
		}
		return b, nil
	}
}

func (s *source) Close() error {
	if s.cur != nil {
		s.cur.close()
		s.cur = nil
	}
	return nil
}

// reader reads one file in batches; read returns io.EOF at its end.
type reader interface {
	read() (connector.Batch, error)
	close()
}

func (s *source) openFile(ctx context.Context, i int) (reader, error) {
	f := s.files[i]
	data, err := s.spec.Files.ReadFile(ctx, f.Path)
	if err != nil {
		return nil, errkind.Errorf(errkind.Retryable, "table %s: read %s: %w", s.spec.Name, f.Path, err)
	}
	if s.format != "parquet" {
		return s.openLines(f.Path, int32(i), data)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, errkind.Errorf(errkind.Fatal, "table %s: %s is not a Parquet file: %w", s.spec.Name, f.Path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(s.batchRows)}, s.mem)
	if err != nil {
		pf.Close()
		return nil, errkind.Errorf(errkind.Fatal, "table %s: %s: %w", s.spec.Name, f.Path, err)
	}
	fileSchema, err := fr.Schema()
	if err != nil {
		pf.Close()
		return nil, errkind.Errorf(errkind.Fatal, "table %s: %s: %w", s.spec.Name, f.Path, err)
	}
	r := &fileReader{src: s, path: f.Path, split: int32(i), pf: pf, pos: 0, skip: s.from[int32(i)]}
	// Map each declared column to a top-level file column by name.
	var leaves []int
	r.cols = make([]int, len(s.spec.Columns)) // index into the read batch, -1: NULL, -2: file path
	for ci, c := range s.spec.Columns {
		if c.MetadataKey == "file.path" {
			r.cols[ci] = -2
			continue
		}
		fi := slices.IndexFunc(fileSchema.Fields(), func(f arrow.Field) bool { return strings.EqualFold(f.Name, c.Name) })
		if fi < 0 {
			if !c.Nullable {
				pf.Close()
				return nil, errkind.Errorf(errkind.Fatal, "table %s: %s has no column %s, which is NOT NULL", s.spec.Name, f.Path, c.Name)
			}
			r.cols[ci] = -1
			continue
		}
		r.cols[ci] = len(r.fileCols)
		r.fileCols = append(r.fileCols, fi)
		leaves = append(leaves, leafIndices(fileSchema, fi)...)
	}
	if len(r.fileCols) > 0 {
		rr, err := fr.GetRecordReader(ctx, leaves, nil)
		if err != nil {
			pf.Close()
			return nil, errkind.Errorf(errkind.Fatal, "table %s: %s: %w", s.spec.Name, f.Path, err)
		}
		r.rr = rr
	}
	r.total = pf.NumRows()
	return r, nil
}

// leafIndices are the Parquet leaf columns under top-level field fi.
func leafIndices(sc *arrow.Schema, fi int) []int {
	start := 0
	for i := range fi {
		start += leafCount(sc.Field(i).Type)
	}
	n := leafCount(sc.Field(fi).Type)
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}

func leafCount(t arrow.DataType) int {
	switch t := t.(type) {
	case *arrow.StructType:
		n := 0
		for _, f := range t.Fields() {
			n += leafCount(f.Type)
		}
		return n
	case *arrow.MapType:
		return leafCount(t.KeyType()) + leafCount(t.ItemType())
	case arrow.ListLikeType:
		return leafCount(t.Elem())
	}
	return 1
}

// fileReader reads one Parquet file in batches.
type fileReader struct {
	src      *source
	path     string
	split    int32
	pf       *file.Reader
	rr       pqarrow.RecordReader
	cols     []int // per declared column: index into fileCols, or -1 (NULL) / -2 (file path)
	fileCols []int
	pos      int64 // rows read so far
	skip     int64 // rows to skip before the first batch (resume)
	total    int64
}

func (r *fileReader) read() (connector.Batch, error) {
	for {
		if r.pos >= r.total {
			return connector.Batch{}, io.EOF
		}
		var in arrow.RecordBatch
		n := int64(r.src.batchRows)
		if r.rr != nil {
			if !r.rr.Next() {
				if err := r.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
					return connector.Batch{}, err
				}
				return connector.Batch{}, io.EOF
			}
			in = r.rr.RecordBatch()
			n = in.NumRows()
		} else {
			n = min(n, r.total-r.pos)
		}
		from := r.pos
		r.pos += n
		if r.pos <= r.skip {
			continue // resumed past this batch
		}
		out, err := r.convert(in, n)
		if err != nil {
			return connector.Batch{}, fmt.Errorf("rows %d..%d: %w", from, r.pos, err)
		}
		if from < r.skip { // resumed mid-batch
			cut := out.NewSlice(r.skip-from, n)
			out.Release()
			out, from = cut, r.skip
		}
		return connector.Batch{Split: r.split, From: from, To: r.pos, Rows: out}, nil
	}
}

// convert builds the declared columns from a batch read from the file.
func (r *fileReader) convert(in arrow.RecordBatch, n int64) (arrow.RecordBatch, error) {
	schema := r.src.schema
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range schema.Fields() {
		switch k := r.cols[i]; k {
		case -1:
			cols[i] = array.MakeArrayOfNull(r.src.mem, f.Type, int(n))
		case -2:
			b := array.NewStringBuilder(r.src.mem)
			for range n {
				b.Append(r.path)
			}
			cols[i] = b.NewArray()
		default:
			a := in.Column(k)
			if arrow.TypeEqual(a.DataType(), f.Type) {
				a.Retain()
				cols[i] = a
				continue
			}
			c, err := compute.CastArray(context.Background(), a, compute.SafeCastOptions(f.Type))
			if err != nil {
				return nil, fmt.Errorf("column %s: %s does not convert to %s: %w", f.Name, a.DataType(), f.Type, err)
			}
			cols[i] = c
		}
		if !f.Nullable && cols[i].NullN() > 0 {
			return nil, fmt.Errorf("column %s is NOT NULL but the file has NULLs in it", f.Name)
		}
	}
	out := array.NewRecordBatch(schema, cols, n)
	return out, nil
}

func (r *fileReader) close() {
	if r.rr != nil {
		r.rr.Release()
	}
	_ = r.pf.Close()
}

// Bounded: a filesystem table without directory monitoring ends.
func Bounded(map[string]string) bool { return true }
