package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ChangeWriter takes a changelog for a table with a primary key: rows in
// the table's columns, and their kinds (nil: all inserts).
type ChangeWriter interface {
	Write(ctx context.Context, rows arrow.RecordBatch, kinds *array.Int8) error
	Rows() int64
}

// UpsertSink ends a continuous job's graph whose output is a changelog (see
// RowKindColumn): each batch's row kinds are split off, its columns coerced
// to the table's as FileSink does, and both handed to W.
type UpsertSink struct {
	Coerce func(b arrow.RecordBatch, done int64) (arrow.RecordBatch, error)
	W      ChangeWriter
	rows   *arrow.Schema // a changelog's schema without its row kinds, made once
}

func (s *UpsertSink) Emit(ctx context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	kinds := RowKinds(b)
	rows := b
	if kinds != nil {
		n := int(b.NumCols()) - 1
		if s.rows == nil {
			s.rows = arrow.NewSchema(b.Schema().Fields()[:n], nil)
		}
		rows = array.NewRecordBatch(s.rows, b.Columns()[:n], b.NumRows())
		defer rows.Release()
	}
	rec, err := s.Coerce(rows, s.W.Rows())
	if err != nil {
		return err
	}
	defer rec.Release() // W retains what it keeps
	return s.W.Write(ctx, rec, kinds)
}
