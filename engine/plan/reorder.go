package plan

import (
	"github.com/wharfdata/wharf/engine/expr"
)

// Join ordering, on row estimates (estimate.go). The hash join builds its
// right input and streams its left, so:
//
//   - A tree of inner joins (FROM a JOIN b ON … JOIN c ON …, or comma joins
//     whose WHERE equalities pushIntoJoin made join conditions) is
//     flattened into its inputs and conditions and rebuilt left-deep,
//     greedily: from the smallest input with an equi-condition, each step
//     joins the smallest input that has an equi-condition with those
//     joined so far (then one with any condition, and only when there is
//     none a cross join, as the query had), applying every condition as
//     soon as its inputs are joined. At each step the smaller side is the
//     build (right) side.
//   - An outer join whose preserved side is the smaller swaps sides
//     (LEFT ↔ RIGHT, FULL stays FULL): that is exactly equivalent.
//   - Semi and anti joins keep their sides.
//
// A projection above a rebuilt join restores the query's column order.
// Joins whose residual is not deterministic are left as they are.
func reorderJoins(n Node, e *estimator) Node {
	kids := n.Children()
	if len(kids) == 0 {
		return n
	}
	j, isJoin := n.(*Join)
	if isJoin && j.Kind == JoinInner && reorderable(j) {
		var g joinGraph
		g.flatten(j, 0, e)
		return g.build(j, e)
	}
	out := make([]Node, len(kids))
	for i, k := range kids {
		out[i] = reorderJoins(k, e)
	}
	n, ok := withChildren(n, out)
	if !ok {
		return n
	}
	if isJoin {
		return swapOuter(n.(*Join), e)
	}
	return n
}

// reorderable says whether j's inputs may be reordered or swapped: not
// when its residual is not deterministic, nor for a lookup join, whose
// right side must stay the table looked up.
func reorderable(j *Join) bool {
	return !j.Lookup && (j.Residual == nil || deterministic(j.Residual))
}

// joinGraph is a flattened tree of inner joins: its inputs, and its
// conditions over their columns in the tree's order (input i's columns
// start at offsets[i]).
type joinGraph struct {
	inputs  []Node
	offsets []int
	rows    []float64
	conds   []expr.Expr
}

// flatten adds the inputs and conditions of n, whose columns start at off.
func (g *joinGraph) flatten(n Node, off int, e *estimator) {
	j, ok := n.(*Join)
	if !ok || j.Kind != JoinInner || !reorderable(j) {
		in := reorderJoins(n, e)
		g.inputs = append(g.inputs, in)
		g.offsets = append(g.offsets, off)
		g.rows = append(g.rows, e.rows(in))
		return
	}
	nl := j.Left.Schema().NumFields()
	g.flatten(j.Left, off, e)
	g.flatten(j.Right, off+nl, e)
	for i := range j.LeftKeys {
		eq, err := expr.Resolve("=", []expr.Expr{shift(j.LeftKeys[i], off), shift(j.RightKeys[i], off+nl)})
		if err != nil {
			panic("BUG: join keys of one type do not compare: " + err.Error())
		}
		g.conds = append(g.conds, eq)
	}
	if j.Residual != nil {
		g.conds = append(g.conds, Conjuncts(shift(j.Residual, off))...)
	}
}

// inputOf is the input that global column c belongs to.
func (g *joinGraph) inputOf(c int) int {
	i := len(g.offsets) - 1
	for g.offsets[i] > c {
		i--
	}
	return i
}

// uses is the set of inputs cond reads, as a bit set.
func (g *joinGraph) uses(cond expr.Expr) uint64 {
	var set uint64
	walk(cond, func(x expr.Expr) {
		if c, ok := x.(*expr.Column); ok {
			set |= 1 << g.inputOf(c.Index)
		}
	})
	return set
}

// maxJoinInputs bounds the inputs a tree is reordered over (a bit set).
const maxJoinInputs = 64

// build rebuilds orig, flattened into g, in the greedy order.
func (g *joinGraph) build(orig *Join, e *estimator) Node {
	k := len(g.inputs)
	if k > maxJoinInputs {
		return orig
	}
	uses := make([]uint64, len(g.conds))
	equi := make([]bool, len(g.conds))
	for i, c := range g.conds {
		uses[i] = g.uses(c)
		if call, ok := c.(*expr.Call); ok && call.Func.Name == "=" && len(call.Args) == 2 {
			a, b := g.uses(call.Args[0]), g.uses(call.Args[1])
			equi[i] = a != 0 && b != 0 && a&b == 0 && valueType(call.Args[0].Type()) && deterministic(c)
		}
	}
	// linked says how input i connects to the set done: 2 by an equality,
	// 1 by another condition, 0 not at all.
	linked := func(done uint64, i int) int {
		best := 0
		for c, u := range uses {
			if u&(1<<i) == 0 || u&^(done|1<<i) != 0 || u&done == 0 {
				continue
			}
			if equi[c] {
				return 2
			}
			best = 1
		}
		return best
	}
	// Start from the smallest input with an equality to any other.
	start := -1
	for i := range k {
		if linked(allBits(k)&^(1<<i), i) == 2 && (start < 0 || g.rows[i] < g.rows[start]) {
			start = i
		}
	}
	if start < 0 {
		start = smallest(g.rows, allBits(k), func(int) bool { return true })
	}
	done := uint64(1) << start
	tree, layout := g.inputs[start], g.columns(start)
	applied := make([]bool, len(g.conds))
	for done != allBits(k) {
		next := -1
		for want := 2; want >= 0 && next < 0; want-- {
			next = smallest(g.rows, allBits(k)&^done, func(i int) bool { return linked(done, i) == want })
		}
		cols := g.columns(next)
		left, right := tree, g.inputs[next]
		ll, rl := layout, cols
		if e.rows(tree) < g.rows[next] {
			left, right, ll, rl = right, left, rl, ll
		}
		done |= 1 << next
		layout = append(append([]int(nil), ll...), rl...)
		pos := make(map[int]int, len(layout))
		for p, c := range layout {
			pos[c] = p
		}
		var conds []expr.Expr
		for c, u := range uses {
			if !applied[c] && u&^done == 0 {
				applied[c] = true
				conds = append(conds, renumber(g.conds[c], pos))
			}
		}
		var cond expr.Expr
		if len(conds) > 0 {
			cond = and(conds)
		}
		tree = NewJoin(left, right, JoinInner, cond)
	}
	return restoreOrder(tree, layout, orig)
}

// columns lists input i's global columns.
func (g *joinGraph) columns(i int) []int {
	n := g.inputs[i].Schema().NumFields()
	out := make([]int, n)
	for c := range out {
		out[c] = g.offsets[i] + c
	}
	return out
}

func allBits(k int) uint64 {
	if k == 64 {
		return ^uint64(0)
	}
	return 1<<k - 1
}

// smallest is the input in set, accepted by ok, with the fewest rows (the
// first on ties, so that equal estimates keep the query's order); -1 if
// none.
func smallest(rows []float64, set uint64, ok func(int) bool) int {
	best := -1
	for i := range rows {
		if set&(1<<i) != 0 && ok(i) && (best < 0 || rows[i] < rows[best]) {
			best = i
		}
	}
	return best
}

// restoreOrder projects tree, whose column p is the original join's column
// layout[p], back to the original's columns and names; tree itself when
// the order is unchanged.
func restoreOrder(tree Node, layout []int, orig Node) Node {
	same := true
	for p, c := range layout {
		same = same && p == c
	}
	if same {
		return tree
	}
	at := make([]int, len(layout))
	for p, c := range layout {
		at[c] = p
	}
	fields := orig.Schema().Fields()
	tf := tree.Schema().Fields()
	exprs := make([]expr.Expr, len(fields))
	names := make([]string, len(fields))
	for c, f := range fields {
		exprs[c] = &expr.Column{Index: at[c], Name: f.Name, DataType: tf[at[c]].Type}
		names[c] = f.Name
	}
	return NewProject(tree, exprs, names)
}

// swapOuter puts the smaller input of an outer join on the build side.
func swapOuter(j *Join, e *estimator) Node {
	kind, ok := map[JoinKind]JoinKind{JoinLeft: JoinRight, JoinRight: JoinLeft, JoinFull: JoinFull}[j.Kind]
	if !ok || e.rows(j.Left) >= e.rows(j.Right) || !reorderable(j) {
		return j
	}
	nl, nr := j.Left.Schema().NumFields(), j.Right.Schema().NumFields()
	s := &Join{Left: j.Right, Right: j.Left, Kind: kind, LeftKeys: j.RightKeys, RightKeys: j.LeftKeys}
	if j.Residual != nil {
		s.Residual = mapColumns(j.Residual, func(c *expr.Column) expr.Expr {
			out := *c
			if c.Index < nl {
				out.Index += nr
			} else {
				out.Index -= nl
			}
			return &out
		})
	}
	s.schema = joinSchema(s.Left, s.Right, kind)
	layout := make([]int, 0, nl+nr)
	for c := range nr {
		layout = append(layout, nl+c)
	}
	for c := range nl {
		layout = append(layout, c)
	}
	return restoreOrder(s, layout, j)
}

// withChildren rebuilds n over new inputs with the same columns; n itself
// and false for a node kind it does not know (whose inputs then keep
// their order).
func withChildren(n Node, kids []Node) (Node, bool) {
	switch n := n.(type) {
	case *Filter:
		return &Filter{Input: kids[0], Cond: n.Cond}, true
	case *Project:
		p := *n
		p.Input = kids[0]
		return &p, true
	case *Sort:
		return &Sort{Input: kids[0], Keys: n.Keys}, true
	case *Limit:
		return &Limit{Input: kids[0], N: n.N, Offset: n.Offset}, true
	case *Aggregate:
		a := *n
		a.Input = kids[0]
		return &a, true
	case *Join:
		j := *n
		j.Left, j.Right = kids[0], kids[1]
		return &j, true
	case *Union:
		u := *n
		u.Inputs = kids
		return &u, true
	case *SingleRow:
		return &SingleRow{Input: kids[0]}, true
	case *Window:
		w := *n
		w.Input = kids[0]
		return &w, true
	case *Repeat:
		r := *n
		r.Input = kids[0]
		return &r, true
	}
	return n, false
}
