package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/engine/expr"
)

// Optimize rewrites a bound plan: constants folded, the WHERE conjuncts that
// Iceberg can evaluate pushed into the scan (pruning partitions, files and
// row groups), and the scan narrowed to the columns the query reads.
func Optimize(n Node, ev *expr.EvalContext) (Node, error) {
	n, err := fold(n, ev)
	if err != nil {
		return nil, err
	}
	n = pushFilters(n)
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
	}
	return n, nil
}

// pushFilters moves each conjunct of a Filter directly over a Scan that
// Iceberg can evaluate into the scan. iceberg-go applies a scan's filter to
// rows exactly, so a pushed conjunct leaves the Filter.
func pushFilters(n Node) Node {
	switch n := n.(type) {
	case *Filter:
		scan, ok := n.Input.(*Scan)
		if !ok {
			return &Filter{Input: pushFilters(n.Input), Cond: n.Cond}
		}
		var kept []expr.Expr
		var pushed []iceberg.BooleanExpression
		for _, c := range conjuncts(n.Cond) {
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
		cond := kept[0]
		for _, k := range kept[1:] {
			cond, _ = expr.Resolve("AND", []expr.Expr{cond, k})
		}
		return &Filter{Input: &s, Cond: cond}
	case *Project:
		p := *n
		p.Input = pushFilters(n.Input)
		return &p
	case *Sort:
		return &Sort{Input: pushFilters(n.Input), Keys: n.Keys}
	case *Limit:
		return &Limit{Input: pushFilters(n.Input), N: n.N, Offset: n.Offset}
	}
	return n
}

func conjuncts(e expr.Expr) []expr.Expr {
	if c, ok := e.(*expr.Call); ok && c.Func.Name == "AND" && len(c.Args) == 2 {
		return append(conjuncts(c.Args[0]), conjuncts(c.Args[1])...)
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

// pruneColumns narrows the scan under a linear plan to the columns its
// consumers read, renumbering column references.
func pruneColumns(n Node) Node {
	// Collect the input columns each node reads, down to the scan.
	var scan *Scan
	var chain []Node
	for cur := n; ; {
		chain = append(chain, cur)
		if s, ok := cur.(*Scan); ok {
			scan = s
			break
		}
		kids := cur.Children()
		if len(kids) != 1 {
			return n
		}
		cur = kids[0]
	}
	// Only the node directly consuming the scan (and a Filter between it
	// and a Project) read scan columns; above the first Project, columns are
	// the Project's.
	used := map[int]bool{}
	var consumers []Node
	for i := len(chain) - 2; i >= 0; i-- {
		consumers = append(consumers, chain[i])
		if _, ok := chain[i].(*Project); ok {
			break
		}
	}
	for _, c := range consumers {
		switch c := c.(type) {
		case *Filter:
			refs(c.Cond, used)
		case *Project:
			for _, e := range c.Exprs {
				refs(e, used)
			}
		case *Sort, *Limit:
			return n // a sort or limit straight on a scan reads every column
		}
	}
	if len(used) == len(scan.Fields) {
		return n
	}
	remap := map[int]int{}
	s := *scan
	s.Fields = nil
	for i, f := range scan.Fields {
		if used[i] {
			remap[i] = len(s.Fields)
			s.Fields = append(s.Fields, f)
		}
	}
	if len(s.Fields) == 0 {
		// COUNT-like queries still need row counts: keep the narrowest column.
		s.Fields = []arrow.Field{scan.Fields[0]}
	}
	// Rebuild the chain bottom-up with renumbered references.
	var out Node = &s
	for i := len(chain) - 2; i >= 0; i-- {
		switch c := chain[i].(type) {
		case *Filter:
			out = &Filter{Input: out, Cond: renumber(c.Cond, remap)}
		case *Project:
			exprs := make([]expr.Expr, len(c.Exprs))
			for j, e := range c.Exprs {
				exprs[j] = renumber(e, remap)
			}
			out = NewProject(out, exprs, c.Names)
			remap = nil // above here, indexes are the Project's own
		case *Sort:
			out = &Sort{Input: out, Keys: c.Keys}
		case *Limit:
			out = &Limit{Input: out, N: c.N, Offset: c.Offset}
		}
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
	switch e := e.(type) {
	case *expr.Column:
		c := *e
		c.Index = remap[e.Index]
		return &c
	case *expr.Call:
		c := *e
		c.Args = make([]expr.Expr, len(e.Args))
		for i, a := range e.Args {
			c.Args[i] = renumber(a, remap)
		}
		return &c
	case *expr.Cast:
		c := *e
		c.Arg = renumber(e.Arg, remap)
		return &c
	case *expr.Case:
		c := *e
		c.Whens = make([]expr.When, len(e.Whens))
		for i, w := range e.Whens {
			c.Whens[i] = expr.When{Cond: renumber(w.Cond, remap), Then: renumber(w.Then, remap)}
		}
		if e.Else != nil {
			c.Else = renumber(e.Else, remap)
		}
		return &c
	}
	return e
}
