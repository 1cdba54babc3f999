package expr

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

func mustResolve(t *testing.T, name string, args ...Expr) Expr {
	t.Helper()
	e, err := Resolve(name, args)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func col(i int, name string, dt arrow.DataType) *Column {
	return &Column{Index: i, Name: name, DataType: dt}
}

func li(v any) Expr { return Lit(toScalar(nil, v)) }

func TestCast(t *testing.T) {
	cases := []struct {
		v    any
		to   arrow.DataType
		try  bool
		want string
	}{
		{"42", tI32, false, "42"},
		{" 42 ", tI64, false, "42"},
		{"1.9", tI32, false, "1"},
		{"abc", tI32, false, "ERR: cannot cast 'abc' to INT"},
		{"abc", tI32, true, "NULL"},
		{"300", tI8, false, "ERR"},
		{300, tI8, false, "44"}, // Java narrowing wraps
		{1e20, tI32, false, "2147483647"},
		{1e20, tI64, false, "9223372036854775807"},
		{-2.7, tI32, false, "-2"},
		{decV("-2.7"), tI32, false, "-2"},
		{decV("12.345"), &arrow.Decimal128Type{Precision: 4, Scale: 2}, false, "12.35"},
		{decV("123.45"), &arrow.Decimal128Type{Precision: 4, Scale: 2}, false, "NULL"}, // overflow is NULL
		{"1.5", &arrow.Decimal128Type{Precision: 5, Scale: 2}, false, "1.50"},
		{1.5, tStr, false, "1.5"},
		{1e10, tStr, false, "1.0E10"},
		{true, tStr, false, "TRUE"},
		{"true", tBool, false, "TRUE"},
		{"no", tBool, false, "FALSE"},
		{"maybe", tBool, true, "NULL"},
		{0, tBool, false, "FALSE"},
		{true, tI32, false, "1"},
		{"2021-03-14", tDate, false, "2021-03-14"},
		{"2021-03-14 15:09:26.5", tTS, false, "2021-03-14 15:09:26.5"},
		{"2021-03-14T15:09:26", tTS, false, "2021-03-14 15:09:26"},
		{"2021-03-14", tTS, false, "2021-03-14 00:00:00"},
		{tsV("2021-03-14 15:09:26"), tDate, false, "2021-03-14"},
		{dateV("2021-03-14"), tTS, false, "2021-03-14 00:00:00"},
		{dateV("2021-03-14"), tStr, false, "2021-03-14"},
		{tsV("2021-03-14 15:09:26.123"), tStr, false, "2021-03-14 15:09:26.123000"}, // padded to the type's precision, as Flink prints it,
		{decV("1.50"), tStr, false, "1.50"},
		{decV("1.50"), tF64, false, "1.5"},
		{i64(7), tF32, false, "7.0"},
		{"hi", tBin, false, "6869"},
		{tsV("2021-03-14 15:09:26"), tLTZ, false, "2021-03-14 15:09:26"},
	}
	for _, c := range cases {
		e, err := NewCast(li(c.v), c.to, c.try)
		if err != nil {
			t.Errorf("NewCast(%v, %s): %v", c.v, c.to, err)
			continue
		}
		// column form
		s := toScalar(t, c.v)
		ctx := testCtx(t)
		arr, _ := scalar.MakeArrayFromScalar(s, 2, ctx.Alloc)
		ce, _ := NewCast(col(0, "x", s.DataType()), c.to, c.try)
		ev, err := Compile(ce)
		if err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "x", Type: s.DataType(), Nullable: true}}, nil), []arrow.Array{arr}, 2)
		out, err := ev(ctx, b)
		got := ""
		if err != nil {
			got = "ERR: " + err.Error()
		} else {
			got = show(out, 0)
			out.Release()
		}
		b.Release()
		arr.Release()
		if got != c.want && !(strings.HasPrefix(c.want, "ERR") && strings.HasPrefix(got, c.want)) {
			t.Errorf("CAST(%v AS %s) try=%v = %q, want %q", c.v, typeName(c.to), c.try, got, c.want)
		}
		// Folding agrees, or fails where the column form failed.
		f, ferr := Fold(e, nil)
		if strings.HasPrefix(c.want, "ERR") {
			if ferr == nil {
				t.Errorf("CAST(%v AS %s) folded without error", c.v, typeName(c.to))
			}
			continue
		}
		if ferr != nil {
			t.Errorf("fold CAST(%v AS %s): %v", c.v, typeName(c.to), ferr)
			continue
		}
		fa, _ := scalar.MakeArrayFromScalar(f.(*Literal).Value, 1, ctx.Alloc)
		if g := show(fa, 0); g != c.want {
			t.Errorf("folded CAST(%v AS %s) = %q, want %q", c.v, typeName(c.to), g, c.want)
		}
		fa.Release()
	}
	if _, err := NewCast(li(true), tDate, false); err == nil || err.Error() != "cannot cast BOOLEAN to DATE" {
		t.Errorf("got %v", err)
	}
	if _, err := NewCast(li(dateV("2020-01-01")), tI32, false); err == nil {
		t.Error("DATE to INT allowed")
	}
}

// batch builds a record batch from int32/string columns.
func testBatch(t *testing.T, ctx *EvalContext, ints []*int32, strs []*string) arrow.RecordBatch {
	ib := array.NewInt32Builder(ctx.Alloc)
	defer ib.Release()
	for _, v := range ints {
		if v == nil {
			ib.AppendNull()
		} else {
			ib.Append(*v)
		}
	}
	sb := array.NewStringBuilder(ctx.Alloc)
	defer sb.Release()
	for _, v := range strs {
		if v == nil {
			sb.AppendNull()
		} else {
			sb.Append(*v)
		}
	}
	ia, sa := ib.NewArray(), sb.NewArray()
	defer ia.Release()
	defer sa.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "i", Type: tI32, Nullable: true}, {Name: "s", Type: tStr, Nullable: true}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{ia, sa}, int64(len(ints)))
}

func p[T any](v T) *T { return &v }

func evalAll(t *testing.T, ctx *EvalContext, e Expr, b arrow.RecordBatch) []string {
	t.Helper()
	ev, err := Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ev(ctx, b)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	defer out.Release()
	res := make([]string, out.Len())
	for i := range res {
		res[i] = show(out, i)
	}
	return res
}

func TestCaseAndLaziness(t *testing.T) {
	ctx := testCtx(t)
	b := testBatch(t, ctx, []*int32{p[int32](0), p[int32](5), nil, p[int32](-2)}, []*string{p("a"), nil, p("c"), p("d")})
	defer b.Release()
	i, s := col(0, "i", tI32), col(1, "s", tStr)

	// CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' END
	c, err := NewCase([]When{
		{Cond: mustResolve(t, ">", i, li(0)), Then: li("pos")},
		{Cond: mustResolve(t, "<", i, li(0)), Then: li("neg")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(evalAll(t, ctx, c, b), ","); got != "NULL,pos,NULL,neg" {
		t.Errorf("CASE = %s", got)
	}
	if got := c.String(); got != "CASE WHEN (i > 0) THEN 'pos' WHEN (i < 0) THEN 'neg' END" {
		t.Errorf("String = %s", got)
	}
	// Mixed branch types coerce: INT and DOUBLE give DOUBLE.
	c2, err := NewCase([]When{{Cond: mustResolve(t, "IS NULL", s), Then: i}}, li(1.5))
	if err != nil || !arrow.TypeEqual(c2.Type(), tF64) {
		t.Fatalf("%v %v", c2, err)
	}
	if got := strings.Join(evalAll(t, ctx, c2, b), ","); got != "1.5,5.0,1.5,1.5" {
		t.Errorf("CASE = %s", got)
	}
	if _, err := NewCase([]When{{Cond: i, Then: li(1)}}, nil); err == nil {
		t.Error("INT condition accepted")
	}
	if _, err := NewCase([]When{{Cond: li(true), Then: li(1)}}, li("x")); err == nil {
		t.Error("INT and STRING branches accepted")
	}

	// CASE WHEN i <> 0 THEN 10 / i ELSE -1 END must not divide by zero.
	div := mustResolve(t, "/", li(10), i)
	lazy, _ := NewCase([]When{{Cond: mustResolve(t, "<>", i, li(0)), Then: div}}, li(-1))
	if got := strings.Join(evalAll(t, ctx, lazy, b), ","); got != "-1,2,-1,-5" {
		t.Errorf("lazy CASE = %s", got)
	}
	// i <> 0 AND 10 / i > 1: the right side only runs where needed.
	and := mustResolve(t, "AND", mustResolve(t, "<>", i, li(0)), mustResolve(t, ">", div, li(1)))
	if got := strings.Join(evalAll(t, ctx, and, b), ","); got != "FALSE,TRUE,NULL,FALSE" {
		t.Errorf("lazy AND = %s", got)
	}
	// IF and COALESCE are lazy as well.
	iff := mustResolve(t, "IF", mustResolve(t, "=", i, li(0)), li(0), div)
	if got := strings.Join(evalAll(t, ctx, iff, b), ","); got != "0,2,NULL,-5" {
		t.Errorf("lazy IF = %s", got)
	}
	// …but a division by zero that is reached still fails.
	ev, _ := Compile(div)
	if _, err := ev(ctx, b); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("10 / i: %v", err)
	}
	// IN over a non-literal list is rewritten to ORs.
	in := mustResolve(t, "IN", i, li(5), mustResolve(t, "+", i, li(0)))
	if got := strings.Join(evalAll(t, ctx, in, b), ","); got != "TRUE,TRUE,NULL,TRUE" {
		t.Errorf("IN = %s", got)
	}
	// UPPER over a column with NULLs, LIKE with a column pattern.
	if got := strings.Join(evalAll(t, ctx, mustResolve(t, "UPPER", s), b), ","); got != "A,NULL,C,D" {
		t.Errorf("UPPER = %s", got)
	}
	if got := strings.Join(evalAll(t, ctx, mustResolve(t, "LIKE", li("c"), s), b), ","); got != "FALSE,NULL,TRUE,FALSE" {
		t.Errorf("LIKE = %s", got)
	}
	// A literal at the top level is broadcast to the batch length.
	if got := strings.Join(evalAll(t, ctx, li(7), b), ","); got != "7,7,7,7" {
		t.Errorf("literal = %s", got)
	}
}

func TestFold(t *testing.T) {
	i := col(0, "i", tI32)
	e := mustResolve(t, "+", i, mustResolve(t, "*", li(2), li(3)))
	f, err := Fold(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.String() != "(i + 6)" {
		t.Errorf("folded to %s", f)
	}
	// A reachable error surfaces at plan time…
	if _, err := Fold(mustResolve(t, "/", li(1), li(0)), nil); err == nil {
		t.Error("1 / 0 folded")
	}
	// …one under a branch that may not run is left for run time.
	c, _ := NewCase([]When{{Cond: mustResolve(t, ">", i, li(0)), Then: mustResolve(t, "/", li(1), li(0))}}, nil)
	if _, err := Fold(c, nil); err != nil {
		t.Errorf("lazy branch: %v", err)
	}
	// Constant conditions prune branches.
	c2, _ := NewCase([]When{{Cond: li(false), Then: li(1)}, {Cond: li(true), Then: li(2)}}, li(3))
	if f, _ := Fold(c2, nil); f.String() != "2" {
		t.Errorf("CASE folded to %s", f)
	}
	// TRY_CAST folds to NULL instead of failing.
	tc, _ := NewCast(li("x"), tI32, true)
	if f, err := Fold(tc, nil); err != nil || f.(*Literal).Value.IsValid() {
		t.Errorf("TRY_CAST folded to %v, %v", f, err)
	}
	// Null-on-null with a NULL literal folds to NULL.
	if f, _ := Fold(mustResolve(t, "UPPER", li(nil)), nil); f.String() != "CAST(NULL AS STRING)" {
		t.Errorf("UPPER(NULL) folded to %s", f)
	}
}

func TestString(t *testing.T) {
	x, s := col(0, "x", tI64), col(1, "my col", tStr)
	ts := col(2, "ts", tTS)
	cases := []struct {
		e    Expr
		want string
	}{
		{mustResolve(t, "+", x, li(1)), "(x + CAST(1 AS BIGINT))"},
		{mustResolve(t, "UPPER", s), "UPPER(`my col`)"},
		{li("it's"), "'it''s'"},
		{li(1.5), "1.5E0"},
		{li(decV("1.50")), "1.50"},
		{li(true), "TRUE"},
		{li(nil), "NULL"},
		{li(dateV("2020-01-02")), "DATE '2020-01-02'"},
		{li(tsV("2020-01-02 03:04:05")), "TIMESTAMP '2020-01-02 03:04:05'"},
		{&Cast{Arg: x, To: tStr}, "CAST(x AS STRING)"},
		{&Cast{Arg: x, To: tI32, Try: true}, "TRY_CAST(x AS INT)"},
		{mustResolve(t, "NOT", mustResolve(t, "IS NULL", x)), "(NOT (x IS NULL))"},
		{mustResolve(t, "LIKE", s, li("a%"), li("!")), "(`my col` LIKE 'a%' ESCAPE '!')"},
		{mustResolve(t, "EXTRACT", li("YEAR"), ts), "EXTRACT(YEAR FROM ts)"},
		{mustResolve(t, "FLOOR", ts, li("DAY")), "FLOOR(ts TO DAY)"},
		{mustResolve(t, "TIMESTAMPADD", li("HOUR"), li(1), ts), "TIMESTAMPADD(HOUR, CAST(1 AS BIGINT), ts)"},
		{mustResolve(t, "TRIM", li("BOTH"), li(" "), s), "TRIM(BOTH ' ' FROM `my col`)"},
		{mustResolve(t, "POSITION", li("a"), s), "POSITION('a' IN `my col`)"},
		{mustResolve(t, "IN", x, li(1), li(2)), "(x IN (CAST(1 AS BIGINT), CAST(2 AS BIGINT)))"},
		{mustResolve(t, "NEG", x), "(-x)"},
		{mustResolve(t, "IS DISTINCT FROM", x, li(1)), "(x IS DISTINCT FROM CAST(1 AS BIGINT))"},
	}
	for _, c := range cases {
		got := c.e.String()
		if f, err := Fold(c.e, nil); err == nil {
			got = f.String() // literal casts fold away
		}
		if got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		args []Expr
		want string
	}{
		{"UPPR", []Expr{li("a")}, "no function UPPR; did you mean UPPER?"},
		{"frobnicate", nil, "no function FROBNICATE"},
		{"UPPER", []Expr{li("a"), li("b")}, "UPPER takes 1 argument, got 2"},
		{"SUBSTRING", []Expr{li("a")}, "SUBSTRING takes 2 to 3 arguments, got 1"},
		{"CONCAT", nil, "CONCAT takes at least 1 arguments, got 0"},
		{"+", []Expr{li("a"), li(1)}, "cannot apply '+' to arguments of type STRING and INT"},
		{"EXTRACT", []Expr{li("YEAR"), li(1)}, "cannot apply 'EXTRACT'"},
		{"TRIM", []Expr{li("MIDDLE"), li(" "), li("x")}, "side must be BOTH"},
		{"LIKE", []Expr{li("a"), li("a!"), li("!")}, "ends with the escape"},
		{"LIKE", []Expr{li("a"), li("a"), li("!!")}, "escape must be one character"},
	} {
		_, err := Resolve(c.name, c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Resolve(%s): %v, want %q", c.name, err, c.want)
		}
	}
	// Lower-case names and extra spaces resolve.
	if _, err := Resolve("is  not null", []Expr{li(1)}); err != nil {
		t.Error(err)
	}
}

func TestCommonType(t *testing.T) {
	for _, c := range []struct {
		a, b arrow.DataType
		want string
	}{
		{tI8, tI32, "INT"},
		{tI32, tI64, "BIGINT"},
		{tI32, &arrow.Decimal128Type{Precision: 5, Scale: 2}, "DECIMAL(12, 2)"},
		{tI32, tF32, "FLOAT"},
		{tF32, tF64, "DOUBLE"},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, tF64, "DOUBLE"},
		{tDate, tTS, "TIMESTAMP(6)"},
		{arrow.Null, tStr, "STRING"},
		{arrow.BinaryTypes.LargeString, tStr, "STRING"},
		{tStr, tI32, ""},
		{tBool, tI32, ""},
	} {
		got, ok := CommonType(c.a, c.b)
		name := ""
		if ok {
			name = typeName(got)
		}
		if name != c.want {
			t.Errorf("CommonType(%s, %s) = %s, want %s", c.a, c.b, name, c.want)
		}
	}
}

func TestNames(t *testing.T) {
	names := Names()
	if len(names) < 80 {
		t.Errorf("%d functions, want at least 80", len(names))
	}
	for _, n := range names {
		if strings.ContainsAny(n, " +-*/%|=<>") {
			t.Errorf("operator %q listed", n)
		}
	}
	t.Logf("%d functions: %s", len(names), strings.Join(names, " "))
}
