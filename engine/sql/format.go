package sql

import (
	"strconv"
	"strings"
)

// printer writes canonical Flink SQL: keywords upper case, identifiers
// quoted only when they are keywords or not plain words, parentheses only
// where precedence needs them. DDL is laid out on several lines.
type printer struct {
	strings.Builder
}

func nodeString(n Node) string {
	var p printer
	n.format(&p)
	return p.String()
}

func (p *printer) ws(parts ...string) {
	for _, s := range parts {
		p.WriteString(s)
	}
}

// quoteIdent quotes name with backticks unless it is a plain word that is
// no keyword.
func quoteIdent(name string) string {
	if u := upper(name); plainWord(name) && !reserved[u] && !contextual[u] && !sqlReserved[u] {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// plainWord reports whether name lexes as one unquoted word; only ASCII
// is trusted, to stay clear of Unicode edge cases.
func plainWord(name string) bool {
	for i, c := range []byte(name) {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '$')) {
			return false
		}
	}
	return name != ""
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (p *printer) ident(id Ident) { p.WriteString(quoteIdent(id.Name)) }

func (p *printer) idents(ids []Ident, sep string) {
	for i, id := range ids {
		if i > 0 {
			p.WriteString(sep)
		}
		p.ident(id)
	}
}

func (p *printer) identList(ids []Ident) {
	p.WriteByte('(')
	p.idents(ids, ", ")
	p.WriteByte(')')
}

func (p *printer) str(s string) { p.WriteString(quoteString(s)) }

func (p *printer) ints(params []int) {
	if len(params) == 0 {
		return
	}
	p.WriteByte('(')
	for i, n := range params {
		if i > 0 {
			p.WriteString(", ")
		}
		p.WriteString(strconv.Itoa(n))
	}
	p.WriteByte(')')
}

// Expression precedence levels, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp
	precAdd
	precMul
	precUnary
	precPrimary
)

func exprPrec(e Expr) int {
	switch e := e.(type) {
	case *BinaryExpr:
		switch e.Op {
		case OpOr:
			return precOr
		case OpAnd:
			return precAnd
		case OpAdd, OpSub, OpConcat:
			return precAdd
		case OpMul, OpDiv, OpMod:
			return precMul
		}
		return precCmp
	case *UnaryExpr:
		if e.Op == OpNot {
			return precNot
		}
		return precUnary
	case *IsNull, *IsTruth, *IsDistinct, *Between, *InList, *InSubquery, *Like:
		return precCmp
	}
	return precPrimary
}

// expr prints e, in parentheses if it binds looser than min.
func (p *printer) expr(e Expr, min int) {
	if exprPrec(e) < min {
		p.WriteByte('(')
		e.format(p)
		p.WriteByte(')')
		return
	}
	e.format(p)
}

func (p *printer) exprs(list []Expr) {
	for i, e := range list {
		if i > 0 {
			p.WriteString(", ")
		}
		p.expr(e, 0)
	}
}

func not(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

func (n Ident) format(p *printer) { p.ident(n) }

func (n ObjectName) format(p *printer) { p.idents(n.Parts, ".") }

func (n *Literal) format(p *printer) {
	switch n.Kind {
	case LitString:
		p.str(n.Value)
	case LitBinary:
		p.ws("X", quoteString(n.Value))
	case LitDate:
		p.ws("DATE ", quoteString(n.Value))
	case LitTime:
		p.ws("TIME ", quoteString(n.Value))
	case LitTimestamp:
		p.ws("TIMESTAMP ", quoteString(n.Value))
	case LitTimestampLTZ:
		p.ws("TIMESTAMP_LTZ ", quoteString(n.Value))
	default:
		p.WriteString(n.Value)
	}
}

func (q IntervalQualifier) format(p *printer) {
	p.WriteString(string(q.Start))
	p.ints(q.StartPrec)
	if q.End != "" {
		p.ws(" TO ", string(q.End))
		p.ints(q.EndPrec)
	}
}

func (n *Interval) format(p *printer) {
	p.ws("INTERVAL ", quoteString(n.Value), " ")
	n.Unit.format(p)
}

func (n *ColumnRef) format(p *printer) { p.idents(n.Parts, ".") }

func (n *Star) format(p *printer) {
	for _, q := range n.Qualifier {
		p.ident(q)
		p.WriteByte('.')
	}
	p.WriteByte('*')
}

// funcName prints a function name; reserved words that are also function
// names (LEFT, FLOOR) stay unquoted before "(".
func (p *printer) funcName(n ObjectName) {
	if len(n.Parts) == 1 {
		name := n.Parts[0].Name
		up := upper(name)
		if plainWord(name) && (!reserved[up] || funcKeywords[up]) {
			p.WriteString(name)
			return
		}
	}
	n.format(p)
}

func (n *FuncCall) format(p *printer) {
	p.funcName(n.Name)
	p.WriteByte('(')
	if n.Distinct {
		p.WriteString("DISTINCT ")
	}
	p.exprs(n.Args)
	p.WriteByte(')')
	if n.Filter != nil {
		p.WriteString(" FILTER (WHERE ")
		p.expr(n.Filter, 0)
		p.WriteByte(')')
	}
	if n.Over != nil {
		p.WriteString(" OVER ")
		n.Over.format(p)
	}
}

func (n *NamedArg) format(p *printer) {
	p.ident(n.Name)
	p.WriteString(" => ")
	p.expr(n.Value, 0)
}

func (n *TableArg) format(p *printer) {
	p.WriteString("TABLE ")
	n.Name.format(p)
	switch len(n.PartitionBy) {
	case 0:
	case 1:
		p.WriteString(" PARTITION BY ")
		p.expr(n.PartitionBy[0], 0)
	default:
		p.WriteString(" PARTITION BY (")
		p.exprs(n.PartitionBy)
		p.WriteByte(')')
	}
}

func (n *Descriptor) format(p *printer) {
	p.WriteString("DESCRIPTOR")
	p.identList(n.Columns)
}

func (n *NiladicCall) format(p *printer) { p.WriteString(n.Name) }

func (n *BinaryExpr) format(p *printer) {
	prec := exprPrec(n)
	p.expr(n.Left, prec)
	p.ws(" ", string(n.Op), " ")
	p.expr(n.Right, prec+1)
}

func (n *UnaryExpr) format(p *printer) {
	if n.Op == OpNot {
		p.WriteString("NOT ")
		p.expr(n.Expr, precNot)
		return
	}
	p.WriteString(string(n.Op))
	if _, ok := n.Expr.(*UnaryExpr); ok {
		p.WriteByte(' ') // "--" would start a comment
	}
	p.expr(n.Expr, precUnary)
}

func (n *IsNull) format(p *printer) {
	p.expr(n.Expr, precCmp)
	p.ws(" IS ", not(n.Not), "NULL")
}

func (n *IsTruth) format(p *printer) {
	p.expr(n.Expr, precCmp)
	p.ws(" IS ", not(n.Not), n.Value)
}

func (n *IsDistinct) format(p *printer) {
	p.expr(n.Left, precCmp)
	p.ws(" IS ", not(n.Not), "DISTINCT FROM ")
	p.expr(n.Right, precAdd)
}

func (n *Between) format(p *printer) {
	p.expr(n.Expr, precCmp)
	p.ws(" ", not(n.Not), "BETWEEN ")
	if n.Symmetric {
		p.WriteString("SYMMETRIC ")
	}
	p.expr(n.Low, precAdd)
	p.WriteString(" AND ")
	p.expr(n.High, precAdd)
}

func (n *InList) format(p *printer) {
	p.expr(n.Expr, precCmp)
	p.ws(" ", not(n.Not), "IN (")
	p.exprs(n.List)
	p.WriteByte(')')
}

func (n *InSubquery) format(p *printer) {
	p.expr(n.Expr, precCmp)
	p.ws(" ", not(n.Not), "IN (")
	n.Query.format(p)
	p.WriteByte(')')
}

func (n *Like) format(p *printer) {
	p.expr(n.Expr, precCmp)
	p.ws(" ", not(n.Not))
	if n.Similar {
		p.WriteString("SIMILAR TO ")
	} else {
		p.WriteString("LIKE ")
	}
	p.expr(n.Pattern, precAdd)
	if n.Escape != nil {
		p.WriteString(" ESCAPE ")
		p.expr(n.Escape, precAdd)
	}
}

func (n *Case) format(p *printer) {
	p.WriteString("CASE")
	if n.Operand != nil {
		p.WriteByte(' ')
		p.expr(n.Operand, 0)
	}
	for _, w := range n.Whens {
		p.WriteByte(' ')
		w.format(p)
	}
	if n.Else != nil {
		p.WriteString(" ELSE ")
		p.expr(n.Else, 0)
	}
	p.WriteString(" END")
}

func (n *When) format(p *printer) {
	p.WriteString("WHEN ")
	p.expr(n.Cond, 0)
	p.WriteString(" THEN ")
	p.expr(n.Result, 0)
}

func (n *Cast) format(p *printer) {
	if n.Try {
		p.WriteString("TRY_")
	}
	p.WriteString("CAST(")
	p.expr(n.Expr, 0)
	p.WriteString(" AS ")
	n.Type.format(p)
	p.WriteByte(')')
}

func (n *Extract) format(p *printer) {
	p.ws("EXTRACT(", string(n.Unit), " FROM ")
	p.expr(n.Expr, 0)
	p.WriteByte(')')
}

func (n *TimestampFunc) format(p *printer) {
	p.ws(n.Name, "(", string(n.Unit), ", ")
	p.expr(n.A, 0)
	p.WriteString(", ")
	p.expr(n.B, 0)
	p.WriteByte(')')
}

func (n *FloorCeil) format(p *printer) {
	if n.Ceil {
		p.WriteString("CEIL(")
	} else {
		p.WriteString("FLOOR(")
	}
	if endsWithInterval(n.Expr) {
		// INTERVAL '1' DAY TO HOUR would read TO as part of the interval.
		p.WriteByte('(')
		n.Expr.format(p)
		p.WriteByte(')')
	} else {
		p.expr(n.Expr, 0)
	}
	p.ws(" TO ", string(n.Unit), ")")
}

// endsWithInterval reports whether e prints ending in an interval
// qualifier, which a following TO would extend.
func endsWithInterval(e Expr) bool {
	switch e := e.(type) {
	case *Interval:
		return true
	case *BinaryExpr:
		return endsWithInterval(e.Right)
	case *UnaryExpr:
		return endsWithInterval(e.Expr)
	case *IsDistinct:
		return endsWithInterval(e.Right)
	case *Between:
		return endsWithInterval(e.High)
	case *Like:
		if e.Escape != nil {
			return endsWithInterval(e.Escape)
		}
		return endsWithInterval(e.Pattern)
	}
	return false
}

func (n *Position) format(p *printer) {
	p.WriteString("POSITION(")
	p.expr(n.Sub, precAdd)
	p.WriteString(" IN ")
	p.expr(n.Str, 0)
	if n.From != nil {
		p.WriteString(" FROM ")
		p.expr(n.From, 0)
	}
	p.WriteByte(')')
}

func (n *Trim) format(p *printer) {
	p.WriteString("TRIM(")
	if n.Side != "" || n.Chars != nil {
		if n.Side != "" {
			p.ws(n.Side, " ")
		}
		if n.Chars != nil {
			p.expr(n.Chars, 0)
			p.WriteByte(' ')
		}
		p.WriteString("FROM ")
	}
	p.expr(n.Str, 0)
	p.WriteByte(')')
}

func (n *Substring) format(p *printer) {
	p.WriteString("SUBSTRING(")
	p.expr(n.Str, 0)
	p.WriteString(" FROM ")
	p.expr(n.From, 0)
	if n.For != nil {
		p.WriteString(" FOR ")
		p.expr(n.For, 0)
	}
	p.WriteByte(')')
}

func (n *Overlay) format(p *printer) {
	p.WriteString("OVERLAY(")
	p.expr(n.Str, 0)
	p.WriteString(" PLACING ")
	p.expr(n.Placing, 0)
	p.WriteString(" FROM ")
	p.expr(n.From, 0)
	if n.For != nil {
		p.WriteString(" FOR ")
		p.expr(n.For, 0)
	}
	p.WriteByte(')')
}

func (n *Subquery) format(p *printer) {
	p.WriteByte('(')
	n.Query.format(p)
	p.WriteByte(')')
}

func (n *Exists) format(p *printer) {
	p.WriteString("EXISTS (")
	n.Query.format(p)
	p.WriteByte(')')
}

func (n *ArrayCtor) format(p *printer) {
	p.WriteString("ARRAY[")
	p.exprs(n.Elems)
	p.WriteByte(']')
}

func (n *MapCtor) format(p *printer) {
	p.WriteString("MAP[")
	for i, e := range n.Entries {
		if i > 0 {
			p.WriteString(", ")
		}
		p.expr(e.Key, 0)
		p.WriteString(", ")
		p.expr(e.Value, 0)
	}
	p.WriteByte(']')
}

func (n *RowCtor) format(p *printer) {
	p.WriteString("ROW(")
	p.exprs(n.Exprs)
	p.WriteByte(')')
}

func (n *Index) format(p *printer) {
	p.expr(n.Expr, precPrimary)
	p.WriteByte('[')
	p.expr(n.Index, 0)
	p.WriteByte(']')
}

func (n *FieldAccess) format(p *printer) {
	switch n.Expr.(type) {
	case *FuncCall, *Index, *FieldAccess:
		n.Expr.format(p)
	default:
		// (t.a).b must not print as the column path t.a.b, nor (1).b as
		// the decimal "1.".
		p.WriteByte('(')
		n.Expr.format(p)
		p.WriteByte(')')
	}
	p.WriteByte('.')
	p.ident(n.Field)
}

func (n *GroupingSets) format(p *printer) {
	p.WriteString("GROUPING SETS (")
	for i, set := range n.Sets {
		if i > 0 {
			p.WriteString(", ")
		}
		p.WriteByte('(')
		p.exprs(set)
		p.WriteByte(')')
	}
	p.WriteByte(')')
}

func (n *Rollup) format(p *printer) {
	p.WriteString("ROLLUP(")
	p.exprs(n.Exprs)
	p.WriteByte(')')
}

func (n *Cube) format(p *printer) {
	p.WriteString("CUBE(")
	p.exprs(n.Exprs)
	p.WriteByte(')')
}

func (n *WindowSpec) format(p *printer) {
	if n.Base.Name != "" && n.PartitionBy == nil && n.OrderBy == nil && n.Frame == nil {
		p.ident(n.Base)
		return
	}
	p.WriteByte('(')
	sep := ""
	if n.Base.Name != "" {
		p.ident(n.Base)
		sep = " "
	}
	if n.PartitionBy != nil {
		p.ws(sep, "PARTITION BY ")
		p.exprs(n.PartitionBy)
		sep = " "
	}
	if n.OrderBy != nil {
		p.ws(sep, "ORDER BY ")
		p.orderItems(n.OrderBy)
		sep = " "
	}
	if n.Frame != nil {
		p.WriteString(sep)
		n.Frame.format(p)
	}
	p.WriteByte(')')
}

func (n *WindowFrame) format(p *printer) {
	if n.Range {
		p.WriteString("RANGE ")
	} else {
		p.WriteString("ROWS ")
	}
	if n.End != nil {
		p.WriteString("BETWEEN ")
		n.Start.format(p)
		p.WriteString(" AND ")
		n.End.format(p)
	} else {
		n.Start.format(p)
	}
}

func (n *FrameBound) format(p *printer) {
	switch n.Kind {
	case UnboundedPreceding:
		p.WriteString("UNBOUNDED PRECEDING")
	case UnboundedFollowing:
		p.WriteString("UNBOUNDED FOLLOWING")
	case CurrentRow:
		p.WriteString("CURRENT ROW")
	case Preceding:
		p.expr(n.Offset, precAdd)
		p.WriteString(" PRECEDING")
	case Following:
		p.expr(n.Offset, precAdd)
		p.WriteString(" FOLLOWING")
	}
}

func (p *printer) orderItems(items []*OrderItem) {
	for i, it := range items {
		if i > 0 {
			p.WriteString(", ")
		}
		it.format(p)
	}
}

func (n *OrderItem) format(p *printer) {
	p.expr(n.Expr, 0)
	if n.Desc {
		p.WriteString(" DESC")
	}
	switch n.Nulls {
	case NullsFirst:
		p.WriteString(" NULLS FIRST")
	case NullsLast:
		p.WriteString(" NULLS LAST")
	}
}

func (n *DataType) format(p *printer) {
	p.WriteString(n.Name)
	switch n.Name {
	case "ARRAY", "MULTISET":
		p.WriteByte('<')
		n.Elem.format(p)
		p.WriteByte('>')
	case "MAP":
		p.WriteByte('<')
		n.Key.format(p)
		p.WriteString(", ")
		n.Value.format(p)
		p.WriteByte('>')
	case "ROW":
		p.WriteByte('<')
		for i, f := range n.Fields {
			if i > 0 {
				p.WriteString(", ")
			}
			f.format(p)
		}
		p.WriteByte('>')
	default:
		p.ints(n.Params)
	}
	if n.NotNull {
		p.WriteString(" NOT NULL")
	}
}

func (n *RowField) format(p *printer) {
	p.ident(n.Name)
	p.WriteByte(' ')
	n.Type.format(p)
	if n.Description != "" {
		p.ws(" ", quoteString(n.Description))
	}
}

// Queries.

func (n *Query) format(p *printer) {
	if n.With != nil {
		p.WriteString("WITH ")
		for i, c := range n.With {
			if i > 0 {
				p.WriteString(", ")
			}
			c.format(p)
		}
		p.WriteByte(' ')
	}
	p.setExpr(n.Body, false, 0)
	if n.OrderBy != nil {
		p.WriteString(" ORDER BY ")
		p.orderItems(n.OrderBy)
	}
	if n.Limit != nil {
		p.WriteString(" LIMIT ")
		p.expr(n.Limit, 0)
	}
	if n.Offset != nil {
		p.WriteString(" OFFSET ")
		p.expr(n.Offset, 0)
		p.WriteString(" ROWS")
	}
}

func (n *CTE) format(p *printer) {
	p.ident(n.Name)
	if n.Columns != nil {
		p.WriteByte(' ')
		p.identList(n.Columns)
	}
	p.WriteString(" AS (")
	n.Query.format(p)
	p.WriteByte(')')
}

func setPrec(op SetOpKind) int {
	if op == Intersect {
		return 2
	}
	return 1
}

// setExpr prints a set operand; right operands need parentheses at equal
// precedence because set operations associate to the left.
func (p *printer) setExpr(e SetExpr, right bool, parent int) {
	paren := false
	switch e := e.(type) {
	case *Query:
		paren = true
	case *SetOp:
		prec := setPrec(e.Op)
		paren = prec < parent || right && prec == parent
	}
	if paren {
		p.WriteByte('(')
		e.format(p)
		p.WriteByte(')')
		return
	}
	e.format(p)
}

func (n *SetOp) format(p *printer) {
	prec := setPrec(n.Op)
	p.setExpr(n.Left, false, prec)
	p.ws(" ", string(n.Op), " ")
	if n.All {
		p.WriteString("ALL ")
	}
	p.setExpr(n.Right, true, prec)
}

func (n *Values) format(p *printer) {
	p.WriteString("VALUES ")
	for i, row := range n.Rows {
		if i > 0 {
			p.WriteString(", ")
		}
		p.WriteByte('(')
		p.exprs(row)
		p.WriteByte(')')
	}
}

func (n *Select) format(p *printer) {
	p.WriteString("SELECT ")
	if n.Hints != nil {
		p.hints(n.Hints)
		p.WriteByte(' ')
	}
	if n.Distinct {
		p.WriteString("DISTINCT ")
	}
	for i, it := range n.Items {
		if i > 0 {
			p.WriteString(", ")
		}
		it.format(p)
	}
	if n.From != nil {
		p.WriteString(" FROM ")
		n.From.format(p)
	}
	if n.Where != nil {
		p.WriteString(" WHERE ")
		p.expr(n.Where, 0)
	}
	if n.GroupBy != nil {
		p.WriteString(" GROUP BY ")
		p.exprs(n.GroupBy)
	}
	if n.Having != nil {
		p.WriteString(" HAVING ")
		p.expr(n.Having, 0)
	}
	if n.Windows != nil {
		p.WriteString(" WINDOW ")
		for i, w := range n.Windows {
			if i > 0 {
				p.WriteString(", ")
			}
			w.format(p)
		}
	}
}

func (n *SelectItem) format(p *printer) {
	p.expr(n.Expr, 0)
	if n.Alias.Name != "" {
		p.WriteString(" AS ")
		p.ident(n.Alias)
	}
}

func (n *NamedWindow) format(p *printer) {
	p.ident(n.Name)
	p.WriteString(" AS ")
	if n.Spec.Base.Name != "" && n.Spec.PartitionBy == nil && n.Spec.OrderBy == nil && n.Spec.Frame == nil {
		p.WriteByte('(')
		p.ident(n.Spec.Base)
		p.WriteByte(')')
		return
	}
	n.Spec.format(p)
}

func (p *printer) alias(a *Alias) {
	if a != nil {
		p.WriteByte(' ')
		a.format(p)
	}
}

func (n *Alias) format(p *printer) {
	p.WriteString("AS ")
	p.ident(n.Name)
	if n.Columns != nil {
		p.WriteByte(' ')
		p.identList(n.Columns)
	}
}

func (n *TableRef) format(p *printer) {
	n.Name.format(p)
	if n.Hints != nil {
		p.WriteByte(' ')
		p.hints(n.Hints)
	}
	if n.SystemTime != nil {
		p.WriteString(" FOR SYSTEM_TIME AS OF ")
		p.expr(n.SystemTime, 0)
	}
	p.alias(n.Alias)
}

func (n *DerivedTable) format(p *printer) {
	if n.Lateral {
		p.WriteString("LATERAL ")
	}
	p.WriteByte('(')
	n.Query.format(p)
	p.WriteByte(')')
	p.alias(n.Alias)
}

func (n *TableFunc) format(p *printer) {
	if n.Lateral {
		p.WriteString("LATERAL ")
	}
	p.WriteString("TABLE(")
	n.Call.format(p)
	p.WriteByte(')')
	p.alias(n.Alias)
}

func (n *Unnest) format(p *printer) {
	p.WriteString("UNNEST(")
	p.exprs(n.Args)
	p.WriteByte(')')
	if n.WithOrdinality {
		p.WriteString(" WITH ORDINALITY")
	}
	p.alias(n.Alias)
}

func (n *Join) format(p *printer) {
	left, leftJoin := n.Left.(*Join)
	if leftJoin && left.Kind == JoinComma && n.Kind != JoinComma {
		p.WriteByte('(')
		left.format(p)
		p.WriteByte(')')
	} else {
		n.Left.format(p)
	}
	if n.Kind == JoinComma {
		p.WriteString(", ")
	} else {
		p.ws(" ", string(n.Kind), " ")
	}
	// A join on the right needs parentheses, except a real join after a
	// comma: commas bind loosest.
	if right, ok := n.Right.(*Join); ok && (n.Kind != JoinComma || right.Kind == JoinComma) {
		p.WriteByte('(')
		right.format(p)
		p.WriteByte(')')
	} else {
		n.Right.format(p)
	}
	if n.On != nil {
		p.WriteString(" ON ")
		p.expr(n.On, 0)
	}
	if n.Using != nil {
		p.WriteString(" USING ")
		p.identList(n.Using)
	}
}

func (p *printer) hints(hints []*Hint) {
	p.WriteString("/*+ ")
	for i, h := range hints {
		if i > 0 {
			p.WriteString(", ")
		}
		h.format(p)
	}
	p.WriteString(" */")
}

func (n *Hint) format(p *printer) {
	p.WriteString(n.Name)
	switch {
	case n.Params != nil:
		p.identList(n.Params)
	case n.Options != nil:
		p.WriteByte('(')
		p.properties(n.Options, ", ")
		p.WriteByte(')')
	}
}

func (p *printer) properties(props []*Property, sep string) {
	for i, pr := range props {
		if i > 0 {
			p.WriteString(sep)
		}
		pr.format(p)
	}
}

func (n *Property) format(p *printer) { p.ws(quoteString(n.Key), " = ", quoteString(n.Value)) }

// Statements.

func (n *CreateTable) format(p *printer) {
	p.WriteString("CREATE ")
	if n.Temporary {
		p.WriteString("TEMPORARY ")
	}
	p.WriteString("TABLE ")
	if n.IfNotExists {
		p.WriteString("IF NOT EXISTS ")
	}
	n.Name.format(p)
	if n.Columns != nil {
		p.WriteString(" (")
		for i, c := range n.Columns {
			if i > 0 {
				p.WriteByte(',')
			}
			p.WriteString("\n  ")
			c.format(p)
		}
		if n.Watermark != nil {
			p.WriteString(",\n  ")
			n.Watermark.format(p)
		}
		if n.PrimaryKey != nil {
			p.WriteString(",\n  ")
			n.PrimaryKey.format(p)
		}
		p.WriteString("\n)")
	}
	if n.Comment != "" {
		p.ws("\nCOMMENT ", quoteString(n.Comment))
	}
	if n.PartitionBy != nil {
		p.WriteString("\nPARTITIONED BY (")
		for i, f := range n.PartitionBy {
			if i > 0 {
				p.WriteString(", ")
			}
			f.format(p)
		}
		p.WriteByte(')')
	}
	p.withOptions(n.Options)
	if n.AsQuery != nil {
		p.WriteString("\nAS ")
		n.AsQuery.format(p)
	}
}

func (p *printer) withOptions(props []*Property) {
	if props != nil {
		p.WriteString("\nWITH (\n  ")
		p.properties(props, ",\n  ")
		p.WriteString("\n)")
	}
}

func (n *ColumnDef) format(p *printer) {
	p.ident(n.Name)
	switch n.Kind {
	case ComputedColumn:
		p.WriteString(" AS ")
		p.expr(n.Expr, 0)
	case PhysicalColumn, MetadataColumn:
		p.WriteByte(' ')
		n.Type.format(p)
	}
	if n.Kind == MetadataColumn {
		p.WriteString(" METADATA")
		if n.MetadataKey != "" {
			p.ws(" FROM ", quoteString(n.MetadataKey))
		}
		if n.Virtual {
			p.WriteString(" VIRTUAL")
		}
	}
	if n.Comment != "" {
		p.ws(" COMMENT ", quoteString(n.Comment))
	}
}

func (n *PrimaryKey) format(p *printer) {
	if n.Name.Name != "" {
		p.WriteString("CONSTRAINT ")
		p.ident(n.Name)
		p.WriteByte(' ')
	}
	p.WriteString("PRIMARY KEY ")
	p.identList(n.Columns)
	p.WriteString(" NOT ENFORCED")
}

func (n *Watermark) format(p *printer) {
	p.WriteString("WATERMARK FOR ")
	p.ident(n.Column)
	p.WriteString(" AS ")
	p.expr(n.Expr, 0)
}

// Spark's spellings of the Iceberg transforms.
var transformSpelling = map[string]string{
	"year": "years", "month": "months", "day": "days", "hour": "hours",
}

func (n *PartitionField) format(p *printer) {
	switch n.Transform {
	case "identity":
		p.ident(n.Column)
		return
	case "bucket", "truncate":
		p.ws(n.Transform, "(", strconv.Itoa(n.Arg), ", ")
	default:
		p.ws(transformSpelling[n.Transform], "(")
	}
	p.ident(n.Column)
	p.WriteByte(')')
}

func (p *printer) ifExists(b bool) {
	if b {
		p.WriteString("IF EXISTS ")
	}
}

func (p *printer) temporary(b bool) {
	if b {
		p.WriteString("TEMPORARY ")
	}
}

func (n *DropTable) format(p *printer) {
	p.WriteString("DROP ")
	p.temporary(n.Temporary)
	p.WriteString("TABLE ")
	p.ifExists(n.IfExists)
	n.Name.format(p)
}

func (n *CreateDatabase) format(p *printer) {
	p.WriteString("CREATE DATABASE ")
	if n.IfNotExists {
		p.WriteString("IF NOT EXISTS ")
	}
	n.Name.format(p)
	if n.Comment != "" {
		p.ws("\nCOMMENT ", quoteString(n.Comment))
	}
	p.withOptions(n.Options)
}

func (n *DropDatabase) format(p *printer) {
	p.WriteString("DROP DATABASE ")
	p.ifExists(n.IfExists)
	n.Name.format(p)
	if n.Cascade {
		p.WriteString(" CASCADE")
	}
}

func (n *CreateCatalog) format(p *printer) {
	p.WriteString("CREATE CATALOG ")
	p.ident(n.Name)
	p.withOptions(n.Options)
}

func (n *DropCatalog) format(p *printer) {
	p.WriteString("DROP CATALOG ")
	p.ifExists(n.IfExists)
	p.ident(n.Name)
}

func (n *CreateView) format(p *printer) {
	p.WriteString("CREATE ")
	p.temporary(n.Temporary)
	p.WriteString("VIEW ")
	if n.IfNotExists {
		p.WriteString("IF NOT EXISTS ")
	}
	n.Name.format(p)
	if n.Columns != nil {
		p.WriteByte(' ')
		p.identList(n.Columns)
	}
	if n.Comment != "" {
		p.ws("\nCOMMENT ", quoteString(n.Comment))
	}
	p.WriteString("\nAS ")
	n.Query.format(p)
}

func (n *DropView) format(p *printer) {
	p.WriteString("DROP ")
	p.temporary(n.Temporary)
	p.WriteString("VIEW ")
	p.ifExists(n.IfExists)
	n.Name.format(p)
}

func (n *ShowTables) format(p *printer) {
	p.WriteString("SHOW TABLES")
	if n.From != nil {
		p.WriteString(" FROM ")
		n.From.format(p)
	}
	if n.Like != nil {
		p.ws(" ", not(n.NotLike), "LIKE ", quoteString(*n.Like))
	}
}

func (n *Show) format(p *printer) { p.ws("SHOW ", string(n.Object)) }

func (n *ShowCreate) format(p *printer) {
	if n.View {
		p.WriteString("SHOW CREATE VIEW ")
	} else {
		p.WriteString("SHOW CREATE TABLE ")
	}
	n.Name.format(p)
}

func (n *Describe) format(p *printer) {
	p.WriteString("DESCRIBE ")
	n.Name.format(p)
}

func (n *Use) format(p *printer) {
	p.WriteString("USE ")
	n.Name.format(p)
}

func (n *UseCatalog) format(p *printer) {
	p.WriteString("USE CATALOG ")
	p.ident(n.Name)
}

func (n *Explain) format(p *printer) {
	p.WriteString("EXPLAIN ")
	if n.Details != nil {
		p.ws(strings.Join(n.Details, ", "), " ")
	}
	if set, ok := n.Statement.(*StatementSet); ok {
		set.formatSet(p)
		return
	}
	n.Statement.format(p)
}

func (n *Set) format(p *printer) {
	p.WriteString("SET")
	if n.Option != nil {
		p.WriteByte(' ')
		n.Option.format(p)
	}
}

func (n *Reset) format(p *printer) {
	p.WriteString("RESET")
	if n.Key != nil {
		p.ws(" ", quoteString(*n.Key))
	}
}

func (n *Call) format(p *printer) {
	p.WriteString("CALL ")
	n.Name.format(p)
	p.WriteByte('(')
	p.exprs(n.Args)
	p.WriteByte(')')
}

func (n *Insert) format(p *printer) {
	if n.Overwrite {
		p.WriteString("INSERT OVERWRITE ")
	} else {
		p.WriteString("INSERT INTO ")
	}
	n.Table.format(p)
	if n.Hints != nil {
		p.WriteByte(' ')
		p.hints(n.Hints)
	}
	if n.Partition != nil {
		p.WriteString(" PARTITION (")
		for i, pv := range n.Partition {
			if i > 0 {
				p.WriteString(", ")
			}
			pv.format(p)
		}
		p.WriteByte(')')
	}
	if n.Columns != nil {
		p.WriteByte(' ')
		p.identList(n.Columns)
	}
	p.WriteByte('\n')
	n.Source.format(p)
}

func (n *PartitionValue) format(p *printer) {
	p.ident(n.Column)
	p.WriteString(" = ")
	p.expr(n.Value, precUnary)
}

func (n *StatementSet) format(p *printer) {
	p.WriteString("EXECUTE ")
	n.formatSet(p)
}

func (n *StatementSet) formatSet(p *printer) {
	p.WriteString("STATEMENT SET BEGIN\n")
	for _, ins := range n.Inserts {
		ins.format(p)
		p.WriteString(";\n")
	}
	p.WriteString("END")
}
