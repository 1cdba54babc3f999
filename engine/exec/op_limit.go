package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// Limit skips Offset rows, passes at most N, then tells upstream it has had
// enough (ErrEnough), so a scan stops reading.
type Limit struct {
	skip, left int64
}

// NewLimit returns LIMIT n OFFSET offset; n < 0 means no limit.
func NewLimit(n, offset int64) *Limit {
	if n < 0 {
		n = 1<<63 - 1
	}
	return &Limit{skip: offset, left: n}
}

func (l *Limit) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	if l.left == 0 {
		return ErrEnough
	}
	from, rows := int64(0), b.NumRows()
	if l.skip > 0 {
		from = min(l.skip, rows)
		l.skip -= from
	}
	n := min(rows-from, l.left)
	if n <= 0 {
		return nil
	}
	l.left -= n
	var err error
	if from == 0 && n == rows {
		b.Retain()
		err = out.Emit(ctx, b)
	} else {
		err = out.Emit(ctx, b.NewSlice(from, from+n))
	}
	if err == nil && l.left == 0 {
		err = ErrEnough
	}
	return err
}

func (l *Limit) Finish(context.Context, Emitter) error { return nil }
func (l *Limit) Close()                                {}
