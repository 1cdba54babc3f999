package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// Filter keeps the rows for which its condition is TRUE (NULL drops, as in SQL).
type Filter struct {
	cond expr.Evaluator
	ev   *expr.EvalContext
}

// NewFilter returns a filter on a compiled BOOLEAN condition.
func NewFilter(cond expr.Evaluator, ev *expr.EvalContext) *Filter {
	return &Filter{cond: cond, ev: ev}
}

func (f *Filter) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	mask, err := f.cond(f.ev, b)
	if err != nil {
		return err
	}
	defer mask.Release()
	bools, ok := mask.(*array.Boolean)
	if !ok {
		return fmt.Errorf("BUG: filter condition produced %s, not BOOLEAN", mask.DataType())
	}
	// Fast paths: all rows pass, or none.
	if bools.NullN() == 0 {
		switch n := countTrue(bools); n {
		case 0:
			return nil
		case bools.Len():
			b.Retain()
			return out.Emit(ctx, b)
		}
	}
	// Slow path: select.
	kept, err := filterBatch(ctx, f.ev.Alloc, b, bools)
	if err != nil {
		return err
	}
	if kept.NumRows() == 0 {
		kept.Release()
		return nil
	}
	return out.Emit(ctx, kept)
}

// countTrue counts the set bits of a boolean array without nulls.
func countTrue(b *array.Boolean) int {
	return bitutil.CountSetBits(b.Data().Buffers()[1].Bytes(), b.Data().Offset(), b.Len())
}

func (f *Filter) Finish(context.Context, Emitter) error { return nil }
func (f *Filter) Close()                                {}

// filterBatch keeps b's rows where mask is TRUE. arrow-go v18.8.0's filter
// kernel gets BOOLEAN columns with NULLs wrong (rows after a NULL come out
// NULL), so a batch with such a column is taken by index instead.
func filterBatch(ctx context.Context, alloc memory.Allocator, b arrow.RecordBatch, mask *array.Boolean) (arrow.RecordBatch, error) {
	safe := true
	for _, c := range b.Columns() {
		if c.DataType().ID() == arrow.BOOL && c.NullN() > 0 {
			safe = false
			break
		}
	}
	if safe {
		return compute.FilterRecordBatch(compute.WithAllocator(ctx, alloc), b, mask, compute.DefaultFilterOptions())
	}
	var idx []int32
	for i := range mask.Len() {
		if mask.IsValid(i) && mask.Value(i) {
			idx = append(idx, int32(i))
		}
	}
	cols, err := takeColumns(ctx, alloc, b.Columns(), idx)
	if err != nil {
		return nil, err
	}
	defer releaseAll(cols)
	return array.NewRecordBatch(b.Schema(), cols, int64(len(idx))), nil
}
