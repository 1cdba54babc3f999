package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/lake"
)

// FileSink ends a pipeline that writes a table: each batch is coerced to the
// table's columns (casts, NOT NULL checks; done is the number of rows
// written before, for error messages), then handed to W.
type FileSink struct {
	Coerce func(b arrow.RecordBatch, done int64) (arrow.RecordBatch, error)
	W      *lake.FileWriter
}

func (s *FileSink) Emit(ctx context.Context, b arrow.RecordBatch) error {
	rec, err := s.Coerce(b, s.W.Rows())
	b.Release()
	if err != nil {
		return err
	}
	return s.W.Write(ctx, rec)
}
