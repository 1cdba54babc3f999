package exec_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/expr"
)

// countRows is a sink that counts and drops what it is given.
type countRows struct{ rows int64 }

func (c *countRows) Emit(_ context.Context, b arrow.RecordBatch) error {
	c.rows += b.NumRows()
	b.Release()
	return nil
}

// BenchmarkWindowAgg folds batches of 4,096 rows into tumbling windows of
// 16 batches, 1,000 groups each, COUNT, SUM, MAX and MIN per group, with
// a watermark after every batch and a barrier after every fourth; early
// firing, when on, fires every changed window at every barrier (its worst
// case: a delay shorter than the commit interval).
func BenchmarkWindowAgg(b *testing.B) {
	const rows, perWindow, groups, barrierEvery = 4096, 16, 1000, 4
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(1, 2))
	ring := make([]arrow.RecordBatch, 4*perWindow)
	for i := range ring {
		rs := make([]waRow, rows)
		for j := range rs {
			start := int64(i/perWindow) * perWindow * rows
			rs[j] = waRow{start: start, end: start + perWindow*rows, g: rng.Int64N(groups), v: rng.Int64N(1000), s: []string{"a", "b", "c", "d"}[rng.IntN(4)]}
		}
		ring[i] = waBatch(mem, rs)
	}
	defer func() {
		for _, r := range ring {
			r.Release()
		}
	}()
	for _, early := range []bool{false, true} {
		name := "final-only"
		if early {
			name = "early-firing"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			ev := &expr.EvalContext{Ctx: ctx, Alloc: mem}
			var clock time.Time
			newOp := func() exec.Operator {
				op := newWindowAggOp(ev)
				if early {
					exec.FireEarlyAt(op, time.Nanosecond, func() time.Time { clock = clock.Add(time.Millisecond); return clock })
				}
				return op
			}
			op := newOp()
			out := &countRows{}
			b.ReportAllocs()
			b.SetBytes(rows * 5 * 8)
			i := 0
			for b.Loop() {
				if err := op.Process(ctx, ring[i], out); err != nil {
					b.Fatal(err)
				}
				if err := op.(exec.WatermarkHandler).OnWatermark(ctx, int64(i*rows-1), out); err != nil {
					b.Fatal(err)
				}
				if i%barrierEvery == barrierEvery-1 {
					if err := op.(exec.BarrierHandler).OnBarrier(ctx, uint64(i), out); err != nil {
						b.Fatal(err)
					}
				}
				if i++; i == len(ring) {
					if err := op.Finish(ctx, out); err != nil {
						b.Fatal(err)
					}
					op.Close()
					op, i = newOp(), 0
				}
			}
			op.Close()
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(out.rows)/float64(b.N), "out/batch")
		})
	}
}
