package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/expr"
)

// Project computes one output column per expression.
type Project struct {
	schema *arrow.Schema
	exprs  []expr.Evaluator
	ev     *expr.EvalContext
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
	return out.Emit(ctx, array.NewRecordBatch(p.schema, cols, b.NumRows()))
}

func (p *Project) Finish(context.Context, Emitter) error { return nil }
func (p *Project) Close()                                {}
