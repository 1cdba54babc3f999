package clickhouse

import (
	"reflect"
	"testing"
)

func TestSplitStatement(t *testing.T) {
	for _, tt := range []struct {
		in, text, format string
		settings         map[string]string
		err              bool
	}{
		{in: "SELECT 1", text: "SELECT 1"},
		{in: "SELECT 1 FORMAT JSON;", text: "SELECT 1", format: "JSON"},
		{in: "SELECT 1 SETTINGS a = 1, b = 'x' FORMAT CSV", text: "SELECT 1", format: "CSV", settings: map[string]string{"a": "1", "b": "x"}},
		{in: "SELECT 1 FORMAT CSV SETTINGS a=1", text: "SELECT 1", format: "CSV", settings: map[string]string{"a": "1"}},
		{in: "SELECT (1) FORMAT `JSON`", text: "SELECT (1)", format: "JSON"},
		{in: "SELECT 'FORMAT JSON'", text: "SELECT 'FORMAT JSON'"},
		{in: "SELECT 1 -- FORMAT JSON", text: "SELECT 1"},
		{in: "SELECT 1 /* FORMAT JSON */", text: "SELECT 1"},
		{in: "SELECT `FORMAT` FROM t", text: "SELECT `FORMAT` FROM t"},
		{in: "SELECT f(SETTINGS = 1)", text: "SELECT f(SETTINGS = 1)"},
		{in: "SELECT 'it''s', \"a\"\"b\" FORMAT TSV", text: `SELECT 'it''s', "a""b"`, format: "TSV"},
		{in: "SELECT 1; SELECT 2", err: true},
		{in: "SELECT 'x", err: true},
		{in: "SELECT /* x", err: true},
	} {
		st, err := splitStatement(tt.in)
		if tt.err {
			if err == nil {
				t.Errorf("%q: no error", tt.in)
			}
			continue
		}
		if err != nil || st.text != tt.text || st.format != tt.format || !reflect.DeepEqual(st.settings, tt.settings) {
			t.Errorf("%q: %+v %v", tt.in, st, err)
		}
	}
}

func TestLegacyTypeNames(t *testing.T) {
	rec := typesRecord(t)
	var got []string
	for _, f := range rec.Schema().Fields() {
		got = append(got, typeName(f, true))
	}
	want := []string{"Array(Nullable(Int32))", "Nullable(String)", "String", "Decimal(30, 4)", "Nullable(Decimal(5, 2))",
		"String", "String", "FixedString(3)", "Int8", "UInt64"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("legacy types\n%q\nwant\n%q", got, want)
	}
}
