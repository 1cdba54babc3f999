package exec

import (
	"bytes"
	"cmp"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// rowCmp compares the non-NULL value at row i of a with the one at row j of
// b (both of the type it was made for), ascending; ok is false when the
// order is not a plain comparison (NaN, whose place Arrow's sort decides).
type rowCmp func(a arrow.Array, i int, b arrow.Array, j int) (c int, ok bool)

// newRowCmp returns the comparator for t, or nil for a type it lacks.
func newRowCmp(t arrow.DataType) rowCmp {
	switch t.ID() {
	case arrow.INT8:
		return cmpValues[int8, *array.Int8]
	case arrow.INT16:
		return cmpValues[int16, *array.Int16]
	case arrow.INT32:
		return cmpValues[int32, *array.Int32]
	case arrow.INT64:
		return cmpValues[int64, *array.Int64]
	case arrow.UINT8:
		return cmpValues[uint8, *array.Uint8]
	case arrow.UINT16:
		return cmpValues[uint16, *array.Uint16]
	case arrow.UINT32:
		return cmpValues[uint32, *array.Uint32]
	case arrow.UINT64:
		return cmpValues[uint64, *array.Uint64]
	case arrow.DATE32:
		return cmpValues[arrow.Date32, *array.Date32]
	case arrow.DATE64:
		return cmpValues[arrow.Date64, *array.Date64]
	case arrow.TIME32:
		return cmpValues[arrow.Time32, *array.Time32]
	case arrow.TIME64:
		return cmpValues[arrow.Time64, *array.Time64]
	case arrow.TIMESTAMP:
		return cmpValues[arrow.Timestamp, *array.Timestamp]
	case arrow.FLOAT32:
		return cmpFloats[float32, *array.Float32]
	case arrow.FLOAT64:
		return cmpFloats[float64, *array.Float64]
	case arrow.STRING:
		return cmpValues[string, *array.String]
	case arrow.LARGE_STRING:
		return cmpValues[string, *array.LargeString]
	case arrow.BINARY:
		return func(a arrow.Array, i int, b arrow.Array, j int) (int, bool) {
			return bytes.Compare(a.(*array.Binary).Value(i), b.(*array.Binary).Value(j)), true
		}
	case arrow.BOOL:
		return func(a arrow.Array, i int, b arrow.Array, j int) (int, bool) {
			x, y := a.(*array.Boolean).Value(i), b.(*array.Boolean).Value(j)
			return boolInt(x) - boolInt(y), true
		}
	case arrow.DECIMAL128:
		return func(a arrow.Array, i int, b arrow.Array, j int) (int, bool) {
			return a.(*array.Decimal128).Value(i).Cmp(b.(*array.Decimal128).Value(j)), true
		}
	}
	return nil
}

func cmpValues[T cmp.Ordered, A interface{ Value(int) T }](a arrow.Array, i int, b arrow.Array, j int) (int, bool) {
	return cmp.Compare(a.(A).Value(i), b.(A).Value(j)), true
}

func cmpFloats[T float32 | float64, A interface{ Value(int) T }](a arrow.Array, i int, b arrow.Array, j int) (int, bool) {
	x, y := a.(A).Value(i), b.(A).Value(j)
	if math.IsNaN(float64(x)) || math.IsNaN(float64(y)) {
		return 0, false
	}
	return cmp.Compare(x, y), true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
