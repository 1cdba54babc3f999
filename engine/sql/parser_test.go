package sql

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// parenthesize prints e with every operator application in parentheses, to
// show how an expression was grouped.
func parenthesize(e Expr) string {
	switch e := e.(type) {
	case *BinaryExpr:
		return "(" + parenthesize(e.Left) + " " + string(e.Op) + " " + parenthesize(e.Right) + ")"
	case *UnaryExpr:
		return "(" + string(e.Op) + " " + parenthesize(e.Expr) + ")"
	case *Between:
		return "(" + parenthesize(e.Expr) + " " + not(e.Not) + "BETWEEN " + parenthesize(e.Low) +
			" AND " + parenthesize(e.High) + ")"
	case *IsNull:
		return "(" + parenthesize(e.Expr) + " IS " + not(e.Not) + "NULL)"
	case *InList:
		return "(" + parenthesize(e.Expr) + " IN " + "...)"
	case *Like:
		return "(" + parenthesize(e.Expr) + " LIKE " + parenthesize(e.Pattern) + ")"
	case *Index:
		return "(" + parenthesize(e.Expr) + "[" + parenthesize(e.Index) + "])"
	}
	return e.String()
}

func parseExpr(t *testing.T, text string) Expr {
	t.Helper()
	stmt, err := ParseOne("SELECT " + text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	roundTrip(t, []Statement{stmt})
	return stmt.(*Query).Body.(*Select).Items[0].Expr
}

func TestPrecedence(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a OR b AND c", "(a OR (b AND c))"},
		{"a AND b OR c", "((a AND b) OR c)"},
		{"a OR b OR c", "((a OR b) OR c)"},
		{"NOT a = b", "(NOT (a = b))"},
		{"NOT a AND b", "((NOT a) AND b)"},
		{"NOT NOT a", "(NOT (NOT a))"},
		{"NOT a IS NULL", "(NOT (a IS NULL))"},
		{"a + b * c", "(a + (b * c))"},
		{"a * b + c", "((a * b) + c)"},
		{"a - b - c", "((a - b) - c)"},
		{"a % b / c", "((a % b) / c)"},
		{"- a * b", "((- a) * b)"},
		{"- - a", "(- (- a))"},
		{"-x[1]", "(- (x[1]))"},
		{"a * -b", "(a * (- b))"},
		{"a || b = c", "((a || b) = c)"},
		{"a || b + c", "((a || b) + c)"},
		{"a = b AND c <> d OR e", "(((a = b) AND (c <> d)) OR e)"},
		{"x BETWEEN 1 AND 2 AND y", "((x BETWEEN 1 AND 2) AND y)"},
		{"x BETWEEN 1 + 1 AND 2 * 3", "(x BETWEEN (1 + 1) AND (2 * 3))"},
		{"x NOT BETWEEN a AND b OR c", "((x NOT BETWEEN a AND b) OR c)"},
		{"a IS NULL AND b", "((a IS NULL) AND b)"},
		{"a + b IN (1)", "((a + b) IN ...)"},
		{"a LIKE b || 'x'", "(a LIKE (b || 'x'))"},
		{"a = b IS NULL", "((a = b) IS NULL)"},
		{"(a OR b) AND c", "((a OR b) AND c)"},
		{"a < b = c", "((a < b) = c)"},
	} {
		if got := parenthesize(parseExpr(t, tc.in)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
	if _, err := Parse("SELECT a ^ b"); err == nil || !strings.Contains(err.Error(), `unexpected character '^'`) {
		t.Errorf("a ^ b: got %v, want an error: Flink has no ^ operator", err)
	}
}

func TestDataTypes(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		name     string
		params   []int
		notNull  bool
	}{
		{"BOOLEAN", "BOOLEAN", "BOOLEAN", nil, false},
		{"tinyint", "TINYINT", "TINYINT", nil, false},
		{"SMALLINT NOT NULL", "SMALLINT NOT NULL", "SMALLINT", nil, true},
		{"INT", "INT", "INT", nil, false},
		{"INTEGER NULL", "INT", "INT", nil, false},
		{"BIGINT", "BIGINT", "BIGINT", nil, false},
		{"FLOAT", "FLOAT", "FLOAT", nil, false},
		{"REAL", "FLOAT", "FLOAT", nil, false},
		{"DOUBLE", "DOUBLE", "DOUBLE", nil, false},
		{"DOUBLE PRECISION", "DOUBLE", "DOUBLE", nil, false},
		{"DECIMAL", "DECIMAL", "DECIMAL", nil, false},
		{"DECIMAL(10)", "DECIMAL(10)", "DECIMAL", []int{10}, false},
		{"DEC(10, 2)", "DECIMAL(10, 2)", "DECIMAL", []int{10, 2}, false},
		{"NUMERIC(38,18)", "DECIMAL(38, 18)", "DECIMAL", []int{38, 18}, false},
		{"CHAR", "CHAR", "CHAR", nil, false},
		{"CHAR(3)", "CHAR(3)", "CHAR", []int{3}, false},
		{"VARCHAR(255)", "VARCHAR(255)", "VARCHAR", []int{255}, false},
		{"STRING", "STRING", "STRING", nil, false},
		{"BINARY(16)", "BINARY(16)", "BINARY", []int{16}, false},
		{"VARBINARY(8)", "VARBINARY(8)", "VARBINARY", []int{8}, false},
		{"BYTES", "BYTES", "BYTES", nil, false},
		{"DATE", "DATE", "DATE", nil, false},
		{"TIME", "TIME", "TIME", nil, false},
		{"TIME(3) WITHOUT TIME ZONE", "TIME(3)", "TIME", []int{3}, false},
		{"TIMESTAMP", "TIMESTAMP", "TIMESTAMP", nil, false},
		{"TIMESTAMP(9) WITHOUT TIME ZONE", "TIMESTAMP(9)", "TIMESTAMP", []int{9}, false},
		{"TIMESTAMP(3) WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ(3)", "TIMESTAMP_LTZ", []int{3}, false},
		{"TIMESTAMP WITH LOCAL TIME ZONE NOT NULL", "TIMESTAMP_LTZ NOT NULL", "TIMESTAMP_LTZ", nil, true},
		{"TIMESTAMP_LTZ(6)", "TIMESTAMP_LTZ(6)", "TIMESTAMP_LTZ", []int{6}, false},
		{"ARRAY<INT NOT NULL>", "ARRAY<INT NOT NULL>", "ARRAY", nil, false},
		{"MAP<STRING, ARRAY<DOUBLE>> NOT NULL", "MAP<STRING, ARRAY<DOUBLE>> NOT NULL", "MAP", nil, true},
		{"MULTISET<STRING>", "MULTISET<STRING>", "MULTISET", nil, false},
		{"ROW<a INT, `b c` STRING 'd'>", "ROW<a INT, `b c` STRING 'd'>", "ROW", nil, false},
		{"ROW(a INT, b ROW<c DATE>)", "ROW<a INT, b ROW<c DATE>>", "ROW", nil, false},
		{"ROW<a INT COMMENT 'x'>", "ROW<a INT 'x'>", "ROW", nil, false},
	} {
		e := parseExpr(t, "CAST(x AS "+tc.in+")")
		dt := e.(*Cast).Type
		if got := dt.String(); got != tc.want {
			t.Errorf("%s: prints %s, want %s", tc.in, got, tc.want)
		}
		if dt.Name != tc.name || !equalAST(dt.Params, tc.params) || dt.NotNull != tc.notNull {
			t.Errorf("%s: got %s %v notnull=%v", tc.in, dt.Name, dt.Params, dt.NotNull)
		}
	}
	dt := parseExpr(t, "CAST(x AS MAP<STRING, ROW<a ARRAY<INT>>>)").(*Cast).Type
	if dt.Key.Name != "STRING" || dt.Value.Fields[0].Name.Name != "a" || dt.Value.Fields[0].Type.Elem.Name != "INT" {
		t.Errorf("nested types parsed wrong: %s", dt)
	}
}

func TestErrorPositions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
		col  int
		msg  string
	}{
		{"SELECT 1 FORM t", 1, 15, `unexpected "t"`},
		{"SELECT *\n  FROM t\n  WHERE", 3, 8, "unexpected end of input, expected expression"},
		{"SELECT *\n\tFROM t WHER x", 2, 14, `unexpected "x"`},
		{"SELECT 'ééé' FORM t", 1, 19, `unexpected "t"`},
		{"SELECT a,\r\n  , b", 2, 3, `unexpected ","`},
		{"CREATE TABLE t (\n  a INT,\n  b VARCHAR(\n)", 4, 1, `unexpected ")", expected integer`},
		{"INSERT INTO t VALUES (1, 2", 1, 27, `unexpected end of input, expected one of: ",", ")"`},
		{"SELECT CAST(a AS INT", 1, 21, `expected ")"`},
		{"SELECT a FROM t GROUP a", 1, 23, `unexpected "a", expected BY`},
		{"SELECT -- comment\n/* c */ #", 2, 9, `unexpected character '#'`},
		{"SELECT INTERVAL '1' FORTNIGHT", 1, 21, "expected interval unit"},
		{"SELECT EXTRACT(FOO FROM ts)", 1, 16, "expected time unit"},
		{"SELECT * FROM t; SELECT * FRM t", 1, 27, `unexpected "FRM", expected FROM`},
	} {
		_, err := Parse(tc.in)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("%q: got %v, want a *Error", tc.in, err)
			continue
		}
		if perr.Pos.Line != tc.line || perr.Pos.Column != tc.col || !strings.Contains(perr.Msg, tc.msg) {
			t.Errorf("%q: got %v, want %q at %d:%d", tc.in, err, tc.msg, tc.line, tc.col)
		}
		if want := offsetOf(tc.in, tc.line, tc.col); perr.Pos.Offset != want {
			t.Errorf("%q: offset %d, want %d", tc.in, perr.Pos.Offset, want)
		}
	}
}

// offsetOf converts a 1-based line and character column to a byte offset.
func offsetOf(text string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		off += strings.IndexByte(text[off:], '\n') + 1
	}
	for c := 1; c < col; c++ {
		_, n := decodeRune(text[off:])
		off += n
	}
	return off
}

func decodeRune(s string) (rune, int) {
	for i, r := range s {
		if i == 0 {
			return r, len(string(r))
		}
	}
	return 0, 0
}

func TestNodePositions(t *testing.T) {
	stmt, err := ParseOne("SELECT a,\n  b + c AS d\nFROM db.t")
	if err != nil {
		t.Fatal(err)
	}
	sel := stmt.(*Query).Body.(*Select)
	bin := sel.Items[1].Expr.(*BinaryExpr)
	for _, tc := range []struct {
		n    Node
		want Pos
	}{
		{sel, Pos{1, 1, 0}},
		{sel.Items[0].Expr, Pos{1, 8, 7}},
		{sel.Items[1], Pos{2, 3, 12}},
		{bin, Pos{2, 5, 14}},
		{bin.Right, Pos{2, 7, 16}},
		{sel.Items[1].Alias, Pos{2, 12, 21}},
		{sel.From, Pos{3, 6, 28}},
	} {
		if got := tc.n.Position(); got != tc.want {
			t.Errorf("%s: at %+v, want %+v", tc.n, got, tc.want)
		}
	}
}

func TestNexmarkShapes(t *testing.T) {
	// A window TVF: TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)).
	stmt, err := ParseOne(`SELECT window_start, COUNT(*) FROM TABLE(
		TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)) GROUP BY window_start, window_end`)
	if err != nil {
		t.Fatal(err)
	}
	tvf := stmt.(*Query).Body.(*Select).From.(*TableFunc)
	call := tvf.Call
	if call.Name.Parts[0].Name != "TUMBLE" || len(call.Args) != 3 {
		t.Fatalf("TVF call: %s", call)
	}
	if ta := call.Args[0].(*TableArg); ta.Name.Parts[0].Name != "bid" {
		t.Errorf("table arg: %s", ta)
	}
	if d := call.Args[1].(*Descriptor); d.Columns[0].Name != "dateTime" {
		t.Errorf("descriptor: %s", d)
	}
	if iv := call.Args[2].(*Interval); iv.Value != "10" || iv.Unit.Start != "SECOND" || iv.Unit.End != "" {
		t.Errorf("interval: %+v", iv)
	}

	// Top-N: ROW_NUMBER() OVER (...) AS rn ... WHERE rn <= 3.
	stmt, err = ParseOne(`SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY category ORDER BY sales DESC) AS rn
		FROM shop) WHERE rn <= 3`)
	if err != nil {
		t.Fatal(err)
	}
	outer := stmt.(*Query).Body.(*Select)
	if w := outer.Where.(*BinaryExpr); w.Op != OpLe || w.Right.(*Literal).Value != "3" {
		t.Errorf("top-N filter: %s", w)
	}
	inner := outer.From.(*DerivedTable).Query.Body.(*Select)
	rn := inner.Items[1]
	over := rn.Expr.(*FuncCall).Over
	if rn.Alias.Name != "rn" || over.PartitionBy[0].String() != "category" || !over.OrderBy[0].Desc {
		t.Errorf("row number: %s", rn)
	}

	// Interval join: BETWEEN with interval arithmetic.
	stmt, err = ParseOne(`SELECT * FROM orders o, shipments s WHERE o.id = s.order_id
		AND o.ts BETWEEN s.ts - INTERVAL '4' HOUR AND s.ts`)
	if err != nil {
		t.Fatal(err)
	}
	sel := stmt.(*Query).Body.(*Select)
	if j := sel.From.(*Join); j.Kind != JoinComma {
		t.Errorf("comma join: %s", j)
	}
	btw := sel.Where.(*BinaryExpr).Right.(*Between)
	low := btw.Low.(*BinaryExpr)
	if low.Op != OpSub || low.Right.(*Interval).Unit.Start != "HOUR" {
		t.Errorf("interval bound: %s", btw)
	}
}

func TestParseOne(t *testing.T) {
	for _, in := range []string{"", " ; -- nothing", "SELECT 1; SELECT 2"} {
		if _, err := ParseOne(in); err == nil || !strings.Contains(err.Error(), "expected one statement") {
			t.Errorf("%q: got %v, want one-statement error", in, err)
		}
	}
	if s, err := ParseOne("SELECT 1;"); err != nil || s.String() != "SELECT 1" {
		t.Errorf("got %v, %v", s, err)
	}
}

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"SELECT 1", []string{"SELECT 1"}},
		{" SELECT 1 ; ;\n SELECT 'a;b' ; -- c;\n", []string{"SELECT 1", "SELECT 'a;b'"}},
		{"SELECT `x;y` /* ; */ FROM t;-- only a comment;\n", []string{"SELECT `x;y` /* ; */ FROM t"}},
		{"-- lead\nSET 'a' = 'b';\nINSERT INTO t SELECT 1;", []string{"SET 'a' = 'b'", "INSERT INTO t SELECT 1"}},
		{
			"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT CASE WHEN x THEN 1 END FROM s; INSERT INTO b SELECT 2; END; SELECT 3",
			[]string{"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT CASE WHEN x THEN 1 END FROM s; INSERT INTO b SELECT 2; END", "SELECT 3"},
		},
		{
			"BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;\nEND;\nSHOW JOBS",
			[]string{"BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;\nEND", "SHOW JOBS"},
		},
	} {
		got, err := SplitStatements(tc.in)
		if err != nil || !equalAST(got, tc.want) {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
		for _, s := range got {
			if _, err := ParseOne(s); err != nil {
				t.Errorf("%q: piece %q does not parse alone: %v", tc.in, s, err)
			}
		}
	}
	if _, err := SplitStatements("SELECT 'open"); err == nil {
		t.Error("unterminated string: want an error")
	}
}

// TestHostileNesting checks that deep input fails with an error, not a
// stack overflow, and that long flat input still works.
func TestHostileNesting(t *testing.T) {
	const n = 10000
	for _, in := range []string{
		"SELECT " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"SELECT " + strings.Repeat("- ", n) + "1",
		"SELECT " + strings.Repeat("NOT ", n) + "a",
		"SELECT CAST(a AS " + strings.Repeat("ARRAY<", n) + "INT" + strings.Repeat(">", n) + ")",
		strings.Repeat("SELECT * FROM (", n) + "SELECT 1" + strings.Repeat(")", n),
		"SELECT * FROM " + strings.Repeat("(", n) + "t" + strings.Repeat(")", n),
		"SELECT " + strings.Repeat("f(", n) + strings.Repeat(")", n),
		strings.Repeat("(", n) + "SELECT 1" + strings.Repeat(")", n),
	} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), "nesting depth exceeds 100") {
			t.Errorf("%.30s...: got %v, want the nesting error", in, err)
		}
	}
	long := "SELECT 1" + strings.Repeat(" + 1", n) + " FROM t" + strings.Repeat(" JOIN t ON TRUE", 1000)
	stmts, err := Parse(long)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, stmts)
}

// TestKeywordsAreListed checks that every word the grammar matches is
// reserved or contextual, which the printer relies on to quote names that
// would read as keywords.
func TestKeywordsAreListed(t *testing.T) {
	files, _ := filepath.Glob("parser*.go")
	re := regexp.MustCompile(`(?:Kw|KwAt|isKwTok)\((?:\w+, )?"([A-Z_]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if w := m[1]; !reserved[w] && !contextual[w] && !sqlReserved[w] {
				t.Errorf("%s: keyword %s is in no keyword list", f, w)
			}
		}
	}
}

// TestRoundTripEdges covers printing hazards: trees that print as text that
// would lex or parse differently without care.
func TestRoundTripEdges(t *testing.T) {
	for _, in := range []string{
		"SELECT - -1, 1 - -1, + +a, -(-a)",
		"SELECT (a.b).c, (1).c, (f(x)).c, (t.*).c, (CAST(r AS ROW<a INT>)).a, ('s').x",
		"SELECT FLOOR((INTERVAL '1' DAY) TO HOUR), FLOOR(x), `FLOOR`(x), `SUBSTRING`(s, 1)",
		"SELECT `select`, `year`, `Year`, `a``b`, `1a`, `$a`, a$, _a, `ſelect`, `K` FROM `from`",
		"SELECT * FROM t AS `where`, u `year`",
		"SELECT a FROM t WHERE a IN ((SELECT 1))",
		"SELECT a FROM t WHERE a IN ((SELECT 1) UNION (SELECT 2 ORDER BY 1 LIMIT 1))",
		"SELECT * FROM ((SELECT 1) UNION (SELECT 2)) AS x, ((SELECT 3)) y",
		"SELECT * FROM a JOIN (b CROSS JOIN (c, d)) ON TRUE",
		"SELECT * FROM TABLE(SESSION(TABLE t PARTITION BY ((SELECT 1)), DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
		"SELECT * FROM TABLE(f(TABLE t PARTITION BY (ROW(a, b))))",
		"SELECT a FROM t GROUP BY ROW(a, b), ((a)), GROUPING SETS ((ROW(a)), a)",
		"SELECT CASE WHEN a THEN b END IS NULL, (a IS NULL) IS NULL, NOT (a OR b), (a, b) = (c, d)",
		"SELECT x NOT IN (1), NOT x IN (1), (NOT x) IN (1)",
		"SELECT TRIM(' ' FROM s), TRIM(TRAILING 'x' FROM s), TRIM(BOTH FROM s)",
		"SELECT POSITION('a' || b IN c), POSITION((a = b) IN c)",
		"SELECT INTERVAL '1' DAY, ts - INTERVAL '1' DAY(2) TO SECOND(3)",
		"SELECT a, b FROM t ORDER BY a NULLS FIRST, b ASC NULLS LAST",
		"SELECT COUNT(DISTINCT *), f(a => 1, b => TABLE t), g(DESCRIPTOR(a, b))",
		"SELECT /*+ NO_OPT, X(a, `b c`) */ 1",
		"SELECT 'a''b', '''', X'', ''",
		"SELECT 1 AS `unbounded` FROM t WINDOW w AS (ORDER BY `unbounded` ROWS `current` PRECEDING)",
		"VALUES (1) ORDER BY 1 LIMIT 1",
		"SELECT FLOOR((1 = INTERVAL '1' DAY) TO HOUR), FLOOR(-(INTERVAL '1' DAY) TO HOUR), FLOOR(a BETWEEN b AND (INTERVAL '1' DAY) TO DAY)",
		"SELECT 1 FROM t GROUP BY GROUPING SETS ((ROW(a, b)), ((a, b)), ROW(a)), (ROW(a, b))",
		"WITH a AS (WITH b AS (SELECT 1) SELECT * FROM b) (SELECT * FROM a) UNION (SELECT 2)",
	} {
		stmts, err := Parse(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		roundTrip(t, stmts)
	}
}
