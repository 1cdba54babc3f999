package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"

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
	kept, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, f.ev.Alloc), b, mask, compute.DefaultFilterOptions())
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
