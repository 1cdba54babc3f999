package exec

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestRepeat(t *testing.T) {
	in := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	cases := []struct {
		name   string
		counts []any // int64 or nil (NULL)
		want   string
		chunks int
	}{
		{"counts", []any{int64(2), int64(0), int64(1), nil, int64(-3), int64(3)}, "[0 0 2 5 5 5]", 1},
		{"nothing", []any{int64(0), nil}, "[]", 0},
		{"split into chunks", []any{int64(repeatChunk + 1)}, fmt.Sprintf("%d rows of 0", repeatChunk+1), 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			b := array.NewRecordBuilder(mem, in)
			for i, n := range c.counts {
				b.Field(0).(*array.Int64Builder).Append(int64(i))
				if n == nil {
					b.Field(1).AppendNull()
				} else {
					b.Field(1).(*array.Int64Builder).Append(n.(int64))
				}
			}
			rec := b.NewRecordBatch()
			b.Release()
			defer rec.Release()
			out := &Collect{}
			r := NewRepeat(arrow.NewSchema(in.Fields()[:1], nil), mem)
			if err := r.Process(context.Background(), rec, out); err != nil {
				t.Fatal(err)
			}
			r.Close()
			got := fmt.Sprint(keys(t, out))
			if n := len(keys(t, out)); n > 10 {
				got = fmt.Sprintf("%d rows of 0", n)
			}
			if got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
			if len(out.Batches) != c.chunks {
				t.Fatalf("%d batches, want %d", len(out.Batches), c.chunks)
			}
			for _, b := range out.Batches {
				b.Release()
			}
		})
	}
}
