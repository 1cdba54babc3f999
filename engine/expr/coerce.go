package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/types"
)

// The canonical Arrow types our kernels are written for. Arguments of other
// physical types (large strings, timestamp[ms], date64, unsigned ints) are
// cast to these by Resolve.
var (
	tBool = arrow.FixedWidthTypes.Boolean
	tI8   = arrow.PrimitiveTypes.Int8
	tI16  = arrow.PrimitiveTypes.Int16
	tI32  = arrow.PrimitiveTypes.Int32
	tI64  = arrow.PrimitiveTypes.Int64
	tF32  = arrow.PrimitiveTypes.Float32
	tF64  = arrow.PrimitiveTypes.Float64
	tStr  = arrow.BinaryTypes.String
	tBin  = arrow.BinaryTypes.Binary
	tDate = arrow.FixedWidthTypes.Date32
	tTS   = &arrow.TimestampType{Unit: arrow.Microsecond}
	tLTZ  = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	tDur  = &arrow.DurationType{Unit: arrow.Microsecond}
	tMon  = arrow.FixedWidthTypes.MonthInterval
)

// typeName is the Flink name of dt for messages.
func typeName(dt arrow.DataType) string {
	if dt == nil {
		return "NULL"
	}
	switch dt.ID() {
	case arrow.DURATION:
		return "INTERVAL DAY TO SECOND"
	case arrow.INTERVAL_MONTHS:
		return "INTERVAL YEAR TO MONTH"
	}
	return types.FlinkName(arrow.Field{Type: dt, Nullable: true})
}

func isNull(dt arrow.DataType) bool { return dt == nil || dt.ID() == arrow.NULL }

// intRank orders the integer types for widening: TINYINT < SMALLINT < INT <
// BIGINT. Unsigned Arrow types rank as the Flink type that holds them.
func intRank(dt arrow.DataType) int {
	switch dt.ID() {
	case arrow.INT8:
		return 1
	case arrow.INT16, arrow.UINT8:
		return 2
	case arrow.INT32, arrow.UINT16:
		return 3
	case arrow.INT64, arrow.UINT32:
		return 4
	}
	return 0
}

var intByRank = [...]arrow.DataType{nil, tI8, tI16, tI32, tI64}

func isInt(dt arrow.DataType) bool { return !isNull(dt) && intRank(dt) > 0 }
func isFloat(dt arrow.DataType) bool {
	return !isNull(dt) && (dt.ID() == arrow.FLOAT32 || dt.ID() == arrow.FLOAT64 || dt.ID() == arrow.FLOAT16)
}
func isDec(dt arrow.DataType) bool {
	return !isNull(dt) && (dt.ID() == arrow.DECIMAL128 || dt.ID() == arrow.DECIMAL256 || dt.ID() == arrow.UINT64)
}
func isNumeric(dt arrow.DataType) bool { return isInt(dt) || isFloat(dt) || isDec(dt) }
func isExact(dt arrow.DataType) bool   { return isInt(dt) || isDec(dt) }
func isString(dt arrow.DataType) bool {
	if isNull(dt) {
		return false
	}
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}
func isBinary(dt arrow.DataType) bool {
	if isNull(dt) {
		return false
	}
	switch dt.ID() {
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW, arrow.FIXED_SIZE_BINARY:
		return true
	}
	return false
}
func isDate(dt arrow.DataType) bool {
	return !isNull(dt) && (dt.ID() == arrow.DATE32 || dt.ID() == arrow.DATE64)
}
func isTS(dt arrow.DataType) bool   { return !isNull(dt) && dt.ID() == arrow.TIMESTAMP }
func isLTZ(dt arrow.DataType) bool  { return isTS(dt) && dt.(*arrow.TimestampType).TimeZone != "" }
func isBool(dt arrow.DataType) bool { return !isNull(dt) && dt.ID() == arrow.BOOL }
func isTime(dt arrow.DataType) bool {
	return !isNull(dt) && (dt.ID() == arrow.TIME32 || dt.ID() == arrow.TIME64)
}

// decOf is the DECIMAL(p, s) that holds every value of an exact type.
func decOf(dt arrow.DataType) (p, s int32) {
	switch dt.ID() {
	case arrow.DECIMAL128, arrow.DECIMAL256:
		d := dt.(arrow.DecimalType)
		return d.GetPrecision(), d.GetScale()
	case arrow.UINT64:
		return 20, 0
	}
	switch intRank(dt) {
	case 1:
		return 3, 0
	case 2:
		return 5, 0
	case 3:
		return 10, 0
	}
	return 19, 0
}

func decType(p, s int32) arrow.DataType {
	p, s = adjustDec(p, s)
	return &arrow.Decimal128Type{Precision: p, Scale: s}
}

// adjustDec caps a derived decimal type at precision 38 the way Flink does
// (LogicalTypeMerging.adjustPrecisionScale): keep the integer digits and at
// least min(scale, 6) fractional digits.
func adjustDec(p, s int32) (int32, int32) {
	if p <= 38 {
		return p, s
	}
	intDigits := p - s
	minScale := min(s, 6)
	return 38, max(38-intDigits, minScale)
}

// canonical is the type our kernels take for dt's values.
func canonical(dt arrow.DataType) arrow.DataType {
	if isNull(dt) {
		return arrow.Null
	}
	switch {
	case isInt(dt):
		return intByRank[intRank(dt)]
	case dt.ID() == arrow.UINT64:
		return decType(20, 0)
	case dt.ID() == arrow.DECIMAL256:
		p, s := decOf(dt)
		return decType(p, s)
	case dt.ID() == arrow.FLOAT16:
		return tF32
	case isString(dt):
		return tStr
	case isBinary(dt):
		return tBin
	case isDate(dt):
		return tDate
	case isLTZ(dt):
		return tLTZ
	case isTS(dt):
		return tTS
	case dt.ID() == arrow.DICTIONARY:
		return canonical(dt.(*arrow.DictionaryType).ValueType)
	}
	return dt
}

// CommonType is the type both a and b convert to implicitly in Flink (for
// comparisons, CASE branches, COALESCE, IN lists, UNION), or false.
func CommonType(a, b arrow.DataType) (arrow.DataType, bool) {
	if isNull(a) {
		return canonical(b), true
	}
	if isNull(b) {
		return canonical(a), true
	}
	a, b = canonical(a), canonical(b)
	if arrow.TypeEqual(a, b) {
		return a, true
	}
	switch {
	case isInt(a) && isInt(b):
		return intByRank[max(intRank(a), intRank(b))], true
	case isExact(a) && isExact(b):
		p1, s1 := decOf(a)
		p2, s2 := decOf(b)
		s := max(s1, s2)
		return decType(max(p1-s1, p2-s2)+s, s), true
	case isNumeric(a) && isNumeric(b):
		// FLOAT with an integer stays FLOAT; anything else approximate is DOUBLE.
		if (a.ID() == arrow.FLOAT32 && isInt(b)) || (b.ID() == arrow.FLOAT32 && isInt(a)) {
			return tF32, true
		}
		return tF64, true
	case isString(a) && isString(b), isBinary(a) && isBinary(b):
		return a, true
	case (isDate(a) || isTS(a)) && (isDate(b) || isTS(b)):
		if isLTZ(a) || isLTZ(b) {
			return tLTZ, true
		}
		return tTS, true
	}
	return nil, false
}

// implicitOK says whether Flink converts from to to without an explicit CAST
// when passing an argument to a function.
func implicitOK(from, to arrow.DataType) bool {
	if isNull(from) {
		return true
	}
	from = canonical(from)
	if arrow.TypeEqual(from, to) {
		return true
	}
	switch {
	case isInt(from) && isInt(to):
		return intRank(from) <= intRank(to)
	case isExact(from) && isDec(to):
		return true // precision loss is checked at run time (NULL on overflow)
	case isNumeric(from) && isFloat(to):
		return !(from.ID() == arrow.FLOAT64 && to.ID() == arrow.FLOAT32)
	case isString(from) && isString(to), isBinary(from) && isBinary(to):
		return true
	case (isDate(from) || isTS(from)) && isTS(to):
		return true
	}
	return false
}

// coerce converts e to dt: a NULL literal becomes a typed NULL, anything
// else of another type is wrapped in an implicit Cast.
func coerce(e Expr, dt arrow.DataType) Expr {
	if arrow.TypeEqual(e.Type(), dt) {
		return e
	}
	if l, ok := e.(*Literal); ok && !l.Value.IsValid() {
		return &Literal{Value: scalar.MakeNullScalar(dt)}
	}
	return &Cast{Arg: e, To: dt}
}

// coerceCanonical casts e to its canonical kernel type when it differs.
func coerceCanonical(e Expr) Expr {
	c := canonical(e.Type())
	if isNull(c) {
		return e
	}
	return coerce(e, c)
}
