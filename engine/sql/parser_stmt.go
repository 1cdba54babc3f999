package sql

import (
	"fmt"
	"strings"
)

// Parse parses statements separated by semicolons; empty statements are
// skipped. The SQL client form BEGIN STATEMENT SET; ...; END spans several
// semicolons and yields one StatementSet.
func Parse(text string) ([]Statement, error) {
	p, err := newParser(text)
	if err != nil {
		return nil, err
	}
	var stmts []Statement
	err = p.run(func() {
		for {
			for p.isOp(";") {
				p.i++
			}
			if p.tok().kind == tokEOF {
				return
			}
			stmts = append(stmts, p.parseStatement())
			if !p.acceptOp(";") {
				p.want("end of input")
				if p.tok().kind != tokEOF {
					p.fail()
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return stmts, nil
}

// ParseOne parses text that holds exactly one statement.
func ParseOne(text string) (Statement, error) {
	stmts, err := Parse(text)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		pos := Pos{Line: 1, Column: 1}
		if len(stmts) > 1 {
			pos = stmts[1].Position()
		}
		return nil, &Error{Pos: pos, Msg: fmt.Sprintf("expected one statement, found %d", len(stmts))}
	}
	return stmts[0], nil
}

// SplitStatements splits text on the semicolons between statements, not
// those in strings, comments, quoted identifiers or statement sets, and
// returns each statement's text without the semicolon and surrounding
// space. Pieces with nothing but comments are dropped.
func SplitStatements(text string) ([]string, error) {
	toks, err := tokenize(text)
	if err != nil {
		return nil, err
	}
	var out []string
	start := -1    // index of the piece's first token
	inSet := false // inside a statement set, which ends at its END
	caseDepth := 0 // CASE ... END inside a statement set
	for i, t := range toks {
		if t.kind == tokEOF || t.kind == tokOp && t.text == ";" && !inSet {
			if start >= 0 {
				out = append(out, strings.TrimSpace(text[toks[start].pos.Offset:toks[i-1].end]))
			}
			start = -1
			continue
		}
		if start < 0 {
			start = i
			inSet = isKwTok(t, "BEGIN") && isKwTok(toks[i+1], "STATEMENT")
		}
		switch {
		case isKwTok(t, "SET") && isKwTok(toks[i+1], "BEGIN") && i > 0 && isKwTok(toks[i-1], "STATEMENT"):
			inSet = true
		case !inSet:
		case isKwTok(t, "CASE"):
			caseDepth++
		case isKwTok(t, "END") && caseDepth > 0:
			caseDepth--
		case isKwTok(t, "END"):
			inSet = false
		}
	}
	return out, nil
}

func (p *parser) parseStatement() Statement {
	pos := p.pos()
	switch {
	case p.queryStart() || p.isOp("("):
		return p.parseQuery()
	case p.acceptKw("CREATE"):
		return p.parseCreate(pos)
	case p.acceptKw("DROP"):
		return p.parseDrop(pos)
	case p.isKw("INSERT"):
		return p.parseInsert()
	case p.acceptKw("SHOW"):
		return p.parseShow(pos)
	case p.acceptKw("DESCRIBE"), p.acceptKw("DESC"):
		return &Describe{Pos: pos, Name: p.objectName()}
	case p.acceptKw("USE"):
		if next := p.peek(1); p.isKw("CATALOG") && (next.kind == tokWord || next.kind == tokQuoted) {
			p.i++
			return &UseCatalog{Pos: pos, Name: p.ident()}
		}
		return &Use{Pos: pos, Name: p.objectName()}
	case p.acceptKw("EXPLAIN"):
		return p.parseExplain(pos)
	case p.acceptKw("SET"):
		s := &Set{Pos: pos}
		if p.tok().kind == tokString {
			s.Option = p.parseProperty()
		}
		return s
	case p.acceptKw("RESET"):
		r := &Reset{Pos: pos}
		if p.tok().kind == tokString {
			k := p.stringLit()
			r.Key = &k
		}
		return r
	case p.acceptKw("CALL"):
		c := &Call{Pos: pos, Name: p.objectName()}
		call := p.parseCall(c.Name, false).(*FuncCall)
		if call.Distinct || call.Filter != nil || call.Over != nil {
			p.errorf(pos, "CALL takes plain arguments")
		}
		c.Args = call.Args
		return c
	case p.acceptKw("EXECUTE"):
		if p.isKw("INSERT") {
			return p.parseInsert()
		}
		p.expectKw("STATEMENT")
		p.expectKw("SET")
		p.expectKw("BEGIN")
		return p.parseStatementSet(pos, false)
	case p.acceptKw("BEGIN"):
		p.expectKw("STATEMENT")
		p.expectKw("SET")
		p.expectOp(";")
		return p.parseStatementSet(pos, true)
	}
	p.fail("SELECT", "WITH", "VALUES", "CREATE", "DROP", "INSERT", "SHOW", "DESCRIBE", "USE",
		"EXPLAIN", "SET", "RESET", "CALL", "EXECUTE", "BEGIN")
	return nil
}

// parseStatementSet parses insert; ... END after BEGIN. In the SQL client
// form (client) every INSERT must end with a semicolon.
func (p *parser) parseStatementSet(pos Pos, client bool) Statement {
	s := &StatementSet{Pos: pos}
	for {
		for p.isOp(";") {
			p.i++
		}
		if p.acceptKw("END") {
			break
		}
		if !p.isKw("INSERT") {
			p.fail("INSERT", "END")
		}
		s.Inserts = append(s.Inserts, p.parseInsert())
		if client {
			p.expectOp(";")
		} else if !p.acceptOp(";") && !p.isKw("END") {
			p.fail("END")
		}
	}
	if len(s.Inserts) == 0 {
		p.errorf(pos, "statement set has no INSERT")
	}
	return s
}

var explainDetails = wordSet(`ESTIMATED_COST CHANGELOG_MODE PLAN_ADVICE JSON_EXECUTION_PLAN`)

func (p *parser) parseExplain(pos Pos) Statement {
	e := &Explain{Pos: pos}
	if p.acceptKw("PLAN") {
		p.expectKw("FOR")
	} else {
		for p.tok().kind == tokWord && explainDetails[upper(p.tok().text)] {
			e.Details = append(e.Details, upper(p.advance().text))
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.isKw("BEGIN") || p.isKw("EXPLAIN") {
		p.fail("statement")
	}
	if p.isKw("STATEMENT") {
		// EXPLAIN STATEMENT SET BEGIN ... END
		sp := p.pos()
		p.i++
		p.expectKw("SET")
		p.expectKw("BEGIN")
		e.Statement = p.parseStatementSet(sp, false)
		return e
	}
	e.Statement = p.parseStatement()
	return e
}

func (p *parser) parseCreate(pos Pos) Statement {
	temporary := p.acceptKw("TEMPORARY")
	switch {
	case p.acceptKw("TABLE"):
		return p.parseCreateTable(pos, temporary)
	case p.acceptKw("VIEW"):
		v := &CreateView{Pos: pos, Temporary: temporary, IfNotExists: p.ifNotExists(), Name: p.objectName()}
		if p.isOp("(") {
			v.Columns = p.identList()
		}
		v.Comment = p.comment()
		p.expectKw("AS")
		v.Query = p.parseQuery()
		return v
	case temporary:
		p.fail()
	case p.acceptKw("DATABASE"):
		d := &CreateDatabase{Pos: pos, IfNotExists: p.ifNotExists(), Name: p.objectName()}
		d.Comment = p.comment()
		d.Options = p.withOptions()
		return d
	case p.acceptKw("CATALOG"):
		c := &CreateCatalog{Pos: pos, Name: p.ident()}
		c.Options = p.withOptions()
		if c.Options == nil {
			p.fail()
		}
		return c
	}
	p.fail()
	return nil
}

func (p *parser) ifNotExists() bool {
	if p.acceptKw("IF") {
		p.expectKw("NOT")
		p.expectKw("EXISTS")
		return true
	}
	return false
}

func (p *parser) ifExists() bool {
	if p.acceptKw("IF") {
		p.expectKw("EXISTS")
		return true
	}
	return false
}

// comment parses an optional COMMENT 'text'.
func (p *parser) comment() string {
	if p.acceptKw("COMMENT") {
		return p.stringLit()
	}
	return ""
}

// withOptions parses an optional WITH ('k' = 'v', ...).
func (p *parser) withOptions() []*Property {
	if !p.acceptKw("WITH") {
		return nil
	}
	p.expectOp("(")
	props := p.parseProperties()
	p.expectOp(")")
	return props
}

func (p *parser) parseCreateTable(pos Pos, temporary bool) Statement {
	ct := &CreateTable{Pos: pos, Temporary: temporary, IfNotExists: p.ifNotExists(), Name: p.objectName()}
	if p.acceptOp("(") {
		for {
			p.parseTableElement(ct)
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	}
	ct.Comment = p.comment()
	if p.acceptKw("PARTITIONED") {
		p.expectKw("BY")
		p.expectOp("(")
		for {
			ct.PartitionBy = append(ct.PartitionBy, p.parsePartitionField())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	}
	ct.Options = p.withOptions()
	if p.acceptKw("AS") {
		ct.AsQuery = p.parseQuery()
	} else if ct.Columns == nil {
		p.fail(`"("`)
	}
	return ct
}

// parseTableElement parses a column, a primary key or a watermark.
func (p *parser) parseTableElement(ct *CreateTable) {
	pos := p.pos()
	switch {
	case p.isKw("WATERMARK") && p.isKwAt(1, "FOR"):
		if ct.Watermark != nil {
			p.errorf(pos, "a table has at most one WATERMARK")
		}
		p.i += 2
		w := &Watermark{Pos: pos, Column: p.ident()}
		p.expectKw("AS")
		w.Expr = p.parseExpr()
		ct.Watermark = w
		return
	case p.isKw("CONSTRAINT"), p.isKw("PRIMARY"):
		pk := p.parsePrimaryKey(ct)
		pk.Columns = p.identList()
		p.notEnforced()
		return
	}
	col := &ColumnDef{Pos: pos, Name: p.ident()}
	if p.acceptKw("AS") {
		col.Kind = ComputedColumn
		col.Expr = p.parseExpr()
	} else {
		col.Type = p.parseType()
		if p.isKw("CONSTRAINT") || p.isKw("PRIMARY") {
			pk := p.parsePrimaryKey(ct)
			pk.Columns = []Ident{col.Name}
			p.notEnforced()
		}
		if p.acceptKw("METADATA") {
			col.Kind = MetadataColumn
			if p.acceptKw("FROM") {
				col.MetadataKey = p.stringLit()
			}
			col.Virtual = p.acceptKw("VIRTUAL")
		}
	}
	col.Comment = p.comment()
	ct.Columns = append(ct.Columns, col)
}

// parsePrimaryKey parses [CONSTRAINT name] PRIMARY KEY and installs the
// key on ct; the caller fills in the columns.
func (p *parser) parsePrimaryKey(ct *CreateTable) *PrimaryKey {
	pk := &PrimaryKey{Pos: p.pos()}
	if ct.PrimaryKey != nil {
		p.errorf(pk.Pos, "a table has at most one PRIMARY KEY")
	}
	if p.acceptKw("CONSTRAINT") {
		pk.Name = p.ident()
	}
	p.expectKw("PRIMARY")
	p.expectKw("KEY")
	ct.PrimaryKey = pk
	return pk
}

// notEnforced requires NOT ENFORCED: Flink does not own the data, so it
// cannot enforce keys and accepts only unenforced ones.
func (p *parser) notEnforced() {
	if !p.isKw("NOT") {
		p.errorf(p.pos(), "PRIMARY KEY must be NOT ENFORCED")
	}
	p.i++
	p.expectKw("ENFORCED")
}

// partitionTransforms maps the Spark spellings of Iceberg transforms to the
// Iceberg names.
var partitionTransforms = map[string]string{
	"IDENTITY": "identity", "YEARS": "year", "YEAR": "year", "MONTHS": "month",
	"MONTH": "month", "DAYS": "day", "DAY": "day", "HOURS": "hour", "HOUR": "hour",
	"BUCKET": "bucket", "TRUNCATE": "truncate",
}

func (p *parser) parsePartitionField() *PartitionField {
	pos := p.pos()
	name := p.ident()
	if !p.isOp("(") {
		return &PartitionField{Pos: pos, Transform: "identity", Column: name}
	}
	tr, ok := partitionTransforms[upper(name.Name)]
	if !ok {
		p.errorf(pos, "unknown partition transform %q", name.Name)
	}
	p.i++
	f := &PartitionField{Pos: pos, Transform: tr}
	if tr == "bucket" || tr == "truncate" {
		f.Arg = p.intLit()
		p.expectOp(",")
	}
	f.Column = p.ident()
	p.expectOp(")")
	return f
}

func (p *parser) parseDrop(pos Pos) Statement {
	temporary := p.acceptKw("TEMPORARY")
	switch {
	case p.acceptKw("TABLE"):
		return &DropTable{Pos: pos, Temporary: temporary, IfExists: p.ifExists(), Name: p.objectName()}
	case p.acceptKw("VIEW"):
		return &DropView{Pos: pos, Temporary: temporary, IfExists: p.ifExists(), Name: p.objectName()}
	case temporary:
		p.fail()
	case p.acceptKw("DATABASE"):
		d := &DropDatabase{Pos: pos, IfExists: p.ifExists(), Name: p.objectName()}
		if !p.acceptKw("RESTRICT") {
			d.Cascade = p.acceptKw("CASCADE")
		}
		return d
	case p.acceptKw("CATALOG"):
		return &DropCatalog{Pos: pos, IfExists: p.ifExists(), Name: p.ident()}
	}
	p.fail()
	return nil
}

func (p *parser) parseShow(pos Pos) Statement {
	for _, obj := range []ShowObject{ShowCatalogs, ShowDatabases, ShowViews, ShowFunctions, ShowJobs} {
		if p.acceptKw(string(obj)) {
			return &Show{Pos: pos, Object: obj}
		}
	}
	switch {
	case p.acceptKw("TABLES"):
		s := &ShowTables{Pos: pos}
		if p.acceptKw("FROM") || p.acceptKw("IN") {
			n := p.objectName()
			s.From = &n
		}
		if p.acceptKw("NOT") {
			s.NotLike = true
			p.expectKw("LIKE")
			pat := p.stringLit()
			s.Like = &pat
		} else if p.acceptKw("LIKE") {
			pat := p.stringLit()
			s.Like = &pat
		}
		return s
	case p.acceptKw("CURRENT"):
		if p.acceptKw("CATALOG") {
			return &Show{Pos: pos, Object: ShowCurrentCatalog}
		}
		p.expectKw("DATABASE")
		return &Show{Pos: pos, Object: ShowCurrentDatabase}
	case p.acceptKw("CREATE"):
		view := p.acceptKw("VIEW")
		if !view {
			p.expectKw("TABLE")
		}
		return &ShowCreate{Pos: pos, View: view, Name: p.objectName()}
	}
	p.fail()
	return nil
}

func (p *parser) parseInsert() *Insert {
	ins := &Insert{Pos: p.expectKw("INSERT")}
	if p.acceptKw("OVERWRITE") {
		ins.Overwrite = true
	} else {
		p.expectKw("INTO")
	}
	p.acceptKw("TABLE")
	ins.Table = p.objectName()
	if p.tok().kind == tokHintStart {
		ins.Hints = p.parseHints()
	}
	if p.acceptKw("PARTITION") {
		p.expectOp("(")
		for {
			pv := &PartitionValue{Pos: p.pos(), Column: p.ident()}
			p.expectOp("=")
			pv.Value = p.parseUnary()
			ins.Partition = append(ins.Partition, pv)
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	}
	if p.isOp("(") && !p.isKwAt(1, "SELECT") && !p.isKwAt(1, "WITH") && !p.isKwAt(1, "VALUES") && !p.isOpAt(1, "(") {
		ins.Columns = p.identList()
	}
	if !p.queryStart() && !p.isOp("(") {
		p.fail("SELECT", "VALUES", "WITH", `"("`)
	}
	ins.Source = p.parseQuery()
	return ins
}
