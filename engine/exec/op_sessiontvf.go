package exec

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/plan"
)

// sessionTVF is SESSION(TABLE t PARTITION BY k, DESCRIPTOR(ts), gap) over a
// bounded input: rows of one key whose times are less than gap apart share
// a window [first time, last time + gap). A session is known only once all
// its rows are, so the operator keeps every batch until Finish (the memory
// budget bounds it); rows with a NULL time are dropped.
type sessionTVF struct {
	n       *plan.WindowTVF
	alloc   memory.Allocator
	batches []arrow.RecordBatch
}

// NewSessionTVF returns the operator for a SESSION window TVF.
func NewSessionTVF(n *plan.WindowTVF, alloc memory.Allocator) Operator {
	return &sessionTVF{n: n, alloc: alloc}
}

func (s *sessionTVF) Process(_ context.Context, b arrow.RecordBatch, _ Emitter) error {
	b.Retain()
	s.batches = append(s.batches, b)
	return nil
}

// sessionRow is one input row with a time.
type sessionRow struct {
	batch, row int32
	key        string
	t          int64
}

func (s *sessionTVF) Finish(ctx context.Context, out Emitter) error {
	var rows []sessionRow
	var key strings.Builder
	for bi, b := range s.batches {
		ts := b.Column(s.n.TimeCol).(*array.Timestamp)
		for i := range ts.Len() {
			if ts.IsNull(i) {
				continue
			}
			key.Reset()
			for _, c := range s.n.Partition {
				col := b.Column(c)
				if col.IsNull(i) {
					key.WriteString("\x00N")
				} else {
					key.WriteString("\x00V")
					key.WriteString(col.ValueStr(i))
				}
			}
			rows = append(rows, sessionRow{batch: int32(bi), row: int32(i), key: key.String(), t: int64(ts.Value(i))})
		}
	}
	slices.SortFunc(rows, func(a, b sessionRow) int { return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(a.t, b.t)) })
	// Per batch, its rows' windows, in the order rows are emitted.
	type bounds struct{ idx, start, end []int64 }
	per := make([]bounds, len(s.batches))
	gap := s.n.Size
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].key == rows[i].key && rows[j].t-rows[j-1].t < gap {
			j++
		}
		start, end := rows[i].t, rows[j-1].t+gap
		for _, r := range rows[i:j] {
			p := &per[r.batch]
			p.idx, p.start, p.end = append(p.idx, int64(r.row)), append(p.start, start), append(p.end, end)
		}
		i = j
	}
	for bi, b := range s.batches {
		p := per[bi]
		if len(p.idx) == 0 {
			continue
		}
		idx := make([]int32, len(p.idx))
		for k, v := range p.idx {
			idx[k] = int32(v)
		}
		cols, err := takeColumns(ctx, s.alloc, b.Columns(), idx)
		if err != nil {
			return err
		}
		tt := b.Column(s.n.TimeCol).DataType().(*arrow.TimestampType)
		// window_start, window_end, and window_time = window_end − 1 ms.
		for k, vals := range [][]int64{p.start, p.end, p.end} {
			shift := int64(0)
			if k == 2 {
				shift = -1000
			}
			tb := array.NewTimestampBuilder(s.alloc, tt)
			tb.Reserve(len(vals))
			for _, v := range vals {
				tb.UnsafeAppend(arrow.Timestamp(v + shift))
			}
			cols = append(cols, tb.NewArray())
			tb.Release()
		}
		rec := array.NewRecordBatch(s.n.Schema(), cols, int64(len(idx)))
		releaseAll(cols)
		if err := out.Emit(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

func (s *sessionTVF) Close() {
	for _, b := range s.batches {
		b.Release()
	}
	s.batches = nil
}
