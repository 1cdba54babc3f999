package sql

import "strings"

// Expression grammar, loosest first:
//
//	OR
//	AND
//	NOT
//	comparison (= <> != < <= > >=), IS ..., BETWEEN, IN, LIKE, SIMILAR TO
//	+ - ||
//	* / %
//	unary + -
//	primary with postfix [index] and .field
func (p *parser) parseExpr() Expr {
	p.enter()
	defer p.leave()
	return p.parseOr()
}

func (p *parser) parseOr() Expr {
	left := p.parseAnd()
	for p.isKw("OR") {
		pos := p.advance().pos
		left = &BinaryExpr{Pos: pos, Op: OpOr, Left: left, Right: p.parseAnd()}
	}
	return left
}

func (p *parser) parseAnd() Expr {
	left := p.parseNot()
	for p.isKw("AND") {
		pos := p.advance().pos
		left = &BinaryExpr{Pos: pos, Op: OpAnd, Left: left, Right: p.parseNot()}
	}
	return left
}

func (p *parser) parseNot() Expr {
	if !p.isKw("NOT") {
		return p.parseComparison()
	}
	pos := p.advance().pos
	p.enter()
	defer p.leave()
	return &UnaryExpr{Pos: pos, Op: OpNot, Expr: p.parseNot()}
}

var comparisonOps = map[string]BinaryOp{
	"=": OpEq, "<>": OpNe, "!=": OpNe, "<": OpLt, "<=": OpLe, ">": OpGt, ">=": OpGe,
}

// parseComparison parses an additive expression followed by any number of
// comparison-level operators, left to right. Their right operands are
// additive expressions, so x BETWEEN 1 AND 2 AND y needs no parentheses.
func (p *parser) parseComparison() Expr {
	left := p.parseAdditive()
	for {
		t := p.tok()
		if op, ok := comparisonOps[t.text]; ok && t.kind == tokOp {
			p.i++
			left = &BinaryExpr{Pos: t.pos, Op: op, Left: left, Right: p.parseAdditive()}
			continue
		}
		if isKwTok(t, "IS") {
			left = p.parseIs(left)
			continue
		}
		not := isKwTok(t, "NOT")
		k := 0
		if not {
			k = 1
		}
		switch {
		case p.isKwAt(k, "BETWEEN"):
			p.i += k + 1
			b := &Between{Pos: t.pos, Expr: left, Not: not}
			if p.isKw("SYMMETRIC") {
				p.i++
				b.Symmetric = true
			} else if p.isKw("ASYMMETRIC") {
				p.i++
			}
			b.Low = p.parseAdditive()
			p.expectKw("AND")
			b.High = p.parseAdditive()
			left = b
		case p.isKwAt(k, "IN"):
			p.i += k + 1
			p.expectOp("(")
			q, list := p.parseParenBody()
			p.expectOp(")")
			if q != nil {
				left = &InSubquery{Pos: t.pos, Expr: left, Not: not, Query: q}
			} else {
				left = &InList{Pos: t.pos, Expr: left, Not: not, List: list}
			}
		case p.isKwAt(k, "LIKE"):
			p.i += k + 1
			left = p.parseLikeRest(&Like{Pos: t.pos, Expr: left, Not: not})
		case p.isKwAt(k, "SIMILAR") && p.isKwAt(k+1, "TO"):
			p.i += k + 2
			left = p.parseLikeRest(&Like{Pos: t.pos, Expr: left, Not: not, Similar: true})
		default:
			return left
		}
	}
}

func (p *parser) parseLikeRest(l *Like) Expr {
	l.Pattern = p.parseAdditive()
	if p.isKw("ESCAPE") {
		p.i++
		l.Escape = p.parseAdditive()
	}
	return l
}

func (p *parser) parseIs(left Expr) Expr {
	pos := p.advance().pos // IS
	not := false
	if p.isKw("NOT") {
		p.i++
		not = true
	}
	switch t := p.tok(); {
	case isKwTok(t, "NULL"):
		p.i++
		return &IsNull{Pos: pos, Expr: left, Not: not}
	case isKwTok(t, "TRUE"), isKwTok(t, "FALSE"), isKwTok(t, "UNKNOWN"):
		p.i++
		return &IsTruth{Pos: pos, Expr: left, Not: not, Value: upper(t.text)}
	case isKwTok(t, "DISTINCT"):
		p.i++
		p.expectKw("FROM")
		return &IsDistinct{Pos: pos, Left: left, Right: p.parseAdditive(), Not: not}
	}
	p.fail("NULL", "TRUE", "FALSE", "UNKNOWN", "DISTINCT")
	return nil
}

func (p *parser) parseAdditive() Expr {
	left := p.parseMultiplicative()
	for {
		t := p.tok()
		if t.kind != tokOp || t.text != "+" && t.text != "-" && t.text != "||" {
			return left
		}
		p.i++
		left = &BinaryExpr{Pos: t.pos, Op: BinaryOp(t.text), Left: left, Right: p.parseMultiplicative()}
	}
}

func (p *parser) parseMultiplicative() Expr {
	left := p.parseUnary()
	for {
		t := p.tok()
		if t.kind != tokOp || t.text != "*" && t.text != "/" && t.text != "%" {
			return left
		}
		p.i++
		left = &BinaryExpr{Pos: t.pos, Op: BinaryOp(t.text), Left: left, Right: p.parseUnary()}
	}
}

func (p *parser) parseUnary() Expr {
	if t := p.tok(); t.kind == tokOp && (t.text == "-" || t.text == "+") {
		p.i++
		p.enter()
		defer p.leave()
		return &UnaryExpr{Pos: t.pos, Op: UnaryOp(t.text), Expr: p.parseUnary()}
	}
	return p.parsePostfix(p.parsePrimary())
}

func (p *parser) parsePostfix(e Expr) Expr {
	for {
		switch t := p.tok(); {
		case p.isOp("["):
			p.i++
			idx := p.parseExpr()
			p.expectOp("]")
			e = &Index{Pos: t.pos, Expr: e, Index: idx}
		case p.isOp("."):
			p.i++
			e = &FieldAccess{Pos: t.pos, Expr: e, Field: p.identAfterDot()}
		default:
			return e
		}
	}
}

var literalKinds = map[tokenKind]LitKind{tokInteger: LitInteger, tokDecimal: LitDecimal,
	tokApprox: LitApprox, tokString: LitString, tokBinary: LitBinary}

var typedLiteralKinds = map[string]LitKind{"DATE": LitDate, "TIME": LitTime,
	"TIMESTAMP": LitTimestamp, "TIMESTAMP_LTZ": LitTimestampLTZ}

func (p *parser) parsePrimary() Expr {
	t := p.tok()
	switch t.kind {
	case tokInteger, tokDecimal, tokApprox, tokString, tokBinary:
		p.i++
		return &Literal{Pos: t.pos, Kind: literalKinds[t.kind], Value: t.text}
	case tokOp:
		if t.text == "(" {
			p.i++
			q, list := p.parseParenBody()
			p.expectOp(")")
			switch {
			case q != nil:
				return &Subquery{Pos: t.pos, Query: q}
			case len(list) == 1:
				return list[0]
			}
			return &RowCtor{Pos: t.pos, Exprs: list}
		}
	case tokQuoted:
		return p.parseNameExpr()
	case tokWord:
		if e := p.parseKeywordExpr(); e != nil {
			return e
		}
		if !isReserved(t.text) || funcKeywords[upper(t.text)] && p.isOpAt(1, "(") {
			return p.parseNameExpr()
		}
	}
	p.fail("expression")
	return nil
}

// queryStart reports whether a query begins at the current token.
func (p *parser) queryStart() bool {
	return p.isKw("SELECT") || p.isKw("WITH") || p.isKw("VALUES")
}

// setOpAhead reports whether a set operator or a query tail clause follows,
// so that an expression already read as (subquery) continues as a query.
func (p *parser) setOpAhead() bool {
	for _, kw := range []string{"UNION", "INTERSECT", "EXCEPT", "ORDER", "LIMIT", "OFFSET", "FETCH"} {
		if p.isKw(kw) {
			return true
		}
	}
	return false
}

// parseParenBody parses what follows "(" in an expression: a query, or a
// list of expressions. ((SELECT 1) UNION SELECT 2) is a query too.
func (p *parser) parseParenBody() (*Query, []Expr) {
	if p.queryStart() {
		return p.parseQuery(), nil
	}
	first := p.parseExpr()
	if sub, ok := first.(*Subquery); ok && p.setOpAhead() {
		return p.continueQuery(sub.Query), nil
	}
	list := []Expr{first}
	for p.acceptOp(",") {
		list = append(list, p.parseExpr())
	}
	return nil, list
}

// parseNameExpr parses a column reference, t.*, or a function call.
func (p *parser) parseNameExpr() Expr {
	first := p.advance()
	parts := []Ident{{Pos: first.pos, Name: first.text}}
	for p.isOp(".") {
		p.i++
		if p.isOp("*") {
			p.i++
			return &Star{Pos: first.pos, Qualifier: parts}
		}
		parts = append(parts, p.identAfterDot())
	}
	if p.isOp("(") {
		return p.parseCall(ObjectName{Pos: first.pos, Parts: parts}, false)
	}
	return &ColumnRef{Pos: first.pos, Parts: parts}
}

// parseCall parses the argument list and the FILTER and OVER clauses of a
// call to name. With toUnit, FLOOR(x TO unit) and CEIL(x TO unit) are
// recognized.
func (p *parser) parseCall(name ObjectName, toUnit bool) Expr {
	p.expectOp("(")
	call := &FuncCall{Pos: name.Pos, Name: name}
	if !p.acceptOp(")") {
		if p.acceptKw("DISTINCT") {
			call.Distinct = true
		} else {
			p.acceptKw("ALL")
		}
		if t := p.tok(); t.kind == tokOp && t.text == "*" && p.isOpAt(1, ")") {
			p.i++
			call.Args = []Expr{&Star{Pos: t.pos}}
		} else {
			for {
				call.Args = append(call.Args, p.parseArg())
				if toUnit && len(call.Args) == 1 && !call.Distinct && p.isKw("TO") {
					p.i++
					unit := p.timeUnit(floorUnits)
					p.expectOp(")")
					return &FloorCeil{Pos: name.Pos, Ceil: upper(name.Parts[0].Name) != "FLOOR",
						Expr: call.Args[0], Unit: unit}
				}
				if !p.acceptOp(",") {
					break
				}
			}
		}
		p.expectOp(")")
	}
	if p.acceptKw("FILTER") {
		p.expectOp("(")
		p.expectKw("WHERE")
		call.Filter = p.parseExpr()
		p.expectOp(")")
	}
	if p.acceptKw("OVER") {
		if p.isIdent() {
			call.Over = &WindowSpec{Pos: p.pos(), Base: p.ident()}
		} else {
			call.Over = p.parseWindowSpec()
		}
	}
	return call
}

// parseArg parses a call argument, which may also be name => value,
// TABLE t [PARTITION BY k], or DESCRIPTOR(cols).
func (p *parser) parseArg() Expr {
	if t := p.tok(); p.isIdent() && p.isOpAt(1, "=>") {
		p.i += 2
		return &NamedArg{Pos: t.pos, Name: Ident{Pos: t.pos, Name: t.text}, Value: p.parseArg()}
	}
	if !p.isKw("TABLE") {
		return p.parseExpr()
	}
	a := &TableArg{Pos: p.advance().pos, Name: p.objectName()}
	if p.acceptKw("PARTITION") {
		p.expectKw("BY")
		a.PartitionBy = p.parseKeyList()
	}
	return a
}

// parseKeyList parses one expression or a parenthesized list of them, as
// after PARTITION BY of a table argument.
func (p *parser) parseKeyList() []Expr {
	start := p.pos()
	paren := p.isOp("(")
	e := p.parseExpr()
	// Only a row built by these very parentheses is a list: (ROW(a, b))
	// and ROW(a, b) stay one row.
	if row, ok := e.(*RowCtor); ok && paren && row.Pos == start {
		return row.Exprs
	}
	return []Expr{e}
}

// parseWindowSpec parses "(" [base] [PARTITION BY] [ORDER BY] [frame] ")".
func (p *parser) parseWindowSpec() *WindowSpec {
	spec := &WindowSpec{Pos: p.expectOp("(")}
	if p.isIdent() && !p.isKw("ROWS") && !p.isKw("RANGE") {
		spec.Base = p.ident()
	}
	if p.acceptKw("PARTITION") {
		p.expectKw("BY")
		spec.PartitionBy = p.parseExprList()
	}
	if p.acceptKw("ORDER") {
		p.expectKw("BY")
		spec.OrderBy = p.parseOrderItems()
	}
	if p.isKw("ROWS") || p.isKw("RANGE") {
		t := p.advance()
		f := &WindowFrame{Pos: t.pos, Range: isKwTok(t, "RANGE")}
		if p.acceptKw("BETWEEN") {
			f.Start = p.parseFrameBound()
			p.expectKw("AND")
			f.End = p.parseFrameBound()
		} else {
			f.Start = p.parseFrameBound()
		}
		spec.Frame = f
	} else {
		p.want("ROWS")
		p.want("RANGE")
	}
	p.expectOp(")")
	return spec
}

func (p *parser) parseFrameBound() *FrameBound {
	b := &FrameBound{Pos: p.pos()}
	switch {
	case p.isKw("UNBOUNDED") && (p.isKwAt(1, "PRECEDING") || p.isKwAt(1, "FOLLOWING")):
		b.Kind = UnboundedPreceding
		if p.isKwAt(1, "FOLLOWING") {
			b.Kind = UnboundedFollowing
		}
		p.i += 2
	case p.isKw("CURRENT") && p.isKwAt(1, "ROW"):
		p.i += 2
		b.Kind = CurrentRow
	default:
		b.Offset = p.parseAdditive()
		switch {
		case p.acceptKw("PRECEDING"):
			b.Kind = Preceding
		case p.acceptKw("FOLLOWING"):
			b.Kind = Following
		default:
			p.fail()
		}
	}
	return b
}

func (p *parser) parseExprList() []Expr {
	list := []Expr{p.parseExpr()}
	for p.acceptOp(",") {
		list = append(list, p.parseExpr())
	}
	return list
}

func (p *parser) parseOrderItems() []*OrderItem {
	var items []*OrderItem
	for {
		it := &OrderItem{Pos: p.pos(), Expr: p.parseExpr()}
		if p.acceptKw("DESC") {
			it.Desc = true
		} else {
			p.acceptKw("ASC")
		}
		if p.acceptKw("NULLS") {
			if p.acceptKw("FIRST") {
				it.Nulls = NullsFirst
			} else {
				p.expectKw("LAST")
				it.Nulls = NullsLast
			}
		}
		items = append(items, it)
		if !p.acceptOp(",") {
			return items
		}
	}
}

// parseKeywordExpr parses the expressions that start with a keyword, and
// returns nil when the current word starts none of them.
func (p *parser) parseKeywordExpr() Expr {
	t := p.tok()
	kw := upper(t.text)
	switch kw {
	case "TRUE", "FALSE":
		p.i++
		return &Literal{Pos: t.pos, Kind: LitBool, Value: kw}
	case "NULL":
		p.i++
		return &Literal{Pos: t.pos, Kind: LitNull, Value: kw}
	case "UNKNOWN":
		p.i++
		return &Literal{Pos: t.pos, Kind: LitUnknown, Value: kw}
	case "DATE", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ":
		p.i++
		return &Literal{Pos: t.pos, Kind: typedLiteralKinds[kw], Value: p.stringLit()}
	case "INTERVAL":
		p.i++
		return &Interval{Pos: t.pos, Value: p.stringLit(), Unit: p.intervalQualifier()}
	case "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP":
		p.i++
		return &NiladicCall{Pos: t.pos, Name: kw}
	case "CASE":
		return p.parseCase()
	case "EXISTS":
		p.i++
		p.expectOp("(")
		q := p.parseQuery()
		p.expectOp(")")
		return &Exists{Pos: t.pos, Query: q}
	case "ARRAY":
		p.i++
		p.expectOp("[")
		a := &ArrayCtor{Pos: t.pos}
		if !p.acceptOp("]") {
			a.Elems = p.parseExprList()
			p.expectOp("]")
		}
		return a
	case "MAP":
		p.i++
		p.expectOp("[")
		m := &MapCtor{Pos: t.pos}
		for !p.acceptOp("]") {
			if len(m.Entries) > 0 {
				p.expectOp(",")
			}
			e := &MapEntry{Key: p.parseExpr()}
			p.expectOp(",")
			e.Value = p.parseExpr()
			m.Entries = append(m.Entries, e)
		}
		return m
	case "ROW":
		p.i++
		p.expectOp("(")
		r := &RowCtor{Pos: t.pos}
		if !p.acceptOp(")") {
			r.Exprs = p.parseExprList()
			p.expectOp(")")
		}
		return r
	case "DESCRIPTOR":
		p.i++
		return &Descriptor{Pos: t.pos, Columns: p.identList()}
	case "FLOOR", "CEIL", "CEILING":
		if p.isOpAt(1, "(") {
			p.i++
			return p.parseCall(ObjectName{Pos: t.pos, Parts: []Ident{{Pos: t.pos, Name: t.text}}}, true)
		}
		return nil
	}
	if !p.isOpAt(1, "(") {
		return nil
	}
	switch kw {
	case "CAST", "TRY_CAST":
		p.i += 2
		c := &Cast{Pos: t.pos, Try: kw == "TRY_CAST", Expr: p.parseExpr()}
		p.expectKw("AS")
		c.Type = p.parseType()
		p.expectOp(")")
		return c
	case "EXTRACT":
		p.i += 2
		e := &Extract{Pos: t.pos, Unit: p.timeUnit(extractUnits)}
		p.expectKw("FROM")
		e.Expr = p.parseExpr()
		p.expectOp(")")
		return e
	case "TIMESTAMPADD", "TIMESTAMPDIFF":
		p.i += 2
		f := &TimestampFunc{Pos: t.pos, Name: kw, Unit: p.timeUnit(floorUnits)}
		p.expectOp(",")
		f.A = p.parseExpr()
		p.expectOp(",")
		f.B = p.parseExpr()
		p.expectOp(")")
		return f
	case "POSITION":
		p.i += 2
		// The first operand stops below IN, which belongs to POSITION.
		e := &Position{Pos: t.pos, Sub: p.parseAdditive()}
		p.expectKw("IN")
		e.Str = p.parseExpr()
		if p.acceptKw("FROM") {
			e.From = p.parseExpr()
		}
		p.expectOp(")")
		return e
	case "TRIM":
		p.i += 2
		return p.parseTrim(t.pos)
	case "SUBSTRING":
		p.i += 2
		s := &Substring{Pos: t.pos, Str: p.parseExpr()}
		if !p.acceptKw("FROM") {
			p.expectOp(",")
		}
		s.From = p.parseExpr()
		if p.acceptKw("FOR") || p.acceptOp(",") {
			s.For = p.parseExpr()
		}
		p.expectOp(")")
		return s
	case "OVERLAY":
		p.i += 2
		o := &Overlay{Pos: t.pos, Str: p.parseExpr()}
		p.expectKw("PLACING")
		o.Placing = p.parseExpr()
		p.expectKw("FROM")
		o.From = p.parseExpr()
		if p.acceptKw("FOR") {
			o.For = p.parseExpr()
		}
		p.expectOp(")")
		return o
	}
	return nil
}

func (p *parser) parseTrim(pos Pos) Expr {
	tr := &Trim{Pos: pos}
	for _, side := range []string{"BOTH", "LEADING", "TRAILING"} {
		if p.isKw(side) {
			p.i++
			tr.Side = side
		}
	}
	switch {
	case p.acceptKw("FROM"):
		tr.Str = p.parseExpr()
	case tr.Side != "":
		tr.Chars = p.parseExpr()
		p.expectKw("FROM")
		tr.Str = p.parseExpr()
	default:
		tr.Str = p.parseExpr()
		if p.acceptKw("FROM") {
			tr.Chars, tr.Str = tr.Str, p.parseExpr()
		}
	}
	p.expectOp(")")
	return tr
}

func (p *parser) parseCase() Expr {
	c := &Case{Pos: p.advance().pos}
	if !p.isKw("WHEN") {
		c.Operand = p.parseExpr()
	}
	for p.isKw("WHEN") {
		w := &When{Pos: p.advance().pos, Cond: p.parseExpr()}
		p.expectKw("THEN")
		w.Result = p.parseExpr()
		c.Whens = append(c.Whens, w)
	}
	if len(c.Whens) == 0 {
		p.fail("WHEN")
	}
	if p.acceptKw("ELSE") {
		c.Else = p.parseExpr()
	}
	p.expectKw("END")
	return c
}

// Time units by where they may appear; plural forms are accepted in
// intervals and folded to the singular.
var (
	intervalUnits = []TimeUnit{"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"}
	floorUnits    = []TimeUnit{"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND",
		"MILLISECOND", "MICROSECOND", "NANOSECOND"}
	extractUnits = append(floorUnits[:len(floorUnits):len(floorUnits)],
		"DOW", "DOY", "ISODOW", "ISOYEAR", "EPOCH", "DECADE", "CENTURY", "MILLENNIUM")
)

func (p *parser) timeUnit(allowed []TimeUnit) TimeUnit {
	if t := p.tok(); t.kind == tokWord {
		u := TimeUnit(upper(t.text))
		for _, a := range allowed {
			if u == a {
				p.i++
				return u
			}
		}
	}
	p.fail("time unit")
	return ""
}

// intervalQualifier parses YEAR, DAY(3) TO SECOND(3) and the like.
func (p *parser) intervalQualifier() IntervalQualifier {
	q := IntervalQualifier{Start: p.intervalUnit()}
	q.StartPrec = p.unitPrecision(q.Start == "SECOND")
	if !p.acceptKw("TO") {
		return q
	}
	endPos := p.pos()
	q.End = p.intervalUnit()
	q.EndPrec = p.unitPrecision(false)
	if len(q.EndPrec) > 0 && q.End != "SECOND" {
		p.errorf(endPos, "only SECOND takes a precision after TO")
	}
	if !validInterval(q.Start, q.End) {
		p.errorf(endPos, "invalid interval qualifier %s TO %s", q.Start, q.End)
	}
	return q
}

// intervalUnit parses an interval unit; Flink also accepts plurals
// (INTERVAL '10' MINUTES), read as the singular.
func (p *parser) intervalUnit() TimeUnit {
	if t := p.tok(); t.kind == tokWord {
		u := TimeUnit(strings.TrimSuffix(upper(t.text), "S"))
		for _, a := range intervalUnits {
			if u == a {
				p.i++
				return u
			}
		}
	}
	p.fail("interval unit")
	return ""
}

// validInterval reports whether start TO end is a SQL interval qualifier:
// YEAR TO MONTH, or a day-time range from coarser to finer.
func validInterval(start, end TimeUnit) bool {
	if start == "YEAR" {
		return end == "MONTH"
	}
	order := map[TimeUnit]int{"DAY": 1, "HOUR": 2, "MINUTE": 3, "SECOND": 4}
	return order[start] > 0 && order[end] > order[start]
}

// unitPrecision parses an optional (p) or, if two is set, (p [, f]).
func (p *parser) unitPrecision(two bool) []int {
	if !p.isOp("(") {
		return nil
	}
	p.i++
	prec := []int{p.intLit()}
	if two && p.acceptOp(",") {
		prec = append(prec, p.intLit())
	}
	p.expectOp(")")
	return prec
}
