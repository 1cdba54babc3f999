package types

import (
	"math"
	"math/big"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
)

// This file writes the values of an Arrow column as text for every front
// end (the HTTP API's JSON, ClickHouse's text formats): one closure per
// column per batch, then no allocation and no interface call per value.
// Where the wire formats differ is a field of ScalarText; the text of NULL,
// maps, structs and dictionaries is the front ends' own.

// ValueEncoder appends the text of row i of one array.
type ValueEncoder func(dst []byte, i int) []byte

// Quote64 says which 64-bit integers are written as JSON strings.
type Quote64 uint8

const (
	Quote64None   Quote64 = iota // every one as a number
	Quote64All                   // every one as a string (ClickHouse's output_format_json_quote_64bit_integers)
	Quote64Unsafe                // those beyond ±2^53, which a float64 reader (JavaScript) would round
)

// maxSafeInt is the largest integer a float64 holds exactly with all below it.
const maxSafeInt = 1 << 53

// FloatStyle says how floats are written. All styles write the shortest
// text that reads back exactly, in exponent form below 1e-6 and from 1e21.
type FloatStyle uint8

const (
	// FloatJSON writes exponents as encoding/json does (1e+21, 1e-7) and
	// NaN, +Inf, -Inf as the strings "NaN", "Infinity", "-Infinity".
	FloatJSON FloatStyle = iota
	// FloatClickHouse writes 1e21, 1e-7, nan, inf and -inf.
	FloatClickHouse
	// FloatClickHouseJSON writes as FloatClickHouse, and NaN and ±Inf as
	// null (output_format_json_quote_denormals=0).
	FloatClickHouseJSON
)

// nonFinite is the text of NaN, +Inf and -Inf by style.
var nonFinite = [...][3]string{
	FloatJSON:           {`"NaN"`, `"Infinity"`, `"-Infinity"`},
	FloatClickHouse:     {"nan", "inf", "-inf"},
	FloatClickHouseJSON: {"null", "null", "null"},
}

// ScalarText is how one front end writes scalar values.
type ScalarText struct {
	Quote64 Quote64 // Int64, Uint64 and Duration
	Float   FloatStyle
	// TrimDecimal drops trailing fractional zeros (ClickHouse's
	// output_format_decimal_trailing_zeros=0); otherwise a decimal has
	// exactly scale fractional digits.
	TrimDecimal  bool
	DecimalQuote byte // written around decimals; 0 for none
	TimeQuote    byte // written around dates, times and timestamps; 0 for none
	String       func(dst []byte, v string) []byte
	Bytes        func(dst, v []byte) []byte // binary and fixed-size binary
}

// Encoder returns the encoder of arr, whose field metadata is md (it
// carries the fractional-second precision of TIME and TIMESTAMP columns).
// The encoder does not look at nulls. ok is false for the types the front
// end writes itself: null, nested, dictionary and interval columns.
func (t *ScalarText) Encoder(arr arrow.Array, md arrow.Metadata) (enc ValueEncoder, ok bool) {
	switch a := arr.(type) {
	case *array.Boolean:
		return func(dst []byte, i int) []byte { return strconv.AppendBool(dst, a.Value(i)) }, true
	case *array.Int8:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }, true
	case *array.Int16:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }, true
	case *array.Int32:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }, true
	case *array.Int64:
		q := t.Quote64
		return func(dst []byte, i int) []byte { return appendInt64(dst, a.Value(i), q) }, true
	case *array.Duration:
		q := t.Quote64
		return func(dst []byte, i int) []byte { return appendInt64(dst, int64(a.Value(i)), q) }, true
	case *array.Uint8:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }, true
	case *array.Uint16:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }, true
	case *array.Uint32:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }, true
	case *array.Uint64:
		q := t.Quote64
		return func(dst []byte, i int) []byte { return appendUint64(dst, a.Value(i), q) }, true
	case *array.Float16:
		s := t.Float
		return func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i).Float32()), 32, s) }, true
	case *array.Float32:
		s := t.Float
		return func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i)), 32, s) }, true
	case *array.Float64:
		s := t.Float
		return func(dst []byte, i int) []byte { return appendFloat(dst, a.Value(i), 64, s) }, true
	case *array.Decimal32:
		scale, trim, q := a.DataType().(arrow.DecimalType).GetScale(), t.TrimDecimal, t.DecimalQuote
		return func(dst []byte, i int) []byte {
			return appendQuote(AppendDecimal64(appendQuote(dst, q), int64(a.Value(i)), scale, trim), q)
		}, true
	case *array.Decimal64:
		scale, trim, q := a.DataType().(arrow.DecimalType).GetScale(), t.TrimDecimal, t.DecimalQuote
		return func(dst []byte, i int) []byte {
			return appendQuote(AppendDecimal64(appendQuote(dst, q), int64(a.Value(i)), scale, trim), q)
		}, true
	case *array.Decimal128:
		scale, trim, q := a.DataType().(arrow.DecimalType).GetScale(), t.TrimDecimal, t.DecimalQuote
		return func(dst []byte, i int) []byte {
			return appendQuote(AppendDecimal128(appendQuote(dst, q), a.Value(i), scale, trim), q)
		}, true
	case *array.Decimal256:
		scale, trim, q := a.DataType().(arrow.DecimalType).GetScale(), t.TrimDecimal, t.DecimalQuote
		return func(dst []byte, i int) []byte {
			return appendQuote(AppendDecimal256(appendQuote(dst, q), a.Value(i), scale, trim), q)
		}, true
	case *array.String:
		str := t.String
		return func(dst []byte, i int) []byte { return str(dst, a.Value(i)) }, true
	case *array.LargeString:
		str := t.String
		return func(dst []byte, i int) []byte { return str(dst, a.Value(i)) }, true
	case *array.StringView:
		str := t.String
		return func(dst []byte, i int) []byte { return str(dst, a.Value(i)) }, true
	case *array.Binary:
		bin := t.Bytes
		return func(dst []byte, i int) []byte { return bin(dst, a.Value(i)) }, true
	case *array.LargeBinary:
		bin := t.Bytes
		return func(dst []byte, i int) []byte { return bin(dst, a.Value(i)) }, true
	case *array.BinaryView:
		bin := t.Bytes
		return func(dst []byte, i int) []byte { return bin(dst, a.Value(i)) }, true
	case *array.FixedSizeBinary:
		bin := t.Bytes
		return func(dst []byte, i int) []byte { return bin(dst, a.Value(i)) }, true
	case *array.Date32:
		q := t.TimeQuote
		return func(dst []byte, i int) []byte {
			return appendQuote(AppendDate(appendQuote(dst, q), int64(a.Value(i))), q)
		}, true
	case *array.Date64:
		q := t.TimeQuote
		return func(dst []byte, i int) []byte {
			return appendQuote(AppendDate(appendQuote(dst, q), FloorDiv(int64(a.Value(i)), 86_400_000)), q)
		}, true
	case *array.Timestamp:
		// A time zone (TIMESTAMP_LTZ) changes nothing: values are UTC
		// instants and are written in UTC.
		unit := a.DataType().(*arrow.TimestampType).Unit
		p, q := Precision(md, unit), t.TimeQuote
		return func(dst []byte, i int) []byte {
			return appendQuote(AppendTimestamp(appendQuote(dst, q), int64(a.Value(i)), unit, p), q)
		}, true
	case *array.Time32:
		unit := a.DataType().(*arrow.Time32Type).Unit
		p, q := Precision(md, unit), t.TimeQuote
		return func(dst []byte, i int) []byte {
			return appendQuote(AppendTime(appendQuote(dst, q), int64(a.Value(i)), unit, p), q)
		}, true
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		p, q := Precision(md, unit), t.TimeQuote
		return func(dst []byte, i int) []byte {
			return appendQuote(AppendTime(appendQuote(dst, q), int64(a.Value(i)), unit, p), q)
		}, true
	}
	return nil, false
}

// WithNulls returns enc, which does not look at nulls, made to write null
// for the nulls of arr.
func WithNulls(arr arrow.Array, enc ValueEncoder, null string) ValueEncoder {
	if arr.NullN() == 0 {
		return enc
	}
	return func(dst []byte, i int) []byte {
		if arr.IsNull(i) {
			return append(dst, null...)
		}
		return enc(dst, i)
	}
}

// ListText writes a list as [a,b,c], its elements by elem.
func ListText(a array.ListLike, elem ValueEncoder) ValueEncoder {
	return func(dst []byte, i int) []byte {
		start, end := a.ValueOffsets(i)
		dst = append(dst, '[')
		for j := start; j < end; j++ {
			if j > start {
				dst = append(dst, ',')
			}
			dst = elem(dst, int(j))
		}
		return append(dst, ']')
	}
}

// appendQuote writes q, the quote around text that never needs escaping
// (numbers, dates, times), unless it is 0.
func appendQuote(dst []byte, q byte) []byte {
	if q != 0 {
		dst = append(dst, q)
	}
	return dst
}

func appendInt64(dst []byte, v int64, q Quote64) []byte {
	if q == Quote64All || q == Quote64Unsafe && (v > maxSafeInt || v < -maxSafeInt) {
		dst = append(dst, '"')
		return append(strconv.AppendInt(dst, v, 10), '"')
	}
	return strconv.AppendInt(dst, v, 10)
}

func appendUint64(dst []byte, v uint64, q Quote64) []byte {
	if q == Quote64All || q == Quote64Unsafe && v > maxSafeInt {
		dst = append(dst, '"')
		return append(strconv.AppendUint(dst, v, 10), '"')
	}
	return strconv.AppendUint(dst, v, 10)
}

// appendFloat writes f, of bits bits, in style s.
func appendFloat(dst []byte, f float64, bits int, s FloatStyle) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, nonFinite[s][0]...)
	case math.IsInf(f, 1):
		return append(dst, nonFinite[s][1]...)
	case math.IsInf(f, -1):
		return append(dst, nonFinite[s][2]...)
	}
	if abs := math.Abs(f); abs == 0 || abs >= 1e-6 && abs < 1e21 {
		return strconv.AppendFloat(dst, f, 'f', -1, bits)
	}
	dst = strconv.AppendFloat(dst, f, 'e', -1, bits)
	// strconv writes the exponent's sign and two or three digits (e+21,
	// e-07, e+308); exponents here are ≥ 21 or ≤ -7, so only e-0d has a
	// zero to drop.
	e := len(dst) - 4
	if dst[e] != 'e' {
		e--
	}
	switch {
	case dst[e+1] == '+':
		if s != FloatJSON {
			dst = append(dst[:e+1], dst[e+2:]...)
		}
	case dst[e+2] == '0':
		dst = append(dst[:e+2], dst[e+3:]...)
	}
	return dst
}

// AppendDecimal64 writes the decimal v·10^-scale. With trim, trailing
// fractional zeros are dropped (and zero is "0"); without, it has exactly
// scale fractional digits.
func AppendDecimal64(dst []byte, v int64, scale int32, trim bool) []byte {
	var buf [20]byte
	mag := uint64(v)
	if v < 0 {
		mag = -mag // two's complement: also right for math.MinInt64
	}
	return appendScaled(dst, v < 0, strconv.AppendUint(buf[:0], mag, 10), scale, trim)
}

// AppendDecimal128 writes n·10^-scale as AppendDecimal64 does.
func AppendDecimal128(dst []byte, n decimal128.Num, scale int32, trim bool) []byte {
	// Fast path: the value fits in an int64 (hi is lo's sign extension).
	if lo := int64(n.LowBits()); n.HighBits() == lo>>63 {
		return AppendDecimal64(dst, lo, scale, trim)
	}
	// Slow path: more than 18 digits.
	return appendBigDecimal(dst, n.BigInt(), scale, trim)
}

// AppendDecimal256 writes n·10^-scale as AppendDecimal64 does.
func AppendDecimal256(dst []byte, n decimal256.Num, scale int32, trim bool) []byte {
	// Fast path: the value fits in an int64 (the upper words are lo's sign
	// extension).
	w := n.Array()
	if lo := int64(w[0]); w[1] == uint64(lo>>63) && w[2] == w[1] && w[3] == w[1] {
		return AppendDecimal64(dst, lo, scale, trim)
	}
	return appendBigDecimal(dst, n.BigInt(), scale, trim)
}

// appendBigDecimal writes v·10^-scale; it changes v (takes its sign off).
func appendBigDecimal(dst []byte, v *big.Int, scale int32, trim bool) []byte {
	neg := v.Sign() < 0
	return appendScaled(dst, neg, v.Abs(v).Append(nil, 10), scale, trim)
}

// appendScaled writes "[-]digits" with a decimal point scale digits from
// the right.
func appendScaled(dst []byte, neg bool, digits []byte, scale int32, trim bool) []byte {
	s := int(scale)
	if trim {
		for s > 0 && len(digits) > 1 && digits[len(digits)-1] == '0' {
			digits = digits[:len(digits)-1]
			s--
		}
		if len(digits) == 1 && digits[0] == '0' {
			return append(dst, '0')
		}
	}
	if neg {
		dst = append(dst, '-')
	}
	switch {
	case s <= 0:
		dst = append(dst, digits...)
		for ; s < 0; s++ {
			dst = append(dst, '0')
		}
	case len(digits) <= s:
		dst = append(dst, '0', '.')
		for k := len(digits); k < s; k++ {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	default:
		dst = append(dst, digits[:len(digits)-s]...)
		dst = append(dst, '.')
		dst = append(dst, digits[len(digits)-s:]...)
	}
	return dst
}
