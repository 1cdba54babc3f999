package exec

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// benchBatches makes rows rows of (k BIGINT, s STRING, v BIGINT) in 8Ki-row
// batches, with k and s cycling through groups values.
func benchBatches(rows, groups int) []arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: i64}, {Name: "s", Type: str}, {Name: "v", Type: i64}}, nil)
	var out []arrow.RecordBatch
	const size = 8 << 10
	for start := 0; start < rows; start += size {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := start; i < min(rows, start+size); i++ {
			k := (i * 7919) % groups
			b.Field(0).(*array.Int64Builder).Append(int64(k))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("key-%07d", k))
			b.Field(2).(*array.Int64Builder).Append(int64(i))
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

// BenchmarkHashAgg is SELECT key, COUNT(*), SUM(v), MAX(v) … GROUP BY key
// over 1M rows. Allocations per op are per batch and per group (table and
// state growth, the result), not per row.
func BenchmarkHashAgg(b *testing.B) {
	const rows = 1 << 20
	for _, groups := range []int{1_000, 100_000} {
		data := benchBatches(rows, groups)
		for _, key := range []struct {
			name string
			col  int
			typ  arrow.DataType
		}{{"bigint", 0, i64}, {"string", 1, str}} {
			b.Run(fmt.Sprintf("key=%s/groups=%d", key.name, groups), func(b *testing.B) {
				benchAgg(b, data, []expr.Evaluator{col(key.col)}, []arrow.DataType{key.typ})
			})
		}
	}
	b.Run("global", func(b *testing.B) {
		benchAgg(b, benchBatches(rows, 1), nil, nil)
	})
}

func benchAgg(b *testing.B, data []arrow.RecordBatch, keys []expr.Evaluator, types []arrow.DataType) {
	ctx := context.Background()
	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator}
	var fields []arrow.Field
	for i, t := range types {
		fields = append(fields, arrow.Field{Name: fmt.Sprint("k", i), Type: t})
	}
	fields = append(fields, arrow.Field{Name: "n", Type: i64}, arrow.Field{Name: "sum", Type: i64}, arrow.Field{Name: "max", Type: i64})
	schema := arrow.NewSchema(fields, nil)
	aggs := []AggSpec{
		{Func: "COUNT", Type: i64},
		{Func: "SUM", Arg: col(2), ArgType: i64, Type: i64},
		{Func: "MAX", Arg: col(2), ArgType: i64, Type: i64},
	}
	var rows, bytes int64
	for _, d := range data {
		rows += d.NumRows()
		for _, c := range d.Columns() {
			for _, buf := range c.Data().Buffers() {
				if buf != nil {
					bytes += int64(buf.Len())
				}
			}
		}
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	for b.Loop() {
		op, err := NewHashAgg(schema, keys, types, aggs, ev)
		if err != nil {
			b.Fatal(err)
		}
		src := BatchSource{Batches: func(yield func(arrow.RecordBatch, error) bool) {
			for _, d := range data {
				d.Retain()
				if !yield(d, nil) {
					return
				}
			}
		}}
		sink := &Collect{}
		if err := Run(ctx, src, []Operator{op}, sink); err != nil {
			b.Fatal(err)
		}
		sink.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*rows), "ns/row")
}
