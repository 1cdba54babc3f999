package exec

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkSessionSnapshot measures a SESSION window's snapshot per
// epoch, full or as a delta, in a steady state like Nexmark q11's: an
// epoch is one second of event time, 20,000 rows in batches of 1,000,
// over keys drawn from a range that moves on 100 keys a second (a key is
// active for about 10 s, its session ends 10 s after), the watermark half
// a second behind. It reports the bytes and the time of a snapshot.
func BenchmarkSessionSnapshot(b *testing.B) {
	const (
		second = 1_000_000
		perSec = 20_000
		batch  = 1_000
	)
	for _, mode := range []string{"full", "delta"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			mem := memory.NewGoAllocator()
			tvf := newSessionOp(mem)
			tvf.n.Size = 10 * second
			defer tvf.Close()
			r := rand.New(rand.NewPCG(1, 2))
			var now, id int64
			out := emitFunc(func(rec arrow.RecordBatch) { rec.Release() })
			epoch := func() {
				rows := make([]sessRow, batch)
				for range perSec / batch {
					for i := range rows {
						now += second / perSec
						rows[i] = sessRow{key: now/second*100 + int64(r.IntN(1000)), id: id, t: now}
						id++
					}
					rec := sessBatch(mem, rows)
					if err := tvf.Process(ctx, rec, nil); err != nil {
						b.Fatal(err)
					}
					rec.Release()
				}
				if err := tvf.OnWatermark(ctx, now-second/2, out); err != nil {
					b.Fatal(err)
				}
			}
			for range 30 { // to the steady state
				epoch()
			}
			if _, err := tvf.SnapshotState(nil); err != nil {
				b.Fatal(err)
			}
			take := tvf.SnapshotState
			if mode == "delta" {
				take = tvf.SnapshotDelta
			}
			var bytes int
			var spent time.Duration
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				epoch()
				start := time.Now()
				var err error
				if buf, err = take(buf[:0]); err != nil {
					b.Fatal(err)
				}
				spent += time.Since(start)
				bytes += len(buf)
			}
			b.ReportMetric(float64(bytes)/float64(b.N), "snapshot-B/epoch")
			b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N), "snapshot-ns/epoch")
			b.ReportMetric(float64(tvf.nOpen), "open-sessions")
		})
	}
}
