package session

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/engine/sql"
)

// typeProp is the table property that keeps a column's declared Flink type
// where Iceberg's type system is coarser (TINYINT, VARCHAR(n), TIMESTAMP(3)…),
// so DESCRIBE and result columns show what the user declared.
func typeProp(column string) string { return "wharf.type." + column }

// icebergType maps a Flink SQL type to an Iceberg type. nextID hands out
// field IDs for nested fields.
func icebergType(t *sql.DataType, nextID func() int) (iceberg.Type, error) {
	p := t.Params
	switch t.Name {
	case "BOOLEAN":
		return iceberg.PrimitiveTypes.Bool, nil
	case "TINYINT", "SMALLINT", "INT":
		return iceberg.PrimitiveTypes.Int32, nil
	case "BIGINT":
		return iceberg.PrimitiveTypes.Int64, nil
	case "FLOAT":
		return iceberg.PrimitiveTypes.Float32, nil
	case "DOUBLE":
		return iceberg.PrimitiveTypes.Float64, nil
	case "DECIMAL":
		prec, scale := 10, 0 // Flink's defaults
		if len(p) > 0 {
			prec = p[0]
		}
		if len(p) > 1 {
			scale = p[1]
		}
		if prec < 1 || prec > 38 || scale < 0 || scale > prec {
			return nil, fmt.Errorf("DECIMAL(%d, %d): precision must be 1 to 38 and scale 0 to precision", prec, scale)
		}
		return iceberg.DecimalTypeOf(prec, scale), nil
	case "CHAR", "VARCHAR", "STRING":
		return iceberg.PrimitiveTypes.String, nil
	case "BINARY":
		n := 1
		if len(p) > 0 {
			n = p[0]
		}
		if n < 1 {
			return nil, fmt.Errorf("BINARY(%d): length must be at least 1", n)
		}
		return iceberg.FixedTypeOf(n), nil
	case "VARBINARY", "BYTES":
		return iceberg.PrimitiveTypes.Binary, nil
	case "DATE":
		return iceberg.PrimitiveTypes.Date, nil
	case "TIME":
		return iceberg.PrimitiveTypes.Time, nil
	case "TIMESTAMP", "TIMESTAMP_LTZ":
		if len(p) > 0 && (p[0] < 0 || p[0] > 9) {
			return nil, fmt.Errorf("%s(%d): precision must be 0 to 9", t.Name, p[0])
		}
		if len(p) > 0 && p[0] > 6 {
			return nil, fmt.Errorf("%s(%d): nanosecond timestamps need Iceberg format v3, which wharf does not write yet; use precision 6 or less", t.Name, p[0])
		}
		if t.Name == "TIMESTAMP_LTZ" {
			return iceberg.PrimitiveTypes.TimestampTz, nil
		}
		return iceberg.PrimitiveTypes.Timestamp, nil
	case "ARRAY":
		elem, err := icebergType(t.Elem, nextID)
		if err != nil {
			return nil, err
		}
		return &iceberg.ListType{ElementID: nextID(), Element: elem, ElementRequired: t.Elem.NotNull}, nil
	case "MAP":
		k, err := icebergType(t.Key, nextID)
		if err != nil {
			return nil, err
		}
		v, err := icebergType(t.Value, nextID)
		if err != nil {
			return nil, err
		}
		return &iceberg.MapType{KeyID: nextID(), KeyType: k, ValueID: nextID(), ValueType: v, ValueRequired: t.Value.NotNull}, nil
	case "ROW":
		st := &iceberg.StructType{}
		for _, f := range t.Fields {
			ft, err := icebergType(f.Type, nextID)
			if err != nil {
				return nil, err
			}
			st.FieldList = append(st.FieldList, iceberg.NestedField{ID: nextID(), Name: f.Name.Name, Type: ft, Required: f.Type.NotNull, Doc: f.Description})
		}
		return st, nil
	}
	return nil, fmt.Errorf("type %s cannot be stored in an Iceberg table", t.Name)
}

// declaredType is the canonical text of a Flink type when Iceberg cannot
// carry it exactly, or "" when the Iceberg type says it all.
func declaredType(t *sql.DataType) string {
	switch t.Name {
	case "TINYINT", "SMALLINT", "CHAR", "VARCHAR", "BINARY", "VARBINARY", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ":
		if t.Name == "VARBINARY" && len(t.Params) == 0 {
			return ""
		}
		s := t.Name
		if len(t.Params) > 0 {
			parts := make([]string, len(t.Params))
			for i, v := range t.Params {
				parts[i] = strconv.Itoa(v)
			}
			s += "(" + strings.Join(parts, ", ") + ")"
		}
		return s
	}
	return ""
}

// partitionField maps one PARTITIONED BY item to an Iceberg partition field.
func partitionField(pf *sql.PartitionField, schema *iceberg.Schema, fieldID int) (iceberg.PartitionField, error) {
	col, ok := schema.FindFieldByName(pf.Column.Name)
	if !ok {
		return iceberg.PartitionField{}, fmt.Errorf("PARTITIONED BY: unknown column %q", pf.Column.Name)
	}
	var tr iceberg.Transform
	name := col.Name
	switch pf.Transform {
	case "identity", "":
		tr = iceberg.IdentityTransform{}
	case "year":
		tr, name = iceberg.YearTransform{}, name+"_year"
	case "month":
		tr, name = iceberg.MonthTransform{}, name+"_month"
	case "day":
		tr, name = iceberg.DayTransform{}, name+"_day"
	case "hour":
		tr, name = iceberg.HourTransform{}, name+"_hour"
	case "bucket":
		if pf.Arg < 1 {
			return iceberg.PartitionField{}, fmt.Errorf("PARTITIONED BY bucket(%d, %s): the bucket count must be positive", pf.Arg, col.Name)
		}
		tr, name = iceberg.BucketTransform{NumBuckets: pf.Arg}, name+"_bucket"
	case "truncate":
		if pf.Arg < 1 {
			return iceberg.PartitionField{}, fmt.Errorf("PARTITIONED BY truncate(%d, %s): the width must be positive", pf.Arg, col.Name)
		}
		tr, name = iceberg.TruncateTransform{Width: pf.Arg}, name+"_trunc"
	default:
		return iceberg.PartitionField{}, fmt.Errorf("PARTITIONED BY: unknown transform %q (want identity, years, months, days, hours, bucket or truncate)", pf.Transform)
	}
	if !tr.CanTransform(col.Type) {
		return iceberg.PartitionField{}, fmt.Errorf("PARTITIONED BY: transform %s does not apply to column %s of type %s", tr, col.Name, col.Type)
	}
	return iceberg.PartitionField{SourceIDs: []int{col.ID}, FieldID: fieldID, Name: name, Transform: tr}, nil
}
