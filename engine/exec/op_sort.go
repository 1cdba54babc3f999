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
// it keeps only the best `limit` rows (top-N), so memory stays bounded by
// the limit, not the input: once it has cut its rows back to the limit, the
// last row kept is a bar that a later row must beat to be kept at all, and
// most rows of a large input are dropped by one comparison.
type Sort struct {
	keys  []compute.SortKey
	limit int64 // < 0: no limit
	alloc memory.Allocator
	held  []arrow.RecordBatch
	rows  int64
	// bar is the worst row kept after the last cut (row bar.NumRows()-1 of
	// held[0]); nil before the first cut or when a key type has no
	// comparator.
	bar  arrow.RecordBatch
	cmps []rowCmp // one per key; nil: no prefilter
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
	if s.limit == 0 {
		return ErrEnough
	}
	if s.bar != nil {
		kept, err := s.beatBar(ctx, b)
		if err != nil || kept == nil {
			return err
		}
		b = kept // already retained
	} else {
		b.Retain()
	}
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
		if s.rows == s.limit {
			s.setBar(sorted)
		}
	}
	return nil
}

// setBar makes the last row of sorted the bar, when every key type can be
// compared row by row.
func (s *Sort) setBar(sorted arrow.RecordBatch) {
	if s.cmps == nil {
		cmps := make([]rowCmp, len(s.keys))
		for i, k := range s.keys {
			if cmps[i] = newRowCmp(sorted.Column(k.ColumnIndex).DataType()); cmps[i] == nil {
				return
			}
		}
		s.cmps = cmps
	}
	s.bar = sorted
}

// beatBar returns the rows of b that sort strictly before the bar (a row
// equal to it would come after every kept row, the sort being stable), or
// nil when there are none. The result is the caller's.
func (s *Sort) beatBar(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	j := int(s.bar.NumRows()) - 1
	var idx []int64
	for i := range int(b.NumRows()) {
		if s.beats(b, i, j) {
			idx = append(idx, int64(i))
		}
	}
	switch len(idx) {
	case 0:
		return nil, nil
	case int(b.NumRows()):
		b.Retain()
		return b, nil
	}
	ib := array.NewInt64Builder(s.alloc)
	defer ib.Release()
	ib.AppendValues(idx, nil)
	ia := ib.NewArray()
	defer ia.Release()
	return takeRows(compute.WithAllocator(ctx, s.alloc), b, ia)
}

// beats says whether row i of b sorts strictly before row j of the bar.
// A comparison it cannot decide (NaN) counts as a win: the sort decides.
func (s *Sort) beats(b arrow.RecordBatch, i, j int) bool {
	for k, key := range s.keys {
		a, t := b.Column(key.ColumnIndex), s.bar.Column(key.ColumnIndex)
		an, tn := a.IsNull(i), t.IsNull(j)
		switch {
		case an && tn:
			continue
		case an || tn:
			// Nulls go first or last whatever the direction.
			return an == (key.NullPlacement == compute.SortNullsAtStart)
		}
		c, ok := s.cmps[k](a, i, t, j)
		if !ok {
			return true
		}
		if key.Order == compute.SortOrderDescending {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return false
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
	return takeRows(ctx, whole, idx)
}

// takeRows returns the rows of b at the indices idx, in that order.
func takeRows(ctx context.Context, b arrow.RecordBatch, idx arrow.Array) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, b.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, c := range b.Columns() {
		taken, err := compute.TakeArray(ctx, c, idx)
		if err != nil {
			return nil, err
		}
		cols = append(cols, taken)
	}
	return array.NewRecordBatch(b.Schema(), cols, int64(idx.Len())), nil
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
	s.held, s.rows, s.bar = nil, 0, nil
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
