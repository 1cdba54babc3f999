package types

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestFlinkName(t *testing.T) {
	nullable := func(dt arrow.DataType) arrow.Field { return arrow.Field{Name: "c", Type: dt, Nullable: true} }
	withMeta := func(dt arrow.DataType, k, v string) arrow.Field {
		f := nullable(dt)
		f.Metadata = arrow.NewMetadata([]string{k}, []string{v})
		return f
	}
	tests := []struct {
		f    arrow.Field
		want string
	}{
		{nullable(arrow.FixedWidthTypes.Boolean), "BOOLEAN"},
		{nullable(arrow.PrimitiveTypes.Int8), "TINYINT"},
		{nullable(arrow.PrimitiveTypes.Int16), "SMALLINT"},
		{nullable(arrow.PrimitiveTypes.Int32), "INT"},
		{arrow.Field{Name: "id", Type: arrow.PrimitiveTypes.Int64}, "BIGINT NOT NULL"},
		{nullable(arrow.PrimitiveTypes.Uint64), "DECIMAL(20, 0)"},
		{nullable(arrow.PrimitiveTypes.Float32), "FLOAT"},
		{nullable(arrow.PrimitiveTypes.Float64), "DOUBLE"},
		{nullable(&arrow.Decimal128Type{Precision: 10, Scale: 2}), "DECIMAL(10, 2)"},
		{nullable(&arrow.Decimal256Type{Precision: 40, Scale: 0}), "DECIMAL(40, 0)"},
		{nullable(arrow.BinaryTypes.String), "STRING"},
		{nullable(arrow.BinaryTypes.LargeString), "STRING"},
		{withMeta(arrow.BinaryTypes.String, MetaType, "VARCHAR(20)"), "VARCHAR(20)"},
		{withMeta(arrow.BinaryTypes.String, MetaType, "CHAR(3) NOT NULL"), "CHAR(3) NOT NULL"},
		{nullable(arrow.BinaryTypes.Binary), "BYTES"},
		{nullable(&arrow.FixedSizeBinaryType{ByteWidth: 16}), "BINARY(16)"},
		{nullable(arrow.FixedWidthTypes.Date32), "DATE"},
		{nullable(arrow.FixedWidthTypes.Time32ms), "TIME(3)"},
		{nullable(arrow.FixedWidthTypes.Time64us), "TIME(6)"},
		{withMeta(arrow.FixedWidthTypes.Time32s, MetaPrecision, "0"), "TIME(0)"},
		{nullable(&arrow.TimestampType{Unit: arrow.Microsecond}), "TIMESTAMP(6)"},
		{nullable(&arrow.TimestampType{Unit: arrow.Nanosecond}), "TIMESTAMP(9)"},
		{withMeta(&arrow.TimestampType{Unit: arrow.Microsecond}, MetaPrecision, "3"), "TIMESTAMP(3)"},
		{withMeta(&arrow.TimestampType{Unit: arrow.Microsecond}, MetaPrecision, "bogus"), "TIMESTAMP(6)"},
		{nullable(&arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}), "TIMESTAMP_LTZ(3)"},
		{nullable(arrow.ListOf(arrow.PrimitiveTypes.Int32)), "ARRAY<INT>"},
		{nullable(arrow.ListOfNonNullable(arrow.BinaryTypes.String)), "ARRAY<STRING NOT NULL>"},
		{nullable(arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64)), "MAP<STRING NOT NULL, DOUBLE>"},
		{nullable(arrow.StructOf(
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32},
			arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		)), "ROW<a INT NOT NULL, b STRING>"},
		{nullable(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}), "STRING"},
		{nullable(arrow.Null), "NULL"},
	}
	for _, tt := range tests {
		if got := FlinkName(tt.f); got != tt.want {
			t.Errorf("FlinkName(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}
