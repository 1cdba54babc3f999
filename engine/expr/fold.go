package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// Fold evaluates deterministic subtrees whose inputs are all literals once,
// at plan time. An evaluation error is returned only where Flink would fail
// too: under a lazily evaluated branch (CASE, IF, COALESCE, the right side of
// AND/OR) the subtree is left as is, to fail at run time only if reached.
func Fold(e Expr, ctx *EvalContext) (Expr, error) {
	if ctx == nil {
		ctx = &EvalContext{}
	}
	return fold(e, ctx, false)
}

func fold(e Expr, ctx *EvalContext, lazy bool) (Expr, error) {
	switch e := e.(type) {
	case *Call:
		args := make([]Expr, len(e.Args))
		allLit := true
		for i, a := range e.Args {
			argLazy := lazy || (i > 0 && lazyName(e.Func.Name))
			f, err := fold(a, ctx, argLazy)
			if err != nil {
				return nil, err
			}
			args[i] = f
			if _, ok := f.(*Literal); !ok {
				allLit = false
			}
		}
		c := &Call{Func: e.Func, Args: args}
		if !allLit || !e.Func.Deterministic {
			return c, nil
		}
		return evalConst(c, ctx, lazy)
	case *Cast:
		arg, err := fold(e.Arg, ctx, lazy)
		if err != nil {
			return nil, err
		}
		c := &Cast{Arg: arg, To: e.To, Try: e.Try}
		if _, ok := arg.(*Literal); !ok {
			return c, nil
		}
		return evalConst(c, ctx, lazy)
	case *Case:
		out := &Case{DataType: e.DataType}
		for i, w := range e.Whens {
			cond, err := fold(w.Cond, ctx, lazy || i > 0)
			if err != nil {
				return nil, err
			}
			then, err := fold(w.Then, ctx, true)
			if err != nil {
				return nil, err
			}
			if l, ok := cond.(*Literal); ok {
				if !l.Value.IsValid() || !l.Value.(*scalar.Boolean).Value {
					continue // never taken
				}
				if len(out.Whens) == 0 {
					// Always taken first: the CASE is this branch.
					return fold(w.Then, ctx, lazy)
				}
			}
			out.Whens = append(out.Whens, When{Cond: cond, Then: then})
		}
		if len(out.Whens) == 0 {
			return fold(e.Else, ctx, lazy)
		}
		els, err := fold(e.Else, ctx, true)
		if err != nil {
			return nil, err
		}
		out.Else = els
		return out, nil
	}
	return e, nil
}

func lazyName(name string) bool {
	switch name {
	case "AND", "OR", "IF", "COALESCE", "IFNULL":
		return true
	}
	return false
}

// evalConst evaluates an all-literal subtree over a one-row batch.
func evalConst(e Expr, ctx *EvalContext, lazy bool) (Expr, error) {
	ev, err := Compile(e)
	if err != nil {
		return nil, err
	}
	octx := *ctx
	octx.Alloc = memory.DefaultAllocator // the literal outlives the query's allocator
	schema := arrow.NewSchema(nil, nil)
	b := array.NewRecordBatch(schema, nil, 1)
	defer b.Release()
	a, err := ev(&octx, b)
	if err != nil {
		if lazy {
			return e, nil
		}
		return nil, err
	}
	defer a.Release()
	s, err := scalar.GetScalar(a, 0)
	if err != nil {
		return nil, err
	}
	return &Literal{Value: s}, nil
}
