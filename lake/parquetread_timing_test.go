package lake

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/lake/parquetw"
)

// BenchmarkFilterFirstProjectedFilter: scans that project their filter
// column (as Hits' filter/bool_is_unknown does), a boolean one and a
// nullable string one, every page holding kept rows, with pages streamed
// (page cache off) and through a warm page cache; pages/op are the pages
// the reader reads from the file.
func BenchmarkFilterFirstProjectedFilter(b *testing.B) {
	const rows = 1 << 18
	file := fuzzRowsWith(b, 0, rows, parquetw.EncoderOptions{PageRowLimit: 8192})
	fio := &memFS{files: map[string][]byte{"f": file}}
	R := func(s string) iceberg.Reference { return iceberg.Reference(s) }
	for _, q := range []struct {
		name   string
		filter iceberg.BooleanExpression
	}{{"bool-true", iceberg.EqualTo(R("b"), true)}, {"string-null", iceberg.IsNull(R("s"))}} {
		for _, c := range []struct {
			name  string
			pages *PageCache
		}{{"cache-off", nil}, {"cache-on", NewPageCache(256<<20, memory.DefaultAllocator)}} {
			b.Run(q.name+"/"+c.name, func(b *testing.B) {
				r, ok, err := newFirstReader(fio, NewFooterCache(1<<20), fuzzSchema, fuzzSchema, q.filter, nil, memory.DefaultAllocator)
				if err != nil || !ok {
					b.Fatalf("reader: %v %v", ok, err)
				}
				r.pages = c.pages
				read := func() {
					err := r.readFile(context.Background(), "f", int64(len(file)), func(rec arrow.RecordBatch, _ error) bool {
						rec.Release()
						return true
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				read() // warm the footer and page caches
				b.SetBytes(int64(len(file)))
				b.ReportAllocs()
				b.ResetTimer()
				pages := FilterFirstStats().Pages
				for range b.N {
					read()
				}
				b.ReportMetric(float64(FilterFirstStats().Pages-pages)/float64(b.N), "pages/op")
			})
		}
	}
}
