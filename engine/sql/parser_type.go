package sql

// typeParams says how many parameters each parameterized type takes.
var typeParams = map[string]int{
	"DECIMAL": 2, "CHAR": 1, "VARCHAR": 1, "BINARY": 1, "VARBINARY": 1,
	"TIME": 1, "TIMESTAMP": 1, "TIMESTAMP_LTZ": 1,
}

var typeSynonyms = map[string]string{
	"INTEGER": "INT", "REAL": "FLOAT", "DEC": "DECIMAL", "NUMERIC": "DECIMAL",
	"CHARACTER": "CHAR",
}

var simpleTypes = wordSet(`BOOLEAN TINYINT SMALLINT INT BIGINT FLOAT DOUBLE STRING
	BYTES DATE DECIMAL CHAR VARCHAR BINARY VARBINARY TIME TIMESTAMP TIMESTAMP_LTZ`)

// parseType parses a data type with its trailing NOT NULL or NULL.
func (p *parser) parseType() *DataType {
	p.enter()
	defer p.leave()
	t := p.tok()
	if t.kind != tokWord {
		p.fail("data type")
	}
	name := upper(t.text)
	if s, ok := typeSynonyms[name]; ok {
		name = s
	}
	dt := &DataType{Pos: t.pos, Name: name}
	p.i++
	switch {
	case name == "ARRAY" || name == "MULTISET":
		p.expectOp("<")
		dt.Elem = p.parseType()
		p.expectOp(">")
	case name == "MAP":
		p.expectOp("<")
		dt.Key = p.parseType()
		p.expectOp(",")
		dt.Value = p.parseType()
		p.expectOp(">")
	case name == "ROW":
		p.parseRowFields(dt)
	case simpleTypes[name]:
		if name == "DOUBLE" && p.isKw("PRECISION") {
			p.i++
		}
		if n := typeParams[name]; n > 0 && p.isOp("(") {
			p.i++
			dt.Params = []int{p.intLit()}
			if n == 2 && p.acceptOp(",") {
				dt.Params = append(dt.Params, p.intLit())
			}
			p.expectOp(")")
		}
		if name == "TIME" || name == "TIMESTAMP" {
			p.parseTimeZone(dt)
		}
	default:
		p.errorf(t.pos, "unknown data type %s", p.describe(t))
	}
	if p.isKw("NOT") && p.isKwAt(1, "NULL") {
		p.i += 2
		dt.NotNull = true
	} else if p.isKw("NULL") {
		p.i++
	}
	return dt
}

// parseTimeZone parses WITHOUT TIME ZONE, or WITH LOCAL TIME ZONE after
// TIMESTAMP, which makes it TIMESTAMP_LTZ.
func (p *parser) parseTimeZone(dt *DataType) {
	switch {
	case p.isKw("WITHOUT") && p.isKwAt(1, "TIME"):
		p.i += 2
		p.expectKw("ZONE")
	case dt.Name == "TIMESTAMP" && p.isKw("WITH") && p.isKwAt(1, "LOCAL"):
		p.i += 2
		p.expectKw("TIME")
		p.expectKw("ZONE")
		dt.Name = "TIMESTAMP_LTZ"
	}
}

// parseRowFields parses <name type ['description'], ...> or the same in
// parentheses.
func (p *parser) parseRowFields(dt *DataType) {
	closing := ">"
	if p.isOp("(") {
		closing = ")"
	} else if !p.isOp("<") {
		p.fail(`"<"`, `"("`)
	}
	p.i++
	for {
		f := &RowField{Pos: p.pos(), Name: p.ident()}
		f.Type = p.parseType()
		if p.acceptKw("COMMENT") || p.tok().kind == tokString {
			f.Description = p.stringLit()
		}
		dt.Fields = append(dt.Fields, f)
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(closing)
}
