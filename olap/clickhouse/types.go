package clickhouse

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/types"
)

// This file is the one place where Arrow (and declared Flink) types become
// ClickHouse type names; both front ends, DESCRIBE and system.columns use it.

// TypeName returns the ClickHouse type of a result column, e.g. "Int64",
// "Nullable(Decimal(10, 2))", "DateTime64(3, 'UTC')", "Array(Nullable(Int32))".
func TypeName(f arrow.Field) string { return typeName(f, false) }

// typeName is TypeName; legacy clients (native protocol revisions before
// 54429, ClickHouse 19 and older) do not know Bool, Date32, DateTime64, Map,
// named tuples and Time, so such columns are sent to them as String in
// ClickHouse's text form, which their TSV output prints identically.
func typeName(f arrow.Field, legacy bool) string {
	var b strings.Builder
	appendTypeName(&b, f, legacy)
	return b.String()
}

func appendTypeName(b *strings.Builder, f arrow.Field, legacy bool) {
	if legacy && !legacyKnown(f.Type) {
		wrapNullable(b, f.Nullable, "String")
		return
	}
	switch t := f.Type.(type) {
	case *arrow.MapType:
		b.WriteString("Map(")
		k := t.KeyField()
		k.Nullable = false // ClickHouse map keys cannot be NULL
		appendTypeName(b, k, legacy)
		b.WriteString(", ")
		appendTypeName(b, t.ItemField(), legacy)
		b.WriteByte(')')
	case arrow.ListLikeType:
		// ClickHouse has no NULL arrays: a NULL list arrives as [].
		b.WriteString("Array(")
		appendTypeName(b, t.ElemField(), legacy)
		b.WriteByte(')')
	case *arrow.StructType:
		// Nor NULL tuples: a NULL row arrives with default fields.
		b.WriteString("Tuple(")
		for i, sf := range t.Fields() {
			if i > 0 {
				b.WriteString(", ")
			}
			if !legacy {
				b.WriteString(quoteIdent(sf.Name))
				b.WriteByte(' ')
			}
			appendTypeName(b, sf, legacy)
		}
		b.WriteByte(')')
	case *arrow.NullType:
		b.WriteString("Nullable(Nothing)")
	default:
		wrapNullable(b, f.Nullable, scalarName(f))
	}
}

func wrapNullable(b *strings.Builder, nullable bool, name string) {
	if !nullable {
		b.WriteString(name)
		return
	}
	b.WriteString("Nullable(")
	b.WriteString(name)
	b.WriteByte(')')
}

// scalarName names a type that is neither nested nor NULL.
func scalarName(f arrow.Field) string {
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		return "Bool"
	case *arrow.Int8Type:
		return "Int8"
	case *arrow.Int16Type:
		return "Int16"
	case *arrow.Int32Type:
		// Iceberg keeps TINYINT and SMALLINT as int; the declared type says
		// how narrow the values are.
		switch declared(f) {
		case "TINYINT":
			return "Int8"
		case "SMALLINT":
			return "Int16"
		}
		return "Int32"
	case *arrow.Int64Type, *arrow.DurationType:
		return "Int64"
	case *arrow.Uint8Type:
		return "UInt8"
	case *arrow.Uint16Type:
		return "UInt16"
	case *arrow.Uint32Type:
		return "UInt32"
	case *arrow.Uint64Type:
		return "UInt64"
	case *arrow.Float16Type, *arrow.Float32Type:
		return "Float32"
	case *arrow.Float64Type:
		return "Float64"
	case arrow.DecimalType:
		return "Decimal(" + strconv.Itoa(int(t.GetPrecision())) + ", " + strconv.Itoa(int(t.GetScale())) + ")"
	case *arrow.FixedSizeBinaryType:
		return "FixedString(" + strconv.Itoa(t.ByteWidth) + ")"
	case *arrow.Date32Type, *arrow.Date64Type:
		return "Date32"
	case *arrow.TimestampType:
		return "DateTime64(" + strconv.Itoa(types.Precision(f.Metadata, t.Unit)) + ", 'UTC')"
	}
	// Strings, binaries, TIME (ClickHouse's Time types are too new for most
	// clients) and anything else: text.
	return "String"
}

// declared is the declared Flink type name without parameters, if any.
func declared(f arrow.Field) string {
	i := f.Metadata.FindKey(types.MetaType)
	if i < 0 {
		return ""
	}
	name, _, _ := strings.Cut(f.Metadata.Values()[i], "(")
	return strings.TrimSpace(name)
}

// legacyKnown reports whether ClickHouse 18 clients know dt's ClickHouse
// type.
func legacyKnown(dt arrow.DataType) bool {
	switch t := dt.(type) {
	case *arrow.BooleanType, *arrow.Date32Type, *arrow.Date64Type, *arrow.TimestampType,
		*arrow.MapType, *arrow.StructType, *arrow.Time32Type, *arrow.Time64Type:
		return false
	case arrow.DecimalType:
		return t.GetPrecision() <= 38 // Decimal256 came in 20.8
	case arrow.ListLikeType:
		return legacyKnown(t.Elem())
	}
	return true
}

// quoteIdent backquotes a name unless it is a plain identifier.
func quoteIdent(s string) string {
	plain := s != ""
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "`", "\\`") + "`"
}
