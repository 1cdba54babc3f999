package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/wharfdata/wharf/engine/plan"
)

// ConnectorSource reads a bounded connector table (files, a generator with
// a row count) from its start to its end, for a batch query. A record that
// does not decode fails the query with its position: a batch statement has
// no dead-letter table to put it in.
type ConnectorSource struct {
	Table *plan.SourceTable
	// Budget, when set, is the query's: the connector, which may decode on
	// goroutines of its own, allocates from its Unchecked view, and the
	// query stops once it is over, checked between batches (see
	// BatchSource).
	Budget *Budget
}

func (s ConnectorSource) Run(ctx context.Context, out Emitter) error {
	spec := *s.Table.Spec
	spec.Alloc = s.Budget.Unchecked()
	src, err := s.Table.Open(ctx, &spec)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := src.Start(ctx, nil); err != nil {
		return err
	}
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(b.Bad) > 0 {
			if b.Rows != nil {
				b.Rows.Release()
			}
			bad := b.Bad[0]
			return fmt.Errorf("%s: record %d of %s (split %d) does not decode: %s", spec.Name, bad.Position, bad.Topic, bad.Split, bad.Err)
		}
		if b.Rows == nil {
			continue
		}
		if b.Rows.NumRows() == 0 {
			b.Rows.Release()
			continue
		}
		if err := s.Budget.Check(); err != nil {
			b.Rows.Release()
			return err
		}
		if err := out.Emit(ctx, b.Rows); err != nil {
			return err
		}
	}
}
