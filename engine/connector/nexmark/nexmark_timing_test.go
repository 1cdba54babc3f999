package nexmark

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
)

// BenchmarkGenerate measures one table's rows per second per core: an op
// is one batch of about 8192 rows, its bytes the Arrow value buffers.
func BenchmarkGenerate(b *testing.B) {
	for _, table := range []string{"bid", "auction", "person"} {
		b.Run(table, func(b *testing.B) {
			spec := &connector.TableSpec{Name: "bench." + table, Columns: columnsOf(kindOfName(table)),
				Options: map[string]string{"table": table}, BatchRows: 8192, Alloc: memory.NewGoAllocator()}
			src, err := Open(context.Background(), spec)
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			if err := src.Start(context.Background(), nil); err != nil {
				b.Fatal(err)
			}
			var rows, bytes int64
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				batch, err := src.Next(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				rows += batch.Rows.NumRows()
				if bytes == 0 {
					for _, c := range batch.Rows.Columns() {
						for _, buf := range c.Data().Buffers() {
							if buf != nil {
								bytes += int64(buf.Len())
							}
						}
					}
					b.SetBytes(bytes)
				}
				batch.Rows.Release()
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
