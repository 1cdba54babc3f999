package expr

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// node evaluates a subtree to a Datum: literals stay scalars so kernels see
// constants as such; arrays returned are owned by the caller.
type node func(ctx *EvalContext, b arrow.RecordBatch) (Datum, error)

// Compile turns e into an Evaluator over whole batches. It is called once per
// query; the closures it builds do no per-row dispatch.
func Compile(e Expr) (Evaluator, error) {
	nd, err := compileNode(e)
	if err != nil {
		return nil, err
	}
	return func(ctx *EvalContext, b arrow.RecordBatch) (arrow.Array, error) {
		d, err := nd(ctx, b)
		if err != nil {
			return nil, err
		}
		return toArray(ctx, d, int(b.NumRows()))
	}, nil
}

// toArray materialises a datum as an array of length n, taking ownership.
func toArray(ctx *EvalContext, d Datum, n int) (arrow.Array, error) {
	if d.Array != nil {
		return d.Array, nil
	}
	if !d.Scalar.IsValid() {
		return nullArray(ctx, d.Scalar.DataType(), n), nil
	}
	return scalar.MakeArrayFromScalar(d.Scalar, n, ctx.alloc())
}

func release(ds []Datum) {
	for i := range ds {
		if ds[i].Array != nil {
			ds[i].Array.Release()
			ds[i].Array = nil
		}
	}
}

func compileNode(e Expr) (node, error) {
	switch e := e.(type) {
	case *Literal:
		d := Datum{Scalar: e.Value}
		return func(*EvalContext, arrow.RecordBatch) (Datum, error) { return d, nil }, nil
	case *Column:
		idx, dt := e.Index, e.DataType
		return func(_ *EvalContext, b arrow.RecordBatch) (Datum, error) {
			if idx < 0 || idx >= int(b.NumCols()) {
				return Datum{}, fmt.Errorf("BUG: column %d out of range (%d columns)", idx, b.NumCols())
			}
			col := b.Column(idx)
			if !arrow.TypeEqual(col.DataType(), dt) {
				return Datum{}, fmt.Errorf("BUG: column %s is %s, bound as %s", e.Name, col.DataType(), dt)
			}
			col.Retain()
			return Datum{Array: col}, nil
		}, nil
	case *Call:
		return compileCall(e)
	case *Cast:
		arg, err := compileNode(e.Arg)
		if err != nil {
			return nil, err
		}
		from, to, try := e.Arg.Type(), e.To, e.Try
		return func(ctx *EvalContext, b arrow.RecordBatch) (Datum, error) {
			d, err := arg(ctx, b)
			if err != nil {
				return Datum{}, err
			}
			defer release([]Datum{d})
			a, err := castDatum(ctx, d, from, to, try, int(b.NumRows()))
			if err != nil {
				return Datum{}, err
			}
			return Datum{Array: a}, nil
		}, nil
	case *Case:
		return compileCase(e)
	case nil:
		return nil, errors.New("BUG: nil expression")
	}
	return nil, fmt.Errorf("BUG: cannot compile %T", e)
}

func compileCall(c *Call) (node, error) {
	if c.Func == nil || c.Func.Eval == nil {
		return nil, fmt.Errorf("BUG: call %s has no kernel", c)
	}
	args := make([]node, len(c.Args))
	for i, a := range c.Args {
		n, err := compileNode(a)
		if err != nil {
			return nil, err
		}
		args[i] = n
	}
	f := c.Func
	vector := func(ctx *EvalContext, b arrow.RecordBatch) (Datum, error) {
		n := int(b.NumRows())
		ds := make([]Datum, len(args))
		defer release(ds)
		for i, a := range args {
			d, err := a(ctx, b)
			if err != nil {
				return Datum{}, err
			}
			ds[i] = d
		}
		// Fast path: a NULL constant makes a null-on-null call NULL.
		if f.NullOnNull && anyNullScalar(ds) {
			return Datum{Array: nullArray(ctx, f.Result, n)}, nil
		}
		out, err := f.Eval(ctx, ds, n)
		if err != nil {
			return Datum{}, err
		}
		if out.Len() != n {
			out.Release()
			return Datum{}, fmt.Errorf("BUG: %s returned %d rows for %d", f.Name, out.Len(), n)
		}
		return Datum{Array: out}, nil
	}
	if lazy := lazyCall(c, args); lazy != nil {
		return withRowFallback(vector, lazy), nil
	}
	return vector, nil
}

// Lazy forms. Flink's generated code evaluates AND/OR, IF, COALESCE and CASE
// branches only when needed, so `x <> 0 AND 10 / x > 1` never divides by zero.
// We evaluate every branch over the whole batch (fast path) and, only when
// that fails, again row by row taking just the branches Flink would take
// (slow path), so an error surfaces only if Flink would raise it too.

// rowNode evaluates a one-row batch lazily to a length-1 array.
type rowNode func(ctx *EvalContext, b arrow.RecordBatch) (arrow.Array, error)

func withRowFallback(vector node, row rowNode) node {
	return func(ctx *EvalContext, b arrow.RecordBatch) (Datum, error) {
		d, err := vector(ctx, b)
		if err == nil {
			return d, nil
		}
		// Slow path.
		n := int(b.NumRows())
		parts := make([]arrow.Array, 0, n)
		defer func() {
			for _, p := range parts {
				p.Release()
			}
		}()
		for i := 0; i < n; i++ {
			rb := b.NewSlice(int64(i), int64(i+1))
			a, rerr := row(ctx, rb)
			rb.Release()
			if rerr != nil {
				return Datum{}, rerr
			}
			parts = append(parts, a)
		}
		if n == 0 {
			return Datum{}, err
		}
		out, cerr := array.Concatenate(parts, ctx.alloc())
		if cerr != nil {
			return Datum{}, cerr
		}
		return Datum{Array: out}, nil
	}
}

// evalRow evaluates nd over a one-row batch into a length-1 array.
func evalRow(ctx *EvalContext, nd node, b arrow.RecordBatch) (arrow.Array, error) {
	d, err := nd(ctx, b)
	if err != nil {
		return nil, err
	}
	return toArray(ctx, d, 1)
}

// truthy reports whether a length-1 boolean array holds TRUE.
func truthy(a arrow.Array) bool {
	bs, ok := a.(*array.Boolean)
	return ok && bs.IsValid(0) && bs.Value(0)
}

func lazyCall(c *Call, args []node) rowNode {
	switch c.Func.Name {
	case "AND", "OR":
		stop := c.Func.Name == "OR" // the value that decides without the right side
		vector := c.Func.Eval
		return func(ctx *EvalContext, b arrow.RecordBatch) (arrow.Array, error) {
			l, err := evalRow(ctx, args[0], b)
			if err != nil {
				return nil, err
			}
			if l.IsValid(0) && l.(*array.Boolean).Value(0) == stop {
				return l, nil
			}
			defer l.Release()
			r, err := evalRow(ctx, args[1], b)
			if err != nil {
				return nil, err
			}
			defer r.Release()
			return vector(ctx, []Datum{{Array: l}, {Array: r}}, 1)
		}
	case "IF":
		return func(ctx *EvalContext, b arrow.RecordBatch) (arrow.Array, error) {
			cond, err := evalRow(ctx, args[0], b)
			if err != nil {
				return nil, err
			}
			take := 2
			if truthy(cond) {
				take = 1
			}
			cond.Release()
			return evalRow(ctx, args[take], b)
		}
	case "COALESCE", "IFNULL":
		return func(ctx *EvalContext, b arrow.RecordBatch) (arrow.Array, error) {
			for i, a := range args {
				v, err := evalRow(ctx, a, b)
				if err != nil {
					return nil, err
				}
				if v.IsValid(0) || i == len(args)-1 {
					return v, nil
				}
				v.Release()
			}
			return nil, errors.New("BUG: empty COALESCE")
		}
	}
	return nil
}
