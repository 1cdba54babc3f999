package exec

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// UnionSource runs several pipelines one after the other and emits their
// batches, relabelled with the union's schema (the inputs' column names and
// nullability may differ; their types are the union's).
type UnionSource struct {
	Schema *arrow.Schema
	Inputs []*Query
}

// enoughSeen forwards batches and remembers that downstream had enough.
type enoughSeen struct {
	schema *arrow.Schema
	out    Emitter
	enough bool
}

func (e *enoughSeen) Emit(ctx context.Context, b arrow.RecordBatch) error {
	cols := b.Columns()
	if len(cols) != e.schema.NumFields() {
		b.Release()
		return fmt.Errorf("BUG: union input with %d columns, want %d", len(cols), e.schema.NumFields())
	}
	nb := array.NewRecordBatch(e.schema, cols, b.NumRows())
	b.Release()
	err := e.out.Emit(ctx, nb)
	if errors.Is(err, ErrEnough) {
		e.enough = true
	}
	return err
}

func (u *UnionSource) Run(ctx context.Context, out Emitter) error {
	for _, in := range u.Inputs {
		sink := &enoughSeen{schema: u.Schema, out: out}
		if err := Run(ctx, in.Source, in.Operators, sink); err != nil {
			return err
		}
		if sink.enough {
			return ErrEnough
		}
	}
	return nil
}

// ErrScalarSubquery is the error of a scalar subquery with several rows.
var ErrScalarSubquery = errors.New("scalar subquery returned more than one row")

// SingleRow passes the one row of its input, a row of NULLs when the input
// has none, and fails when it has more (a scalar subquery).
type SingleRow struct {
	schema *arrow.Schema
	alloc  memory.Allocator
	row    arrow.RecordBatch
}

// NewSingleRow returns the operator for a scalar subquery of schema.
func NewSingleRow(schema *arrow.Schema, alloc memory.Allocator) *SingleRow {
	return &SingleRow{schema: schema, alloc: alloc}
}

func (s *SingleRow) Process(_ context.Context, b arrow.RecordBatch, _ Emitter) error {
	n := b.NumRows()
	if n == 0 {
		return nil
	}
	if s.row != nil || n > 1 {
		return ErrScalarSubquery
	}
	s.row = array.NewRecordBatch(s.schema, b.Columns(), 1)
	return nil
}

func (s *SingleRow) Finish(ctx context.Context, out Emitter) error {
	if s.row == nil {
		cols := make([]arrow.Array, s.schema.NumFields())
		for i, f := range s.schema.Fields() {
			cols[i] = array.MakeArrayOfNull(s.alloc, f.Type, 1)
		}
		s.row = array.NewRecordBatch(s.schema, cols, 1)
		for _, c := range cols {
			c.Release()
		}
	}
	row := s.row
	s.row = nil
	return out.Emit(ctx, row)
}

func (s *SingleRow) Close() {
	if s.row != nil {
		s.row.Release()
		s.row = nil
	}
}
