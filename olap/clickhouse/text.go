package clickhouse

import (
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/types"
)

// This file renders Arrow values as ClickHouse renders its own in the text
// formats: one closure per column per batch, then no allocation and no
// interface call per value.

// textStyle is where a value is written.
type textStyle uint8

const (
	stylePlain  textStyle = iota // the bare text (toString): native String columns for legacy clients
	styleTSV                     // a TabSeparated field: escaped, NULL as \N
	styleCSV                     // a CSV field: strings in "…", NULL as \N
	styleJSON                    // a JSON value
	styleQuoted                  // inside arrays, maps and tuples of TSV and CSV: strings in '…', NULL as NULL
)

// textOpts are the settings that change text output.
type textOpts struct {
	style   textStyle
	quote64 bool // output_format_json_quote_64bit_integers: 64-bit integers as JSON strings
}

// textEncoder appends the text of row i of one array.
type textEncoder func(dst []byte, i int) []byte

func (o textOpts) nested() textOpts {
	if o.style == styleJSON {
		return o
	}
	o.style = styleQuoted
	return o
}

func nullText(s textStyle) string {
	switch s {
	case styleJSON:
		return "null"
	case styleQuoted:
		return "NULL"
	case stylePlain:
		return ""
	}
	return `\N`
}

// newTextEncoder returns the encoder for arr, whose field is f.
func newTextEncoder(arr arrow.Array, f arrow.Field, o textOpts) textEncoder {
	enc := nonNullText(arr, f, o)
	if arr.NullN() == 0 {
		return enc
	}
	null := nullText(o.style)
	return func(dst []byte, i int) []byte {
		if arr.IsNull(i) {
			return append(dst, null...)
		}
		return enc(dst, i)
	}
}

func nonNullText(arr arrow.Array, f arrow.Field, o textOpts) textEncoder {
	switch a := arr.(type) {
	case *array.Null:
		null := nullText(o.style)
		return func(dst []byte, _ int) []byte { return append(dst, null...) }
	case *array.Boolean:
		return func(dst []byte, i int) []byte { return strconv.AppendBool(dst, a.Value(i)) }
	case *array.Int8:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Int16:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Int32:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Int64:
		if o.quote64 && o.style == styleJSON {
			return func(dst []byte, i int) []byte {
				dst = append(dst, '"')
				return append(strconv.AppendInt(dst, a.Value(i), 10), '"')
			}
		}
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, a.Value(i), 10) }
	case *array.Duration:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Uint8:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }
	case *array.Uint16:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }
	case *array.Uint32:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }
	case *array.Uint64:
		if o.quote64 && o.style == styleJSON {
			return func(dst []byte, i int) []byte {
				dst = append(dst, '"')
				return append(strconv.AppendUint(dst, a.Value(i), 10), '"')
			}
		}
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, a.Value(i), 10) }
	case *array.Float16:
		return func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i).Float32()), 32, o.style) }
	case *array.Float32:
		return func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i)), 32, o.style) }
	case *array.Float64:
		return func(dst []byte, i int) []byte { return appendFloat(dst, a.Value(i), 64, o.style) }
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
			return appendDecimal(dst, n.BigInt(), scale)
		}
	case *array.Decimal256:
		scale := a.DataType().(arrow.DecimalType).GetScale()
		return func(dst []byte, i int) []byte { return appendDecimal(dst, a.Value(i).BigInt(), scale) }
	case *array.String:
		return func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), o.style) }
	case *array.LargeString:
		return func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), o.style) }
	case *array.StringView:
		return func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), o.style) }
	case *array.Binary:
		return func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), o.style) }
	case *array.LargeBinary:
		return func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), o.style) }
	case *array.BinaryView:
		return func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), o.style) }
	case *array.FixedSizeBinary:
		return func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), o.style) }
	case *array.Date32:
		return safeText(o.style, func(dst []byte, i int) []byte { return types.AppendDate(dst, int64(a.Value(i))) })
	case *array.Date64:
		return safeText(o.style, func(dst []byte, i int) []byte {
			return types.AppendDate(dst, types.FloorDiv(int64(a.Value(i)), 86_400_000))
		})
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		p := types.Precision(f.Metadata, unit)
		return safeText(o.style, func(dst []byte, i int) []byte { return types.AppendTimestamp(dst, int64(a.Value(i)), unit, p) })
	case *array.Time32:
		unit := a.DataType().(*arrow.Time32Type).Unit
		p := types.Precision(f.Metadata, unit)
		return safeText(o.style, func(dst []byte, i int) []byte { return types.AppendTime(dst, int64(a.Value(i)), unit, p) })
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		p := types.Precision(f.Metadata, unit)
		return safeText(o.style, func(dst []byte, i int) []byte { return types.AppendTime(dst, int64(a.Value(i)), unit, p) })
	case *array.Map:
		return compoundText(o.style, mapText(a, o.nested()))
	case array.ListLike:
		return compoundText(o.style, listText(a, o.nested()))
	case *array.Struct:
		return compoundText(o.style, structText(a, o.nested()))
	case *array.Dictionary:
		values := newTextEncoder(a.Dictionary(), f, o)
		return func(dst []byte, i int) []byte { return values(dst, a.GetValueIndex(i)) }
	default:
		// Types SQL results do not produce (unions, intervals): Arrow's text.
		return func(dst []byte, i int) []byte { return appendText(dst, arr.ValueStr(i), o.style) }
	}
}

// safeText quotes text that never needs escaping (dates, times) as the
// style quotes strings.
func safeText(s textStyle, raw textEncoder) textEncoder {
	var q byte
	switch s {
	case styleCSV, styleJSON:
		q = '"'
	case styleQuoted:
		q = '\''
	default:
		return raw
	}
	return func(dst []byte, i int) []byte {
		dst = append(dst, q)
		return append(raw(dst, i), q)
	}
}

// compoundText writes an array, map or tuple at the top level: ClickHouse
// puts its quoted text in a TSV field as is and in a CSV field as a string.
func compoundText(s textStyle, enc textEncoder) textEncoder {
	if s != styleCSV {
		return enc
	}
	return func(dst []byte, i int) []byte {
		start := len(dst)
		dst = enc(dst, i)
		text := string(dst[start:]) // compound values are rare in CSV: a copy is fine
		return appendText(dst[:start], text, styleCSV)
	}
}

func listText(a array.ListLike, o textOpts) textEncoder {
	elem := newTextEncoder(a.ListValues(), a.DataType().(arrow.ListLikeType).ElemField(), o)
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

func mapText(a *array.Map, o textOpts) textEncoder {
	mt := a.DataType().(*arrow.MapType)
	keys := newTextEncoder(a.Keys(), mt.KeyField(), o)
	items := newTextEncoder(a.Items(), mt.ItemField(), o)
	return func(dst []byte, i int) []byte {
		start, end := a.ValueOffsets(i)
		dst = append(dst, '{')
		for j := start; j < end; j++ {
			if j > start {
				dst = append(dst, ',')
			}
			k := len(dst)
			dst = keys(dst, int(j))
			if o.style == styleJSON && len(dst) > k && dst[k] != '"' {
				// JSON object keys are strings: quote numbers in place.
				dst = append(dst, 0)
				copy(dst[k+1:], dst[k:len(dst)-1])
				dst[k] = '"'
				dst = append(dst, '"')
			}
			dst = append(dst, ':')
			dst = items(dst, int(j))
		}
		return append(dst, '}')
	}
}

// structText writes a row as a ClickHouse tuple, (a,b), or in JSON as an
// object (output_format_json_named_tuples_as_objects).
func structText(a *array.Struct, o textOpts) textEncoder {
	st := a.DataType().(*arrow.StructType)
	fields := make([]textEncoder, st.NumFields())
	names := make([][]byte, st.NumFields())
	for k := range fields {
		fields[k] = newTextEncoder(a.Field(k), st.Field(k), o)
		names[k] = append(appendText(nil, st.Field(k).Name, styleJSON), ':')
	}
	open, close := byte('('), byte(')')
	if o.style == styleJSON {
		open, close = '{', '}'
	}
	return func(dst []byte, i int) []byte {
		dst = append(dst, open)
		for k, enc := range fields {
			if k > 0 {
				dst = append(dst, ',')
			}
			if o.style == styleJSON {
				dst = append(dst, names[k]...)
			}
			dst = enc(dst, i)
		}
		return append(dst, close)
	}
}

// appendFloat writes f as ClickHouse does: the shortest text that reads
// back exactly, inf/-inf/nan, and null for those in JSON
// (output_format_json_quote_denormals=0).
func appendFloat(dst []byte, f float64, bits int, s textStyle) []byte {
	switch {
	case math.IsNaN(f), math.IsInf(f, 0):
		if s == styleJSON {
			return append(dst, "null"...)
		}
		if math.IsNaN(f) {
			return append(dst, "nan"...)
		}
		if f > 0 {
			return append(dst, "inf"...)
		}
		return append(dst, "-inf"...)
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'e', -1, bits)
		// ClickHouse writes 1e21 and 1e-7, not 1e+21 and 1e-07.
		for k := start; k < len(dst); k++ {
			if dst[k] != 'e' {
				continue
			}
			j := k + 1
			if dst[j] == '+' {
				dst = append(dst[:j], dst[j+1:]...)
			} else {
				j++
			}
			if j < len(dst)-1 && dst[j] == '0' {
				dst = append(dst[:j], dst[j+1:]...)
			}
			break
		}
		return dst
	}
	return strconv.AppendFloat(dst, f, 'f', -1, bits)
}

// appendDecimalInt64 writes v·10^-scale without trailing fractional zeros
// (output_format_decimal_trailing_zeros=0).
func appendDecimalInt64(dst []byte, v int64, scale int32) []byte {
	var buf [20]byte
	neg := v < 0
	mag := uint64(v)
	if neg {
		mag = -mag // two's complement: also right for math.MinInt64
	}
	return appendScaled(dst, neg, strconv.AppendUint(buf[:0], mag, 10), scale)
}

func appendDecimal(dst []byte, v *big.Int, scale int32) []byte {
	neg := v.Sign() < 0
	return appendScaled(dst, neg, v.Abs(v).Append(nil, 10), scale)
}

func appendScaled(dst []byte, neg bool, digits []byte, scale int32) []byte {
	s := int(scale)
	for s > 0 && len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		s--
	}
	if len(digits) == 1 && digits[0] == '0' {
		return append(dst, '0')
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

// appendText writes a string value in style s.
func appendText[S string | []byte](dst []byte, v S, s textStyle) []byte {
	switch s {
	case stylePlain:
		return append(dst, v...)
	case styleTSV:
		return appendEscaped(dst, v)
	case styleQuoted:
		dst = append(dst, '\'')
		return append(appendEscaped(dst, v), '\'')
	case styleCSV:
		dst = append(dst, '"')
		for k := 0; k < len(v); k++ {
			if v[k] == '"' {
				dst = append(dst, '"')
			}
			dst = append(dst, v[k])
		}
		return append(dst, '"')
	}
	return appendJSONString(dst, v)
}

// appendEscaped escapes as ClickHouse's TabSeparated does (writeEscapedString).
func appendEscaped[S string | []byte](dst []byte, v S) []byte {
	for k := 0; k < len(v); k++ {
		switch c := v[k]; c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case 0:
			dst = append(dst, '\\', '0')
		case '\'':
			dst = append(dst, '\\', '\'')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes v as a JSON string as ClickHouse does (forward
// slashes escaped: output_format_json_escape_forward_slashes=1); invalid
// UTF-8 becomes U+FFFD so the document stays valid JSON.
func appendJSONString[S string | []byte](dst []byte, v S) []byte {
	dst = append(dst, '"')
	for k := 0; k < len(v); {
		c := v[k]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '/':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			default:
				dst = append(dst, c)
			}
			k++
			continue
		}
		r, size := utf8.DecodeRuneInString(string(v[k:min(k+utf8.UTFMax, len(v))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, v[k:k+size]...)
		}
		k += size
	}
	return append(dst, '"')
}
