package expr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// Test values: Go values become literals of the Flink type Go suggests.
type dateV string
type tsV string
type ltzV string
type decV string // "12.50" → DECIMAL(p, s) from the digits
type i64 int64
type i8 int8
type durV int64 // microseconds
type monV int32
type unitV string           // a keyword argument (unit, TRIM side)
type litArg struct{ v any } // an argument that stays a literal in the column form

func lit(v any) litArg { return litArg{v} }

func toScalar(t testing.TB, v any) scalar.Scalar {
	switch v := v.(type) {
	case nil:
		return scalar.ScalarNull
	case scalar.Scalar:
		return v
	case int:
		return scalar.NewInt32Scalar(int32(v))
	case i64:
		return scalar.NewInt64Scalar(int64(v))
	case i8:
		return scalar.NewInt8Scalar(int8(v))
	case float64:
		return scalar.NewFloat64Scalar(v)
	case float32:
		return scalar.NewFloat32Scalar(v)
	case string:
		return scalar.NewStringScalar(v)
	case unitV:
		return scalar.NewStringScalar(string(v))
	case litArg:
		return toScalar(t, v.v)
	case []byte:
		return scalar.NewBinaryScalar(memory.NewBufferBytes(v), arrow.BinaryTypes.Binary)
	case bool:
		return scalar.NewBooleanScalar(v)
	case dateV:
		d, ok := parseDate(string(v))
		if !ok {
			t.Fatalf("bad date %q", v)
		}
		return scalar.NewDate32Scalar(arrow.Date32(d))
	case tsV:
		us, ok := parseTimestamp(string(v))
		if !ok {
			t.Fatalf("bad timestamp %q", v)
		}
		return scalar.NewTimestampScalar(arrow.Timestamp(us), tTS)
	case ltzV:
		us, ok := parseTimestamp(string(v))
		if !ok {
			t.Fatalf("bad timestamp %q", v)
		}
		return scalar.NewTimestampScalar(arrow.Timestamp(us), tLTZ)
	case decV:
		s := string(v)
		digits := strings.TrimLeft(strings.ReplaceAll(s, "-", ""), "0")
		scale := 0
		if _, frac, ok := strings.Cut(s, "."); ok {
			scale = len(frac)
		}
		p := max(len(strings.ReplaceAll(digits, ".", "")), scale, 1)
		n, err := decimal128.FromString(s, int32(p), int32(scale))
		if err != nil {
			t.Fatal(err)
		}
		return scalar.NewDecimal128Scalar(n, &arrow.Decimal128Type{Precision: int32(p), Scale: int32(scale)})
	case durV:
		return scalar.NewDurationScalar(arrow.Duration(v), tDur)
	case monV:
		return scalar.NewMonthIntervalScalar(arrow.MonthInterval(v))
	}
	t.Fatalf("unsupported test value %T", v)
	return nil
}

// show prints row i of a as the tests' expectations are written.
func show(a arrow.Array, i int) string {
	if a.IsNull(i) || a.DataType().ID() == arrow.NULL {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return fmt.Sprintf("%x", a.Value(i))
	case *array.Float64:
		return javaDouble(a.Value(i))
	case *array.Float32:
		return javaFloat(a.Value(i))
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Date32:
		return formatDate(int32(a.Value(i)))
	case *array.Timestamp:
		return formatTimestamp(int64(a.Value(i)))
	case *array.Boolean:
		if a.Value(i) {
			return "TRUE"
		}
		return "FALSE"
	}
	return a.ValueStr(i)
}

// testCtx returns a context on a checked allocator; the cleanup asserts
// every byte was released.
func testCtx(t testing.TB) *EvalContext {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return &EvalContext{Alloc: mem, NowMicros: 1_700_000_000_000_000, SessionTimeZone: "UTC"}
}

// run evaluates fn(args) three ways — folded literals, one-row columns and a
// three-row batch with NULL rows around — and returns the result (or error).
func run(t testing.TB, fn string, args ...any) (string, error) {
	t.Helper()
	lits := make([]Expr, len(args))
	for i, a := range args {
		lits[i] = Lit(toScalar(t, a))
	}
	e, err := Resolve(fn, lits)
	if err != nil {
		return "", err
	}
	ctx := testCtx(t)
	// 1. Folding at plan time.
	folded, ferr := Fold(e, ctx)
	var fromFold string
	if ferr == nil {
		if l, ok := folded.(*Literal); ok {
			a, err := scalar.MakeArrayFromScalar(l.Value, 1, memory.DefaultAllocator)
			if err != nil {
				t.Fatal(err)
			}
			fromFold = show(a, 0)
			a.Release()
		}
	}
	// 2. Columns: non-keyword args become columns of [v, v, v]; the result
	// must be the same in every row.
	var fields []arrow.Field
	var cols []arrow.Array
	cargs := make([]Expr, len(args))
	for i, a := range args {
		_, isLit := a.(litArg)
		if _, isUnit := a.(unitV); isUnit || isLit {
			cargs[i] = lits[i]
			continue
		}
		s := toScalar(t, a)
		col, err := scalar.MakeArrayFromScalar(s, 3, ctx.Alloc)
		if err != nil {
			t.Fatal(err)
		}
		defer col.Release()
		cargs[i] = &Column{Index: len(cols), Name: fmt.Sprintf("c%d", i), DataType: s.DataType()}
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", i), Type: s.DataType(), Nullable: true})
		cols = append(cols, col)
	}
	ce, err := Resolve(fn, cargs)
	if err != nil {
		return "", fmt.Errorf("column form: %w", err)
	}
	ev, err := Compile(ce)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, 3)
	defer b.Release()
	out, err := ev(ctx, b)
	if err != nil {
		if ferr == nil && fromFold != "" {
			t.Errorf("%s%v: folds to %s but fails on columns: %v", fn, args, fromFold, err)
		}
		return "", err
	}
	defer out.Release()
	if out.Len() != 3 {
		t.Fatalf("%s: %d rows, want 3", fn, out.Len())
	}
	got := show(out, 0)
	for i := 1; i < 3; i++ {
		if s := show(out, i); s != got {
			t.Errorf("%s%v: row %d is %s, row 0 %s", fn, args, i, s, got)
		}
	}
	if ferr != nil {
		t.Errorf("%s%v: fold failed (%v) but columns give %s", fn, args, ferr, got)
	} else if fromFold != "" && fromFold != got {
		t.Errorf("%s%v: folded %s, columns %s", fn, args, fromFold, got)
	}
	return got, nil
}

type tc struct {
	fn   string
	args []any
	want string // "ERR: substring" for an expected error
}

func runTable(t *testing.T, cases []tc) {
	t.Helper()
	for _, c := range cases {
		got, err := run(t, c.fn, c.args...)
		if strings.HasPrefix(c.want, "ERR") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(strings.TrimPrefix(c.want, "ERR:"))) {
				t.Errorf("%s%v: got %q, %v; want error %q", c.fn, c.args, got, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s%v: %v", c.fn, c.args, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s%v = %q, want %q", c.fn, c.args, got, c.want)
		}
	}
}

func a(v ...any) []any { return v }
