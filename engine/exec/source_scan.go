package exec

import (
	"context"
	"iter"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// BatchSource emits the batches of a sequence (a table scan, VALUES).
type BatchSource struct {
	Batches iter.Seq2[arrow.RecordBatch, error]
	// Budget, when set, is the query's budget whose Unchecked view the
	// sequence allocates from: the query stops with a *MemoryLimitError
	// once it is over its limit, checked before each batch is emitted.
	Budget *Budget
}

func (s BatchSource) Run(ctx context.Context, out Emitter) error {
	for b, err := range s.Batches {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			b.Release()
			return err
		}
		if err := s.Budget.Check(); err != nil {
			b.Release() // stopping the range ends the scan and frees what it read ahead
			return err
		}
		if err := out.Emit(ctx, b); err != nil {
			return err // Emit took ownership; stopping the range ends the scan
		}
	}
	return nil
}

// Collect is a sink that keeps every batch (an interactive query's result).
type Collect struct {
	Batches []arrow.RecordBatch
	Rows    int64
	// MaxRows bounds the result; beyond it Emit fails with ErrTooManyRows.
	MaxRows int64
}

// ErrTooManyRows stops a query whose result is over its row limit.
type ErrTooManyRows struct{ Limit int64 }

func (e *ErrTooManyRows) Error() string {
	return "the result has more rows than the limit of " + strconv.FormatInt(e.Limit, 10) + "; add a LIMIT or aggregate"
}

func (c *Collect) Emit(_ context.Context, b arrow.RecordBatch) error {
	if c.MaxRows > 0 && c.Rows+b.NumRows() > c.MaxRows {
		b.Release()
		return &ErrTooManyRows{Limit: c.MaxRows}
	}
	c.Rows += b.NumRows()
	c.Batches = append(c.Batches, b)
	return nil
}

// Release frees the collected batches (after an error).
func (c *Collect) Release() {
	for _, b := range c.Batches {
		b.Release()
	}
	c.Batches = nil
}
