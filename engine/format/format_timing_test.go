package format

import (
	"testing"

	"github.com/wharfdata/wharf/engine/connector"
)

// benchDecode decodes payload b.N times, cutting a batch every 8192 rows as
// the Kafka source does.
func benchDecode(b *testing.B, format string, cols []connector.Column, payload []byte) {
	h := newHarness(b, format, cols, nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for i := 0; b.Loop(); i++ {
		if err := h.d.Decode(payload); err != nil {
			b.Fatal(err)
		}
		if i%8192 == 8191 {
			h.rb.NewRecordBatch().Release()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDecodeJSONBid(b *testing.B) { benchDecode(b, "json", bidColumns, []byte(bidJSON)) }

func BenchmarkDecodeCSVBid(b *testing.B) {
	benchDecode(b, "csv", bidColumns, []byte(`1000,2001,123456,Google,https://www.nexmark.com/fmv/qx/item.htm?query=1&channel_id=1170210816,2026-11-21 10:00:00.123,`))
}
