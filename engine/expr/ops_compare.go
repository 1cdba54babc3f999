package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// Comparisons: both sides are coerced to their common type (a string
// literal compared with a DATE or TIMESTAMP is cast to it, as Flink does);
// a NULL side gives NULL. Strings compare by bytes (Flink's binary string
// order), numbers by value, timestamps by instant.

var compareKernels = map[string]string{
	"=": "equal", "<>": "not_equal", "<": "less", "<=": "less_equal", ">": "greater", ">=": "greater_equal",
}

func init() {
	for op := range compareKernels {
		register(&funcDef{name: op, min: 2, max: 2, resolve: compareResolve(op), hidden: true})
	}
	register(&funcDef{name: "IS DISTINCT FROM", min: 2, max: 2, resolve: distinctResolve(true), hidden: true})
	register(&funcDef{name: "IS NOT DISTINCT FROM", min: 2, max: 2, resolve: distinctResolve(false), hidden: true})
	register(&funcDef{name: "IS NULL", min: 1, max: 1, resolve: isNullResolve(true), hidden: true})
	register(&funcDef{name: "IS NOT NULL", min: 1, max: 1, resolve: isNullResolve(false), hidden: true})
	register(&funcDef{name: "IN", min: 2, max: -1, resolve: inResolve, hidden: true})
}

// compareArgs coerces a and b for comparison.
func compareArgs(name string, a, b Expr) (Expr, Expr, arrow.DataType, error) {
	a, b = temporalLiteral(a, b.Type()), temporalLiteral(b, a.Type())
	t, ok := CommonType(a.Type(), b.Type())
	if !ok || isNull(t) && !isNull(a.Type()) {
		return nil, nil, nil, errArgTypes(name, []Expr{a, b})
	}
	if isNull(t) {
		return a, b, t, nil
	}
	return coerce(a, t), coerce(b, t), t, nil
}

// temporalLiteral casts a string literal to DATE/TIMESTAMP when it meets one.
func temporalLiteral(e Expr, other arrow.DataType) Expr {
	if _, ok := e.(*Literal); ok && isString(e.Type()) && (isDate(other) || isTS(other)) {
		return &Cast{Arg: e, To: canonical(other)}
	}
	return e
}

func compareResolve(op string) func(args []Expr) (*Func, []Expr, error) {
	return func(args []Expr) (*Func, []Expr, error) {
		a, b, t, err := compareArgs(op, args[0], args[1])
		if err != nil {
			return nil, nil, err
		}
		f := &Func{Name: op, Result: tBool, NullOnNull: true, Deterministic: true}
		switch {
		case isNull(t):
			f.Eval = allNull(tBool)
		case isBool(t) && op != "=" && op != "<>":
			// Arrow orders booleans only for equality; FALSE < TRUE.
			cmp := boolOrder(op)
			f.Eval = rowBool(true, func(r *rows, i int) (bool, bool, error) {
				return cmp(b2i(r.bool(0, i)), b2i(r.bool(1, i))), true, nil
			})
		default:
			f.Eval = arrowBinary(compareKernels[op])
		}
		return f, []Expr{a, b}, nil
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func boolOrder(op string) func(a, b int) bool {
	switch op {
	case "<":
		return func(a, b int) bool { return a < b }
	case "<=":
		return func(a, b int) bool { return a <= b }
	case ">":
		return func(a, b int) bool { return a > b }
	}
	return func(a, b int) bool { return a >= b }
}

func allNull(dt arrow.DataType) evalFn {
	return func(ctx *EvalContext, _ []Datum, n int) (arrow.Array, error) { return nullArray(ctx, dt, n), nil }
}

// distinctResolve: IS [NOT] DISTINCT FROM treats NULLs as equal values and
// never returns NULL.
func distinctResolve(distinct bool) func(args []Expr) (*Func, []Expr, error) {
	name := "IS NOT DISTINCT FROM"
	if distinct {
		name = "IS DISTINCT FROM"
	}
	return func(args []Expr) (*Func, []Expr, error) {
		a, b, t, err := compareArgs(name, args[0], args[1])
		if err != nil {
			return nil, nil, err
		}
		eval := func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
			va, vb := newValidity(args[0]), newValidity(args[1])
			var eq bools
			if !isNull(t) && !anyNullScalar(args) {
				e, err := callCompute(ctx, "equal", nil, args, n)
				if err != nil {
					return nil, err
				}
				defer e.Release()
				eq = rdBool(Datum{Array: e})
			}
			out := newBoolOut(ctx, n)
			for i := 0; i < n; i++ {
				na, nb := va.isNull(i), vb.isNull(i)
				same := na && nb || !na && !nb && eq.at(i)
				out.add(same != distinct)
			}
			return out.finish(), nil
		}
		return &Func{Name: name, Result: tBool, Deterministic: true, Eval: eval}, []Expr{a, b}, nil
	}
}

func isNullResolve(want bool) func(args []Expr) (*Func, []Expr, error) {
	name := "IS NOT NULL"
	if want {
		name = "IS NULL"
	}
	return func(args []Expr) (*Func, []Expr, error) {
		eval := func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
			v := newValidity(args[0])
			out := newBoolOut(ctx, n)
			for i := 0; i < n; i++ {
				out.add(v.isNull(i) == want)
			}
			return out.finish(), nil
		}
		return &Func{Name: name, Result: tBool, Deterministic: true, Eval: eval}, args, nil
	}
}

// inResolve: x IN (list). A list of literals uses Arrow's is_in kernel with
// SQL semantics (NULL when x is NULL, or when x is not found and the list
// holds a NULL); otherwise the call is rewritten to x = a OR x = b ….
func inResolve(args []Expr) (*Func, []Expr, error) {
	all, t, err := sameType("IN", args)
	if err != nil {
		return nil, nil, err
	}
	x := all[0]
	lits := make([]scalar.Scalar, 0, len(all)-1)
	for _, it := range all[1:] {
		f, err := Fold(it, nil)
		if err != nil {
			return nil, nil, err
		}
		l, ok := f.(*Literal)
		if !ok {
			lits = nil
			break
		}
		lits = append(lits, l.Value)
	}
	if lits == nil || isNull(t) {
		var or Expr
		for _, it := range args[1:] {
			eq, err := Resolve("=", []Expr{args[0], it})
			if err != nil {
				return nil, nil, err
			}
			if or == nil {
				or = eq
			} else if or, err = Resolve("OR", []Expr{or, eq}); err != nil {
				return nil, nil, err
			}
		}
		return nil, []Expr{or}, nil
	}
	set, err := scalarsToArray(t, lits)
	if err != nil {
		return nil, nil, err
	}
	opts := &compute.SetOptions{ValueSet: compute.NewDatumWithoutOwning(set), NullBehavior: compute.NullMatchingInconclusive}
	eval := func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		return callCompute(ctx, "is_in", opts, args[:1], n)
	}
	out := append([]Expr{x}, all[1:]...)
	return &Func{Name: "IN", Result: tBool, Deterministic: true, Eval: eval}, out, nil
}

// scalarsToArray builds a long-lived array (Go heap) from literal values.
func scalarsToArray(t arrow.DataType, vals []scalar.Scalar) (arrow.Array, error) {
	parts := make([]arrow.Array, len(vals))
	defer func() {
		for _, p := range parts {
			if p != nil {
				p.Release()
			}
		}
	}()
	for i, v := range vals {
		if !arrow.TypeEqual(v.DataType(), t) {
			if v.IsValid() {
				return nil, fmt.Errorf("BUG: IN item %s is not %s", v, t)
			}
			v = scalar.MakeNullScalar(t)
		}
		a, err := scalar.MakeArrayFromScalar(v, 1, memory.DefaultAllocator)
		if err != nil {
			return nil, err
		}
		parts[i] = a
	}
	return array.Concatenate(parts, memory.DefaultAllocator)
}
