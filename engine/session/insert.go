package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"

	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/engine/types"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// insert runs INSERT INTO t VALUES (…): a batch job of one epoch, committed
// through the ledger like any other job, so the snapshot carries its txid and
// provenance.
func (s *Session) insert(ctx context.Context, st *sql.Insert) (*Result, error) {
	values, ok := st.Source.Body.(*sql.Values)
	if st.Overwrite || !ok || len(st.Source.With) > 0 || st.Source.OrderBy != nil || st.Source.Limit != nil {
		return nil, &Error{Code: CodeUnsupported, Msg: statementName(st) + " needs the SQL engine's planner (coming); INSERT INTO … VALUES works now", Pos: pos(st.Pos)}
	}
	if len(st.Partition) > 0 {
		return nil, &Error{Code: CodeUnsupported, Msg: "INSERT … PARTITION (…) is not supported yet", Pos: pos(st.Partition[0].Pos)}
	}
	id, err := tableIdent(st.Table)
	if err != nil {
		return nil, err
	}
	tbl, err := s.wh.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	schema, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		return nil, err
	}
	// target[i] is the table column that VALUES position i fills.
	target := make([]int, 0, len(schema.Fields()))
	if len(st.Columns) == 0 {
		for i := range schema.Fields() {
			target = append(target, i)
		}
	} else {
		for _, c := range st.Columns {
			i := slices.IndexFunc(schema.Fields(), func(f arrow.Field) bool { return f.Name == c.Name })
			if i < 0 {
				return nil, &Error{Code: CodeNotFound, Msg: fmt.Sprintf("unknown column %s in table %s", c.Name, strings.Join(id, ".")), Pos: pos(c.Pos)}
			}
			if slices.Contains(target, i) {
				return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s listed twice", c.Name), Pos: pos(c.Pos)}
			}
			target = append(target, i)
		}
		for i, f := range schema.Fields() {
			if !f.Nullable && !slices.Contains(target, i) {
				return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s is NOT NULL and has no value", f.Name), Pos: pos(st.Pos)}
			}
		}
	}
	props := tbl.Properties()
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, row := range values.Rows {
		if len(row) != len(target) {
			at := st.Pos
			if len(row) > 0 {
				at = row[0].Position()
			}
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("a row has %d values but %d columns are inserted", len(row), len(target)), Pos: pos(at)}
		}
		filled := make([]bool, len(schema.Fields()))
		for j, e := range row {
			i := target[j]
			f := schema.Field(i)
			v, err := fold(e)
			if err == nil {
				err = appendValue(b.Field(i), f, props[typeProp(f.Name)], v)
			}
			if err != nil {
				return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s: %v", f.Name, err), Pos: pos(e.Position())}
			}
			filled[i] = true
		}
		for i, ok := range filled {
			if !ok {
				b.Field(i).AppendNull()
			}
		}
	}
	rec := b.NewRecordBatch()
	rows := rec.NumRows()
	files, err := lake.WriteFiles(ctx, tbl, schema, lake.Batches(rec))
	if err != nil {
		return nil, err
	}
	l, err := s.wh.Ledger("sql-" + uuid.NewString())
	if err != nil {
		return nil, err
	}
	l.BeginOneShot()
	sum := sha256.Sum256([]byte(st.String()))
	res, err := l.Commit(ctx, commit.Epoch{Number: 1, JobVersion: hex.EncodeToString(sum[:8])}, commit.Target{Table: id, Files: files})
	if err != nil {
		return nil, err
	}
	return &Result{Kind: ResultOK, Stats: Stats{RowsAffected: rows, SnapshotID: res.SnapshotID}}, nil
}

// value is a constant folded from a VALUES expression.
type value struct {
	kind  valueKind
	b     bool
	i     int64
	f     float64
	s     string // vString, and vNumber's exact text
	bytes []byte
	t     time.Time // vDate, vTime, vTimestamp (UTC)
}

type valueKind uint8

const (
	vNull valueKind = iota
	vBool
	vInt
	vNumber // an exact decimal, kept as text
	vFloat
	vString
	vBytes
	vDate
	vTime
	vTimestamp
)

// fold evaluates a constant expression: literals, signs and CASTs of them.
// General expressions in VALUES arrive with the expression compiler.
func fold(e sql.Expr) (value, error) {
	switch e := e.(type) {
	case *sql.Literal:
		return literal(e)
	case *sql.UnaryExpr:
		v, err := fold(e.Expr)
		if err != nil || e.Op == sql.OpPlus {
			return v, err
		}
		if e.Op != sql.OpNeg {
			return v, fmt.Errorf("%s is not a constant", e.String())
		}
		switch v.kind {
		case vInt:
			if v.i == math.MinInt64 {
				return v, fmt.Errorf("%s overflows BIGINT", e.String())
			}
			v.i = -v.i
		case vFloat:
			v.f = -v.f
		case vNumber:
			v.s = strings.TrimPrefix("-"+v.s, "--")
		case vNull:
		default:
			return v, fmt.Errorf("cannot negate %s", e.Expr.String())
		}
		return v, nil
	case *sql.Cast:
		v, err := fold(e.Expr)
		if err != nil {
			return v, err
		}
		out, err := cast(v, e.Type)
		if err != nil && e.Try {
			return value{}, nil // TRY_CAST gives NULL where CAST fails
		}
		return out, err
	}
	return value{}, fmt.Errorf("%s is not a constant: VALUES takes literals and CASTs of them for now", e.String())
}

func literal(l *sql.Literal) (value, error) {
	switch l.Kind {
	case sql.LitNull, sql.LitUnknown:
		return value{}, nil
	case sql.LitBool:
		return value{kind: vBool, b: strings.EqualFold(l.Value, "TRUE")}, nil
	case sql.LitInteger:
		n, ok := new(big.Int).SetString(l.Value, 10)
		if !ok || !n.IsInt64() {
			return value{kind: vNumber, s: l.Value}, nil // exact, for DECIMAL columns
		}
		return value{kind: vInt, i: n.Int64()}, nil
	case sql.LitDecimal:
		return value{kind: vNumber, s: l.Value}, nil
	case sql.LitApprox:
		f, err := strconv.ParseFloat(l.Value, 64)
		return value{kind: vFloat, f: f}, err
	case sql.LitString:
		return value{kind: vString, s: l.Value}, nil
	case sql.LitBinary:
		b, err := hex.DecodeString(l.Value)
		return value{kind: vBytes, bytes: b}, err
	case sql.LitDate:
		return parseTemporal(l.Value, vDate)
	case sql.LitTime:
		return parseTemporal(l.Value, vTime)
	case sql.LitTimestamp, sql.LitTimestampLTZ:
		return parseTemporal(l.Value, vTimestamp)
	}
	return value{}, fmt.Errorf("unsupported literal %s", l.String())
}

var temporalLayouts = map[valueKind][]string{
	vDate:      {"2006-01-02"},
	vTime:      {"15:04:05.999999999", "15:04"},
	vTimestamp: {"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"},
}

func parseTemporal(s string, k valueKind) (value, error) {
	for _, layout := range temporalLayouts[k] {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return value{kind: k, t: t}, nil
		}
	}
	return value{}, fmt.Errorf("%q is not a valid %s", s, map[valueKind]string{vDate: "DATE (YYYY-MM-DD)", vTime: "TIME (HH:MM:SS[.fff])", vTimestamp: "TIMESTAMP (YYYY-MM-DD HH:MM:SS[.fff])"}[k])
}

// cast converts a constant to a Flink type, as CAST does for literals.
func cast(v value, t *sql.DataType) (value, error) {
	if v.kind == vNull {
		return v, nil
	}
	switch t.Name {
	case "DATE":
		if v.kind == vString {
			return parseTemporal(v.s, vDate)
		}
		if v.kind == vTimestamp {
			return value{kind: vDate, t: v.t.Truncate(24 * time.Hour)}, nil
		}
	case "TIME":
		if v.kind == vString {
			return parseTemporal(v.s, vTime)
		}
	case "TIMESTAMP", "TIMESTAMP_LTZ":
		switch v.kind {
		case vString:
			return parseTemporal(v.s, vTimestamp)
		case vDate:
			return value{kind: vTimestamp, t: v.t}, nil
		}
	case "CHAR", "VARCHAR", "STRING":
		switch v.kind {
		case vString:
			return v, nil
		case vInt:
			return value{kind: vString, s: strconv.FormatInt(v.i, 10)}, nil
		case vNumber:
			return value{kind: vString, s: v.s}, nil
		case vBool:
			return value{kind: vString, s: strings.ToUpper(strconv.FormatBool(v.b))}, nil
		}
	case "BOOLEAN":
		if v.kind == vString {
			if b, err := strconv.ParseBool(strings.TrimSpace(v.s)); err == nil {
				return value{kind: vBool, b: b}, nil
			}
		}
		if v.kind == vBool {
			return v, nil
		}
	case "TINYINT", "SMALLINT", "INT", "BIGINT":
		switch v.kind {
		case vInt:
			return v, nil
		case vString, vNumber:
			if n, err := strconv.ParseInt(strings.TrimSpace(v.s), 10, 64); err == nil {
				return value{kind: vInt, i: n}, nil
			}
			if f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64); err == nil && v.kind == vNumber {
				return value{kind: vInt, i: int64(f)}, nil // Flink truncates toward zero
			}
		case vFloat:
			return value{kind: vInt, i: int64(v.f)}, nil
		}
	case "FLOAT", "DOUBLE":
		switch v.kind {
		case vInt:
			return value{kind: vFloat, f: float64(v.i)}, nil
		case vFloat:
			return v, nil
		case vString, vNumber:
			if f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64); err == nil {
				return value{kind: vFloat, f: f}, nil
			}
		}
	case "DECIMAL":
		switch v.kind {
		case vInt:
			return value{kind: vNumber, s: strconv.FormatInt(v.i, 10)}, nil
		case vNumber:
			return v, nil
		case vString:
			if _, ok := new(big.Rat).SetString(strings.TrimSpace(v.s)); ok {
				return value{kind: vNumber, s: strings.TrimSpace(v.s)}, nil
			}
		}
	case "BYTES", "VARBINARY", "BINARY":
		switch v.kind {
		case vBytes:
			return v, nil
		case vString:
			return value{kind: vBytes, bytes: []byte(v.s)}, nil
		}
	}
	return value{}, fmt.Errorf("cannot cast %s to %s", describeValue(v), t.String())
}

func describeValue(v value) string {
	switch v.kind {
	case vString:
		return strconv.Quote(v.s)
	case vInt:
		return strconv.FormatInt(v.i, 10)
	case vNumber:
		return v.s
	case vFloat:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	case vBool:
		return strings.ToUpper(strconv.FormatBool(v.b))
	}
	return [...]string{"NULL", "BOOLEAN", "INTEGER", "DECIMAL", "DOUBLE", "STRING", "BYTES", "DATE", "TIME", "TIMESTAMP"}[v.kind] + " value"
}

// intRanges bounds the integer types that Iceberg stores as int.
var intRanges = map[string][2]int64{
	"TINYINT":  {math.MinInt8, math.MaxInt8},
	"SMALLINT": {math.MinInt16, math.MaxInt16},
	"":         {math.MinInt32, math.MaxInt32},
}

// appendValue appends v to a column builder, checking that it fits. declared
// is the column's declared Flink type when Iceberg's is coarser.
func appendValue(b array.Builder, f arrow.Field, declared string, v value) error {
	if v.kind == vNull {
		if !f.Nullable {
			return fmt.Errorf("NULL in a NOT NULL column")
		}
		b.AppendNull()
		return nil
	}
	mismatch := func() error {
		want := declared
		if want == "" {
			want = types.FlinkName(f)
		}
		return fmt.Errorf("%s does not fit type %s (use CAST)", describeValue(v), want)
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		if v.kind != vBool {
			return mismatch()
		}
		b.Append(v.b)
	case *array.Int32Builder:
		r, ok := intRanges[strings.SplitN(declared, "(", 2)[0]]
		if !ok {
			r = intRanges[""]
		}
		if v.kind != vInt {
			return mismatch()
		}
		if v.i < r[0] || v.i > r[1] {
			return fmt.Errorf("%d is out of range [%d, %d]", v.i, r[0], r[1])
		}
		b.Append(int32(v.i))
	case *array.Int64Builder:
		if v.kind != vInt {
			return mismatch()
		}
		b.Append(v.i)
	case *array.Float32Builder, *array.Float64Builder:
		var x float64
		switch v.kind {
		case vInt:
			x = float64(v.i)
		case vFloat:
			x = v.f
		case vNumber:
			x, _ = strconv.ParseFloat(v.s, 64)
		default:
			return mismatch()
		}
		if b32, ok := b.(*array.Float32Builder); ok {
			b32.Append(float32(x))
		} else {
			b.(*array.Float64Builder).Append(x)
		}
	case *array.Decimal128Builder:
		dt := f.Type.(*arrow.Decimal128Type)
		var text string
		switch v.kind {
		case vInt:
			text = strconv.FormatInt(v.i, 10)
		case vNumber:
			text = v.s
		default:
			return mismatch()
		}
		n, err := decimal128.FromString(text, dt.Precision, dt.Scale)
		if err != nil {
			return fmt.Errorf("%s does not fit DECIMAL(%d, %d)", text, dt.Precision, dt.Scale)
		}
		b.Append(n)
	case *array.StringBuilder:
		if v.kind != vString {
			return mismatch()
		}
		b.Append(v.s)
	case *array.BinaryBuilder:
		if v.kind != vBytes {
			return mismatch()
		}
		b.Append(v.bytes)
	case *array.FixedSizeBinaryBuilder:
		n := f.Type.(*arrow.FixedSizeBinaryType).ByteWidth
		if v.kind != vBytes || len(v.bytes) != n {
			return fmt.Errorf("%s does not fit BINARY(%d)", describeValue(v), n)
		}
		b.Append(v.bytes)
	case *array.Date32Builder:
		switch v.kind {
		case vDate, vTimestamp:
			b.Append(arrow.Date32FromTime(v.t))
		case vString:
			d, err := parseTemporal(v.s, vDate)
			if err != nil {
				return err
			}
			b.Append(arrow.Date32FromTime(d.t))
		default:
			return mismatch()
		}
	case *array.Time64Builder:
		t := v.t
		if v.kind == vString {
			d, err := parseTemporal(v.s, vTime)
			if err != nil {
				return err
			}
			t = d.t
		} else if v.kind != vTime {
			return mismatch()
		}
		since := t.Sub(t.Truncate(24 * time.Hour))
		b.Append(arrow.Time64(since / time.Microsecond))
	case *array.TimestampBuilder:
		t := v.t
		switch v.kind {
		case vString:
			d, err := parseTemporal(v.s, vTimestamp)
			if err != nil {
				return err
			}
			t = d.t
		case vTimestamp, vDate:
		default:
			return mismatch()
		}
		unit := f.Type.(*arrow.TimestampType).Unit
		ts, err := arrow.TimestampFromTime(t, unit)
		if err != nil {
			return err
		}
		b.Append(ts)
	default:
		return fmt.Errorf("values of type %s in INSERT … VALUES are not supported yet", f.Type)
	}
	return nil
}

// stringRows builds a result of string columns.
func stringRows(cols []string, rows [][]string) *Result {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			b.Field(i).(*array.StringBuilder).Append(v)
		}
	}
	return &Result{Kind: ResultRows, Schema: schema, Batches: []arrow.RecordBatch{b.NewRecordBatch()}}
}
