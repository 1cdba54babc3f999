package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/expr"
)

// Project computes one output column per expression. A changelog's row
// kinds (see RowKindColumn) are carried through as the last column.
type Project struct {
	schema    *arrow.Schema
	changelog *arrow.Schema // schema plus the row kinds, made on first use
	exprs     []expr.Evaluator
	ev        *expr.EvalContext
}

// NewProject returns a projection producing schema from exprs (one each).
func NewProject(schema *arrow.Schema, exprs []expr.Evaluator, ev *expr.EvalContext) *Project {
	return &Project{schema: schema, exprs: exprs, ev: ev}
}

func (p *Project) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	cols := make([]arrow.Array, 0, len(p.exprs))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, e := range p.exprs {
		c, err := e(p.ev, b)
		if err != nil {
			return err
		}
		cols = append(cols, c)
	}
	schema := p.schema
	if kinds := RowKinds(b); kinds != nil {
		if p.changelog == nil {
			p.changelog = arrow.NewSchema(append(p.schema.Fields(), RowKindField), nil)
		}
		kinds.Retain()
		cols, schema = append(cols, kinds), p.changelog
	}
	return out.Emit(ctx, array.NewRecordBatch(schema, cols, b.NumRows()))
}

func (p *Project) Finish(context.Context, Emitter) error { return nil }
func (p *Project) Close()                                {}
