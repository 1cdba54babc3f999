package oracle

import (
	"cmp"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/marcboeker/go-duckdb"
)

// kind is the canonical class of a value. Values of different kinds are
// never equal, except that all numeric kinds compare by value.
type kind uint8

const (
	kNull kind = iota
	kBool
	kInt   // i
	kDec   // r: exact (decimals, HUGEINT, UBIGINT beyond int64)
	kFloat // f
	kString
	kBytes
	kTime // i: microseconds since 1970-01-01T00:00 (DATE, TIMESTAMP, TIMESTAMP_LTZ) or since midnight (TIME)
)

// value is one result cell in canonical form.
type value struct {
	k kind
	i int64
	f float64
	r *big.Rat
	s string // kString, kBytes
	// scale is a decimal's scale as the engine returned it: shown in
	// reports, ignored by comparisons (3.10 = 3.1).
	scale int32
}

type row []value

// floatTolerance is the relative difference two floats may have.
const floatTolerance = 1e-9

func (v value) isNum() bool { return v.k == kInt || v.k == kDec || v.k == kFloat }

func (v value) float() float64 {
	switch v.k {
	case kInt:
		return float64(v.i)
	case kDec:
		f, _ := v.r.Float64()
		return f
	}
	return v.f
}

func (v value) rat() *big.Rat {
	if v.k == kDec {
		return v.r
	}
	return new(big.Rat).SetInt64(v.i)
}

func floatEq(a, b float64) bool {
	switch {
	case a == b:
		return true
	case math.IsNaN(a) || math.IsNaN(b):
		return math.IsNaN(a) && math.IsNaN(b)
	case math.IsInf(a, 0) || math.IsInf(b, 0):
		return false
	}
	return math.Abs(a-b) <= floatTolerance*max(math.Abs(a), math.Abs(b))
}

// equal says whether two cells are the same answer.
func equal(a, b value) bool {
	if a.isNum() && b.isNum() {
		if a.k == kFloat || b.k == kFloat {
			return floatEq(a.float(), b.float())
		}
		if a.k == kInt && b.k == kInt {
			return a.i == b.i
		}
		return a.rat().Cmp(b.rat()) == 0
	}
	if a.k != b.k {
		return false
	}
	switch a.k {
	case kNull:
		return true
	case kBool, kTime:
		return a.i == b.i
	case kString, kBytes:
		return a.s == b.s
	}
	panic("BUG: unknown kind")
}

// order is a total order on cells used to sort rows before a multiset
// comparison: NULL first, then by kind, numbers by value.
func order(a, b value) int {
	ka, kb := a.k, b.k
	if a.isNum() {
		ka = kInt
	}
	if b.isNum() {
		kb = kInt
	}
	if ka != kb {
		return cmp.Compare(ka, kb)
	}
	switch ka {
	case kNull:
		return 0
	case kBool, kTime:
		return cmp.Compare(a.i, b.i)
	case kString, kBytes:
		return strings.Compare(a.s, b.s)
	}
	// Numbers: floats that are equal within the tolerance must sort
	// together, so compare them rounded to 9 significant digits.
	if a.k == kFloat || b.k == kFloat {
		fa, fb := roundSig(a.float()), roundSig(b.float())
		if math.IsNaN(fa) || math.IsNaN(fb) {
			return cmp.Compare(boolInt(math.IsNaN(fa)), boolInt(math.IsNaN(fb)))
		}
		return cmp.Compare(fa, fb)
	}
	if a.k == kInt && b.k == kInt {
		return cmp.Compare(a.i, b.i)
	}
	return a.rat().Cmp(b.rat())
}

func roundSig(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 9, 64), 64)
	return r
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func compareRows(a, b row) int {
	for i := range min(len(a), len(b)) {
		if c := order(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func rowsEqual(a, b row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func (v value) String() string {
	switch v.k {
	case kNull:
		return "NULL"
	case kBool:
		return strconv.FormatBool(v.i != 0)
	case kInt:
		return strconv.FormatInt(v.i, 10)
	case kDec:
		return v.r.FloatString(int(v.scale))
	case kFloat:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	case kString:
		return strconv.Quote(v.s)
	case kBytes:
		return fmt.Sprintf("x'%x'", v.s)
	case kTime:
		return time.UnixMicro(v.i).UTC().Format("2006-01-02 15:04:05.999999") + fmt.Sprintf(" (%dµs)", v.i)
	}
	return "?"
}

func (r row) String() string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = v.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// diff compares two results. ordered compares row by row; otherwise both
// sides are sorted first (multiset equality). It returns "" when they match,
// else a report of the row counts and the first differing rows.
func diff(wharf, duck []row, ordered bool) string {
	if !ordered {
		wharf, duck = slices.Clone(wharf), slices.Clone(duck)
		slices.SortStableFunc(wharf, compareRows)
		slices.SortStableFunc(duck, compareRows)
	}
	var b strings.Builder
	shown := 0
	n := max(len(wharf), len(duck))
	for i := 0; i < n && shown < 5; i++ {
		var w, d row
		if i < len(wharf) {
			w = wharf[i]
		}
		if i < len(duck) {
			d = duck[i]
		}
		if w != nil && d != nil && rowsEqual(w, d) {
			continue
		}
		ws, ds := "(none)", "(none)"
		if w != nil {
			ws = w.String()
		}
		if d != nil {
			ds = d.String()
		}
		fmt.Fprintf(&b, "  row %d:\n    wharf:  %s\n    duckdb: %s\n", i, ws, ds)
		shown++
	}
	if shown == 0 && len(wharf) == len(duck) {
		return ""
	}
	how := "sorted (no ORDER BY)"
	if ordered {
		how = "in order"
	}
	return fmt.Sprintf("rows: wharf %d, duckdb %d; compared %s; first differences:\n%s", len(wharf), len(duck), how, b.String())
}

// ---- wharf's Arrow results -----------------------------------------------

// arrowRows turns record batches into canonical rows.
func arrowRows(batches []arrow.RecordBatch) ([]row, error) {
	var out []row
	for _, b := range batches {
		n := int(b.NumRows())
		start := len(out)
		for range n {
			out = append(out, make(row, b.NumCols()))
		}
		for c := 0; c < int(b.NumCols()); c++ {
			col := b.Column(c)
			for i := range n {
				v, err := arrowValue(col, i)
				if err != nil {
					return nil, fmt.Errorf("column %d (%s): %w", c, b.ColumnName(c), err)
				}
				out[start+i][c] = v
			}
		}
	}
	return out, nil
}

func arrowValue(col arrow.Array, i int) (value, error) {
	if col.IsNull(i) {
		return value{}, nil
	}
	switch a := col.(type) {
	case *array.Boolean:
		return value{k: kBool, i: int64(boolInt(a.Value(i)))}, nil
	case *array.Int8:
		return value{k: kInt, i: int64(a.Value(i))}, nil
	case *array.Int16:
		return value{k: kInt, i: int64(a.Value(i))}, nil
	case *array.Int32:
		return value{k: kInt, i: int64(a.Value(i))}, nil
	case *array.Int64:
		return value{k: kInt, i: a.Value(i)}, nil
	case *array.Uint8:
		return value{k: kInt, i: int64(a.Value(i))}, nil
	case *array.Uint16:
		return value{k: kInt, i: int64(a.Value(i))}, nil
	case *array.Uint32:
		return value{k: kInt, i: int64(a.Value(i))}, nil
	case *array.Uint64:
		return uintValue(a.Value(i)), nil
	case *array.Float32:
		return value{k: kFloat, f: float64(a.Value(i))}, nil
	case *array.Float64:
		return value{k: kFloat, f: a.Value(i)}, nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return decValue(a.Value(i).BigInt(), scale), nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return decValue(a.Value(i).BigInt(), scale), nil
	case *array.String:
		return value{k: kString, s: a.Value(i)}, nil
	case *array.LargeString:
		return value{k: kString, s: a.Value(i)}, nil
	case *array.StringView:
		return value{k: kString, s: a.Value(i)}, nil
	case *array.Binary:
		return value{k: kBytes, s: string(a.Value(i))}, nil
	case *array.LargeBinary:
		return value{k: kBytes, s: string(a.Value(i))}, nil
	case *array.FixedSizeBinary:
		return value{k: kBytes, s: string(a.Value(i))}, nil
	case *array.Date32:
		return value{k: kTime, i: int64(a.Value(i)) * 86_400_000_000}, nil
	case *array.Date64:
		return value{k: kTime, i: int64(a.Value(i)) * 1000}, nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return value{k: kTime, i: toMicros(int64(a.Value(i)), unit)}, nil
	case *array.Time32:
		unit := a.DataType().(*arrow.Time32Type).Unit
		return value{k: kTime, i: toMicros(int64(a.Value(i)), unit)}, nil
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		return value{k: kTime, i: toMicros(int64(a.Value(i)), unit)}, nil
	}
	return value{}, fmt.Errorf("no canonical form for Arrow type %s", col.DataType())
}

func toMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1_000_000
	case arrow.Millisecond:
		return v * 1000
	case arrow.Nanosecond:
		return v / 1000 // DuckDB's TIMESTAMP_NS is compared at µs too
	}
	return v
}

func uintValue(u uint64) value {
	if u <= math.MaxInt64 {
		return value{k: kInt, i: int64(u)}
	}
	return value{k: kDec, r: new(big.Rat).SetInt(new(big.Int).SetUint64(u))}
}

func decValue(unscaled *big.Int, scale int32) value {
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	return value{k: kDec, r: new(big.Rat).SetFrac(unscaled, den), scale: scale}
}

// ---- DuckDB's database/sql results ---------------------------------------

// sqlRows reads every row of a DuckDB result in canonical form.
func sqlRows(rs *sql.Rows) (ncols int, out []row, err error) {
	types, err := rs.ColumnTypes()
	if err != nil {
		return 0, nil, err
	}
	cells := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return 0, nil, err
		}
		r := make(row, len(types))
		for i, c := range cells {
			if r[i], err = duckValue(c, types[i].DatabaseTypeName()); err != nil {
				return 0, nil, fmt.Errorf("column %d (%s %s): %w", i, types[i].Name(), types[i].DatabaseTypeName(), err)
			}
		}
		out = append(out, r)
	}
	return len(types), out, rs.Err()
}

func duckValue(c any, typeName string) (value, error) {
	switch v := c.(type) {
	case nil:
		return value{}, nil
	case bool:
		return value{k: kBool, i: int64(boolInt(v))}, nil
	case int8:
		return value{k: kInt, i: int64(v)}, nil
	case int16:
		return value{k: kInt, i: int64(v)}, nil
	case int32:
		return value{k: kInt, i: int64(v)}, nil
	case int64:
		return value{k: kInt, i: v}, nil
	case uint8:
		return value{k: kInt, i: int64(v)}, nil
	case uint16:
		return value{k: kInt, i: int64(v)}, nil
	case uint32:
		return value{k: kInt, i: int64(v)}, nil
	case uint64:
		return uintValue(v), nil
	case *big.Int: // HUGEINT
		return value{k: kDec, r: new(big.Rat).SetInt(v)}, nil
	case float32:
		return value{k: kFloat, f: float64(v)}, nil
	case float64:
		return value{k: kFloat, f: v}, nil
	case duckdb.Decimal:
		return decValue(v.Value, int32(v.Scale)), nil
	case string:
		return value{k: kString, s: v}, nil
	case []byte:
		return value{k: kBytes, s: string(v)}, nil
	case time.Time:
		if strings.HasPrefix(typeName, "TIME") && !strings.HasPrefix(typeName, "TIMESTAMP") {
			// TIME (and TIMETZ): microseconds since midnight.
			h, m, s := v.Clock()
			return value{k: kTime, i: int64(h)*3_600_000_000 + int64(m)*60_000_000 + int64(s)*1_000_000 + int64(v.Nanosecond()/1000)}, nil
		}
		return value{k: kTime, i: v.UnixMicro()}, nil
	}
	return value{}, fmt.Errorf("no canonical form for %T (%s)", c, typeName)
}
