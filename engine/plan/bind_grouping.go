package plan

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/sql"
)

// GROUPING SETS, ROLLUP and CUBE plan as one Aggregate per grouping set,
// each projected to the shape of the query's aggregation (every group key,
// NULL where the set rolls it up, then the aggregates, then the values of
// the GROUPING calls) and concatenated by a Union. GROUPING(a, b, …) and
// GROUPING_ID are, as in Flink, a BIGINT with one bit per argument, the
// first argument the most significant: 1 where the row's grouping set
// does not group by it.

// maxCube bounds CUBE's arguments (2^n grouping sets).
const maxCube = 8

// groupingSets expands one GROUP BY item into its grouping sets.
func (b *binder) groupingSets(g sql.Expr, ag *aggScope) ([][]int, error) {
	keys := func(xs []sql.Expr) ([]int, error) {
		var out []int
		for _, x := range xs {
			switch x.(type) {
			case *sql.GroupingSets, *sql.Rollup, *sql.Cube:
				return nil, errAt(Unsupported, x.Position(), "nested GROUPING SETS, ROLLUP and CUBE are not supported yet")
			}
			i, err := b.groupKey(x, ag)
			if err != nil {
				return nil, err
			}
			out = append(out, i)
		}
		return out, nil
	}
	switch g := g.(type) {
	case *sql.GroupingSets:
		var sets [][]int
		for _, s := range g.Sets {
			k, err := keys(s)
			if err != nil {
				return nil, err
			}
			sets = append(sets, k)
		}
		return sets, nil
	case *sql.Rollup:
		k, err := keys(g.Exprs)
		if err != nil {
			return nil, err
		}
		sets := make([][]int, 0, len(k)+1)
		for n := len(k); n >= 0; n-- {
			sets = append(sets, k[:n])
		}
		return sets, nil
	case *sql.Cube:
		if len(g.Exprs) > maxCube {
			return nil, errAt(Unsupported, g.Pos, "CUBE of more than %d expressions is not supported", maxCube)
		}
		k, err := keys(g.Exprs)
		if err != nil {
			return nil, err
		}
		var sets [][]int
		for m := (1 << len(k)) - 1; m >= 0; m-- {
			var s []int
			for i := range k {
				if m&(1<<(len(k)-1-i)) != 0 {
					s = append(s, k[i])
				}
			}
			sets = append(sets, s)
		}
		return sets, nil
	}
	k, err := keys([]sql.Expr{g})
	if err != nil {
		return nil, err
	}
	return [][]int{k}, nil
}

// crossSets is every concatenation of one set of a with one set of b.
func crossSets(a, b [][]int) [][]int {
	var out [][]int
	for _, x := range a {
		for _, y := range b {
			out = append(out, append(append([]int(nil), x...), y...))
		}
	}
	return out
}

// groupingCall binds GROUPING(…) or GROUPING_ID(…) above an aggregation.
func (b *binder) groupingCall(f *sql.FuncCall, ag *aggScope) (expr.Expr, error) {
	name := funcName(f.Name)
	if len(f.Args) == 0 {
		return nil, errAt(Invalid, f.Pos, "%s needs at least one argument", name)
	}
	if len(f.Args) > 62 {
		return nil, errAt(Invalid, f.Pos, "%s takes at most 62 arguments", name)
	}
	if f.Distinct || f.Filter != nil {
		return nil, errAt(Invalid, f.Pos, "%s takes neither DISTINCT nor FILTER", name)
	}
	var args []int
	for _, a := range f.Args {
		x, err := b.expr(a, ag.input)
		if err != nil {
			return nil, err
		}
		i, ok := ag.keys[x.String()]
		if !ok {
			return nil, errAt(Invalid, a.Position(), "the arguments of %s must be GROUP BY expressions", name)
		}
		args = append(args, i)
	}
	if len(ag.sets) == 0 {
		// Plain GROUP BY: every key is grouped by.
		return expr.Lit(scalar.NewInt64Scalar(0)), nil
	}
	col := &expr.Column{Index: -1, Name: "GROUPING#" + strconv.Itoa(len(ag.grouping)), DataType: arrow.PrimitiveTypes.Int64}
	ag.grouping = append(ag.grouping, groupingRef{args: args, col: col})
	return col, nil
}

type groupingRef struct {
	args []int // group key indexes, most significant bit first
	col  *expr.Column
}

// groupKey binds a GROUP BY expression and returns its key index.
func (b *binder) groupKey(g sql.Expr, ag *aggScope) (int, error) {
	x, err := b.expr(g, ag.input)
	if err != nil {
		return 0, err
	}
	if !valueType(x.Type()) {
		return 0, errAt(Unsupported, g.Position(), "GROUP BY on %s is not supported yet", typeName(x.Type()))
	}
	key := x.String()
	if i, dup := ag.keys[key]; dup {
		return i, nil
	}
	ag.keys[key] = len(ag.groups)
	ag.groups = append(ag.groups, x)
	name := key
	if c, ok := x.(*expr.Column); ok {
		name = c.Name
	}
	ag.names = append(ag.names, name)
	return len(ag.groups) - 1, nil
}

// aggregate builds the aggregation of ag over input: one Aggregate, or
// with grouping sets the Union of one per set.
func (b *binder) aggregate(input Node, ag *aggScope) Node {
	if len(ag.sets) == 0 {
		return NewAggregate(input, ag.groups, ag.aggs)
	}
	nk, na := len(ag.groups), len(ag.aggs)
	for g, r := range ag.grouping {
		r.col.Index = nk + na + g
	}
	inputs := make([]Node, 0, len(ag.sets))
	for _, set := range ag.sets {
		var keys []expr.Expr
		pos := map[int]int{}
		for _, k := range set {
			if _, dup := pos[k]; !dup {
				pos[k] = len(keys)
				keys = append(keys, ag.groups[k])
			}
		}
		a := NewAggregate(input, keys, ag.aggs)
		out := a.Schema()
		exprs := make([]expr.Expr, 0, nk+na+len(ag.grouping))
		names := make([]string, 0, cap(exprs))
		for k, g := range ag.groups {
			if p, ok := pos[k]; ok {
				f := out.Field(p)
				exprs = append(exprs, &expr.Column{Index: p, Name: f.Name, DataType: f.Type})
			} else {
				exprs = append(exprs, expr.Lit(scalar.MakeNullScalar(g.Type())))
			}
			names = append(names, ag.names[k])
		}
		for i := range ag.aggs {
			f := out.Field(len(keys) + i)
			exprs = append(exprs, &expr.Column{Index: len(keys) + i, Name: f.Name, DataType: f.Type})
			names = append(names, f.Name)
		}
		for g, r := range ag.grouping {
			var bits int64
			for _, k := range r.args {
				bits <<= 1
				if _, ok := pos[k]; !ok {
					bits |= 1
				}
			}
			exprs = append(exprs, expr.Lit(scalar.NewInt64Scalar(bits)))
			names = append(names, "$grouping"+strconv.Itoa(g))
		}
		inputs = append(inputs, NewProject(a, exprs, names))
	}
	if len(inputs) == 1 {
		return inputs[0]
	}
	return NewUnion(inputs)
}
