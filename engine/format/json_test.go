package format

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/connector"
)

func TestJSONBid(t *testing.T) {
	h := newHarness(t, "json", bidColumns, nil)
	check(t, h, []struct{ in, want string }{
		{bidJSON, "1000|2001|123456|Google|https://www.nexmark.com/fmv/qx/item.htm?query=1&channel_id=1170210816|2026-11-21T10:00:00.123|"},
		// Order does not matter, unknown fields are skipped, missing ones are NULL.
		{`{"extra":"x","zzz":{"a":[1,2,{"b":null}]},"price":-5}`, "NULL|NULL|-5|NULL|NULL|NULL|x"},
		// TIMESTAMP(3) truncates, as Flink's TimestampData of precision 3 does.
		{`{"dateTime":"2026-11-21 10:00:00.123999"}`, "NULL|NULL|NULL|NULL|NULL|2026-11-21T10:00:00.123|NULL"},
		{`{"dateTime":"2026-11-21 10:00:00"}`, "NULL|NULL|NULL|NULL|NULL|2026-11-21T10:00:00|NULL"},
		// The last of repeated keys wins, as Jackson's tree does.
		{`{"price":1,"price":2}`, "NULL|NULL|2|NULL|NULL|NULL|NULL"},
		// Numbers in strings convert, as in Flink.
		{` {"auction":"42"} `, "42|NULL|NULL|NULL|NULL|NULL|NULL"},
		{`{"channel":"a\"b\\c\u00e9\ud83d\ude00\n"}`, "NULL|NULL|NULL|a\"b\\cé😀\n|NULL|NULL|NULL"},
		// Non-string JSON in a STRING column is kept as its JSON text.
		{`{"channel":{"x":[1, 2]},"url":12.5,"extra":true}`, `NULL|NULL|NULL|{"x":[1, 2]}|12.5|NULL|true`},
		{`{"price":1.5}`, `error: field price at byte 9: "1.5" is not an integer for BIGINT`},
		{`{"price":9223372036854775808}`, "error: is out of range for BIGINT"},
		{`{"dateTime":"2026-11-21T10:00:00"}`, "error: field dateTime at byte 12: \"2026-11-21T10:00:00\" is not a TIMESTAMP(3) (want yyyy-MM-dd HH:mm:ss[.fraction])"},
		{`{"dateTime":"2026-02-30 10:00:00"}`, "error: is not a TIMESTAMP(3)"},
		{`{"price":[1]}`, "error: field price at byte 9: an array where BIGINT is expected"},
		{`{"price":1`, "error: at byte 10: want ',' or '}'"},
		{`{"price":1,}`, "error: at byte 11: want a field name"},
		{`{"price":01}`, "error: want ',' or '}'"},
		{`{"channel":"abc}`, "error: unterminated string"},
		{`{"channel":"a` + "\x01" + `"}`, "error: at byte 13: control character in a string"},
		{`{"channel":"\x"}`, "error: invalid escape"},
		{`[1]`, "error: at byte 0: want a JSON object"},
		{``, "error: want a JSON object"},
		{`{} {}`, "error: at byte 3: unexpected data after the JSON object"},
		{`{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, "error: nested too deeply"},
		{`{"channel":"` + "\xff" + `"}`, "error: field channel at byte 11: invalid UTF-8"},
		{"<nil>", "error: record skipped"},
	})
	if got := h.d.Ignored(); got.Records != 1 || got.Fields != 0 {
		t.Errorf("Ignored = %+v, want the tombstone only", got)
	}
}

func TestJSONTypes(t *testing.T) {
	cols := []connector.Column{
		col("ti", arrow.PrimitiveTypes.Int8, "TINYINT"),
		col("si", arrow.PrimitiveTypes.Int16, "SMALLINT"),
		col("i", arrow.PrimitiveTypes.Int32, "INT"),
		col("f", arrow.PrimitiveTypes.Float32, "FLOAT"),
		col("d", arrow.PrimitiveTypes.Float64, "DOUBLE"),
		col("dec", &arrow.Decimal128Type{Precision: 10, Scale: 2}, "DECIMAL(10, 2)"),
		col("b", arrow.FixedWidthTypes.Boolean, "BOOLEAN"),
		col("dt", arrow.FixedWidthTypes.Date32, "DATE"),
		col("tm", arrow.FixedWidthTypes.Time64us, "TIME(3)"),
		col("ltz", ltzMicro, "TIMESTAMP_LTZ(6)"),
		col("bin", arrow.BinaryTypes.Binary, "BYTES"),
	}
	all := func(vals ...string) string { return strings.Join(vals, "|") }
	nulls := func(i int, v string) string {
		parts := make([]string, len(cols))
		for j := range parts {
			parts[j] = "NULL"
		}
		parts[i] = v
		return all(parts...)
	}
	h := newHarness(t, "json", cols, nil)
	check(t, h, []struct{ in, want string }{
		{`{"ti":-128,"si":32767,"i":-2147483648,"f":1.5,"d":-2.5e-3,"dec":"12345678.905","b":true,"dt":"2026-02-28","tm":"23:59:58.1239","ltz":"2026-11-21 10:00:00.000001Z","bin":"aGk="}`,
			all("-128", "32767", "-2147483648", "1.5", "-0.0025", "12345678.91", "true", "2026-02-28", "23:59:58.123000", "2026-11-21T10:00:00.000001Z", "aGk=")},
		{`{"ti":300}`, `error: field ti at byte 6: "300" is out of range for TINYINT`},
		{`{"ti":-129}`, "error: is out of range for TINYINT"},
		{`{"si":32768}`, "error: is out of range for SMALLINT"},
		{`{"f":1e39}`, "error: out of range for FLOAT"},
		{`{"dec":123456789.1}`, "error: out of range for DECIMAL(10, 2)"},
		{`{"dec":99999999.995}`, "error: out of range for DECIMAL(10, 2)"}, // rounds up to 11 digits
		{`{"dec":-0.005}`, nulls(5, "-0.01")},                              // half up, away from zero
		{`{"dec":1.5E3}`, nulls(5, "1500")},
		{`{"dec":0.0000000000000000000000000000000000000000000001}`, nulls(5, "0")},
		{`{"dec":123e-2}`, nulls(5, "1.23")},
		{`{"dec":"abc"}`, "error: \"abc\": not a number for DECIMAL(10, 2)"},
		{`{"b":"TRUE"}`, nulls(6, "true")},
		{`{"b":1}`, "error: a number where BOOLEAN is expected"},
		{`{"b":"yes"}`, "error: not a BOOLEAN"},
		{`{"dt":"2024-02-29"}`, nulls(7, "2024-02-29")},
		{`{"dt":"2023-02-29"}`, "error: is not a DATE"},
		{`{"dt":"1969-12-31"}`, nulls(7, "1969-12-31")},
		{`{"tm":"24:00:00"}`, "error: is not a TIME"},
		{`{"ltz":"2026-11-21 10:00:00"}`, nulls(9, "2026-11-21T10:00:00Z")},
		{`{"bin":"aGk"}`, nulls(10, "aGk=")},
		{`{"bin":"a*k="}`, "error: invalid base64 at character 1"},
		{`{"d":"NaN"}`, nulls(4, "NaN")},
	})
}

func TestJSONNested(t *testing.T) {
	row := arrow.StructOf(
		arrow.Field{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "zip", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	)
	cols := []connector.Column{
		col("tags", arrow.ListOf(arrow.PrimitiveTypes.Int32), "ARRAY<INT>"),
		col("attrs", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), "MAP<STRING, BIGINT>"),
		col("addr", row, "ROW<city STRING, zip INT>"),
		col("rows", arrow.ListOf(row), "ARRAY<ROW<city STRING, zip INT>>"),
	}
	h := newHarness(t, "json", cols, nil)
	check(t, h, []struct{ in, want string }{
		{`{"tags":[1,null,3],"attrs":{"a":1,"b":null},"addr":{"zip":"7","city":"Oslo","x":[]},"rows":[{"city":"A"},null,{}]}`,
			`[1,null,3]|[{"key":"a","value":1},{"key":"b","value":null}]|{"city":"Oslo","zip":7}|[{"city":"A","zip":null},null,{"city":null,"zip":null}]`},
		{`{"tags":[],"attrs":{},"addr":null,"rows":[]}`, `[]|[]|NULL|[]`},
		{`{"tags":[1,"x"]}`, `error: field tags[] at byte 11: "x" is not an integer for INT`},
		{`{"rows":[{"zip":1.5}]}`, "error: field rows[].zip at byte 16"},
		{`{"addr":[1]}`, "error: an array where ROW<city STRING, zip INT> is expected"},
		{`{"attrs":{"a":1,}}`, "error: want a key"},
		// Good records after bad ones are whole.
		{`{"tags":[4]}`, `[4]|NULL|NULL|NULL`},
	})
}

func TestJSONOptions(t *testing.T) {
	cols := []connector.Column{
		col("a", arrow.PrimitiveTypes.Int8, "TINYINT"),
		col("ts", tsMicro, "TIMESTAMP(6)"),
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Declared: "BIGINT NOT NULL"},
	}
	t.Run("ignore-parse-errors", func(t *testing.T) {
		h := newHarness(t, "json", cols, map[string]string{"json.ignore-parse-errors": "true"})
		check(t, h, []struct{ in, want string }{
			{`{"a":300,"ts":"nope","k":1}`, "NULL|NULL|1"},
			{`{"a":1,"k":2`, "error: record skipped"},
			{`{"a":1}`, "error: record skipped"}, // NOT NULL k missing
			{`{"a":1,"k":"x"}`, "error: record skipped"},
			{`{"a":[1,{"b":2}],"k":3}`, "NULL|NULL|3"},
		})
		if got := h.d.Ignored(); got != (Ignored{Records: 3, Fields: 3}) {
			t.Errorf("Ignored = %+v, want 3 records, 3 fields", got)
		}
	})
	t.Run("fail-on-missing-field", func(t *testing.T) {
		h := newHarness(t, "json", cols, map[string]string{"json.fail-on-missing-field": "true"})
		check(t, h, []struct{ in, want string }{
			{`{"a":1,"ts":null,"k":1}`, "1|NULL|1"},
			{`{"a":1,"k":1}`, "error: field ts at byte 13: missing ('json.fail-on-missing-field' is true)"},
		})
	})
	t.Run("ISO-8601", func(t *testing.T) {
		h := newHarness(t, "json", cols, map[string]string{"json.timestamp-format.standard": "ISO-8601"})
		check(t, h, []struct{ in, want string }{
			{`{"ts":"2026-11-21T10:00:00.5Z","k":1}`, "NULL|2026-11-21T10:00:00.5|1"},
			{`{"ts":"2026-11-21T10:00","k":1}`, "NULL|2026-11-21T10:00:00|1"},
			{`{"ts":"2026-11-21 10:00:00","k":1}`, "error: (want yyyy-MM-ddTHH:mm:ss[.fraction][Z])"},
		})
	})
	for _, c := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"json.fail-on-missing-field": "true", "json.ignore-parse-errors": "true"}, "cannot both be true"},
		{map[string]string{"json.ignore-parse-errors": "yes"}, "want true or false"},
		{map[string]string{"json.timestamp-format.standard": "RFC"}, "want SQL or ISO-8601"},
		{map[string]string{"json.bogus": "1"}, "unknown option 'json.bogus' for format json"},
	} {
		if _, err := New("json", cols, newHarness(t, "json", cols, nil).rb.Fields(), c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%v) = %v, want %q", c.opts, err, c.want)
		}
	}
	if _, err := New("avro", cols, nil, nil); err == nil || !strings.Contains(err.Error(), "BUG") {
		t.Errorf("builder count mismatch: %v", err)
	}
	h := newHarness(t, "json", cols, nil)
	if _, err := New("avro", cols, h.rb.Fields(), nil); err == nil || !strings.Contains(err.Error(), `format "avro" is not supported`) {
		t.Errorf("unknown format: %v", err)
	}
}
