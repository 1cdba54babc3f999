package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// AND, OR and NOT use three-valued logic (Arrow's Kleene kernels): FALSE AND
// NULL is FALSE, TRUE OR NULL is TRUE, anything else with NULL is NULL. The
// compiler evaluates them lazily when needed (see compile.go).

func init() {
	register(&funcDef{name: "AND", min: 2, max: 2, resolve: logicResolve("AND", "and_kleene"), hidden: true})
	register(&funcDef{name: "OR", min: 2, max: 2, resolve: logicResolve("OR", "or_kleene"), hidden: true})
	register(&funcDef{name: "NOT", min: 1, max: 1, resolve: notResolve, hidden: true})
	for _, p := range []struct {
		name        string
		want, match bool // IS [NOT] TRUE/FALSE: result when value == want
	}{
		{"IS TRUE", true, true}, {"IS NOT TRUE", true, false},
		{"IS FALSE", false, true}, {"IS NOT FALSE", false, false},
	} {
		register(&funcDef{name: p.name, min: 1, max: 1, resolve: truthResolve(p.name, p.want, p.match), hidden: true})
	}
}

func boolArgs(name string, args []Expr) ([]Expr, error) {
	out := make([]Expr, len(args))
	for i, a := range args {
		if !implicitOK(a.Type(), tBool) {
			return nil, errArgTypes(name, args)
		}
		out[i] = coerce(a, tBool)
	}
	return out, nil
}

func logicResolve(name, kernel string) func(args []Expr) (*Func, []Expr, error) {
	return func(args []Expr) (*Func, []Expr, error) {
		out, err := boolArgs(name, args)
		if err != nil {
			return nil, nil, err
		}
		return &Func{Name: name, Result: tBool, Deterministic: true, Eval: arrowBinary(kernel)}, out, nil
	}
}

func notResolve(args []Expr) (*Func, []Expr, error) {
	out, err := boolArgs("NOT", args)
	if err != nil {
		return nil, nil, err
	}
	return &Func{Name: "NOT", Result: tBool, NullOnNull: true, Deterministic: true, Eval: arrowBinary("not")}, out, nil
}

// truthResolve: IS TRUE etc. never return NULL; a NULL input is neither.
func truthResolve(name string, want, match bool) func(args []Expr) (*Func, []Expr, error) {
	return func(args []Expr) (*Func, []Expr, error) {
		out, err := boolArgs(name, args)
		if err != nil {
			return nil, nil, err
		}
		eval := func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
			b := rdBool(args[0])
			o := newBoolOut(ctx, n)
			for i := 0; i < n; i++ {
				is := !b.isNull(i) && b.at(i) == want
				o.add(is == match)
			}
			return o.finish(), nil
		}
		return &Func{Name: name, Result: tBool, Deterministic: true, Eval: eval}, out, nil
	}
}
