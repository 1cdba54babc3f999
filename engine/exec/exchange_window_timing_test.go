package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// BenchmarkWindowAggParallel runs 32 batches of 4,096 rows of 1,000 keys
// (one op) through HOP windows (10 s, sliding 3 s: each row in 3 or 4
// windows) and SESSION windows (2 s gap, by key), COUNT, SUM and MAX per
// key and window, on one instance and on 2 workers; a watermark after
// every batch, which moves 0.1 s and closes windows as it goes, and a
// barrier after every fourth.
func BenchmarkWindowAggParallel(b *testing.B) {
	const rows = 4096
	r := rand.New(rand.NewPCG(1, 2))
	batches := make([]arrow.RecordBatch, 32)
	for i := range batches {
		rs := make([]winRow, rows)
		for j := range rs {
			rs[j] = winRow{k: r.Int64N(1000), s: r.Int64N(5), v: r.Int64N(100), ts: int64(i)*100_000 + r.Int64N(100_000)}
		}
		batches[i] = winBatch(rs)
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	ctx := context.Background()
	drop := emitFunc(func(b arrow.RecordBatch) { b.Release() })
	for _, kind := range []string{"HOP", "SESSION"} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", kind, workers), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(batches)) * rows * 32)
				for range b.N {
					q, err := BuildStreamWith(ctx, windowAggPlan(kind, true), testEv, StreamOptions{Parallelism: workers})
					if err != nil {
						b.Fatal(err)
					}
					g := NewGraph(q, drop)
					for i, in := range batches {
						in.Retain()
						if err := g.Push(ctx, 0, in); err != nil {
							b.Fatal(err)
						}
						if err := g.Watermark(ctx, int64(i)*100_000); err != nil {
							b.Fatal(err)
						}
						if i%4 == 3 {
							if err := g.Barrier(ctx, uint64(i)); err != nil {
								b.Fatal(err)
							}
						}
					}
					g.Close()
				}
			})
		}
	}
}
