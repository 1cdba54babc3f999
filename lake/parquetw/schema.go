package parquetw

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/iceberg-go"
	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// ErrNested is returned by Write for a table with list, map or struct
// columns, which parquetw does not write (see the package comment).
var ErrNested = errors.New("parquetw: nested types (list, map, struct) are not supported")

// column is one leaf column of a file: its Iceberg identity and type, and
// where its values come from in the input batches.
type column struct {
	name     string
	fieldID  int // 0: none (the standalone Encoder without field ids)
	typ      iceberg.PrimitiveType
	required bool
	src      int // index of the input Arrow column; -1: absent (all null)
}

// physicalSize is the PLAIN size of one value of a fixed-width column (what
// pqarrow sizes dictionary pages by), 0 for variable-width ones.
func (c *column) physicalSize() int64 {
	switch t := c.typ.(type) {
	case iceberg.BooleanType:
		return 1
	case iceberg.Int32Type, iceberg.DateType, iceberg.Float32Type:
		return 4
	case iceberg.DecimalType:
		switch {
		case t.Precision() <= 9:
			return 4
		case t.Precision() <= 18:
			return 8
		}
		return int64(decimalBytes(t.Precision()))
	case iceberg.UUIDType:
		return 16
	case iceberg.FixedType:
		return int64(t.Len())
	case iceberg.StringType, iceberg.BinaryType:
		return 0
	}
	return 8
}

// decimalBytes is the fewest bytes that hold any unscaled value of a
// decimal of precision p in two's complement (the FIXED_LEN_BYTE_ARRAY width
// the Iceberg and Parquet specs give).
func decimalBytes(p int) int {
	for n := 1; ; n++ {
		// 2^(8n-1) > 10^p  <=>  (8n-1)*log10(2) > p
		if float64(8*n-1)*0.30102999566398120 > float64(p) {
			return n
		}
	}
}

// checkArrowType reports whether Arrow type dt can be written as Iceberg type
// t: the types table.SchemaToArrowSchema produces, plus string/binary in
// their large forms.
func checkArrowType(t iceberg.PrimitiveType, dt arrow.DataType) error {
	ok := false
	switch t := t.(type) {
	case iceberg.BooleanType:
		ok = dt.ID() == arrow.BOOL
	case iceberg.Int32Type:
		ok = dt.ID() == arrow.INT32
	case iceberg.Int64Type:
		ok = dt.ID() == arrow.INT64
	case iceberg.Float32Type:
		ok = dt.ID() == arrow.FLOAT32
	case iceberg.Float64Type:
		ok = dt.ID() == arrow.FLOAT64
	case iceberg.DecimalType:
		d, isDec := dt.(*arrow.Decimal128Type)
		ok = isDec && int(d.Precision) == t.Precision() && int(d.Scale) == t.Scale()
	case iceberg.DateType:
		ok = dt.ID() == arrow.DATE32
	case iceberg.TimeType:
		tt, isTime := dt.(*arrow.Time64Type)
		ok = isTime && tt.Unit == arrow.Microsecond
	case iceberg.TimestampType:
		ts, isTS := dt.(*arrow.TimestampType)
		ok = isTS && ts.Unit == arrow.Microsecond && ts.TimeZone == ""
	case iceberg.TimestampTzType:
		ts, isTS := dt.(*arrow.TimestampType)
		ok = isTS && ts.Unit == arrow.Microsecond && ts.TimeZone != ""
	case iceberg.StringType:
		ok = dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING
	case iceberg.BinaryType:
		ok = dt.ID() == arrow.BINARY || dt.ID() == arrow.LARGE_BINARY
	case iceberg.UUIDType:
		if _, isUUID := dt.(*extensions.UUIDType); isUUID {
			ok = true
		} else if f, isFixed := dt.(*arrow.FixedSizeBinaryType); isFixed {
			ok = f.ByteWidth == 16
		}
	case iceberg.FixedType:
		f, isFixed := dt.(*arrow.FixedSizeBinaryType)
		ok = isFixed && f.ByteWidth == t.Len()
	default:
		return fmt.Errorf("parquetw: Iceberg type %s is not supported", t)
	}
	if !ok {
		return fmt.Errorf("parquetw: Arrow type %s cannot be written as Iceberg type %s", dt, t)
	}
	return nil
}

// icebergTypeOf maps an Arrow type to the Iceberg type it is written as, for
// the standalone Encoder (no table schema).
func icebergTypeOf(dt arrow.DataType) (iceberg.PrimitiveType, error) {
	switch t := dt.(type) {
	case *arrow.BooleanType:
		return iceberg.PrimitiveTypes.Bool, nil
	case *arrow.Int32Type:
		return iceberg.PrimitiveTypes.Int32, nil
	case *arrow.Int64Type:
		return iceberg.PrimitiveTypes.Int64, nil
	case *arrow.Float32Type:
		return iceberg.PrimitiveTypes.Float32, nil
	case *arrow.Float64Type:
		return iceberg.PrimitiveTypes.Float64, nil
	case *arrow.Decimal128Type:
		return iceberg.DecimalTypeOf(int(t.Precision), int(t.Scale)), nil
	case *arrow.Date32Type:
		return iceberg.PrimitiveTypes.Date, nil
	case *arrow.Time64Type:
		if t.Unit == arrow.Microsecond {
			return iceberg.PrimitiveTypes.Time, nil
		}
	case *arrow.TimestampType:
		if t.Unit == arrow.Microsecond {
			if t.TimeZone != "" {
				return iceberg.PrimitiveTypes.TimestampTz, nil
			}
			return iceberg.PrimitiveTypes.Timestamp, nil
		}
	case *arrow.StringType, *arrow.LargeStringType:
		return iceberg.PrimitiveTypes.String, nil
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return iceberg.PrimitiveTypes.Binary, nil
	case *extensions.UUIDType:
		return iceberg.PrimitiveTypes.UUID, nil
	case *arrow.FixedSizeBinaryType:
		return iceberg.FixedTypeOf(t.ByteWidth), nil
	case *arrow.ListType, *arrow.LargeListType, *arrow.FixedSizeListType, *arrow.MapType, *arrow.StructType:
		return nil, ErrNested
	}
	return nil, fmt.Errorf("parquetw: Arrow type %s is not supported", dt)
}

// columnsOfArrow describes the columns of a standalone Encoder: one per
// Arrow field, optional where the field is nullable, with the field id of
// its PARQUET:field_id metadata if any.
func columnsOfArrow(s *arrow.Schema) ([]column, error) {
	cols := make([]column, len(s.Fields()))
	for i, f := range s.Fields() {
		t, err := icebergTypeOf(f.Type)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		cols[i] = column{name: f.Name, typ: t, required: !f.Nullable, src: i}
		if v, ok := f.Metadata.GetValue("PARQUET:field_id"); ok {
			id, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("parquetw: field %s: bad field id %q", f.Name, v)
			}
			cols[i].fieldID = id
		}
	}
	return cols, nil
}

// leafNode is the Parquet leaf of an Iceberg primitive type, as the Iceberg
// spec's Parquet type table gives it (decimals as INT32, INT64 or
// FIXED_LEN_BYTE_ARRAY by precision).
func leafNode(t iceberg.PrimitiveType) (pqgo.Node, error) {
	switch t := t.(type) {
	case iceberg.BooleanType:
		return pqgo.Leaf(pqgo.BooleanType), nil
	case iceberg.Int32Type:
		return pqgo.Int(32), nil
	case iceberg.Int64Type:
		return pqgo.Int(64), nil
	case iceberg.Float32Type:
		return pqgo.Leaf(pqgo.FloatType), nil
	case iceberg.Float64Type:
		return pqgo.Leaf(pqgo.DoubleType), nil
	case iceberg.DecimalType:
		switch p := t.Precision(); {
		case p <= 9:
			return pqgo.Decimal(t.Scale(), p, pqgo.Int32Type), nil
		case p <= 18:
			return pqgo.Decimal(t.Scale(), p, pqgo.Int64Type), nil
		default:
			return pqgo.Decimal(t.Scale(), p, pqgo.FixedLenByteArrayType(decimalBytes(p))), nil
		}
	case iceberg.DateType:
		return pqgo.Date(), nil
	case iceberg.TimeType:
		return pqgo.TimeAdjusted(pqgo.Microsecond, false), nil
	case iceberg.TimestampType:
		return pqgo.TimestampAdjusted(pqgo.Microsecond, false), nil
	case iceberg.TimestampTzType:
		return pqgo.TimestampAdjusted(pqgo.Microsecond, true), nil
	case iceberg.StringType:
		return pqgo.String(), nil
	case iceberg.BinaryType:
		return pqgo.Leaf(pqgo.ByteArrayType), nil
	case iceberg.UUIDType:
		return pqgo.UUID(), nil
	case iceberg.FixedType:
		return pqgo.Leaf(pqgo.FixedLenByteArrayType(t.Len())), nil
	}
	return nil, fmt.Errorf("parquetw: Iceberg type %s is not supported", t)
}

// parquetSchemaOf builds the Parquet schema of the columns: required or
// optional, RLE_DICTIONARY where dict[i], with field ids.
func parquetSchemaOf(cols []column, dict []bool) (*pqgo.Schema, error) {
	fields := make([]orderedField, len(cols))
	for i, c := range cols {
		node, err := leafNode(c.typ)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		if dict[i] {
			node = pqgo.Encoded(node, &pqgo.RLEDictionary)
		}
		if c.required {
			node = pqgo.Required(node)
		} else {
			node = pqgo.Optional(node)
		}
		if c.fieldID != 0 {
			node = pqgo.FieldID(node, c.fieldID)
		}
		fields[i] = orderedField{Node: node, name: c.name}
	}
	return pqgo.NewSchema("table", orderedGroup(fields)), nil
}

// orderedGroup is a parquet-go group node that keeps its fields in the given
// order (parquet.Group is a map and sorts them by name).
type orderedGroup []orderedField

type orderedField struct {
	pqgo.Node
	name string
}

func (f *orderedField) Name() string { return f.name }

func (f *orderedField) Value(base reflect.Value) reflect.Value {
	if base.Kind() == reflect.Map {
		return base.MapIndex(reflect.ValueOf(f.name))
	}
	return base.FieldByName(exportedName(f.name))
}

func (g orderedGroup) ID() int { return 0 }
func (g orderedGroup) String() string {
	var b strings.Builder
	b.WriteString("group {")
	for i := range g {
		fmt.Fprintf(&b, " %s: %v;", g[i].name, g[i].Node)
	}
	b.WriteString(" }")
	return b.String()
}
func (g orderedGroup) Type() pqgo.Type             { return pqgo.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }

func (g orderedGroup) Fields() []pqgo.Field {
	fields := make([]pqgo.Field, len(g))
	for i := range g {
		fields[i] = &g[i]
	}
	return fields
}

func (g orderedGroup) GoType() reflect.Type {
	sf := make([]reflect.StructField, len(g))
	for i := range g {
		sf[i] = reflect.StructField{Name: exportedName(g[i].name), Type: g[i].GoType(), Tag: reflect.StructTag(`parquet:` + strconv.Quote(g[i].name))}
	}
	return reflect.StructOf(sf)
}

func exportedName(name string) string { return fmt.Sprintf("F_%x", name) }

// Supported returns nil if Write can write tables of schema sc, else an
// error wrapping ErrNested naming the first nested column.
func Supported(sc *iceberg.Schema) error {
	for _, f := range sc.Fields() {
		if _, ok := f.Type.(iceberg.PrimitiveType); !ok {
			return fmt.Errorf("%w: column %s is %s", ErrNested, f.Name, f.Type)
		}
	}
	return nil
}
