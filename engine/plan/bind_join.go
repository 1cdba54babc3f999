package plan

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/internal/suggest"
)

// scopeCol is one name a scope offers: table.name, and name alone when
// unqualified.
type scopeCol struct {
	qual  string // the table's alias or name; "" for a merged USING column
	name  string
	index int // into scope.fields
	// unqualified: the column answers an unqualified name and is part of
	// SELECT *. The two sides' columns of a USING join answer only their
	// qualified names; the merged column answers the plain one.
	unqualified bool
}

// tableScope is the scope of one table's fields.
func tableScope(qual string, fields []arrow.Field) *scope {
	sc := &scope{fields: fields}
	for i, f := range fields {
		sc.cols = append(sc.cols, scopeCol{qual: qual, name: f.Name, index: i, unqualified: true})
	}
	return sc
}

// in is the scope for a clause of the same input.
func (sc *scope) in(clause string) *scope {
	return &scope{cols: sc.cols, fields: sc.fields, clause: clause}
}

// columnExpr references c, its name qualified when another table of the
// scope has a column of that name (so that expressions print, and GROUP
// BY matches, unambiguously).
func (sc *scope) columnExpr(c scopeCol) *expr.Column {
	name := c.name
	if c.qual != "" {
		for _, o := range sc.cols {
			if o.name == c.name && o.qual != c.qual && o.index != c.index {
				name = c.qual + "." + c.name
				break
			}
		}
	}
	return &expr.Column{Index: c.index, Name: name, DataType: sc.fields[c.index].Type}
}

// star lists the columns of * or t.*.
func (sc *scope) star(st *sql.Star) ([]scopeCol, error) {
	if len(sc.fields) == 0 {
		return nil, errAt(Invalid, st.Pos, "SELECT * needs a FROM clause")
	}
	var out []scopeCol
	switch len(st.Qualifier) {
	case 0:
		for _, c := range sc.cols {
			if c.unqualified {
				out = append(out, c)
			}
		}
		return out, nil
	case 1:
		for _, c := range sc.cols {
			if c.qual == st.Qualifier[0].Name {
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil, errAt(NotFound, st.Pos, "unknown table %s in %s", identsString(st.Qualifier), st.String())
	}
	return out, nil
}

// column resolves a column reference with a suggestion when it is unknown.
func (sc *scope) column(c *sql.ColumnRef) (expr.Expr, error) {
	parts := c.Parts
	if len(parts) > 2 {
		return nil, unsupported(c, "nested field access")
	}
	qual := ""
	if len(parts) == 2 {
		qual = parts[0].Name
		known := false
		for _, col := range sc.cols {
			known = known || col.qual == qual
		}
		if !known {
			return nil, errAt(NotFound, parts[0].Pos, "unknown table %s in %s", qual, c.String())
		}
		parts = parts[1:]
	}
	name := parts[0].Name
	var names []string
	match := -1
	for i, col := range sc.cols {
		if qual == "" && !col.unqualified || qual != "" && col.qual != qual {
			continue
		}
		names = append(names, col.name)
		if col.name != name {
			continue
		}
		if match >= 0 {
			return nil, errAt(Invalid, c.Pos, "column %s is ambiguous: qualify it with its table (%s.%s or %s.%s)", name, sc.cols[match].qual, name, col.qual, name)
		}
		match = i
	}
	if match >= 0 {
		return sc.columnExpr(sc.cols[match]), nil
	}
	msg := fmt.Sprintf("column %s not found", name)
	if qual != "" {
		msg = fmt.Sprintf("column %s not found in %s", name, qual)
	}
	if len(sc.fields) == 0 {
		msg += " (the query has no FROM clause)"
	} else if s := suggest.Closest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return nil, errAt(NotFound, c.Pos, "%s", msg)
}

// from binds a FROM clause: a table, or joins of any nesting.
func (b *binder) from(t sql.TableExpr) (Node, *scope, error) {
	switch t := t.(type) {
	case *sql.TableRef:
		if d := b.lookupCTE(t.Name); d != nil {
			return b.cteRef(t, d)
		}
		return b.tableRef(t)
	case *sql.Join:
		return b.join(t)
	case *sql.DerivedTable:
		return b.derived(t)
	case *sql.TableFunc:
		return b.windowTVF(t)
	}
	return nil, nil, unsupported(t, "this FROM item")
}

var joinKinds = map[sql.JoinKind]JoinKind{
	sql.JoinInner: JoinInner, sql.JoinComma: JoinInner, sql.JoinCross: JoinInner,
	sql.JoinLeft: JoinLeft, sql.JoinRight: JoinRight, sql.JoinFull: JoinFull,
}

func (b *binder) join(j *sql.Join) (Node, *scope, error) {
	kind, ok := joinKinds[j.Kind]
	if !ok {
		return nil, nil, unsupported(j, string(j.Kind))
	}
	left, ls, err := b.from(j.Left)
	if err != nil {
		return nil, nil, err
	}
	rightRef, lookup, err := b.lookupRef(j, ls)
	if err != nil {
		return nil, nil, err
	}
	right, rs, err := b.from(rightRef)
	if err != nil {
		return nil, nil, err
	}
	if _, isScan := right.(*Scan); lookup && !isScan {
		return nil, nil, errAt(Invalid, j.Right.Position(), "a lookup join (FOR SYSTEM_TIME AS OF a column) needs an Iceberg table on its right")
	}
	for _, r := range rs.cols {
		for _, l := range ls.cols {
			if r.qual != "" && r.qual == l.qual {
				return nil, nil, errAt(Invalid, j.Right.Position(), "table %s appears twice in FROM; give one of them an alias", r.qual)
			}
		}
	}
	nl := len(ls.fields)
	sc := &scope{fields: append(append([]arrow.Field(nil), ls.fields...), rs.fields...)}
	sc.cols = append(sc.cols, ls.cols...)
	for _, c := range rs.cols {
		c.index += nl
		sc.cols = append(sc.cols, c)
	}
	var cond expr.Expr
	switch {
	case j.On != nil:
		if cond, err = b.expr(j.On, sc.in("ON")); err != nil {
			return nil, nil, err
		}
		if !arrow.TypeEqual(cond.Type(), arrow.FixedWidthTypes.Boolean) {
			return nil, nil, errAt(Invalid, j.On.Position(), "ON needs a BOOLEAN condition, not %s", typeName(cond.Type()))
		}
	case len(j.Using) > 0 && lookup:
		return nil, nil, errAt(Invalid, j.Pos, "write a lookup join's condition with ON")
	case len(j.Using) > 0:
		return b.using(j, kind, left, right, ls, rs, sc)
	}
	n := NewJoin(left, right, kind, cond)
	if lookup {
		if len(n.LeftKeys) == 0 {
			return nil, nil, errAt(Invalid, j.Pos, "a lookup join needs an equality between a column of the table looked up and the other side in ON")
		}
		n.Lookup = true
	}
	sc.fields = n.Schema().Fields()
	return n, sc, nil
}

// lookupRef recognizes a lookup join: its right side is a table FOR
// SYSTEM_TIME AS OF an expression over the left side's columns (Flink's
// processing-time temporal join, `FOR SYSTEM_TIME AS OF o.proc_time`). It
// returns the right side to bind, without the time, and whether it is one.
// A constant time is time travel and stays with the table.
func (b *binder) lookupRef(j *sql.Join, ls *scope) (sql.TableExpr, bool, error) {
	t, ok := j.Right.(*sql.TableRef)
	if !ok || t.SystemTime == nil || b.lookupCTE(t.Name) != nil {
		return j.Right, false, nil
	}
	at, err := b.expr(t.SystemTime, ls.in("FOR SYSTEM_TIME AS OF"))
	if err != nil {
		return j.Right, false, nil // not over the left side: time travel binds it
	}
	reads := map[int]bool{}
	refs(at, reads)
	if len(reads) == 0 {
		return j.Right, false, nil
	}
	if at.Type().ID() != arrow.TIMESTAMP {
		return nil, false, errAt(Invalid, t.SystemTime.Position(), "FOR SYSTEM_TIME AS OF needs a TIMESTAMP, not %s", typeName(at.Type()))
	}
	if j.Kind != sql.JoinInner && j.Kind != sql.JoinLeft {
		return nil, false, errAt(Invalid, j.Pos, "a lookup join (FOR SYSTEM_TIME AS OF) is an INNER or LEFT join, not %s", j.Kind)
	}
	plain := *t
	plain.SystemTime = nil
	return &plain, true, nil
}

// using binds JOIN … USING (cols): the equalities of the named columns,
// and one merged column per name that answers the plain name and leads
// SELECT *: the left side's value (inner and left joins), the right's
// (right joins), or the first non-NULL of both (full joins).
func (b *binder) using(j *sql.Join, kind JoinKind, left, right Node, ls, rs, sc *scope) (Node, *scope, error) {
	var conds []expr.Expr
	type pair struct{ l, r int } // indexes into sc.cols
	var pairs []pair
	find := func(s *scope, id sql.Ident, side string, shift int) (int, error) {
		at := -1
		for i, c := range s.cols {
			if c.unqualified && c.name == id.Name {
				if at >= 0 {
					return 0, errAt(Invalid, id.Pos, "column %s of USING is ambiguous on the %s side", id.Name, side)
				}
				at = i + shift
			}
		}
		if at < 0 {
			return 0, errAt(NotFound, id.Pos, "column %s of USING is not on the %s side of the join", id.Name, side)
		}
		return at, nil
	}
	for _, id := range j.Using {
		l, err := find(ls, id, "left", 0)
		if err != nil {
			return nil, nil, err
		}
		r, err := find(rs, id, "right", len(ls.cols))
		if err != nil {
			return nil, nil, err
		}
		eq, err := b.resolve(id.Pos, "=", []expr.Expr{sc.columnExpr(sc.cols[l]), sc.columnExpr(sc.cols[r])})
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, eq)
		pairs = append(pairs, pair{l, r})
	}
	n := NewJoin(left, right, kind, and(conds))
	var out Node = n
	fields := n.Schema().Fields()
	merged := make([]scopeCol, len(pairs))
	if kind == JoinFull {
		// The merged columns are computed above the join.
		exprs := make([]expr.Expr, 0, len(fields)+len(pairs))
		names := make([]string, 0, len(fields)+len(pairs))
		for i, f := range fields {
			exprs = append(exprs, &expr.Column{Index: i, Name: f.Name, DataType: f.Type})
			names = append(names, f.Name)
		}
		for i, p := range pairs {
			co, err := b.resolve(j.Using[i].Pos, "COALESCE", []expr.Expr{sc.columnExpr(sc.cols[p.l]), sc.columnExpr(sc.cols[p.r])})
			if err != nil {
				return nil, nil, err
			}
			merged[i] = scopeCol{name: j.Using[i].Name, index: len(exprs), unqualified: true}
			exprs = append(exprs, co)
			names = append(names, j.Using[i].Name)
		}
		out = NewProject(n, exprs, names)
		fields = out.Schema().Fields()
	} else {
		for i, p := range pairs {
			c := sc.cols[p.l]
			if kind == JoinRight {
				c = sc.cols[p.r]
			}
			merged[i] = scopeCol{name: j.Using[i].Name, index: c.index, unqualified: true}
		}
	}
	cols := append([]scopeCol(nil), merged...)
	for i, c := range sc.cols {
		for _, p := range pairs {
			if i == p.l || i == p.r {
				c.unqualified = false
			}
		}
		cols = append(cols, c)
	}
	return out, &scope{cols: cols, fields: fields}, nil
}
