// Package types maps between Arrow types and wharf's SQL (Flink) types.
package types

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Arrow field metadata keys through which wharf keeps SQL type details that
// Arrow cannot express.
const (
	// MetaType holds the declared Flink type verbatim, e.g. "VARCHAR(20)".
	MetaType = "wharf.type"
	// MetaPrecision holds the fractional-second precision of TIME and
	// TIMESTAMP columns when it differs from the Arrow unit's.
	MetaPrecision = "wharf.precision"
)

// FlinkName returns the Flink SQL type of f, e.g. "DECIMAL(10, 2) NOT NULL",
// "TIMESTAMP_LTZ(3)", "ARRAY<INT>", "ROW<a INT, b STRING>". A declared type in
// the field's wharf.type metadata is returned verbatim.
func FlinkName(f arrow.Field) string {
	if t, ok := metaValue(f.Metadata, MetaType); ok {
		return t
	}
	var b strings.Builder
	appendName(&b, f)
	return b.String()
}

func appendName(b *strings.Builder, f arrow.Field) {
	if t, ok := metaValue(f.Metadata, MetaType); ok {
		b.WriteString(t)
		return
	}
	appendType(b, f.Type, f.Metadata)
	if !f.Nullable {
		b.WriteString(" NOT NULL")
	}
}

func appendType(b *strings.Builder, dt arrow.DataType, md arrow.Metadata) {
	switch t := dt.(type) {
	case *arrow.BooleanType:
		b.WriteString("BOOLEAN")
	case *arrow.Int8Type:
		b.WriteString("TINYINT")
	case *arrow.Int16Type, *arrow.Uint8Type:
		b.WriteString("SMALLINT")
	case *arrow.Int32Type, *arrow.Uint16Type:
		b.WriteString("INT")
	case *arrow.Int64Type, *arrow.Uint32Type:
		b.WriteString("BIGINT")
	case *arrow.Uint64Type:
		// Flink has no unsigned types; DECIMAL(20, 0) holds every uint64.
		b.WriteString("DECIMAL(20, 0)")
	case *arrow.Float16Type, *arrow.Float32Type:
		b.WriteString("FLOAT")
	case *arrow.Float64Type:
		b.WriteString("DOUBLE")
	case arrow.DecimalType:
		b.WriteString("DECIMAL(")
		b.WriteString(strconv.Itoa(int(t.GetPrecision())))
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(int(t.GetScale())))
		b.WriteByte(')')
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		b.WriteString("STRING")
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		b.WriteString("BYTES")
	case *arrow.FixedSizeBinaryType:
		b.WriteString("BINARY(")
		b.WriteString(strconv.Itoa(t.ByteWidth))
		b.WriteByte(')')
	case *arrow.Date32Type, *arrow.Date64Type:
		b.WriteString("DATE")
	case *arrow.Time32Type:
		appendPrecision(b, "TIME", Precision(md, t.Unit))
	case *arrow.Time64Type:
		appendPrecision(b, "TIME", Precision(md, t.Unit))
	case *arrow.TimestampType:
		name := "TIMESTAMP"
		if t.TimeZone != "" {
			name = "TIMESTAMP_LTZ"
		}
		appendPrecision(b, name, Precision(md, t.Unit))
	case arrow.ListLikeType:
		if mt, ok := t.(*arrow.MapType); ok {
			b.WriteString("MAP<")
			appendName(b, mt.KeyField())
			b.WriteString(", ")
			appendName(b, mt.ItemField())
			b.WriteByte('>')
			return
		}
		b.WriteString("ARRAY<")
		appendName(b, t.ElemField())
		b.WriteByte('>')
	case *arrow.StructType:
		b.WriteString("ROW<")
		for i, f := range t.Fields() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name)
			b.WriteByte(' ')
			appendName(b, f)
		}
		b.WriteByte('>')
	case *arrow.DictionaryType:
		appendType(b, t.ValueType, md)
	case *arrow.NullType:
		b.WriteString("NULL")
	default:
		b.WriteString(strings.ToUpper(dt.String()))
	}
}

func appendPrecision(b *strings.Builder, name string, p int) {
	b.WriteString(name)
	b.WriteByte('(')
	b.WriteString(strconv.Itoa(p))
	b.WriteByte(')')
}

// Precision is the fractional-second precision of a TIME or TIMESTAMP column:
// the wharf.precision metadata when present and valid (0–9), else the
// unit's (s 0, ms 3, us 6, ns 9).
func Precision(md arrow.Metadata, unit arrow.TimeUnit) int {
	if v, ok := metaValue(md, MetaPrecision); ok {
		if p, err := strconv.Atoi(v); err == nil && p >= 0 && p <= 9 {
			return p
		}
	}
	return 3 * int(unit)
}

func metaValue(md arrow.Metadata, key string) (string, bool) {
	i := md.FindKey(key)
	if i < 0 {
		return "", false
	}
	return md.Values()[i], true
}

// Declared is the field metadata that carries a declared Flink type (and,
// for TIME and TIMESTAMP, its precision) when the Arrow type is coarser:
// TIMESTAMP(3) is held in microseconds, yet results show 3 digits.
func Declared(declared string) arrow.Metadata {
	keys, vals := []string{MetaType}, []string{declared}
	name, rest, ok := strings.Cut(declared, "(")
	switch name {
	case "TIME", "TIMESTAMP", "TIMESTAMP_LTZ":
		if p, _, ok2 := strings.Cut(rest, ")"); ok && ok2 {
			keys, vals = append(keys, MetaPrecision), append(vals, p)
		}
	}
	return arrow.NewMetadata(keys, vals)
}
