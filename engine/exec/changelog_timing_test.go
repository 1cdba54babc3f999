package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// bidSchema is Nexmark's bid: auction, bidder, price, channel, dateTime.
var bidSchema = arrow.NewSchema([]arrow.Field{
	{Name: "auction", Type: arrow.PrimitiveTypes.Int64}, {Name: "bidder", Type: arrow.PrimitiveTypes.Int64},
	{Name: "price", Type: arrow.PrimitiveTypes.Int64}, {Name: "channel", Type: arrow.BinaryTypes.String},
	{Name: "dateTime", Type: arrow.FixedWidthTypes.Timestamp_ms},
}, nil)

// bidBatches makes Nexmark-like bids in 8Ki-row batches: half go to 100
// hot auctions and bidders, the rest spread over 10,000 of each.
func bidBatches(rows int) []arrow.RecordBatch {
	r := rand.New(rand.NewPCG(1, 1))
	skewed := func() int64 {
		if r.IntN(2) == 0 {
			return 1000 + r.Int64N(100)
		}
		return 1000 + r.Int64N(10000)
	}
	channels := []string{"Google", "Facebook", "Baidu", "Apple"}
	var out []arrow.RecordBatch
	for start := 0; start < rows; start += 8 << 10 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, bidSchema)
		for i := start; i < min(rows, start+8<<10); i++ {
			b.Field(0).(*array.Int64Builder).Append(skewed())
			b.Field(1).(*array.Int64Builder).Append(skewed())
			b.Field(2).(*array.Int64Builder).Append(r.Int64N(1_000_000))
			b.Field(3).(*array.StringBuilder).Append(channels[r.IntN(len(channels))])
			b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(i / 10))
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

func bidCol(i int) expr.Evaluator {
	f := bidSchema.Field(i)
	e, err := expr.Compile(&expr.Column{Index: i, Name: f.Name, DataType: f.Type})
	if err != nil {
		panic(err)
	}
	return e
}

// benchStream pushes data through op with a barrier every 8 batches
// (64Ki rows) and reports rows/s.
func benchStream(b *testing.B, data []arrow.RecordBatch, newOp func() Operator) {
	ctx := context.Background()
	rows := 0
	for _, d := range data {
		rows += int(d.NumRows())
	}
	drop := emitFunc(func(rec arrow.RecordBatch) { rec.Release() })
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		op := newOp()
		for i, d := range data {
			if err := op.Process(ctx, d, drop); err != nil {
				b.Fatal(err)
			}
			if i%8 == 7 {
				if err := op.(BarrierHandler).OnBarrier(ctx, uint64(i), drop); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := op.Finish(ctx, drop); err != nil {
			b.Fatal(err)
		}
		op.Close()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGroupAgg is q17's shape without the day: SELECT auction,
// COUNT(*), MIN(price), MAX(price), AVG(price), SUM(price),
// COUNT(DISTINCT bidder) GROUP BY auction, over 1Mi bids, append-only
// and (the same rows as -U/+U pairs half the time) over a changelog.
func BenchmarkGroupAgg(b *testing.B) {
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	i64 := arrow.PrimitiveTypes.Int64
	price := func(fn string, distinct bool) AggSpec {
		return AggSpec{Func: fn, Arg: bidCol(2), ArgType: i64, Type: i64, Distinct: distinct}
	}
	specs := []AggSpec{{Func: "COUNT", Type: i64}, price("MIN", false), price("MAX", false), price("AVG", false), price("SUM", false),
		{Func: "COUNT", Arg: bidCol(1), ArgType: i64, Type: i64, Distinct: true}}
	fields := []arrow.Field{bidSchema.Field(0)}
	for i := range specs {
		fields = append(fields, arrow.Field{Name: fmt.Sprint("a", i), Type: i64, Nullable: true})
	}
	schema := arrow.NewSchema(fields, nil)
	data := bidBatches(1 << 20)
	b.Run("append-only", func(b *testing.B) {
		benchStream(b, data, func() Operator {
			g, err := NewGroupAgg(schema, []expr.Evaluator{bidCol(0)}, []arrow.DataType{i64}, specs, false, ev)
			if err != nil {
				b.Fatal(err)
			}
			return g
		})
	})
	b.Run("changelog", func(b *testing.B) {
		benchStream(b, withRetractions(data), func() Operator {
			g, err := NewGroupAgg(schema, []expr.Evaluator{bidCol(0)}, []arrow.DataType{i64}, specs, true, ev)
			if err != nil {
				b.Fatal(err)
			}
			return g
		})
	})
}

// withRetractions turns each batch into a changelog where every other row
// retracts (-U) the row before it and the next re-adds it (+U).
func withRetractions(data []arrow.RecordBatch) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	schema := arrow.NewSchema(append(bidSchema.Fields(), RowKindField), nil)
	for _, d := range data {
		n := int(d.NumRows())
		idx := make([]int32, 0, 2*n)
		kinds := make([]int8, 0, 2*n)
		for i := range n {
			idx, kinds = append(idx, int32(i)), append(kinds, int8(Insert))
			if i%2 == 1 {
				idx, kinds = append(idx, int32(i), int32(i)), append(kinds, int8(UpdateBefore), int8(UpdateAfter))
			}
		}
		cols, err := takeColumns(context.Background(), memory.DefaultAllocator, d.Columns(), idx)
		if err != nil {
			panic(err)
		}
		out = append(out, withKinds(schema, cols, kinds, memory.DefaultAllocator))
		releaseAll(cols)
	}
	return out
}

// BenchmarkRank is q19 (the 10 highest bids per auction) and q18
// (deduplication keeping each bidder's last bid per auction) over 1Mi bids.
func BenchmarkRank(b *testing.B) {
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	schema := arrow.NewSchema(append(bidSchema.Fields(), arrow.Field{Name: "rn", Type: arrow.PrimitiveTypes.Int64}), nil)
	data := bidBatches(1 << 20)
	for _, c := range []struct {
		name     string
		part     []int
		order    []SortKey
		n        int
		keepLast bool
	}{
		{"top10", []int{0}, []SortKey{{Column: 2, Descending: true}}, 10, false},
		{"dedup-last", []int{1, 0}, []SortKey{{Column: 4, Descending: true}}, 1, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchStream(b, data, func() Operator {
				r, err := NewRank(schema, c.part, c.order, c.n, c.keepLast, ev)
				if err != nil {
					b.Fatal(err)
				}
				return r
			})
		})
	}
}

// keyedBids makes 1Mi bids in 8Ki-row batches whose auctions are hot
// (auction 0, about 90% of rows) or not, spread over 100,000 auctions.
func keyedBids(hot bool) []arrow.RecordBatch {
	r := rand.New(rand.NewPCG(3, 3))
	var out []arrow.RecordBatch
	const rows = 1 << 20
	for start := 0; start < rows; start += 8 << 10 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, bidSchema)
		for i := start; i < start+8<<10; i++ {
			auction := 1 + r.Int64N(100_000)
			if hot && r.IntN(10) > 0 {
				auction = 0
			}
			b.Field(0).(*array.Int64Builder).Append(auction)
			b.Field(1).(*array.Int64Builder).Append(r.Int64N(100_000))
			b.Field(2).(*array.Int64Builder).Append(r.Int64N(1_000_000))
			b.Field(3).(*array.StringBuilder).Append("Google")
			b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(i / 10))
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

// BenchmarkGroupAggParallel is q17's aggregates that merge (COUNT(*),
// MIN, MAX, AVG and SUM of price) GROUP BY auction over 1Mi bids, one hot
// auction or none, on one instance or on 2 workers (exchange), in one
// phase or two.
func BenchmarkGroupAggParallel(b *testing.B) {
	i64 := arrow.PrimitiveTypes.Int64
	price := func(fn string) AggSpec { return AggSpec{Func: fn, Arg: bidCol(2), ArgType: i64, Type: i64} }
	specs := []AggSpec{{Func: "COUNT", Type: i64}, price("MIN"), price("MAX"), price("AVG"), price("SUM")}
	fields := []arrow.Field{bidSchema.Field(0)}
	for i := range specs {
		fields = append(fields, arrow.Field{Name: fmt.Sprint("a", i), Type: i64, Nullable: true})
	}
	schema := arrow.NewSchema(fields, nil)
	phase := func(p aggPhase) func() (Operator, error) {
		return func() (Operator, error) {
			g, err := newGroupAgg(schema, []expr.Evaluator{bidCol(0)}, []arrow.DataType{i64}, specs, false, p, testEv)
			if err != nil {
				return nil, err
			}
			return g, nil
		}
	}
	for _, input := range []string{"uniform", "skewed"} {
		data := keyedBids(input == "skewed")
		for _, c := range []struct {
			name string
			op   func() (Operator, error)
		}{
			{"p1", phase(onePhase)},
			{"p1-two-phase", func() (Operator, error) {
				return newTwoPhaseExchange(1, 1, testEv, phase(localPhase), phase(globalPhase))
			}},
			{"p2-one-phase", func() (Operator, error) {
				return newKeyedExchange(2, []expr.Evaluator{bidCol(0)}, testEv, phase(onePhase))
			}},
			{"p2-two-phase", func() (Operator, error) {
				return newTwoPhaseExchange(2, 1, testEv, phase(localPhase), phase(globalPhase))
			}},
		} {
			b.Run(input+"/"+c.name, func(b *testing.B) {
				benchStream(b, data, func() Operator {
					op, err := c.op()
					if err != nil {
						b.Fatal(err)
					}
					return op
				})
			})
		}
	}
}
