package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// repeatChunk bounds the rows of one output batch, so that a row repeated
// a million times does not become one huge batch.
const repeatChunk = 64 << 10

// Repeat emits each row as many times as its last column (BIGINT) says,
// without that column; NULL and counts below one emit nothing (see
// plan.Repeat). Rows are gathered with one Take per column and chunk.
type Repeat struct {
	schema *arrow.Schema
	alloc  memory.Allocator
	idx    []int32 // reused across batches
}

// NewRepeat returns the operator; schema is its output (the input's
// columns less the count).
func NewRepeat(schema *arrow.Schema, alloc memory.Allocator) *Repeat {
	return &Repeat{schema: schema, alloc: alloc}
}

func (r *Repeat) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	ncols := int(b.NumCols()) - 1
	counts := b.Column(ncols).(*array.Int64)
	cols := batchColumns(b)[:ncols]
	r.idx = r.idx[:0]
	flush := func() error {
		if len(r.idx) == 0 {
			return nil
		}
		taken, err := takeColumns(ctx, r.alloc, cols, r.idx)
		if err != nil {
			return err
		}
		rec := array.NewRecordBatch(r.schema, taken, int64(len(r.idx)))
		releaseAll(taken)
		r.idx = r.idx[:0]
		return out.Emit(ctx, rec)
	}
	for i := range counts.Len() {
		if counts.IsNull(i) {
			continue
		}
		for k := counts.Value(i); k > 0; k-- {
			r.idx = append(r.idx, int32(i))
			if len(r.idx) == repeatChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

func (r *Repeat) Finish(context.Context, Emitter) error { return nil }
func (r *Repeat) Close()                                {}
