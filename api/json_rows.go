package api

import (
	"encoding/base64"
	"math"
	"math/big"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/types"
)

// This file renders Arrow values as JSON the way DESIGN.md §3 specifies, by
// appending into a byte slice: one closure per column per batch, then no
// allocation and no reflection per value.

// valueEncoder appends the JSON of row i of one array to dst.
type valueEncoder func(dst []byte, i int) []byte

// maxSafeInt is the largest integer a JSON reader using float64 (JavaScript)
// represents exactly; integers beyond it are written as strings.
const maxSafeInt = 1 << 53

// bufPool holds response buffers. Responses are flushed every flushAt bytes,
// so pooled buffers stay near that size.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2*flushAt); return &b }}

const flushAt = 64 << 10

// appendRow appends row i of the given column encoders as a JSON array.
func appendRow(dst []byte, encs []valueEncoder, i int) []byte {
	dst = append(dst, '[')
	for c, enc := range encs {
		if c > 0 {
			dst = append(dst, ',')
		}
		dst = enc(dst, i)
	}
	return append(dst, ']')
}

// columnEncoders returns one encoder per column of rec.
func columnEncoders(rec arrow.RecordBatch, encs []valueEncoder) []valueEncoder {
	encs = encs[:0]
	for c, f := range rec.Schema().Fields() {
		encs = append(encs, newValueEncoder(rec.Column(c), f.Metadata))
	}
	return encs
}

// newValueEncoder returns the encoder for arr. md is the field's metadata
// (it carries the fractional-second precision of TIME and TIMESTAMP columns).
func newValueEncoder(arr arrow.Array, md arrow.Metadata) valueEncoder {
	enc := newNonNullEncoder(arr, md)
	if arr.NullN() == 0 {
		return enc
	}
	return func(dst []byte, i int) []byte {
		if arr.IsNull(i) {
			return append(dst, "null"...)
		}
		return enc(dst, i)
	}
}

func newNonNullEncoder(arr arrow.Array, md arrow.Metadata) valueEncoder {
	switch a := arr.(type) {
	case *array.Null:
		return func(dst []byte, _ int) []byte { return append(dst, "null"...) }
	case *array.Boolean:
		return func(dst []byte, i int) []byte { return strconv.AppendBool(dst, a.Value(i)) }
	case *array.Int8:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Int16:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Int32:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Int64:
		return func(dst []byte, i int) []byte { return appendInt64(dst, a.Value(i)) }
	case *array.Uint8:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }
	case *array.Uint16:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }
	case *array.Uint32:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }
	case *array.Uint64:
		return func(dst []byte, i int) []byte { return appendUint64(dst, a.Value(i)) }
	case *array.Float16:
		return func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i).Float32()), 32) }
	case *array.Float32:
		return func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i)), 32) }
	case *array.Float64:
		return func(dst []byte, i int) []byte { return appendFloat(dst, a.Value(i), 64) }
	case *array.Decimal32:
		scale := a.DataType().(arrow.DecimalType).GetScale()
		return func(dst []byte, i int) []byte { return appendDecimalInt64(dst, int64(a.Value(i)), scale) }
	case *array.Decimal64:
		scale := a.DataType().(arrow.DecimalType).GetScale()
		return func(dst []byte, i int) []byte { return appendDecimalInt64(dst, int64(a.Value(i)), scale) }
	case *array.Decimal128:
		scale := a.DataType().(arrow.DecimalType).GetScale()
		return func(dst []byte, i int) []byte {
			n := a.Value(i)
			// Fast path: the value fits in an int64 (hi is lo's sign extension).
			if lo := int64(n.LowBits()); n.HighBits() == lo>>63 {
				return appendDecimalInt64(dst, lo, scale)
			}
			// Slow path: more than 18 digits.
			return appendDecimalBig(dst, n.BigInt(), scale)
		}
	case *array.Decimal256:
		scale := a.DataType().(arrow.DecimalType).GetScale()
		return func(dst []byte, i int) []byte {
			n := a.Value(i)
			w := n.Array()
			if lo := int64(w[0]); w[1] == uint64(lo>>63) && w[2] == w[1] && w[3] == w[1] {
				return appendDecimalInt64(dst, lo, scale)
			}
			return appendDecimalBig(dst, n.BigInt(), scale)
		}
	case *array.String:
		return func(dst []byte, i int) []byte { return appendString(dst, a.Value(i)) }
	case *array.LargeString:
		return func(dst []byte, i int) []byte { return appendString(dst, a.Value(i)) }
	case *array.StringView:
		return func(dst []byte, i int) []byte { return appendString(dst, a.Value(i)) }
	case *array.Binary:
		return func(dst []byte, i int) []byte { return appendBase64(dst, a.Value(i)) }
	case *array.LargeBinary:
		return func(dst []byte, i int) []byte { return appendBase64(dst, a.Value(i)) }
	case *array.BinaryView:
		return func(dst []byte, i int) []byte { return appendBase64(dst, a.Value(i)) }
	case *array.FixedSizeBinary:
		return func(dst []byte, i int) []byte { return appendBase64(dst, a.Value(i)) }
	case *array.Date32:
		return func(dst []byte, i int) []byte {
			dst = append(dst, '"')
			dst = types.AppendDate(dst, int64(a.Value(i)))
			return append(dst, '"')
		}
	case *array.Date64:
		return func(dst []byte, i int) []byte {
			dst = append(dst, '"')
			dst = types.AppendDate(dst, types.FloorDiv(int64(a.Value(i)), 86_400_000))
			return append(dst, '"')
		}
	case *array.Timestamp:
		// A time zone (TIMESTAMP_LTZ) changes nothing: values are UTC instants
		// and are rendered in UTC.
		unit := a.DataType().(*arrow.TimestampType).Unit
		p := types.Precision(md, unit)
		return func(dst []byte, i int) []byte { return appendTimestamp(dst, int64(a.Value(i)), unit, p) }
	case *array.Time32:
		unit := a.DataType().(*arrow.Time32Type).Unit
		p := types.Precision(md, unit)
		return func(dst []byte, i int) []byte { return appendTime(dst, int64(a.Value(i)), unit, p) }
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		p := types.Precision(md, unit)
		return func(dst []byte, i int) []byte { return appendTime(dst, int64(a.Value(i)), unit, p) }
	case *array.Duration:
		return func(dst []byte, i int) []byte { return appendInt64(dst, int64(a.Value(i))) }
	case *array.Map:
		keys := newValueEncoder(a.Keys(), arrow.Metadata{})
		items := newValueEncoder(a.Items(), a.DataType().(*arrow.MapType).ItemField().Metadata)
		return func(dst []byte, i int) []byte {
			start, end := a.ValueOffsets(i)
			dst = append(dst, '{')
			for j := int(start); j < int(end); j++ {
				if j > int(start) {
					dst = append(dst, ',')
				}
				dst = appendKey(dst, keys, j)
				dst = append(dst, ':')
				dst = items(dst, j)
			}
			return append(dst, '}')
		}
	case array.ListLike:
		elem := newValueEncoder(a.ListValues(), a.DataType().(arrow.ListLikeType).ElemField().Metadata)
		return func(dst []byte, i int) []byte {
			start, end := a.ValueOffsets(i)
			dst = append(dst, '[')
			for j := int(start); j < int(end); j++ {
				if j > int(start) {
					dst = append(dst, ',')
				}
				dst = elem(dst, j)
			}
			return append(dst, ']')
		}
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		names := make([][]byte, st.NumFields())
		fields := make([]valueEncoder, st.NumFields())
		for f := range fields {
			names[f] = append(appendString(nil, st.Field(f).Name), ':')
			fields[f] = newValueEncoder(a.Field(f), st.Field(f).Metadata)
		}
		return func(dst []byte, i int) []byte {
			dst = append(dst, '{')
			for f, enc := range fields {
				if f > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, names[f]...)
				dst = enc(dst, i)
			}
			return append(dst, '}')
		}
	case *array.Dictionary:
		values := newValueEncoder(a.Dictionary(), md)
		return func(dst []byte, i int) []byte { return values(dst, a.GetValueIndex(i)) }
	case *array.RunEndEncoded:
		values := newValueEncoder(a.Values(), md)
		return func(dst []byte, i int) []byte { return values(dst, a.GetPhysicalIndex(i)) }
	default:
		// Types SQL results do not produce (unions, intervals): their Arrow
		// text form, as a string.
		return func(dst []byte, i int) []byte { return appendString(dst, arr.ValueStr(i)) }
	}
}

// appendKey appends a map key as a JSON object key: strings as they are,
// anything else stringified.
func appendKey(dst []byte, keys valueEncoder, j int) []byte {
	start := len(dst)
	dst = keys(dst, j)
	if dst[start] == '"' {
		return dst
	}
	if dst[start] == '{' || dst[start] == '[' {
		// Nested keys are rare enough to afford a copy.
		raw := string(dst[start:])
		return appendString(dst[:start], raw)
	}
	// Numbers, booleans and null need no escaping: quote them in place.
	dst = append(dst, 0)
	copy(dst[start+1:], dst[start:len(dst)-1])
	dst[start] = '"'
	return append(dst, '"')
}

func appendInt64(dst []byte, v int64) []byte {
	if v > maxSafeInt || v < -maxSafeInt {
		dst = append(dst, '"')
		dst = strconv.AppendInt(dst, v, 10)
		return append(dst, '"')
	}
	return strconv.AppendInt(dst, v, 10)
}

func appendUint64(dst []byte, v uint64) []byte {
	if v > maxSafeInt {
		dst = append(dst, '"')
		dst = strconv.AppendUint(dst, v, 10)
		return append(dst, '"')
	}
	return strconv.AppendUint(dst, v, 10)
}

// appendFloat writes f as a JSON number (the shortest form that reads back
// exactly, like encoding/json), or NaN/±Inf as the strings "NaN",
// "Infinity", "-Infinity".
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// Shorten e-09 to e-9, as encoding/json does.
		if n := len(dst) - start; n >= 4 && dst[len(dst)-4] == 'e' && dst[len(dst)-3] == '-' && dst[len(dst)-2] == '0' {
			dst[len(dst)-2] = dst[len(dst)-1]
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

// appendDecimalInt64 writes the decimal v·10^-scale as a string with exactly
// scale fractional digits.
func appendDecimalInt64(dst []byte, v int64, scale int32) []byte {
	var buf [20]byte
	neg := v < 0
	mag := uint64(v)
	if neg {
		mag = -mag // two's complement: also right for math.MinInt64
	}
	return appendScaled(dst, neg, strconv.AppendUint(buf[:0], mag, 10), scale)
}

func appendDecimalBig(dst []byte, v *big.Int, scale int32) []byte {
	neg := v.Sign() < 0
	return appendScaled(dst, neg, v.Abs(v).Append(nil, 10), scale)
}

// appendScaled writes "[-]digits" with a decimal point scale digits from the
// right, as a JSON string.
func appendScaled(dst []byte, neg bool, digits []byte, scale int32) []byte {
	dst = append(dst, '"')
	if neg {
		dst = append(dst, '-')
	}
	s := int(scale)
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
	return append(dst, '"')
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// appendTimestamp writes "YYYY-MM-DD HH:MM:SS" and p fractional digits as a
// JSON string.
func appendTimestamp(dst []byte, v int64, unit arrow.TimeUnit, p int) []byte {
	dst = append(dst, '"')
	dst = types.AppendTimestamp(dst, v, unit, p)
	return append(dst, '"')
}

// appendTime writes "HH:MM:SS" and p fractional digits as a JSON string.
func appendTime(dst []byte, v int64, unit arrow.TimeUnit, p int) []byte {
	dst = append(dst, '"')
	dst = types.AppendTime(dst, v, unit, p)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped so the output is also valid JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			// Fast path: printable ASCII other than " and \.
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
