package expr

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// NewCase builds CASE WHEN … THEN … ELSE … END: every condition must be
// BOOLEAN, and the THEN values and ELSE are coerced to their common type.
// A nil els means ELSE NULL.
func NewCase(whens []When, els Expr) (Expr, error) {
	if len(whens) == 0 {
		return nil, errors.New("CASE needs at least one WHEN")
	}
	if els == nil {
		els = Lit(scalar.ScalarNull)
	}
	var t arrow.DataType = arrow.Null
	for i, w := range whens {
		if w.Cond == nil || w.Then == nil {
			return nil, fmt.Errorf("BUG: CASE branch %d is incomplete", i)
		}
		if !isBool(w.Cond.Type()) && !isNull(w.Cond.Type()) {
			return nil, fmt.Errorf("CASE WHEN condition must be BOOLEAN, got %s: %s", typeName(w.Cond.Type()), w.Cond)
		}
		c, ok := CommonType(t, w.Then.Type())
		if !ok {
			return nil, fmt.Errorf("CASE branches have incompatible types %s and %s", typeName(t), typeName(w.Then.Type()))
		}
		t = c
	}
	c, ok := CommonType(t, els.Type())
	if !ok {
		return nil, fmt.Errorf("CASE branches have incompatible types %s and %s (ELSE)", typeName(t), typeName(els.Type()))
	}
	t = c
	out := &Case{Whens: make([]When, len(whens)), Else: coerce(els, t), DataType: t}
	for i, w := range whens {
		out.Whens[i] = When{Cond: coerce(w.Cond, tBool), Then: coerce(w.Then, t)}
	}
	return out, nil
}

func compileCase(c *Case) (node, error) {
	conds := make([]node, len(c.Whens))
	vals := make([]node, len(c.Whens)+1)
	for i, w := range c.Whens {
		var err error
		if conds[i], err = compileNode(w.Cond); err != nil {
			return nil, err
		}
		if vals[i], err = compileNode(w.Then); err != nil {
			return nil, err
		}
	}
	var err error
	if vals[len(c.Whens)], err = compileNode(c.Else); err != nil {
		return nil, err
	}
	dt := c.DataType
	vector := func(ctx *EvalContext, b arrow.RecordBatch) (Datum, error) {
		n := int(b.NumRows())
		cs := make([]Datum, len(conds))
		vs := make([]Datum, len(vals))
		defer release(cs)
		defer release(vs)
		for i := range conds {
			d, err := conds[i](ctx, b)
			if err != nil {
				return Datum{}, err
			}
			cs[i] = d
		}
		for i := range vals {
			d, err := vals[i](ctx, b)
			if err != nil {
				return Datum{}, err
			}
			vs[i] = d
		}
		readers := make([]bools, len(cs))
		for i := range cs {
			readers[i] = rdBool(cs[i])
		}
		pick := make([]int32, n)
		for r := 0; r < n; r++ {
			pick[r] = int32(len(cs))
			for k := range readers {
				if !readers[k].isNull(r) && readers[k].at(r) {
					pick[r] = int32(k)
					break
				}
			}
		}
		a, err := gather(ctx, dt, vs, pick, n)
		return Datum{Array: a}, err
	}
	row := func(ctx *EvalContext, b arrow.RecordBatch) (arrow.Array, error) {
		for i := range conds {
			cond, err := evalRow(ctx, conds[i], b)
			if err != nil {
				return nil, err
			}
			t := truthy(cond)
			cond.Release()
			if t {
				return evalRow(ctx, vals[i], b)
			}
		}
		return evalRow(ctx, vals[len(conds)], b)
	}
	return withRowFallback(vector, row), nil
}

// gather builds row r of the result from parts[pick[r]]. It broadcasts the
// parts, concatenates them and takes once: a few allocations per batch.
func gather(ctx *EvalContext, dt arrow.DataType, parts []Datum, pick []int32, n int) (arrow.Array, error) {
	// Fast path: every row picks the same part.
	same := true
	for _, p := range pick {
		if p != pick[0] {
			same = false
			break
		}
	}
	if n == 0 || same {
		k := 0
		if n > 0 {
			k = int(pick[0])
		}
		if parts[k].Array != nil {
			parts[k].Array.Retain()
			return parts[k].Array, nil
		}
		return toArray(ctx, Datum{Scalar: parts[k].Scalar}, n)
	}
	mem := ctx.alloc()
	arrs := make([]arrow.Array, len(parts))
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i, p := range parts {
		if p.Array != nil {
			p.Array.Retain()
			arrs[i] = p.Array
			continue
		}
		a, err := toArray(ctx, Datum{Scalar: p.Scalar}, n)
		if err != nil {
			return nil, err
		}
		arrs[i] = a
	}
	for i, a := range arrs {
		if !arrow.TypeEqual(a.DataType(), dt) {
			if a.DataType().ID() == arrow.NULL {
				arrs[i] = nullArray(ctx, dt, n)
				a.Release()
				continue
			}
			return nil, fmt.Errorf("BUG: branch type %s, want %s", a.DataType(), dt)
		}
	}
	all, err := array.Concatenate(arrs, mem)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	idx := newFixedOut[int32](ctx, tI32, n)
	for r, p := range pick {
		idx.vals[r] = p*int32(n) + int32(r)
	}
	ia := idx.finish()
	defer ia.Release()
	return compute.TakeArrayOpts(ctx.context(), all, ia, compute.TakeOptions{BoundsCheck: false})
}

// pickEval adapts gather for Calls whose args are the candidate values after
// nargs leading control arguments.
func coalesceEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	vs := make([]validity, len(args))
	for i := range args {
		vs[i] = newValidity(args[i])
	}
	pick := make([]int32, n)
	last := int32(len(args) - 1)
	for r := range pick {
		pick[r] = last
		for k := range vs {
			if !vs[k].isNull(r) {
				pick[r] = int32(k)
				break
			}
		}
	}
	return gather(ctx, datumType(args[0]), args, pick, n)
}

func ifEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	c := rdBool(args[0])
	pick := make([]int32, n)
	for r := range pick {
		pick[r] = 1
		if !c.isNull(r) && c.at(r) {
			pick[r] = 0
		}
	}
	return gather(ctx, datumType(args[1]), args[1:], pick, n)
}

// nullifEval: NULLIF(a, b) is NULL where a = b, else a.
func nullifEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	eq, err := callCompute(ctx, "equal", nil, args, n)
	if err != nil {
		return nil, err
	}
	defer eq.Release()
	e := rdBool(Datum{Array: eq})
	pick := make([]int32, n)
	for r := range pick {
		if !e.isNull(r) && e.at(r) {
			pick[r] = 1
		}
	}
	null := Datum{Scalar: scalar.MakeNullScalar(datumType(args[0]))}
	return gather(ctx, datumType(args[0]), []Datum{args[0], null}, pick, n)
}

// extremeEval implements GREATEST/LEAST: NULL if any argument is NULL (as
// Flink does), else the largest/smallest by the comparison kernels.
func extremeEval(op string) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		cur := args[0]
		owned := false
		for _, next := range args[1:] {
			// pick next where next op cur
			cmp, err := callCompute(ctx, op, nil, []Datum{next, cur}, n)
			if err != nil {
				return nil, err
			}
			c := rdBool(Datum{Array: cmp})
			vc, vn := newValidity(cur), newValidity(next)
			pick := make([]int32, n)
			nullAt := make([]bool, n)
			for r := range pick {
				if vc.isNull(r) || vn.isNull(r) {
					nullAt[r] = true
					pick[r] = 2
				} else if c.at(r) {
					pick[r] = 1
				}
			}
			null := Datum{Scalar: scalar.MakeNullScalar(datumType(cur))}
			res, err := gather(ctx, datumType(cur), []Datum{cur, next, null}, pick, n)
			cmp.Release()
			if owned {
				cur.Array.Release()
			}
			if err != nil {
				return nil, err
			}
			cur, owned = Datum{Array: res}, true
		}
		if !owned {
			return toArray(ctx, retainDatum(cur), n)
		}
		return cur.Array, nil
	}
}

func retainDatum(d Datum) Datum {
	if d.Array != nil {
		d.Array.Retain()
	}
	return d
}

// commonResolve coerces args[from:] to their common type and returns f with
// that result type.
func commonResolve(name string, from int, eval evalFn, nullOnNull bool) func(args []Expr) (*Func, []Expr, error) {
	return func(args []Expr) (*Func, []Expr, error) {
		vals, t, err := sameType(name, args[from:])
		if err != nil {
			return nil, nil, err
		}
		out := append(append([]Expr{}, args[:from]...), vals...)
		for i := 0; i < from; i++ {
			if !implicitOK(out[i].Type(), tBool) {
				return nil, nil, errArgTypes(name, args)
			}
			out[i] = coerce(out[i], tBool)
		}
		if isNull(t) {
			t = arrow.Null
		}
		return &Func{Name: name, Result: t, NullOnNull: nullOnNull, Deterministic: true, Eval: eval}, out, nil
	}
}

func init() {
	register(custom("COALESCE", 1, -1, commonResolve("COALESCE", 0, coalesceEval, false)))
	register(custom("IFNULL", 2, 2, commonResolve("IFNULL", 0, coalesceEval, false)))
	register(custom("IF", 3, 3, commonResolve("IF", 1, ifEval, false)))
	register(custom("NULLIF", 2, 2, commonResolve("NULLIF", 0, nullifEval, false)))
	register(custom("GREATEST", 1, -1, commonResolve("GREATEST", 0, extremeEval("greater"), true)))
	register(custom("LEAST", 1, -1, commonResolve("LEAST", 0, extremeEval("less"), true)))
}
