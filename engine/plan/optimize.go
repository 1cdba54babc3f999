package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/engine/expr"
)

// Optimize rewrites a bound plan: constants folded, the WHERE conjuncts that
// Iceberg can evaluate pushed into the scan (pruning partitions, files and
// row groups), joins ordered by estimated size (reorder.go; ev.Ctx plans
// the scans' files for the estimates), and the scan narrowed to the
// columns the query reads.
func Optimize(n Node, ev *expr.EvalContext) (Node, error) {
	n, err := fold(n, ev)
	if err != nil {
		return nil, err
	}
	n = pushFilters(n)
	n = reorderJoins(n, newEstimator(ev.Ctx))
	return pruneColumns(n), nil
}

func fold(n Node, ev *expr.EvalContext) (Node, error) {
	var err error
	f := func(e expr.Expr) expr.Expr {
		if err != nil {
			return e
		}
		var out expr.Expr
		out, err = expr.Fold(e, ev)
		return out
	}
	switch n := n.(type) {
	case *Filter:
		in, ferr := fold(n.Input, ev)
		if ferr != nil {
			return nil, ferr
		}
		return &Filter{Input: in, Cond: f(n.Cond)}, err
	case *Project:
		in, ferr := fold(n.Input, ev)
		if ferr != nil {
			return nil, ferr
		}
		exprs := make([]expr.Expr, len(n.Exprs))
		for i, e := range n.Exprs {
			exprs[i] = f(e)
		}
		p := *n
		p.Input, p.Exprs = in, exprs
		return &p, err
	case *Sort:
		in, ferr := fold(n.Input, ev)
		return &Sort{Input: in, Keys: n.Keys}, ferr
	case *Limit:
		in, ferr := fold(n.Input, ev)
		return &Limit{Input: in, N: n.N, Offset: n.Offset}, ferr
	case *Aggregate:
		in, ferr := fold(n.Input, ev)
		if ferr != nil {
			return nil, ferr
		}
		a := *n // the schema stays: folding keeps types
		a.Input = in
		a.GroupBy = make([]expr.Expr, len(n.GroupBy))
		for i, g := range n.GroupBy {
			a.GroupBy[i] = f(g)
		}
		a.Aggs = make([]AggCall, len(n.Aggs))
		for i, c := range n.Aggs {
			if c.Arg != nil {
				c.Arg = f(c.Arg)
			}
			if c.Filter != nil {
				c.Filter = f(c.Filter)
			}
			a.Aggs[i] = c
		}
		return &a, err
	case *Join:
		l, ferr := fold(n.Left, ev)
		if ferr != nil {
			return nil, ferr
		}
		r, ferr := fold(n.Right, ev)
		if ferr != nil {
			return nil, ferr
		}
		j := *n
		j.Left, j.Right = l, r
		j.LeftKeys, j.RightKeys = make([]expr.Expr, len(n.LeftKeys)), make([]expr.Expr, len(n.RightKeys))
		for i := range n.LeftKeys {
			j.LeftKeys[i], j.RightKeys[i] = f(n.LeftKeys[i]), f(n.RightKeys[i])
		}
		if n.Residual != nil {
			j.Residual = f(n.Residual)
		}
		return &j, err
	case *Union:
		inputs := make([]Node, len(n.Inputs))
		for i, in := range n.Inputs {
			var ferr error
			if inputs[i], ferr = fold(in, ev); ferr != nil {
				return nil, ferr
			}
		}
		u := *n
		u.Inputs = inputs
		return &u, nil
	case *SingleRow:
		in, ferr := fold(n.Input, ev)
		return &SingleRow{Input: in}, ferr
	case *WindowTVF:
		in, ferr := fold(n.Input, ev)
		return n.withInput(in), ferr
	case *Repeat:
		in, ferr := fold(n.Input, ev)
		return NewRepeat(in), ferr
	case *Window:
		in, ferr := fold(n.Input, ev)
		if ferr != nil {
			return nil, ferr
		}
		funcs := append([]WindowCall(nil), n.Funcs...)
		for i := range funcs {
			args := make([]expr.Expr, len(funcs[i].Args))
			for j, a := range funcs[i].Args {
				args[j] = f(a)
			}
			funcs[i].Args = args
		}
		if err != nil {
			return nil, err
		}
		return NewWindow(in, n.Partition, n.Order, funcs), nil
	}
	return n, nil
}

// pushFilters moves each conjunct of a Filter directly over a Scan that
// Iceberg can evaluate into the scan. iceberg-go applies a scan's filter to
// rows exactly, so a pushed conjunct leaves the Filter. A HAVING conjunct
// over group keys only moves below its Aggregate (filtering groups by key
// is filtering their rows), and from there on toward the scan.
func pushFilters(n Node) Node {
	switch n := n.(type) {
	case *Filter:
		switch in := n.Input.(type) {
		case *Filter:
			return pushFilters(&Filter{Input: in.Input, Cond: and(append(Conjuncts(in.Cond), Conjuncts(n.Cond)...))})
		case *Aggregate:
			return pushBelowAggregate(n, in)
		case *Join:
			return pushIntoJoin(n.Cond, in)
		case *Union:
			// Every input has the union's columns at the same positions.
			u := *in
			u.Inputs = make([]Node, len(in.Inputs))
			for i, x := range in.Inputs {
				u.Inputs[i] = pushFilters(&Filter{Input: x, Cond: n.Cond})
			}
			return &u
		case *Project:
			return pushBelowProject(n, in)
		}
		scan, ok := n.Input.(*Scan)
		if !ok {
			return &Filter{Input: pushFilters(n.Input), Cond: n.Cond}
		}
		var kept []expr.Expr
		var pushed []iceberg.BooleanExpression
		for _, c := range Conjuncts(n.Cond) {
			if ice, ok := toIceberg(c, scan.Fields); ok {
				pushed = append(pushed, ice)
			} else {
				kept = append(kept, c)
			}
		}
		if len(pushed) == 0 {
			return n
		}
		s := *scan
		for _, p := range pushed {
			if s.Filter == nil {
				s.Filter = p
			} else {
				s.Filter = iceberg.NewAnd(s.Filter, p)
			}
		}
		if len(kept) == 0 {
			return &s
		}
		return &Filter{Input: &s, Cond: and(kept)}
	case *Aggregate:
		a := *n
		a.Input = pushFilters(n.Input)
		return &a
	case *Project:
		p := *n
		p.Input = pushFilters(n.Input)
		return &p
	case *Sort:
		return &Sort{Input: pushFilters(n.Input), Keys: n.Keys}
	case *Limit:
		return &Limit{Input: pushFilters(n.Input), N: n.N, Offset: n.Offset}
	case *Join:
		return pushIntoJoin(nil, n)
	case *Union:
		u := *n
		u.Inputs = make([]Node, len(n.Inputs))
		for i, x := range n.Inputs {
			u.Inputs[i] = pushFilters(x)
		}
		return &u
	case *SingleRow:
		return &SingleRow{Input: pushFilters(n.Input)}
	case *WindowTVF:
		return n.withInput(pushFilters(n.Input))
	case *Repeat:
		return NewRepeat(pushFilters(n.Input))
	case *Window:
		return NewWindow(pushFilters(n.Input), n.Partition, n.Order, n.Funcs)
	}
	return n
}

// pushBelowProject moves the conjuncts of f (above p) that stay
// deterministic when p's expressions replace their column references
// below p (a filter on a derived table or WITH query reaches its scans).
func pushBelowProject(f *Filter, p *Project) Node {
	var below, kept []expr.Expr
	for _, c := range Conjuncts(f.Cond) {
		sub := mapColumns(c, func(col *expr.Column) expr.Expr {
			if in, ok := p.Exprs[col.Index].(*expr.Column); ok {
				out := *in
				out.Name = col.Name // as the query wrote it
				return &out
			}
			return p.Exprs[col.Index]
		})
		if deterministic(sub) {
			below = append(below, sub)
		} else {
			kept = append(kept, c)
		}
	}
	q := *p
	if len(below) == 0 {
		q.Input = pushFilters(p.Input)
		return &Filter{Input: &q, Cond: f.Cond}
	}
	q.Input = pushFilters(&Filter{Input: p.Input, Cond: and(below)})
	if len(kept) == 0 {
		return &q
	}
	return &Filter{Input: &q, Cond: and(kept)}
}

func deterministic(e expr.Expr) bool {
	ok := true
	walk(e, func(x expr.Expr) {
		if c, isCall := x.(*expr.Call); isCall {
			ok = ok && c.Func.Deterministic
		}
	})
	return ok
}

// pushIntoJoin pushes the conjuncts of a WHERE above j (where may be nil)
// and of j's residual ON condition toward the scans:
//
//   - WHERE conjuncts over one side go below an inner join, and below the
//     preserved side of an outer join (left of LEFT, right of RIGHT, left
//     of SEMI and ANTI); over both sides of an inner join they join its
//     condition (equalities become keys, so a comma join with its WHERE is
//     a hash join). The rest stay above: a filter on the null-producing
//     side of an outer join must see the NULLs the join adds.
//   - ON conjuncts over one side go below an inner join, and below the
//     null-producing side of an outer join (right of LEFT, left of RIGHT,
//     right of SEMI and ANTI): there they decide which rows can match,
//     which is what an ON condition does. Those over the preserved side
//     stay in the residual: they make rows unmatched, not absent.
//
// Nothing moves through a FULL join. Non-deterministic conjuncts stay.
func pushIntoJoin(where expr.Expr, j *Join) Node {
	nl := j.Left.Schema().NumFields()
	var left, right, cond, above []expr.Expr
	if where != nil {
		for _, c := range Conjuncts(where) {
			switch s := side(c, nl); {
			case s == sideLeft && j.Kind != JoinRight && j.Kind != JoinFull:
				left = append(left, c)
			case s == sideRight && (j.Kind == JoinInner || j.Kind == JoinRight):
				right = append(right, shift(c, -nl))
			case s == sideBoth && j.Kind == JoinInner:
				cond = append(cond, c)
			default:
				above = append(above, c)
			}
		}
	}
	var residual []expr.Expr
	if j.Residual != nil {
		for _, c := range Conjuncts(j.Residual) {
			switch s := side(c, nl); {
			case s == sideLeft && (j.Kind == JoinInner || j.Kind == JoinRight):
				left = append(left, c)
			case s == sideRight && j.Kind != JoinRight && j.Kind != JoinFull:
				right = append(right, shift(c, -nl))
			default:
				residual = append(residual, c)
			}
		}
	}
	out := *j
	out.Left, out.Right = pushFilters(j.Left), pushFilters(j.Right)
	if len(left) > 0 {
		out.Left = pushFilters(&Filter{Input: j.Left, Cond: and(left)})
	}
	if len(right) > 0 {
		out.Right = pushFilters(&Filter{Input: j.Right, Cond: and(right)})
	}
	out.Residual = nil
	out.LeftKeys = append([]expr.Expr(nil), j.LeftKeys...)
	out.RightKeys = append([]expr.Expr(nil), j.RightKeys...)
	out.addCond(append(residual, cond...))
	if len(above) == 0 {
		return &out
	}
	return &Filter{Input: &out, Cond: and(above)}
}

// pushBelowAggregate moves the conjuncts of f that read only group keys
// (deterministically) below a; the rest stay above.
func pushBelowAggregate(f *Filter, a *Aggregate) Node {
	var below, kept []expr.Expr
	for _, c := range Conjuncts(f.Cond) {
		if len(a.GroupBy) > 0 && overKeys(c, len(a.GroupBy)) {
			below = append(below, substitute(c, a.GroupBy))
		} else {
			kept = append(kept, c)
		}
	}
	if len(below) == 0 {
		b := *a
		b.Input = pushFilters(a.Input)
		return &Filter{Input: &b, Cond: f.Cond}
	}
	b := *a
	b.Input = pushFilters(&Filter{Input: a.Input, Cond: and(below)})
	if len(kept) == 0 {
		return &b
	}
	return &Filter{Input: &b, Cond: and(kept)}
}

// overKeys says whether e is deterministic and reads only the first keys
// columns (an Aggregate's group keys).
func overKeys(e expr.Expr, keys int) bool {
	ok := true
	walk(e, func(x expr.Expr) {
		switch x := x.(type) {
		case *expr.Column:
			ok = ok && x.Index < keys
		case *expr.Call:
			ok = ok && x.Func.Deterministic
		}
	})
	return ok
}

// substitute replaces each column reference i in e with with[i].
func substitute(e expr.Expr, with []expr.Expr) expr.Expr {
	return mapColumns(e, func(c *expr.Column) expr.Expr { return with[c.Index] })
}

// and joins conditions with AND.
func and(cs []expr.Expr) expr.Expr {
	cond := cs[0]
	for _, k := range cs[1:] {
		cond, _ = expr.Resolve("AND", []expr.Expr{cond, k})
	}
	return cond
}

// Conjuncts splits e into the terms its ANDs join.
func Conjuncts(e expr.Expr) []expr.Expr {
	if c, ok := e.(*expr.Call); ok && c.Func.Name == "AND" && len(c.Args) == 2 {
		return append(Conjuncts(c.Args[0]), Conjuncts(c.Args[1])...)
	}
	return []expr.Expr{e}
}

// toIceberg translates a conjunct that compares a scan column with a
// constant of exactly the column's type. Anything else (casts, functions,
// type differences whose semantics could differ) stays in the engine.
func toIceberg(e expr.Expr, fields []arrow.Field) (iceberg.BooleanExpression, bool) {
	c, ok := e.(*expr.Call)
	if !ok {
		return nil, false
	}
	col := func(x expr.Expr) (iceberg.UnboundTerm, arrow.DataType, bool) {
		cr, ok := x.(*expr.Column)
		if !ok {
			return nil, nil, false
		}
		return iceberg.Reference(fields[cr.Index].Name), cr.DataType, true
	}
	switch c.Func.Name {
	case "IS NULL", "IS NOT NULL":
		ref, _, ok := col(c.Args[0])
		if !ok {
			return nil, false
		}
		if c.Func.Name == "IS NULL" {
			return iceberg.IsNull(ref), true
		}
		return iceberg.NotNull(ref), true
	case "=", "<>", "<", "<=", ">", ">=":
		op := c.Func.Name
		ref, typ, ok := col(c.Args[0])
		litE := c.Args[1]
		if !ok {
			if ref, typ, ok = col(c.Args[1]); !ok {
				return nil, false
			}
			litE, op = c.Args[0], flip[op]
		}
		lit, ok := icebergLiteral(litE, typ)
		if !ok {
			return nil, false
		}
		return comparisons[op](ref, lit), true
	case "IN":
		// x IN (…, NULL, …) is TRUE only for the non-NULL values: as a
		// filter, the NULLs can go.
		ref, typ, ok := col(c.Args[0])
		if !ok {
			return nil, false
		}
		var lits []iceberg.Literal
		for _, a := range c.Args[1:] {
			if l, isLit := a.(*expr.Literal); isLit && !l.Value.IsValid() {
				continue
			}
			lit, ok := icebergLiteral(a, typ)
			if !ok {
				return nil, false
			}
			lits = append(lits, lit)
		}
		if len(lits) == 0 {
			return nil, false
		}
		return iceberg.SetPredicate(iceberg.OpIn, ref, lits), true
	}
	return nil, false
}

var flip = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

var comparisons = map[string]func(iceberg.UnboundTerm, iceberg.Literal) iceberg.BooleanExpression{
	"=": func(t iceberg.UnboundTerm, l iceberg.Literal) iceberg.BooleanExpression {
		return iceberg.LiteralPredicate(iceberg.OpEQ, t, l)
	},
	"<>": func(t iceberg.UnboundTerm, l iceberg.Literal) iceberg.BooleanExpression {
		return iceberg.LiteralPredicate(iceberg.OpNEQ, t, l)
	},
	"<": func(t iceberg.UnboundTerm, l iceberg.Literal) iceberg.BooleanExpression {
		return iceberg.LiteralPredicate(iceberg.OpLT, t, l)
	},
	"<=": func(t iceberg.UnboundTerm, l iceberg.Literal) iceberg.BooleanExpression {
		return iceberg.LiteralPredicate(iceberg.OpLTEQ, t, l)
	},
	">": func(t iceberg.UnboundTerm, l iceberg.Literal) iceberg.BooleanExpression {
		return iceberg.LiteralPredicate(iceberg.OpGT, t, l)
	},
	">=": func(t iceberg.UnboundTerm, l iceberg.Literal) iceberg.BooleanExpression {
		return iceberg.LiteralPredicate(iceberg.OpGTEQ, t, l)
	},
}

// icebergLiteral converts a non-NULL constant whose type is exactly typ.
func icebergLiteral(e expr.Expr, typ arrow.DataType) (iceberg.Literal, bool) {
	l, ok := e.(*expr.Literal)
	if !ok || !l.Value.IsValid() || !arrow.TypeEqual(l.Value.DataType(), typ) {
		return nil, false
	}
	switch v := l.Value.(type) {
	case *scalar.Boolean:
		return iceberg.NewLiteral(v.Value), true
	case *scalar.Int32:
		return iceberg.NewLiteral(v.Value), true
	case *scalar.Int64:
		return iceberg.NewLiteral(v.Value), true
	case *scalar.Float32:
		return iceberg.NewLiteral(v.Value), true
	case *scalar.Float64:
		return iceberg.NewLiteral(v.Value), true
	case *scalar.String:
		return iceberg.NewLiteral(string(v.Data())), true
	case *scalar.Date32:
		return iceberg.NewLiteral(iceberg.Date(v.Value)), true
	case *scalar.Timestamp:
		if v.Type.(*arrow.TimestampType).Unit == arrow.Microsecond {
			return iceberg.NewLiteral(iceberg.Timestamp(v.Value)), true
		}
	}
	return nil, false
}

// pruneColumns narrows each scan to the columns the plan above it reads,
// renumbering column references on the way up.
func pruneColumns(n Node) Node {
	need := map[int]bool{}
	for i := range n.Schema().NumFields() {
		need[i] = true
	}
	out, _ := prune(n, need)
	return out
}

// prune rewrites n to produce at least the output columns in need. When
// that moved n's output columns, it returns where each old position went
// (nil: unchanged).
func prune(n Node, need map[int]bool) (Node, map[int]int) {
	switch n := n.(type) {
	case *Scan:
		if len(need) == len(n.Fields) {
			return n, nil
		}
		remap := map[int]int{}
		s := *n
		s.Fields = nil
		for i, f := range n.Fields {
			if need[i] {
				remap[i] = len(s.Fields)
				s.Fields = append(s.Fields, f)
			}
		}
		if len(s.Fields) == 0 {
			// COUNT(*)-like queries still need row counts: keep one column.
			s.Fields = []arrow.Field{n.Fields[0]}
		}
		return &s, remap
	case *Filter:
		in := clone(need)
		refs(n.Cond, in)
		child, m := prune(n.Input, in)
		return &Filter{Input: child, Cond: renumber(n.Cond, m)}, m
	case *Project:
		// Drop the expressions nothing above reads (keeping one, for row
		// counts), and renumber the columns above.
		keep := make([]int, 0, len(n.Exprs))
		for i := range n.Exprs {
			if need[i] {
				keep = append(keep, i)
			}
		}
		if len(keep) == 0 {
			keep = append(keep, 0)
		}
		in := map[int]bool{}
		for _, i := range keep {
			refs(n.Exprs[i], in)
		}
		child, m := prune(n.Input, in)
		exprs := make([]expr.Expr, len(keep))
		names := make([]string, len(keep))
		var remap map[int]int
		if len(keep) < len(n.Exprs) {
			remap = map[int]int{}
		}
		for j, i := range keep {
			exprs[j], names[j] = renumber(n.Exprs[i], m), n.Names[i]
			if remap != nil {
				remap[i] = j
			}
		}
		if under, ok := child.(*Project); ok && passesColumns(under, exprs) {
			// A projection over one that only passes columns (a join's
			// restored column order, a renamed derived table) reads
			// through it.
			for j := range exprs {
				exprs[j] = substitute(exprs[j], under.Exprs)
			}
			child = under.Input
		}
		return NewProject(child, exprs, names), remap
	case *Sort:
		in := clone(need)
		for _, k := range n.Keys {
			in[k.Column] = true
		}
		child, m := prune(n.Input, in)
		keys := append([]SortKey(nil), n.Keys...)
		if m != nil {
			for i := range keys {
				keys[i].Column = m[keys[i].Column]
			}
		}
		return &Sort{Input: child, Keys: keys}, m
	case *Limit:
		child, m := prune(n.Input, need)
		return &Limit{Input: child, N: n.N, Offset: n.Offset}, m
	case *Aggregate:
		in := map[int]bool{}
		for _, g := range n.GroupBy {
			refs(g, in)
		}
		for _, c := range n.Aggs {
			if c.Arg != nil {
				refs(c.Arg, in)
			}
			if c.Filter != nil {
				refs(c.Filter, in)
			}
		}
		child, m := prune(n.Input, in)
		a := *n // output columns stay
		a.Input = child
		a.GroupBy = make([]expr.Expr, len(n.GroupBy))
		for i, g := range n.GroupBy {
			a.GroupBy[i] = renumber(g, m)
		}
		a.Aggs = make([]AggCall, len(n.Aggs))
		for i, c := range n.Aggs {
			if c.Arg != nil {
				c.Arg = renumber(c.Arg, m)
			}
			if c.Filter != nil {
				c.Filter = renumber(c.Filter, m)
			}
			a.Aggs[i] = c
		}
		return &a, nil
	case *Join:
		return pruneJoin(n, need)
	case *Union:
		// The inputs keep all their columns (each is a projection that
		// narrows its own scans).
		u := *n
		u.Inputs = make([]Node, len(n.Inputs))
		for i, x := range n.Inputs {
			u.Inputs[i] = pruneColumns(x)
		}
		return &u, nil
	case *SingleRow:
		return &SingleRow{Input: pruneColumns(n.Input)}, nil
	case *WindowTVF:
		return n.withInput(pruneColumns(n.Input)), nil
	case *Repeat:
		return NewRepeat(pruneColumns(n.Input)), nil
	case *Window:
		return pruneWindow(n, need)
	}
	return n, nil
}

// passesColumns says whether every column of p that exprs read is a plain
// column of p's input.
func passesColumns(p *Project, exprs []expr.Expr) bool {
	ok := true
	for _, e := range exprs {
		walk(e, func(x expr.Expr) {
			if c, isCol := x.(*expr.Column); isCol {
				_, plain := p.Exprs[c.Index].(*expr.Column)
				ok = ok && plain
			}
		})
	}
	return ok
}

// pruneJoin narrows both sides of a join to the columns needed above it
// and by its keys and residual.
func pruneJoin(j *Join, need map[int]bool) (Node, map[int]int) {
	nl := j.Left.Schema().NumFields()
	all := clone(need)
	if j.Residual != nil {
		refs(j.Residual, all)
	}
	ln, rn := map[int]bool{}, map[int]bool{}
	for i := range all {
		if i < nl {
			ln[i] = true
		} else {
			rn[i-nl] = true
		}
	}
	for i := range j.LeftKeys {
		refs(j.LeftKeys[i], ln)
		refs(j.RightKeys[i], rn)
	}
	l, lm := prune(j.Left, ln)
	r, rm := prune(j.Right, rn)
	out := *j
	out.Left, out.Right = l, r
	out.LeftKeys, out.RightKeys = make([]expr.Expr, len(j.LeftKeys)), make([]expr.Expr, len(j.RightKeys))
	for i := range j.LeftKeys {
		out.LeftKeys[i], out.RightKeys[i] = renumber(j.LeftKeys[i], lm), renumber(j.RightKeys[i], rm)
	}
	newNL := l.Schema().NumFields()
	var m map[int]int
	if lm != nil || rm != nil || newNL != nl {
		m = map[int]int{}
		for i := range all {
			switch {
			case i < nl && lm != nil:
				m[i] = lm[i]
			case i < nl:
				m[i] = i
			case rm != nil:
				m[i] = newNL + rm[i-nl]
			default:
				m[i] = newNL + i - nl
			}
		}
	}
	if j.Residual != nil {
		out.Residual = renumber(j.Residual, m)
	}
	out.schema = joinSchema(l, r, j.Kind)
	return &out, m
}

func clone(m map[int]bool) map[int]bool {
	out := make(map[int]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func refs(e expr.Expr, used map[int]bool) {
	walk(e, func(x expr.Expr) {
		if c, ok := x.(*expr.Column); ok {
			used[c.Index] = true
		}
	})
}

func walk(e expr.Expr, f func(expr.Expr)) {
	f(e)
	switch e := e.(type) {
	case *expr.Call:
		for _, a := range e.Args {
			walk(a, f)
		}
	case *expr.Cast:
		walk(e.Arg, f)
	case *expr.Case:
		for _, w := range e.Whens {
			walk(w.Cond, f)
			walk(w.Then, f)
		}
		if e.Else != nil {
			walk(e.Else, f)
		}
	}
}

// renumber rewrites column references through remap (nil: unchanged).
func renumber(e expr.Expr, remap map[int]int) expr.Expr {
	if remap == nil {
		return e
	}
	return mapColumns(e, func(c *expr.Column) expr.Expr {
		out := *c
		out.Index = remap[c.Index]
		return &out
	})
}

// mapColumns rebuilds e with each column reference replaced by f's result;
// the tree itself is never modified.
func mapColumns(e expr.Expr, f func(*expr.Column) expr.Expr) expr.Expr {
	switch e := e.(type) {
	case *expr.Column:
		return f(e)
	case *expr.Call:
		c := *e
		c.Args = make([]expr.Expr, len(e.Args))
		for i, a := range e.Args {
			c.Args[i] = mapColumns(a, f)
		}
		return &c
	case *expr.Cast:
		c := *e
		c.Arg = mapColumns(e.Arg, f)
		return &c
	case *expr.Case:
		c := *e
		c.Whens = make([]expr.When, len(e.Whens))
		for i, w := range e.Whens {
			c.Whens[i] = expr.When{Cond: mapColumns(w.Cond, f), Then: mapColumns(w.Then, f)}
		}
		if e.Else != nil {
			c.Else = mapColumns(e.Else, f)
		}
		return &c
	}
	return e
}
