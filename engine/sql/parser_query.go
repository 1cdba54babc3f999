package sql

// parseQuery parses [WITH ...] body [ORDER BY] [LIMIT] [OFFSET] [FETCH].
func (p *parser) parseQuery() *Query {
	p.enter()
	defer p.leave()
	q := &Query{Pos: p.pos()}
	if p.acceptKw("WITH") {
		for {
			cte := &CTE{Pos: p.pos(), Name: p.ident()}
			if p.isOp("(") {
				cte.Columns = p.identList()
			}
			p.expectKw("AS")
			p.expectOp("(")
			cte.Query = p.parseQuery()
			p.expectOp(")")
			q.With = append(q.With, cte)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	q.Body = p.parseSetOps(p.parseSetPrimary(), 0)
	p.parseQueryTail(q)
	return unwrap(q)
}

// continueQuery continues a query whose first operand, a parenthesized
// query, was already read as an expression or a table.
func (p *parser) continueQuery(first *Query) *Query {
	q := &Query{Pos: first.Pos, Body: p.parseSetOps(operand(first), 0)}
	p.parseQueryTail(q)
	return unwrap(q)
}

// bare reports whether q is only a body, so parentheses around it add
// nothing.
func (q *Query) bare() bool {
	return len(q.With) == 0 && len(q.OrderBy) == 0 && q.Limit == nil && q.Offset == nil
}

// operand is q as an operand of a set operation.
func operand(q *Query) SetExpr {
	if q.bare() {
		return q.Body
	}
	return q
}

// unwrap drops a bare query around a parenthesized one.
func unwrap(q *Query) *Query {
	if inner, ok := q.Body.(*Query); ok && q.bare() {
		return inner
	}
	return q
}

func (p *parser) parseSetPrimary() SetExpr {
	switch {
	case p.isKw("SELECT"):
		return p.parseSelect()
	case p.isKw("VALUES"):
		return p.parseValues()
	case p.isOp("("):
		p.i++
		q := p.parseQuery()
		p.expectOp(")")
		return operand(q)
	}
	p.fail("SELECT", "VALUES", `"("`)
	return nil
}

// setOp returns the set operator at the current token and its precedence:
// INTERSECT binds tighter than UNION and EXCEPT.
func (p *parser) setOp() (SetOpKind, int) {
	switch {
	case p.isKw("UNION"):
		return Union, 1
	case p.isKw("EXCEPT"):
		return Except, 1
	case p.isKw("INTERSECT"):
		return Intersect, 2
	}
	p.want("UNION")
	p.want("INTERSECT")
	p.want("EXCEPT")
	return "", 0
}

func (p *parser) parseSetOps(left SetExpr, minPrec int) SetExpr {
	for {
		op, prec := p.setOp()
		if op == "" || prec < minPrec {
			return left
		}
		s := &SetOp{Pos: p.advance().pos, Op: op, Left: left}
		if p.isKw("ALL") {
			p.i++
			s.All = true
		} else if p.isKw("DISTINCT") {
			p.i++
		}
		s.Right = p.parseSetOps(p.parseSetPrimary(), prec+1)
		left = s
	}
}

func (p *parser) parseQueryTail(q *Query) {
	if p.acceptKw("ORDER") {
		p.expectKw("BY")
		q.OrderBy = p.parseOrderItems()
	}
	if p.acceptKw("LIMIT") {
		q.Limit = p.parseCount()
	}
	if p.acceptKw("OFFSET") {
		q.Offset = p.parseCount()
		if !p.acceptKw("ROWS") {
			p.acceptKw("ROW")
		}
	}
	if q.Limit == nil && p.acceptKw("FETCH") {
		if !p.acceptKw("FIRST") {
			p.expectKw("NEXT")
		}
		if p.tok().kind == tokInteger {
			q.Limit = p.parseCount()
		} else {
			q.Limit = &Literal{Pos: p.pos(), Kind: LitInteger, Value: "1"}
		}
		if !p.acceptKw("ROWS") {
			p.expectKw("ROW")
		}
		p.expectKw("ONLY")
	}
}

// parseCount parses the unsigned integer of LIMIT, OFFSET and FETCH.
func (p *parser) parseCount() Expr {
	t := p.tok()
	if t.kind != tokInteger {
		p.fail("integer")
	}
	p.i++
	return &Literal{Pos: t.pos, Kind: LitInteger, Value: t.text}
}

func (p *parser) parseValues() *Values {
	v := &Values{Pos: p.expectKw("VALUES")}
	for {
		p.acceptKw("ROW")
		p.expectOp("(")
		v.Rows = append(v.Rows, p.parseExprList())
		p.expectOp(")")
		if !p.acceptOp(",") {
			return v
		}
	}
}

func (p *parser) parseSelect() *Select {
	s := &Select{Pos: p.expectKw("SELECT")}
	if p.tok().kind == tokHintStart {
		s.Hints = p.parseHints()
	}
	if p.acceptKw("DISTINCT") {
		s.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	for {
		s.Items = append(s.Items, p.parseSelectItem())
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKw("FROM") {
		s.From = p.parseFrom()
	}
	if p.acceptKw("WHERE") {
		s.Where = p.parseExpr()
	}
	if p.acceptKw("GROUP") {
		p.expectKw("BY")
		for {
			s.GroupBy = append(s.GroupBy, p.parseGroupItem()...)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("HAVING") {
		s.Having = p.parseExpr()
	}
	if p.acceptKw("WINDOW") {
		for {
			w := &NamedWindow{Pos: p.pos(), Name: p.ident()}
			p.expectKw("AS")
			w.Spec = p.parseWindowSpec()
			s.Windows = append(s.Windows, w)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	return s
}

func (p *parser) parseSelectItem() *SelectItem {
	it := &SelectItem{Pos: p.pos()}
	if p.isOp("*") {
		it.Expr = &Star{Pos: p.advance().pos}
		return it
	}
	it.Expr = p.parseExpr()
	if p.acceptKw("AS") || p.isIdent() {
		it.Alias = p.ident()
	}
	return it
}

// parseGroupItem parses one GROUP BY element; (a, b) stands for a, b.
func (p *parser) parseGroupItem() []Expr {
	pos := p.pos()
	switch {
	case p.isKw("GROUPING") && p.isKwAt(1, "SETS"):
		p.i += 2
		g := &GroupingSets{Pos: pos}
		p.expectOp("(")
		for {
			g.Sets = append(g.Sets, p.parseGroupingSet())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
		return []Expr{g}
	case p.isKw("ROLLUP"), p.isKw("CUBE"):
		cube := p.isKw("CUBE")
		p.i++
		p.expectOp("(")
		list := p.parseExprList()
		p.expectOp(")")
		if cube {
			return []Expr{&Cube{Pos: pos, Exprs: list}}
		}
		return []Expr{&Rollup{Pos: pos, Exprs: list}}
	case p.isOp("(") && p.isOpAt(1, ")"):
		p.i += 2
		return []Expr{&GroupingSets{Pos: pos, Sets: [][]Expr{{}}}}
	}
	return p.parseKeyList()
}

// parseGroupingSet parses (a, b), (), or a single expression.
func (p *parser) parseGroupingSet() []Expr {
	if p.isOp("(") && p.isOpAt(1, ")") {
		p.i += 2
		return []Expr{}
	}
	return p.parseKeyList()
}

// parseFrom parses a FROM list: joined tables separated by commas.
func (p *parser) parseFrom() TableExpr {
	left := p.parseJoined()
	for p.isOp(",") {
		pos := p.advance().pos
		left = &Join{Pos: pos, Kind: JoinComma, Left: left, Right: p.parseJoined()}
	}
	p.want(`","`)
	return left
}

func (p *parser) parseJoined() TableExpr {
	left := p.parseTablePrimary()
	for {
		pos := p.pos()
		kind := p.joinKind()
		if kind == "" {
			return left
		}
		j := &Join{Pos: pos, Kind: kind, Left: left, Right: p.parseTablePrimary()}
		if kind != JoinCross {
			switch {
			case p.acceptKw("ON"):
				j.On = p.parseExpr()
			case p.acceptKw("USING"):
				j.Using = p.identList()
			default:
				p.fail()
			}
		}
		left = j
	}
}

// joinKind consumes a join operator and returns its kind, or "" if none.
func (p *parser) joinKind() JoinKind {
	var kind JoinKind
	switch {
	case p.acceptKw("JOIN"):
		return JoinInner
	case p.acceptKw("INNER"):
		kind = JoinInner
	case p.acceptKw("CROSS"):
		kind = JoinCross
	case p.acceptKw("LEFT"):
		kind = JoinLeft
	case p.acceptKw("RIGHT"):
		kind = JoinRight
	case p.acceptKw("FULL"):
		kind = JoinFull
	default:
		return ""
	}
	if kind != JoinInner && kind != JoinCross {
		p.acceptKw("OUTER")
	}
	p.expectKw("JOIN")
	return kind
}

func (p *parser) parseTablePrimary() TableExpr {
	p.enter()
	defer p.leave()
	pos := p.pos()
	lateral := p.acceptKw("LATERAL")
	switch {
	case p.isKw("TABLE"):
		p.i++
		p.expectOp("(")
		start := p.pos()
		call, ok := p.parseExpr().(*FuncCall)
		if !ok {
			p.errorf(start, "expected a function call in TABLE(...)")
		}
		p.expectOp(")")
		return &TableFunc{Pos: pos, Lateral: lateral, Call: call, Alias: p.parseAlias()}
	case p.isOp("(") && (lateral || p.isKwAt(1, "SELECT") || p.isKwAt(1, "WITH") || p.isKwAt(1, "VALUES")):
		p.i++
		q := p.parseQuery()
		p.expectOp(")")
		return &DerivedTable{Pos: pos, Lateral: lateral, Query: q, Alias: p.parseAlias()}
	case lateral:
		p.fail("TABLE", `"("`)
	case p.isKw("UNNEST"):
		p.i++
		p.expectOp("(")
		u := &Unnest{Pos: pos, Args: p.parseExprList()}
		p.expectOp(")")
		if p.isKw("WITH") && p.isKwAt(1, "ORDINALITY") {
			p.i += 2
			u.WithOrdinality = true
		}
		u.Alias = p.parseAlias()
		return u
	case p.isOp("("):
		// A parenthesized join, or a query that starts with "((".
		p.i++
		inner := p.parseFrom()
		d, derived := inner.(*DerivedTable)
		derived = derived && d.Alias == nil && !d.Lateral
		if derived && p.setOpAhead() {
			d = &DerivedTable{Pos: pos, Query: p.continueQuery(d.Query)}
		}
		p.expectOp(")")
		if derived {
			d.Alias = p.parseAlias()
			return d
		}
		return inner
	}
	t := &TableRef{Pos: pos, Name: p.objectName()}
	if p.tok().kind == tokHintStart {
		t.Hints = p.parseHints()
	}
	if p.isKw("FOR") && p.isKwAt(1, "SYSTEM_TIME") {
		p.i += 2
		p.expectKw("AS")
		p.expectKw("OF")
		t.SystemTime = p.parseExpr()
	}
	t.Alias = p.parseAlias()
	return t
}

// parseAlias parses an optional [AS] name [(col, ...)].
func (p *parser) parseAlias() *Alias {
	pos := p.pos()
	if !p.acceptKw("AS") && !p.isIdent() {
		return nil
	}
	a := &Alias{Pos: pos, Name: p.ident()}
	if p.isOp("(") {
		a.Columns = p.identList()
	}
	return a
}

// parseHints parses a /*+ hint, ... */ block.
func (p *parser) parseHints() []*Hint {
	p.i++
	var hints []*Hint
	for {
		t := p.tok()
		if t.kind != tokWord || isReserved(t.text) {
			p.fail("hint name")
		}
		p.i++
		h := &Hint{Pos: t.pos, Name: upper(t.text)}
		if p.acceptOp("(") {
			if p.tok().kind == tokString {
				h.Options = p.parseProperties()
			} else {
				for {
					h.Params = append(h.Params, p.ident())
					if !p.acceptOp(",") {
						break
					}
				}
			}
			p.expectOp(")")
		}
		hints = append(hints, h)
		if !p.acceptOp(",") {
			break
		}
	}
	if p.tok().kind != tokHintEnd {
		p.fail(`"*/"`)
	}
	p.i++
	return hints
}

// parseProperties parses 'k' = 'v', ... without the parentheses.
func (p *parser) parseProperties() []*Property {
	var props []*Property
	for {
		props = append(props, p.parseProperty())
		if !p.acceptOp(",") {
			return props
		}
	}
}

func (p *parser) parseProperty() *Property {
	pr := &Property{Pos: p.pos(), Key: p.stringLit()}
	p.expectOp("=")
	pr.Value = p.stringLit()
	return pr
}
