package exec_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/plan"
)

// Nexmark-like inputs: auctions (id, seller, t) and bids (auction,
// price, t) on the ten most recent auctions, 50 bids per auction, a
// millisecond apart.
var (
	auctionSchema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "item", Type: arrow.BinaryTypes.String},
		{Name: "t", Type: tsType},
	}, nil)
	bidSchema = arrow.NewSchema([]arrow.Field{
		{Name: "auction", Type: arrow.PrimitiveTypes.Int64},
		{Name: "price", Type: arrow.PrimitiveTypes.Int64},
		{Name: "t", Type: tsType},
	}, nil)
)

// nexmarkish returns per step of 1024 bids the batch of the auctions
// opened in that step and the bids.
func nexmarkish(bids int) (auctions, bidBatches []arrow.RecordBatch) {
	rng := rand.New(rand.NewPCG(1, 2))
	const size = 1024
	var next int64
	for from := 0; from < bids; from += size {
		ab := array.NewRecordBuilder(memory.DefaultAllocator, auctionSchema)
		bb := array.NewRecordBuilder(memory.DefaultAllocator, bidSchema)
		for i := from; i < from+size; i++ {
			t := int64(i) * 1000
			for ; next*50 <= int64(i); next++ {
				ab.Field(0).(*array.Int64Builder).Append(next)
				ab.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("item-%d", next))
				ab.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(t))
			}
			bb.Field(0).(*array.Int64Builder).Append(max(0, next-1-rng.Int64N(10)))
			bb.Field(1).(*array.Int64Builder).Append(rng.Int64N(10_000))
			bb.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(t))
		}
		auctions, bidBatches = append(auctions, ab.NewRecordBatch()), append(bidBatches, bb.NewRecordBatch())
		ab.Release()
		bb.Release()
	}
	return auctions, bidBatches
}

// BenchmarkStreamJoin joins 64Ki bids with their auctions: a regular join
// (state kept), and an interval join (bids within 2 s of the auction's
// opening) with a watermark after every step, whose state stays small.
// rows/s counts input rows.
func BenchmarkStreamJoin(b *testing.B) {
	ctx := context.Background()
	auctions, bids := nexmarkish(64 << 10)
	rows := 0
	for i := range bids {
		rows += int(auctions[i].NumRows() + bids[i].NumRows())
	}
	eq := call("=", col(3, arrow.PrimitiveTypes.Int64), col(0, arrow.PrimitiveTypes.Int64))
	lt, rt := col(2, tsType), col(5, tsType)
	within := call("AND", eq, call("AND", call(">=", rt, lt), call("<=", rt, call("+", lt, interval(2*time.Second)))))
	cases := []struct {
		name   string
		join   *plan.Join
		bounds *exec.TimeBounds
	}{
		{"regular", plan.NewJoin(input{auctionSchema}, input{bidSchema}, plan.JoinInner, eq), nil},
		{"interval", plan.NewJoin(input{auctionSchema}, input{bidSchema}, plan.JoinInner, within), &exec.TimeBounds{LeftCol: 2, RightCol: 2, LeftLife: 2_000_001, RightLife: 1}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var out int64
			for b.Loop() {
				op, err := exec.NewStreamJoin(c.join, exec.StreamJoinOptions{Bounds: c.bounds}, testEval())
				if err != nil {
					b.Fatal(err)
				}
				sink := &counter{}
				for i := range bids {
					if err := op.Process(ctx, auctions[i], sink); err != nil {
						b.Fatal(err)
					}
					if err := op.ProcessRight(ctx, bids[i], sink); err != nil {
						b.Fatal(err)
					}
					if c.bounds != nil {
						if err := op.OnWatermark(ctx, int64(i)*1024*1000, sink); err != nil {
							b.Fatal(err)
						}
					}
				}
				op.Close()
				out = sink.rows
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(out), "rows-out")
		})
	}
}

// counter counts and releases what it is given.
type counter struct{ rows int64 }

func (c *counter) Emit(_ context.Context, b arrow.RecordBatch) error {
	c.rows += b.NumRows()
	b.Release()
	return nil
}
