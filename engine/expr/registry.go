package expr

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// funcDef is one entry of the registry: a name (or operator) and how to
// resolve it for argument expressions.
type funcDef struct {
	name     string
	min, max int // argument count; max < 0 is variadic
	// resolve checks and coerces args and returns the bound function.
	resolve func(args []Expr) (*Func, []Expr, error)
	hidden  bool // operators and internal forms are not listed by Names
	nondet  bool // some signature is not deterministic (NOW, RAND, UUID)
}

var registry = map[string]*funcDef{}

// register adds d under its name and aliases; a duplicate is a programming
// error caught at init.
func register(d *funcDef, aliases ...string) {
	for _, n := range append([]string{d.name}, aliases...) {
		if _, dup := registry[n]; dup {
			panic("BUG: duplicate function " + n)
		}
		registry[n] = d
	}
}

// Names returns every callable function name, sorted (SHOW FUNCTIONS).
func Names() []string {
	out := make([]string, 0, len(registry))
	for n, d := range registry {
		if !d.hidden {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// NonDeterministic reports whether the function called name (upper case)
// may answer differently for the same arguments: result caches skip
// queries that call one.
func NonDeterministic(name string) bool {
	d := registry[name]
	return d != nil && d.nondet
}

// sig is a fixed signature: params are the canonical types the args are
// coerced to; the trailing ones beyond min are optional.
type sig struct {
	params []arrow.DataType
	min    int
	result arrow.DataType
	eval   evalFn
	// variadic repeats the last param any number of times.
	variadic bool
	nondet   bool
	nullable bool // not null-on-null
}

func (s sig) match(name string, args []Expr) (*Func, []Expr, bool) {
	if len(args) < s.min || (!s.variadic && len(args) > len(s.params)) {
		return nil, nil, false
	}
	out := make([]Expr, len(args))
	for i, a := range args {
		p := s.params[min(i, len(s.params)-1)]
		if !implicitOK(a.Type(), p) {
			return nil, nil, false
		}
		out[i] = coerce(a, p)
	}
	return &Func{Name: name, Result: s.result, NullOnNull: !s.nullable, Deterministic: !s.nondet, Eval: s.eval}, out, true
}

// def registers a function with one or more fixed signatures tried in order.
func def(name string, sigs ...sig) *funcDef {
	lo, hi := 1<<30, 0
	for _, s := range sigs {
		lo = min(lo, s.min)
		if s.variadic {
			hi = -1
		} else if hi >= 0 {
			hi = max(hi, len(s.params))
		}
	}
	d := &funcDef{name: name, min: lo, max: hi}
	for _, s := range sigs {
		d.nondet = d.nondet || s.nondet
	}
	d.resolve = func(args []Expr) (*Func, []Expr, error) {
		for _, s := range sigs {
			if f, out, ok := s.match(name, args); ok {
				return f, out, nil
			}
		}
		return nil, nil, errArgTypes(name, args)
	}
	return d
}

// fn is a shorthand for a single required-arguments signature.
func fn(result arrow.DataType, eval evalFn, params ...arrow.DataType) sig {
	return sig{params: params, min: len(params), result: result, eval: eval}
}

func (s sig) opt(min int) sig   { s.min = min; return s }
func (s sig) varargs() sig      { s.variadic = true; return s }
func (s sig) nonDet() sig       { s.nondet = true; return s }
func (s sig) nullHandling() sig { s.nullable = true; return s }

// custom registers a function whose resolution is written by hand.
func custom(name string, lo, hi int, resolve func(args []Expr) (*Func, []Expr, error)) *funcDef {
	return &funcDef{name: name, min: lo, max: hi, resolve: resolve}
}

func errArgTypes(name string, args []Expr) error {
	ts := make([]string, len(args))
	for i, a := range args {
		ts[i] = typeName(a.Type())
	}
	sep := ", "
	if isOperator(name) {
		sep = " and "
	}
	if len(args) == 0 {
		return fmt.Errorf("cannot apply '%s' to no arguments", name)
	}
	return fmt.Errorf("cannot apply '%s' to arguments of type %s", name, strings.Join(ts, sep))
}

func isOperator(name string) bool {
	switch name {
	case "+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">=", "AND", "OR",
		"IS DISTINCT FROM", "IS NOT DISTINCT FROM", "LIKE", "SIMILAR TO", "NOT LIKE":
		return true
	}
	return false
}
