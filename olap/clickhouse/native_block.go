package clickhouse

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"

	"github.com/wharfdata/wharf/engine/types"
)

// This file writes Arrow columns in the native protocol's column layout,
// matching the type names of types.go: fixed-width values are copied from
// Arrow's buffers in one append where the layouts agree, and converted in
// a typed loop where they do not; nothing is boxed per row.

// appendColumn appends arr, of field f, as the native column data of
// typeName(f, legacy).
func appendColumn(dst []byte, f arrow.Field, arr arrow.Array, legacy bool) []byte {
	if legacy && !legacyKnown(f.Type) {
		if f.Nullable {
			dst = appendNullMap(dst, arr)
		}
		return appendStrings(dst, arr, newTextEncoder(arr, f, textOpts{style: stylePlain}))
	}
	switch t := f.Type.(type) {
	case *arrow.MapType:
		m := arr.(*array.Map)
		dst, start, end := appendOffsets(dst, m)
		k := t.KeyField()
		k.Nullable = false
		dst = appendColumn(dst, k, array.NewSlice(m.Keys(), start, end), legacy)
		return appendColumn(dst, t.ItemField(), array.NewSlice(m.Items(), start, end), legacy)
	case arrow.ListLikeType:
		l := arr.(array.ListLike)
		dst, start, end := appendOffsets(dst, l)
		return appendColumn(dst, t.ElemField(), array.NewSlice(l.ListValues(), start, end), legacy)
	case *arrow.StructType:
		s := arr.(*array.Struct)
		for k, sf := range t.Fields() {
			dst = appendColumn(dst, sf, s.Field(k), legacy)
		}
		return dst
	case *arrow.NullType:
		for range 2 { // the null map (all NULL), then Nothing's placeholder bytes
			for range arr.Len() {
				dst = append(dst, 1)
			}
		}
		return dst
	}
	if f.Nullable {
		dst = appendNullMap(dst, arr)
	}
	return appendScalar(dst, f, arr)
}

// appendNullMap writes one byte per row, 1 for NULL.
func appendNullMap(dst []byte, arr arrow.Array) []byte {
	n := arr.Len()
	if arr.NullN() == 0 {
		return append(dst, make([]byte, n)...)
	}
	for i := range n {
		var b byte
		if arr.IsNull(i) {
			b = 1
		}
		dst = append(dst, b)
	}
	return dst
}

// appendOffsets writes an array column's end offsets (UInt64, from 0) and
// returns the range of child values the rows use.
func appendOffsets(dst []byte, l array.ListLike) ([]byte, int64, int64) {
	n := l.Len()
	if n == 0 {
		return dst, 0, 0
	}
	first, _ := l.ValueOffsets(0)
	// Arrow's rows are contiguous, so each end offset is the next start; a
	// NULL list (normally empty) is sent as whatever it spans.
	var end int64
	for i := range n {
		_, end = l.ValueOffsets(i)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(end-first))
	}
	return dst, first, end
}

// appendStrings writes a String column from text.
func appendStrings(dst []byte, arr arrow.Array, enc textEncoder) []byte {
	var buf []byte
	for i := range arr.Len() {
		buf = buf[:0]
		if arr.IsValid(i) {
			buf = enc(buf, i)
		}
		dst = binary.AppendUvarint(dst, uint64(len(buf)))
		dst = append(dst, buf...)
	}
	return dst
}

func appendBytes[S string | []byte](dst []byte, v S) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

// appendScalar writes a column of a non-nested type.
func appendScalar(dst []byte, f arrow.Field, arr arrow.Array) []byte {
	switch a := arr.(type) {
	case *array.Boolean:
		for i := range a.Len() {
			var b byte
			if a.Value(i) {
				b = 1
			}
			dst = append(dst, b)
		}
		return dst
	case *array.Int8:
		return append(dst, arrow.Int8Traits.CastToBytes(a.Int8Values())...)
	case *array.Int16:
		return append(dst, arrow.Int16Traits.CastToBytes(a.Int16Values())...)
	case *array.Int32:
		switch declared(f) {
		case "TINYINT":
			for _, v := range a.Int32Values() {
				dst = append(dst, byte(int8(v)))
			}
			return dst
		case "SMALLINT":
			for _, v := range a.Int32Values() {
				dst = binary.LittleEndian.AppendUint16(dst, uint16(int16(v)))
			}
			return dst
		}
		return append(dst, arrow.Int32Traits.CastToBytes(a.Int32Values())...)
	case *array.Int64:
		return append(dst, arrow.Int64Traits.CastToBytes(a.Int64Values())...)
	case *array.Duration:
		return append(dst, arrow.DurationTraits.CastToBytes(a.DurationValues())...)
	case *array.Uint8:
		return append(dst, a.Uint8Values()...)
	case *array.Uint16:
		return append(dst, arrow.Uint16Traits.CastToBytes(a.Uint16Values())...)
	case *array.Uint32:
		return append(dst, arrow.Uint32Traits.CastToBytes(a.Uint32Values())...)
	case *array.Uint64:
		return append(dst, arrow.Uint64Traits.CastToBytes(a.Uint64Values())...)
	case *array.Float16:
		for i := range a.Len() {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(a.Value(i).Float32()))
		}
		return dst
	case *array.Float32:
		return append(dst, arrow.Float32Traits.CastToBytes(a.Float32Values())...)
	case *array.Float64:
		return append(dst, arrow.Float64Traits.CastToBytes(a.Float64Values())...)
	case *array.Decimal32:
		w := decimalWidth(a.DataType())
		for _, v := range a.Values() {
			dst = appendDecimalWords(dst, uint64(int64(v)), uint64(int64(v)>>63), w)
		}
		return dst
	case *array.Decimal64:
		w := decimalWidth(a.DataType())
		for _, v := range a.Values() {
			dst = appendDecimalWords(dst, uint64(v), uint64(int64(v)>>63), w)
		}
		return dst
	case *array.Decimal128:
		w := decimalWidth(a.DataType())
		for _, v := range a.Values() {
			dst = appendDecimal128(dst, v, w)
		}
		return dst
	case *array.Decimal256:
		w := decimalWidth(a.DataType())
		for _, v := range a.Values() {
			dst = appendDecimal256(dst, v, w)
		}
		return dst
	case *array.String:
		for i := range a.Len() {
			dst = appendBytes(dst, a.Value(i))
		}
		return dst
	case *array.LargeString:
		for i := range a.Len() {
			dst = appendBytes(dst, a.Value(i))
		}
		return dst
	case *array.StringView:
		for i := range a.Len() {
			dst = appendBytes(dst, a.Value(i))
		}
		return dst
	case *array.Binary:
		for i := range a.Len() {
			dst = appendBytes(dst, a.Value(i))
		}
		return dst
	case *array.LargeBinary:
		for i := range a.Len() {
			dst = appendBytes(dst, a.Value(i))
		}
		return dst
	case *array.BinaryView:
		for i := range a.Len() {
			dst = appendBytes(dst, a.Value(i))
		}
		return dst
	case *array.FixedSizeBinary:
		for i := range a.Len() {
			dst = append(dst, a.Value(i)...)
		}
		return dst
	case *array.Date32:
		return append(dst, arrow.Date32Traits.CastToBytes(a.Date32Values())...)
	case *array.Date64:
		for _, v := range a.Date64Values() {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(int32(types.FloorDiv(int64(v), 86_400_000))))
		}
		return dst
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		per := types.UnitsPerSecond(unit)
		target := int64(math.Pow10(types.Precision(f.Metadata, unit)))
		vals := a.TimestampValues()
		switch {
		case target == per:
			return append(dst, arrow.TimestampTraits.CastToBytes(vals)...)
		case target < per:
			div := per / target
			for _, v := range vals {
				dst = binary.LittleEndian.AppendUint64(dst, uint64(types.FloorDiv(int64(v), div)))
			}
		default:
			mul := target / per
			for _, v := range vals {
				dst = binary.LittleEndian.AppendUint64(dst, uint64(int64(v)*mul))
			}
		}
		return dst
	}
	// Everything typeName calls String: its ClickHouse text.
	return appendStrings(dst, arr, newTextEncoder(arr, f, textOpts{style: stylePlain}))
}

// decimalWidth is the byte width ClickHouse stores Decimal(P, S) in.
func decimalWidth(dt arrow.DataType) int {
	switch p := dt.(arrow.DecimalType).GetPrecision(); {
	case p <= 9:
		return 4
	case p <= 18:
		return 8
	case p <= 38:
		return 16
	}
	return 32
}

// appendDecimalWords writes a two's-complement integer given by its low
// word and the sign-extension word hi, in w bytes.
func appendDecimalWords(dst []byte, lo, hi uint64, w int) []byte {
	switch w {
	case 4:
		return binary.LittleEndian.AppendUint32(dst, uint32(lo))
	case 8:
		return binary.LittleEndian.AppendUint64(dst, lo)
	}
	dst = binary.LittleEndian.AppendUint64(dst, lo)
	for k := 8; k < w; k += 8 {
		dst = binary.LittleEndian.AppendUint64(dst, hi)
	}
	return dst
}

func appendDecimal128(dst []byte, v decimal128.Num, w int) []byte {
	if w <= 8 {
		return appendDecimalWords(dst, v.LowBits(), 0, w)
	}
	dst = binary.LittleEndian.AppendUint64(dst, v.LowBits())
	dst = binary.LittleEndian.AppendUint64(dst, uint64(v.HighBits()))
	if w == 32 {
		sign := uint64(v.HighBits() >> 63)
		dst = binary.LittleEndian.AppendUint64(dst, sign)
		dst = binary.LittleEndian.AppendUint64(dst, sign)
	}
	return dst
}

func appendDecimal256(dst []byte, v decimal256.Num, w int) []byte {
	words := v.Array() // little-endian words
	for k := 0; k < w/8; k++ {
		dst = binary.LittleEndian.AppendUint64(dst, words[k])
	}
	if w == 4 {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(words[0]))
	}
	return dst
}
