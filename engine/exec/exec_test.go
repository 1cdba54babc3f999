package exec

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// batches yields n batches of size rows: k = 0.. (every 7th NULL), s = "s<k%3>".
func batches(mem memory.Allocator, n, size int, read *int) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		k := 0
		for i := 0; i < n; i++ {
			b := array.NewRecordBuilder(mem, testSchema)
			for j := 0; j < size; j++ {
				if k%7 == 6 {
					b.Field(0).AppendNull()
				} else {
					b.Field(0).(*array.Int64Builder).Append(int64(k))
				}
				b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("s%d", k%3))
				k++
			}
			rec := b.NewRecordBatch()
			b.Release()
			*read++
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// keyLess is a hand-compiled "k < n" (NULL stays NULL).
func keyLess(n int64) expr.Evaluator {
	return func(ev *expr.EvalContext, b arrow.RecordBatch) (arrow.Array, error) {
		col := b.Column(0).(*array.Int64)
		bb := array.NewBooleanBuilder(ev.Alloc)
		defer bb.Release()
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(col.Value(i) < n)
			}
		}
		return bb.NewArray(), nil
	}
}

func keys(t *testing.T, c *Collect) []string {
	t.Helper()
	var out []string
	for _, b := range c.Batches {
		col := b.Column(0).(*array.Int64)
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				out = append(out, "NULL")
			} else {
				out = append(out, fmt.Sprint(col.Value(i)))
			}
		}
	}
	return out
}

func TestPipeline(t *testing.T) {
	ctx := context.Background()
	// arrow-go v18.8.0's sort_indices leaks its index buffer (8 bytes a row;
	// the GC still reclaims it) when a sort key has NULLs: those cases check
	// that no more than that is unaccounted.
	f := func(name string, ops func(ev *expr.EvalContext) []Operator, wantRead int, want ...string) {
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			ev := &expr.EvalContext{Ctx: ctx, Alloc: mem}
			read := 0
			sink := &Collect{}
			if err := Run(ctx, BatchSource{Batches: batches(mem, 10, 4, &read)}, ops(ev), sink); err != nil {
				t.Fatal(err)
			}
			got := keys(t, sink)
			sink.Release()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			if wantRead > 0 && read != wantRead {
				t.Fatalf("read %d batches, want %d (limit must stop the source)", read, wantRead)
			}
			if strings.Contains(name, "nulls") {
				if leaked := mem.CurrentAlloc(); leaked > 8*10*4 {
					t.Fatalf("%d bytes unaccounted, more than the upstream sort leak", leaked)
				}
				return
			}
			mem.AssertSize(t, 0)
		})
	}
	f("filter drops NULL and false", func(ev *expr.EvalContext) []Operator { return []Operator{NewFilter(keyLess(9), ev)} }, 10,
		"0", "1", "2", "3", "4", "5", "7", "8")
	f("filter all-pass fast path", func(ev *expr.EvalContext) []Operator { return []Operator{NewFilter(keyLess(1000), ev), NewLimit(3, 0)} }, 1,
		"0", "1", "2")
	f("limit offset across batches", func(*expr.EvalContext) []Operator { return []Operator{NewLimit(3, 5)} }, 2,
		"5", "NULL", "7")
	f("sort desc nulls first, top 4", func(ev *expr.EvalContext) []Operator {
		return []Operator{NewSort([]SortKey{{Column: 0, Descending: true, NullsFirst: true}}, 4, ev.Alloc)}
	}, 10, "NULL", "NULL", "NULL", "NULL")
	f("sort on a NULL-free key then limit", func(ev *expr.EvalContext) []Operator {
		return []Operator{NewFilter(keyLess(1000), ev), NewSort([]SortKey{{Column: 0, Descending: true}}, -1, ev.Alloc), NewLimit(2, 0)}
	}, 10, "39", "38")
	f("project", func(ev *expr.EvalContext) []Operator {
		return []Operator{NewProject(arrow.NewSchema([]arrow.Field{testSchema.Field(0)}, nil), []expr.Evaluator{
			func(ev *expr.EvalContext, b arrow.RecordBatch) (arrow.Array, error) {
				c := b.Column(0)
				c.Retain()
				return c, nil
			}}, ev), NewLimit(2, 0)}
	}, 1, "0", "1")
}

func TestMemoryBudget(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	budget := NewBudget(mem, 64<<10)
	read := 0
	sink := &Collect{}
	err := Run(ctx, BatchSource{Batches: batches(budget, 1000, 1000, &read)}, []Operator{NewSort([]SortKey{{Column: 0}}, -1, budget)}, sink)
	var mle *MemoryLimitError
	if !errors.As(err, &mle) {
		t.Fatalf("err = %v, want a memory limit error", err)
	}
	if read > 20 {
		t.Fatalf("read %d batches before stopping", read)
	}
	sink.Release()
	if budget.Peak() > 64<<10 {
		t.Fatalf("peak %d over the budget", budget.Peak())
	}
}

// TestScanBudget: a scan allocating from the budget's unchecked view goes
// over the limit without panicking (its readers' goroutines could not
// recover), and its source stops the query with a *MemoryLimitError at the
// next batch, the batch released and the sequence stopped; every byte goes
// back to the budget through the view.
func TestScanBudget(t *testing.T) {
	const limit = 64 << 10
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	budget := NewBudget(mem, limit)
	read := 0
	sink := &Collect{} // holds what the scan read, as a query's result does
	err := Run(t.Context(), BatchSource{Batches: batches(budget.Unchecked(), 1000, 1000, &read), Budget: budget}, nil, sink)
	var mle *MemoryLimitError
	if !errors.As(err, &mle) || mle.Limit != limit || mle.Used <= limit || !strings.Contains(err.Error(), "memory limit of 0 MiB") {
		t.Fatalf("err = %v, want a memory limit error", err)
	}
	if read > 5 || len(sink.Batches) != read-1 {
		t.Fatalf("read %d batches, kept %d: the scan did not stop at the first batch over the limit", read, len(sink.Batches))
	}
	if budget.Peak() <= limit {
		t.Fatalf("peak %d: the unchecked view should have let the scan over the limit", budget.Peak())
	}
	sink.Release()
	if budget.Used() != 0 {
		t.Fatalf("%d bytes still charged after the batches were released", budget.Used())
	}
	mem.AssertSize(t, 0)
}

func TestCollectMaxRows(t *testing.T) {
	read := 0
	sink := &Collect{MaxRows: 10}
	err := Run(context.Background(), BatchSource{Batches: batches(memory.DefaultAllocator, 10, 4, &read)}, nil, sink)
	var tm *ErrTooManyRows
	if !errors.As(err, &tm) || read != 3 {
		t.Fatalf("err = %v after %d batches", err, read)
	}
	sink.Release()
}
