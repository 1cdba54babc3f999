package lake_test

import (
	"context"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
)

// BenchmarkBloomLookup: a point lookup `s = 'key-…'` on a unique string
// column that is not the sort key (every row group's min/max covers every
// key) over 400,000 rows in 200 row groups of 2,000 rows (two files),
// written with and without bloom filters; the footer cache warm (footers,
// page indexes and filters held) or off (every file's tail and every
// filter read per lookup); "warm-pages-off" is warm without the decoded
// page cache, "warm-pages-cold" with it emptied before each lookup (every
// page a miss: against "warm-pages-off", the cost of a miss). Keys cycle
// over present rows.
func BenchmarkBloomLookup(b *testing.B) {
	const rows, group = 400_000, 2_000
	ctx := context.Background()
	for _, bloom := range []bool{false, true} {
		name := "no-bloom"
		if bloom {
			name = "bloom"
		}
		tbl := writeBloomTable(b, "bench_"+name, bloom, rows, group)
		for _, cache := range []string{"warm", "warm-pages-off", "warm-pages-cold", "off"} {
			b.Run(name+"/cache-"+cache, func(b *testing.B) {
				switch cache {
				case "warm-pages-off":
					lake.SetPageCacheBytes(0)
					defer lake.SetPageCacheBytes(lake.DefaultPageCacheBytes)
				case "off":
					lake.SetFooterCacheBytes(0)
					defer lake.SetFooterCacheBytes(lake.DefaultFooterCacheBytes)
				}
				lookup := func(i int) {
					if cache == "warm-pages-cold" {
						lake.SetPageCacheBytes(0)
						lake.SetPageCacheBytes(lake.DefaultPageCacheBytes)
					}
					p := permOf((i*997)%rows, rows)
					n := countRows(b, ctx, tbl, iceberg.EqualTo(iceberg.Reference("s"), bloomValue("s", 2*p).(string)))
					if want := int64(1); n != want && (i*997)%rows%13 != 5 {
						b.Fatalf("lookup %d: %d rows", i, n)
					}
				}
				lookup(0) // warm the caches
				before := lake.FilterFirstStats()
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					lookup(i + 1)
				}
				b.StopTimer()
				after := lake.FilterFirstStats()
				b.ReportMetric(float64(after.RowGroups-after.RowGroupsSkipped-(before.RowGroups-before.RowGroupsSkipped))/float64(b.N), "rowgroups-read/op")
				b.ReportMetric(float64(after.PageBytes-before.PageBytes)/float64(b.N), "page-bytes/op")
			})
		}
	}
}

// countRows counts the rows a filter-first scan of tbl returns.
func countRows(b *testing.B, ctx context.Context, tbl *table.Table, f iceberg.BooleanExpression) int64 {
	ps, err := lake.PlanScan(ctx, tbl, lake.ScanOptions{Filter: f, Columns: []string{"id", "s", "k"}})
	if err != nil {
		b.Fatal(err)
	}
	_, batches, err := ps.Read(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for rec, err := range batches {
		if err != nil {
			b.Fatal(err)
		}
		n += rec.NumRows()
		rec.Release()
	}
	return n
}
