package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/plan"
)

// ConnectorSource reads a bounded connector table (files, a generator with
// a row count) from its start to its end, for a batch query. A record that
// does not decode fails the query with its position: a batch statement has
// no dead-letter table to put it in.
type ConnectorSource struct {
	Table *plan.SourceTable
	// Alloc is what the connector decodes into (nil: the default); with
	// Budget set, the budget's Unchecked view, and the query stops once
	// the budget is over, checked between batches (see BatchSource).
	Alloc  memory.Allocator
	Budget *Budget
}

func (s ConnectorSource) Run(ctx context.Context, out Emitter) error {
	spec := *s.Table.Spec
	spec.Alloc = s.Alloc
	if spec.Alloc == nil {
		spec.Alloc = memory.DefaultAllocator
	}
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
