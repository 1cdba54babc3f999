package format

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/connector"
)

var csvColumns = []connector.Column{
	col("id", arrow.PrimitiveTypes.Int32, "INT"),
	col("name", arrow.BinaryTypes.String, "STRING"),
	col("amount", &arrow.Decimal128Type{Precision: 6, Scale: 2}, "DECIMAL(6, 2)"),
	col("ts", tsMicro, "TIMESTAMP(3)"),
	col("tags", arrow.ListOf(arrow.BinaryTypes.String), "ARRAY<STRING>"),
}

func TestCSV(t *testing.T) {
	h := newHarness(t, "csv", csvColumns, nil)
	check(t, h, []struct{ in, want string }{
		{"1,ann,12.5,2026-11-21 10:00:00.1239,a;b\n", `1|ann|12.5|2026-11-21T10:00:00.123|["a","b"]`},
		{`2,"x, ""y""",,,`, `2|x, "y"|NULL|NULL|NULL`}, // empty non-string fields are NULL
		{"3,,0,,\r\n", `3||0|NULL|NULL`},
		{"4,a,1,,x", `4|a|1|NULL|["x"]`},
		{"5,a,10000,,", `error: field amount at byte 4: "10000": out of range for DECIMAL(6, 2)`},
		{"1,2", "error: row length mismatch: 5 fields expected but was 2"},
		{`1,"abc,,,`, "error: at byte 2: unterminated quoted field"},
		{`1,"a"b,,,`, "error: at byte 5: unexpected character after a closing quote"},
		{"x,a,,,", `error: field id at byte 0: "x" is not an integer for INT`},
		{"", "error: record skipped"},
		{"# comment", "error: row length mismatch"}, // comments are off by default
	})
}

func TestCSVOptions(t *testing.T) {
	opts := map[string]string{
		"csv.field-delimiter": `\t`, "csv.quote-character": "'", "csv.allow-comments": "true",
		"csv.array-element-delimiter": "|", "csv.escape-character": `\`, "csv.null-literal": "N/A",
	}
	h := newHarness(t, "csv", csvColumns, opts)
	check(t, h, []struct{ in, want string }{
		{"1\t'it''s'\t1\tN/A\ta|N/A|b", `1|it's|1|NULL|["a",null,"b"]`},
		{`2` + "\t" + `a\tb\'c` + "\t\t\t", `2|atb'c|NULL|NULL|NULL`},
		{"3\t'q\\'x'\t\t\t", `3|q'x|NULL|NULL|NULL`},
		{"N/A\tN/A\t\t\t", `NULL|NULL|NULL|NULL|NULL`},
		{"# a comment", "error: record skipped"},
	})
	ign := newHarness(t, "csv", csvColumns, map[string]string{"csv.ignore-parse-errors": "true"})
	check(t, ign, []struct{ in, want string }{
		{"x,a", "NULL|a|NULL|NULL|NULL"},
		{`1,"open`, "error: record skipped"},
		{"1,a,1,2,3,4,5", `1|a|1|NULL|["3"]`},
	})
	if got := ign.d.Ignored(); got != (Ignored{Records: 1, Fields: 2}) {
		t.Errorf("Ignored = %+v", got)
	}
	noq := newHarness(t, "csv", csvColumns, map[string]string{"csv.disable-quote-character": "true"})
	check(t, noq, []struct{ in, want string }{{`1,"a",,,`, `1|"a"|NULL|NULL|NULL`}})

	for _, c := range []struct {
		opts map[string]string
		cols []connector.Column
		want string
	}{
		{map[string]string{"csv.field-delimiter": ";;"}, csvColumns, "want a single ASCII character"},
		{map[string]string{"csv.disable-quote-character": "true", "csv.quote-character": "'"}, csvColumns, "cannot be set"},
		{map[string]string{"csv.array-element-delimiter": ""}, csvColumns, "must not be empty"},
		{nil, []connector.Column{col("m", arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String), "MAP<STRING, STRING>")}, "scalar columns and arrays of scalars only"},
	} {
		h := newHarness(t, "json", c.cols, nil)
		if _, err := New("csv", c.cols, h.rb.Fields(), c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%v) = %v, want %q", c.opts, err, c.want)
		}
	}
}

func TestRaw(t *testing.T) {
	h := newHarness(t, "raw", []connector.Column{col("line", arrow.BinaryTypes.String, "STRING")}, map[string]string{"raw.charset": "utf-8"})
	check(t, h, []struct{ in, want string }{
		{"hello, wörld", "hello, wörld"},
		{"<nil>", "NULL"},
		{"ab\xffc", "error: field line at byte 2: invalid UTF-8"},
	})
	b := newHarness(t, "raw", []connector.Column{col("b", arrow.BinaryTypes.Binary, "BYTES")}, nil)
	check(t, b, []struct{ in, want string }{{"\xff\x00", "/wA="}})

	str := []connector.Column{col("s", arrow.BinaryTypes.String, "STRING")}
	for _, c := range []struct {
		cols []connector.Column
		opts map[string]string
		want string
	}{
		{str, map[string]string{"raw.charset": "ISO-8859-1"}, "only UTF-8 is supported"},
		{[]connector.Column{col("i", arrow.PrimitiveTypes.Int32, "INT")}, nil, "raw reads into STRING or BYTES, not INT"},
		{append(str, str...), nil, "exactly one physical column"},
	} {
		h := newHarness(t, "json", c.cols, nil)
		if _, err := New("raw", c.cols, h.rb.Fields(), c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("raw %v: %v, want %q", c.opts, err, c.want)
		}
	}
}
