package lake

import (
	"bytes"
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake/parquetw"
)

// memIO serves one in-memory file under any name.
type memIO struct{ b []byte }

func (m memIO) Open(string) (icebergio.File, error) { return &memFile{bytes.NewReader(m.b)}, nil }
func (m memIO) Remove(string) error                 { return nil }

type memFile struct{ *bytes.Reader }

func (f *memFile) Close() error               { return nil }
func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo(f.Size()), nil }

type memInfo int64

func (i memInfo) Name() string       { return "f" }
func (i memInfo) Size() int64        { return int64(i) }
func (i memInfo) Mode() fs.FileMode  { return 0 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

var fuzzSchema = iceberg.NewSchema(0,
	iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 2, Name: "s", Type: iceberg.PrimitiveTypes.String},
	iceberg.NestedField{ID: 3, Name: "b", Type: iceberg.PrimitiveTypes.Bool},
)

// fuzzFile is a small Parquet file of fuzzSchema with many pages.
func fuzzFile(t testing.TB) []byte { return fuzzRows(t, 0, 300) }

// fuzzRows is a Parquet file of fuzzSchema holding ids [from, from+n), in
// pages of up to 32 rows.
func fuzzRows(t testing.TB, from, n int) []byte {
	return fuzzRowsWith(t, from, n, parquetw.EncoderOptions{PageSize: 256, PageRowLimit: 32})
}

// fuzzRowsWith is fuzzRows written with opts.
func fuzzRowsWith(t testing.TB, from, n int, opts parquetw.EncoderOptions) []byte {
	sc, err := table.SchemaToArrowSchema(fuzzSchema, nil, true, false)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i := from; i < from+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%5 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append([]string{"a", "bb", "ccc"}[i%3])
		}
		b.Field(2).(*array.BooleanBuilder).Append(i%2 == 0)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	enc, err := parquetw.NewEncoder(&buf, sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzFilterFirst: the filter-first reader returns an error, never panics,
// on any file; a file it reads yields batches of the scan's schema whose
// rows all satisfy the filter.
func FuzzFilterFirst(f *testing.F) {
	valid := fuzzFile(f)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Fuzz(func(t *testing.T, file []byte) {
		filter := iceberg.NewAnd(iceberg.GreaterThanEqual(iceberg.Reference("id"), int64(100)), iceberg.NotEqualTo(iceberg.Reference("s"), "bb"))
		// Pages streamed, and decoded whole into a page cache of this file
		// alone (the process's would serve another input's pages: the
		// same path and size), twice: the second read caches output
		// columns' pages too (missed again).
		cache := NewPageCache(1<<20, memory.DefaultAllocator)
		for _, pages := range []*PageCache{nil, cache, cache} {
			r, ok, err := newFirstReader(memIO{file}, NewFooterCache(1<<20), fuzzSchema, fuzzSchema, filter, nil, memory.DefaultAllocator)
			if err != nil || !ok {
				t.Fatalf("reader: %v %v", ok, err)
			}
			r.pages = pages
			_ = r.readFile(context.Background(), "f", int64(len(file)), func(b arrow.RecordBatch, err error) bool {
				defer b.Release()
				if !b.Schema().Equal(r.out) {
					t.Fatalf("schema %s", b.Schema())
				}
				ids, ss := b.Column(0).(*array.Int64), b.Column(1).(*array.String)
				for i := range int(b.NumRows()) {
					if ids.Value(i) < 100 || ss.IsNull(i) || ss.Value(i) == "bb" {
						t.Fatalf("row %d (%d, %q) fails the filter", i, ids.Value(i), ss.Value(i))
					}
				}
				return true
			})
		}
	})
}
