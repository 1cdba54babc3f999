package oracle

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

// TestEqual pins the canonical comparison rules.
func TestEqual(t *testing.T) {
	dec := func(num, den int64) value { return value{k: kDec, r: big.NewRat(num, den)} }
	i := func(v int64) value { return value{k: kInt, i: v} }
	fl := func(v float64) value { return value{k: kFloat, f: v} }
	str := func(s string) value { return value{k: kString, s: s} }
	f := func(a, b value, want bool) {
		t.Helper()
		if got := equal(a, b); got != want {
			t.Fatalf("equal(%s, %s) = %v, want %v", a, b, got, want)
		}
		if got := equal(b, a); got != want {
			t.Fatalf("equal(%s, %s) = %v, want %v (not symmetric)", b, a, got, want)
		}
	}
	f(value{}, value{}, true)        // NULL = NULL
	f(value{}, i(0), false)          // NULL is no value
	f(i(3), i(3), true)              // ints exactly
	f(i(3), dec(300, 100), true)     // 3 = 3.00: scale does not matter
	f(dec(1, 3), dec(2, 6), true)    // exact rationals
	f(dec(101, 100), i(1), false)    // decimals exactly
	f(fl(1), fl(1+1e-12), true)      // floats within 1e-9 relative
	f(fl(1), fl(1+1e-8), false)      //
	f(fl(1e20), fl(1e20+1e10), true) // relative, not absolute
	f(fl(math.NaN()), fl(math.NaN()), true)
	f(fl(math.NaN()), fl(1), false)
	f(fl(math.Inf(1)), fl(math.Inf(1)), true)
	f(fl(math.Inf(1)), fl(math.MaxFloat64), false)
	f(fl(2.5), dec(5, 2), true)        // a float against a decimal: by value
	f(str("1"), i(1), false)           // kinds differ
	f(str("é"), str("e\u0301"), false) // strings byte-equal
	f(value{k: kTime, i: 5}, value{k: kTime, i: 5}, true)
	f(value{k: kBool, i: 1}, i(1), false)
}

// TestDiff checks ordered and multiset comparison and the report.
func TestDiff(t *testing.T) {
	r := func(vs ...int64) row {
		out := make(row, len(vs))
		for i, v := range vs {
			out[i] = value{k: kInt, i: v}
		}
		return out
	}
	a := []row{r(1, 2), r(3, 4), r(1, 2)}
	b := []row{r(3, 4), r(1, 2), r(1, 2)}
	if d := diff(a, b, false); d != "" {
		t.Fatalf("multisets differ:\n%s", d)
	}
	if d := diff(a, b, true); !strings.Contains(d, "row 0") {
		t.Fatalf("ordered comparison missed the order:\n%s", d)
	}
	if d := diff(a, b[:2], false); !strings.Contains(d, "wharf 3, duckdb 2") {
		t.Fatalf("row counts:\n%s", d)
	}
	if d := diff([]row{r(1, 2), r(1, 2)}, []row{r(1, 2), r(2, 1)}, false); d == "" {
		t.Fatal("a multiset is not a set: duplicates count")
	}
}

func TestParseQueries(t *testing.T) {
	const text = `-- preamble
-- a/one: first
-- duckdb: SELECT 1
-- duckdb:   AS x;
SELECT 1 AS x
FROM t ORDER BY x;

-- b/two: second
-- pending: GROUP BY
-- unordered
-- a note
SELECT a, COUNT(*) FROM t GROUP BY a ORDER BY a;
`
	qs, err := parseQueries(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 {
		t.Fatalf("%d queries", len(qs))
	}
	q := qs[0]
	if q.ID() != "a/one" || q.Line != 2 || q.SQL != "SELECT 1 AS x\nFROM t ORDER BY x" || q.Duck != "SELECT 1\nAS x" || !q.Ordered() {
		t.Fatalf("%+v", q)
	}
	q = qs[1]
	if q.Pending != "GROUP BY" || q.Ordered() || q.Duck != q.SQL {
		t.Fatalf("%+v", q)
	}
	for _, bad := range []string{
		"SELECT 1;",           // no header
		"-- a/x: y\nSELECT 1", // no ';'
		"-- a/x: y\nSELECT 1;\n-- a/x: z\nSELECT 2;", // duplicate
		"-- a/x: y\nSELECT 1;\n-- duckdb: SELECT 2;", // a directive after the SQL
	} {
		if _, err := parseQueries(strings.NewReader(bad)); err == nil {
			t.Fatalf("parsed %q", bad)
		}
	}
}

// TestQueryFile checks the suite's own file: it parses, and has the size
// issue 3 asks for.
func TestQueryFile(t *testing.T) {
	qs := loadQueries(t)
	if len(qs) < minQueries {
		t.Fatalf("%d queries, want at least %d", len(qs), minQueries)
	}
}
