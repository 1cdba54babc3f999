package exec

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var topNSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// topNBatches are batches of rows with few distinct values per key (ties),
// NULLs and NaNs; id is the row number.
func topNBatches(n, size int) []arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []arrow.RecordBatch
	id := int64(0)
	for range n {
		b := array.NewRecordBuilder(memory.DefaultAllocator, topNSchema)
		for range size {
			if rng.IntN(10) == 0 {
				b.Field(0).AppendNull()
			} else {
				b.Field(0).(*array.Int32Builder).Append(int32(rng.IntN(50)))
			}
			switch r := rng.IntN(20); {
			case r == 0:
				b.Field(1).AppendNull()
			case r == 1:
				b.Field(1).(*array.Float64Builder).Append(math.NaN())
			default:
				b.Field(1).(*array.Float64Builder).Append(float64(rng.IntN(40)) / 4)
			}
			if rng.IntN(15) == 0 {
				b.Field(2).AppendNull()
			} else {
				b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("v%d", rng.IntN(30)))
			}
			b.Field(3).(*array.Int64Builder).Append(id)
			id++
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

// runOps runs the batches of in through ops and prints the result rows.
func runOps(t *testing.T, in []arrow.RecordBatch, ops ...Operator) string {
	t.Helper()
	seq := func(yield func(arrow.RecordBatch, error) bool) {
		for _, b := range in {
			b.Retain()
			if !yield(b, nil) {
				return
			}
		}
	}
	sink := &Collect{}
	defer sink.Release()
	if err := Run(context.Background(), BatchSource{Batches: seq}, ops, sink); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, b := range sink.Batches {
		for i := range int(b.NumRows()) {
			for c := range int(b.NumCols()) {
				sb.WriteString(b.Column(c).ValueStr(i))
				sb.WriteByte(' ')
			}
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// TestTopNMatchesFullSort checks the top-N bar against sorting everything
// and then cutting: the same rows in the same order, ties, NULLs and NaNs
// included.
func TestTopNMatchesFullSort(t *testing.T) {
	in := topNBatches(12, 3000)
	defer func() {
		for _, b := range in {
			b.Release()
		}
	}()
	for _, tc := range []struct {
		name  string
		keys  []SortKey
		limit int64
	}{
		{"int desc nulls last", []SortKey{{Column: 0, Descending: true}}, 10},
		{"int asc nulls first, id", []SortKey{{Column: 0, NullsFirst: true}, {Column: 3}}, 25},
		{"double desc with NaN, string", []SortKey{{Column: 1, Descending: true}, {Column: 2}}, 40},
		{"double asc nulls first", []SortKey{{Column: 1, NullsFirst: true}, {Column: 3, Descending: true}}, 7},
		{"string desc nulls first, int", []SortKey{{Column: 2, Descending: true, NullsFirst: true}, {Column: 0}}, 100},
		{"limit above the bar threshold", []SortKey{{Column: 0}, {Column: 2}}, 3000},
		{"limit zero", []SortKey{{Column: 0}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.DefaultAllocator
			want := runOps(t, in, NewSort(tc.keys, -1, mem), NewLimit(tc.limit, 0))
			got := runOps(t, in, NewSort(tc.keys, tc.limit, mem))
			if got != want {
				t.Fatalf("top-N differs from sort + limit:\n got %.300s\nwant %.300s", got, want)
			}
		})
	}
}
