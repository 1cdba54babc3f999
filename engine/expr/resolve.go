package expr

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/internal/suggest"
)

// Resolve binds the function or operator name (case-insensitive) to args,
// inserting the implicit casts Flink applies, and returns the call (or a
// rewritten tree for forms such as IN over a literal list).
func Resolve(name string, args []Expr) (Expr, error) {
	key := strings.ToUpper(strings.Join(strings.Fields(name), " "))
	d, ok := registry[key]
	if !ok {
		if s := suggest.Closest(key, Names()); s != "" {
			return nil, fmt.Errorf("no function %s; did you mean %s?", key, s)
		}
		return nil, fmt.Errorf("no function %s", key)
	}
	for i, a := range args {
		if a == nil {
			return nil, fmt.Errorf("BUG: nil argument %d to %s", i, key)
		}
	}
	if len(args) < d.min || (d.max >= 0 && len(args) > d.max) {
		return nil, arityError(d, len(args))
	}
	f, out, err := d.resolve(args)
	if err != nil {
		return nil, err
	}
	if f == nil { // the resolver rewrote the call into out[0]
		return out[0], nil
	}
	return &Call{Func: f, Args: out}, nil
}

func arityError(d *funcDef, got int) error {
	want := ""
	switch {
	case d.max < 0:
		want = fmt.Sprintf("at least %d", d.min)
	case d.min == d.max:
		want = fmt.Sprintf("%d", d.min)
	default:
		want = fmt.Sprintf("%d to %d", d.min, d.max)
	}
	plural := "s"
	if want == "1" {
		plural = ""
	}
	return fmt.Errorf("%s takes %s argument%s, got %d", d.name, want, plural, got)
}

// Lit wraps a scalar as a literal expression.
func Lit(v scalar.Scalar) *Literal {
	if v == nil {
		v = scalar.ScalarNull
	}
	return &Literal{Value: v}
}

// unitArg reads a time-unit or TRIM-side argument, which the binder passes as
// a string literal.
func unitArg(e Expr, what string) (string, error) {
	l, ok := e.(*Literal)
	if !ok || !l.Value.IsValid() || !isString(l.Type()) {
		return "", fmt.Errorf("%s must be a keyword, got %s", what, e)
	}
	return strings.ToUpper(l.Value.(scalar.BinaryScalar).String()), nil
}

func strLit(s string) *Literal { return &Literal{Value: scalar.NewStringScalar(s)} }

// sameType coerces all args to their common type.
func sameType(name string, args []Expr) ([]Expr, arrow.DataType, error) {
	var t arrow.DataType = arrow.Null
	for _, a := range args {
		c, ok := CommonType(t, a.Type())
		if !ok {
			return nil, nil, errArgTypes(name, args)
		}
		t = c
	}
	out := make([]Expr, len(args))
	for i, a := range args {
		out[i] = coerce(a, t)
	}
	return out, t, nil
}
