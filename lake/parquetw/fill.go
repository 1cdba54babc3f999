package parquetw

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	pqgo "github.com/parquet-go/parquet-go"
)

// colState is what a file writer tracks per column beyond what parquet-go's
// footer gives: NaN counts and bounds for floating-point columns (counted
// while writing; Parquet statistics have no NaN count, and parquet-go's
// chunk bounds can pick up a NaN from an all-NaN page), and bounds for
// FIXED_LEN_BYTE_ARRAY decimals (parquet-go compares those bytes unsigned,
// so a negative value would sort above every positive one).
type colState struct {
	nan        int64
	hasBounds  bool
	fmin, fmax float64
	dmin, dmax decimal128.Num
	decWidth   int    // FIXED_LEN_BYTE_ARRAY width of a decimal column, 0 otherwise
	scratch    []byte // big-endian decimal bytes of the current chunk
}

// unwrap returns the storage array of an extension array (UUID).
func unwrap(col arrow.Array) arrow.Array {
	if e, ok := col.(array.ExtensionArray); ok {
		return e.Storage()
	}
	return col
}

// fillValues sets dst[0], dst[stride], ... to the values of col from row off
// on, as many as fit, and returns dst. Non-null values get definition level
// def (1 for an optional column, 0 for a required one), nulls the null Value
// (level 0). withColumn also sets the column index c, which Writer.WriteRows
// needs to route values and ColumnWriter.WriteRowValues ignores. A nil col
// is a column absent from the input: all null.
//
// Values are built with the constructors and then levelled in place in a
// second pass with the inlinable setters: Value.Level is not inlined, and
// calling it per value made this loop ~30× slower.
//
// The Values of byte-array columns point into col's buffers (and, for
// FIXED_LEN_BYTE_ARRAY decimals, into st.scratch): the column writer copies
// them before the next fill.
func fillValues(dst []pqgo.Value, stride int, col arrow.Array, off, c, def int, withColumn bool, st *colState) []pqgo.Value {
	n := (len(dst) + stride - 1) / stride
	if col == nil {
		for i := range n {
			v := &dst[i*stride]
			*v = pqgo.NullValue()
			if withColumn {
				v.SetColumnIndex(c)
			}
		}
		return dst
	}
	switch a := col.(type) {
	case *array.Int64:
		for i, v := range a.Int64Values()[off : off+n] {
			dst[i*stride] = pqgo.Int64Value(v)
		}
	case *array.Timestamp:
		for i, v := range a.TimestampValues()[off : off+n] {
			dst[i*stride] = pqgo.Int64Value(int64(v))
		}
	case *array.Time64:
		for i, v := range a.Time64Values()[off : off+n] {
			dst[i*stride] = pqgo.Int64Value(int64(v))
		}
	case *array.Int32:
		for i, v := range a.Int32Values()[off : off+n] {
			dst[i*stride] = pqgo.Int32Value(v)
		}
	case *array.Date32:
		for i, v := range a.Date32Values()[off : off+n] {
			dst[i*stride] = pqgo.Int32Value(int32(v))
		}
	case *array.Float64:
		vs := a.Float64Values()[off : off+n]
		for i, v := range vs {
			dst[i*stride] = pqgo.DoubleValue(v)
		}
		floatStats(st, vs, a, off)
	case *array.Float32:
		vs := a.Float32Values()[off : off+n]
		for i, v := range vs {
			dst[i*stride] = pqgo.FloatValue(v)
		}
		floatStats(st, vs, a, off)
	case *array.Boolean:
		for i := range n {
			dst[i*stride] = pqgo.BooleanValue(a.Value(off + i))
		}
	case *array.String:
		fillBinary(dst, stride, a.ValueBytes(), a.ValueOffsets(), off, n)
	case *array.Binary:
		fillBinary(dst, stride, a.ValueBytes(), a.ValueOffsets(), off, n)
	case *array.LargeString:
		fillBinary(dst, stride, a.ValueBytes(), a.ValueOffsets(), off, n)
	case *array.LargeBinary:
		fillBinary(dst, stride, a.ValueBytes(), a.ValueOffsets(), off, n)
	case *array.FixedSizeBinary:
		for i := range n {
			dst[i*stride] = pqgo.FixedLenByteArrayValue(a.Value(off + i))
		}
	case *array.Decimal128:
		fillDecimal(dst, stride, a, off, n, st)
	default:
		panic(fmt.Sprintf("BUG: parquetw: arrow type %v passed the schema check but has no fill", col.DataType()))
	}
	nulls := col.NullN() > 0
	if !nulls && def == 0 && !withColumn {
		return dst // Fast path: a required column, the constructors' zero levels are right
	}
	for i := range n {
		v := &dst[i*stride]
		if nulls && col.IsNull(off+i) {
			*v = pqgo.NullValue()
		} else {
			v.SetDefinitionLevel(def)
		}
		if withColumn {
			v.SetColumnIndex(c)
		}
	}
	return dst
}

// fillBinary fills n values from row off of a binary-like array given its
// ValueBytes and ValueOffsets. Of a sliced array, ValueBytes starts at the
// slice's first value, while ValueOffsets are relative to the whole buffer.
func fillBinary[O int32 | int64](dst []pqgo.Value, stride int, data []byte, offsets []O, off, n int) {
	base, offs := offsets[0], offsets[off:off+n+1]
	for i := range n {
		dst[i*stride] = pqgo.ByteArrayValue(data[offs[i]-base : offs[i+1]-base])
	}
}

// floatStats counts the NaNs among the non-null values vs (rows off... of a)
// and widens the column's bounds by the others.
func floatStats[F float32 | float64](st *colState, vs []F, a arrow.Array, off int) {
	nulls := a.NullN() > 0
	lo, hi, has, nan := st.fmin, st.fmax, st.hasBounds, st.nan
	for i, v := range vs {
		if nulls && a.IsNull(off+i) {
			continue
		}
		f := float64(v)
		switch {
		case f != f:
			nan++
		case !has:
			lo, hi, has = f, f, true
		case f < lo:
			lo = f
		case f > hi:
			hi = f
		}
	}
	st.fmin, st.fmax, st.hasBounds, st.nan = lo, hi, has, nan
}

// fillDecimal fills decimal values as the column stores them: INT32 or INT64
// for precision up to 9 or 18, else big-endian two's complement of
// st.decWidth bytes (from st.scratch). It also keeps the bounds of the
// FIXED_LEN_BYTE_ARRAY ones (see colState).
func fillDecimal(dst []pqgo.Value, stride int, a *array.Decimal128, off, n int, st *colState) {
	vs := a.Values()[off : off+n]
	p := a.DataType().(*arrow.Decimal128Type).Precision
	switch {
	case p <= 9:
		for i, v := range vs {
			dst[i*stride] = pqgo.Int32Value(int32(v.LowBits()))
		}
		return
	case p <= 18:
		for i, v := range vs {
			dst[i*stride] = pqgo.Int64Value(int64(v.LowBits()))
		}
		return
	}
	w := st.decWidth
	if cap(st.scratch) < n*16 {
		st.scratch = make([]byte, n*16)
	}
	buf := st.scratch[:n*16]
	nulls := a.NullN() > 0
	for i, v := range vs {
		b := buf[i*16 : (i+1)*16]
		binary.BigEndian.PutUint64(b[:8], uint64(v.HighBits()))
		binary.BigEndian.PutUint64(b[8:], v.LowBits())
		dst[i*stride] = pqgo.FixedLenByteArrayValue(b[16-w:])
		if nulls && a.IsNull(off+i) {
			continue
		}
		switch {
		case !st.hasBounds:
			st.dmin, st.dmax, st.hasBounds = v, v, true
		case v.Less(st.dmin):
			st.dmin = v
		case st.dmax.Less(v):
			st.dmax = v
		}
	}
}

// zeroSigned applies the Parquet rule for a zero floating-point bound, which
// arrow-go (and so iceberg-go's writer) follows: a lower bound of 0 is -0.0,
// an upper bound of 0 is +0.0, as either zero may be in the file.
func zeroSigned(lo, hi float64) (float64, float64) {
	if lo == 0 {
		lo = math.Copysign(0, -1)
	}
	if hi == 0 {
		hi = 0
	}
	return lo, hi
}
