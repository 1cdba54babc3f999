package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SortKey orders by one column of the input.
type SortKey struct {
	Column     int
	Descending bool
	NullsFirst bool
}

// Sort buffers its whole input and emits it ordered at Finish. With a limit
// it keeps only the best `limit` rows after each batch (top-N), so memory
// stays bounded by the limit, not the input.
type Sort struct {
	keys  []compute.SortKey
	limit int64 // < 0: no limit
	alloc memory.Allocator
	held  []arrow.RecordBatch
	rows  int64
}

// NewSort returns ORDER BY keys, keeping the first limit rows (limit < 0: all).
func NewSort(keys []SortKey, limit int64, alloc memory.Allocator) *Sort {
	s := &Sort{limit: limit, alloc: alloc}
	for _, k := range keys {
		sk := compute.SortKey{ColumnIndex: k.Column, Order: compute.SortOrderAscending, NullPlacement: compute.SortNullsAtEnd}
		if k.Descending {
			sk.Order = compute.SortOrderDescending
		}
		if k.NullsFirst {
			sk.NullPlacement = compute.SortNullsAtStart
		}
		s.keys = append(s.keys, sk)
	}
	return s
}

func (s *Sort) Process(ctx context.Context, b arrow.RecordBatch, _ Emitter) error {
	b.Retain()
	s.held = append(s.held, b)
	s.rows += b.NumRows()
	// Top-N: once twice the limit is held, cut back to the limit.
	if s.limit >= 0 && s.rows > 2*max(s.limit, 1024) {
		sorted, err := s.sorted(ctx)
		if err != nil {
			return err
		}
		s.release()
		s.held, s.rows = []arrow.RecordBatch{sorted}, sorted.NumRows()
	}
	return nil
}

// sorted returns the held rows in order, cut to the limit.
func (s *Sort) sorted(ctx context.Context) (arrow.RecordBatch, error) {
	ctx = compute.WithAllocator(ctx, s.alloc)
	whole, err := concatBatches(s.held, s.alloc)
	if err != nil {
		return nil, err
	}
	defer whole.Release()
	idx, err := compute.SortIndicesRecordBatch(ctx, whole, s.keys)
	if err != nil {
		return nil, err
	}
	defer idx.Release()
	if s.limit >= 0 && int64(idx.Len()) > s.limit {
		cut := array.NewSlice(idx, 0, s.limit)
		defer cut.Release()
		idx = cut
	}
	cols := make([]arrow.Array, 0, whole.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, c := range whole.Columns() {
		taken, err := compute.TakeArray(ctx, c, idx)
		if err != nil {
			return nil, err
		}
		cols = append(cols, taken)
	}
	return array.NewRecordBatch(whole.Schema(), cols, int64(idx.Len())), nil
}

func (s *Sort) Finish(ctx context.Context, out Emitter) error {
	if len(s.held) == 0 {
		return nil
	}
	sorted, err := s.sorted(ctx)
	if err != nil {
		return err
	}
	s.release()
	return out.Emit(ctx, sorted)
}

func (s *Sort) release() {
	for _, b := range s.held {
		b.Release()
	}
	s.held, s.rows = nil, 0
}

func (s *Sort) Close() { s.release() }

// concatBatches makes one batch of several with the same schema.
func concatBatches(bs []arrow.RecordBatch, alloc memory.Allocator) (arrow.RecordBatch, error) {
	if len(bs) == 1 {
		bs[0].Retain()
		return bs[0], nil
	}
	cols := make([]arrow.Array, bs[0].NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var rows int64
	for _, b := range bs {
		rows += b.NumRows()
	}
	parts := make([]arrow.Array, len(bs))
	for i := range cols {
		for j, b := range bs {
			parts[j] = b.Column(i)
		}
		c, err := array.Concatenate(parts, alloc)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(bs[0].Schema(), cols, rows), nil
}
