package plan

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/sql"
)

// ArrowType maps a Flink SQL type to the engine's Arrow type.
func ArrowType(t *sql.DataType) (arrow.DataType, error) {
	p := t.Params
	switch t.Name {
	case "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean, nil
	case "TINYINT":
		return arrow.PrimitiveTypes.Int8, nil
	case "SMALLINT":
		return arrow.PrimitiveTypes.Int16, nil
	case "INT":
		return arrow.PrimitiveTypes.Int32, nil
	case "BIGINT":
		return arrow.PrimitiveTypes.Int64, nil
	case "FLOAT":
		return arrow.PrimitiveTypes.Float32, nil
	case "DOUBLE":
		return arrow.PrimitiveTypes.Float64, nil
	case "DECIMAL":
		prec, scale := int32(10), int32(0)
		if len(p) > 0 {
			prec = int32(p[0])
		}
		if len(p) > 1 {
			scale = int32(p[1])
		}
		if prec < 1 || prec > 38 || scale < 0 || scale > prec {
			return nil, fmt.Errorf("DECIMAL(%d, %d): precision must be 1 to 38 and scale 0 to precision", prec, scale)
		}
		return &arrow.Decimal128Type{Precision: prec, Scale: scale}, nil
	case "CHAR", "VARCHAR", "STRING":
		return arrow.BinaryTypes.String, nil
	case "BINARY", "VARBINARY", "BYTES":
		return arrow.BinaryTypes.Binary, nil
	case "DATE":
		return arrow.FixedWidthTypes.Date32, nil
	case "TIME":
		return arrow.FixedWidthTypes.Time64us, nil
	case "TIMESTAMP":
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case "TIMESTAMP_LTZ":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	case "ARRAY":
		e, err := ArrowType(t.Elem)
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(e), nil
	case "MAP":
		k, err := ArrowType(t.Key)
		if err != nil {
			return nil, err
		}
		v, err := ArrowType(t.Value)
		if err != nil {
			return nil, err
		}
		return arrow.MapOf(k, v), nil
	case "ROW":
		fs := make([]arrow.Field, len(t.Fields))
		for i, f := range t.Fields {
			ft, err := ArrowType(f.Type)
			if err != nil {
				return nil, err
			}
			fs[i] = arrow.Field{Name: f.Name.Name, Type: ft, Nullable: !f.Type.NotNull}
		}
		return arrow.StructOf(fs...), nil
	}
	return nil, fmt.Errorf("type %s is not supported in queries yet", t.Name)
}
