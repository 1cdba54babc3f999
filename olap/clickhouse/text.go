package clickhouse

import (
	"strconv"

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
type textEncoder = types.ValueEncoder

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

// scalarTexts is how each style writes scalar values, without and with
// quote64.
var scalarTexts = func() (t [styleQuoted + 1][2]types.ScalarText) {
	for s := range t {
		style := textStyle(s)
		st := types.ScalarText{
			Float:       types.FloatClickHouse,
			TrimDecimal: true,
			String:      func(dst []byte, v string) []byte { return appendText(dst, v, style) },
			Bytes:       func(dst, v []byte) []byte { return appendText(dst, v, style) },
		}
		switch style {
		case styleCSV:
			st.TimeQuote = '"'
		case styleJSON:
			st.Float, st.TimeQuote = types.FloatClickHouseJSON, '"'
		case styleQuoted:
			st.TimeQuote = '\''
		}
		t[s][0] = st
		if style == styleJSON {
			st.Quote64 = types.Quote64All
		}
		t[s][1] = st
	}
	return t
}()

func (o textOpts) scalars() *types.ScalarText {
	if o.quote64 {
		return &scalarTexts[o.style][1]
	}
	return &scalarTexts[o.style][0]
}

// newTextEncoder returns the encoder for arr, whose field is f.
func newTextEncoder(arr arrow.Array, f arrow.Field, o textOpts) textEncoder {
	return types.WithNulls(arr, nonNullText(arr, f, o), nullText(o.style))
}

func nonNullText(arr arrow.Array, f arrow.Field, o textOpts) textEncoder {
	switch a := arr.(type) {
	case *array.Null:
		null := nullText(o.style)
		return func(dst []byte, _ int) []byte { return append(dst, null...) }
	case *array.Duration:
		// A bare number even where quote64 quotes Int64, as ever here.
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Map:
		return compoundText(o.style, mapText(a, o.nested()))
	case array.ListLike:
		return compoundText(o.style, listText(a, o.nested()))
	case *array.Struct:
		return compoundText(o.style, structText(a, o.nested()))
	case *array.Dictionary:
		values := newTextEncoder(a.Dictionary(), f, o)
		return func(dst []byte, i int) []byte { return values(dst, a.GetValueIndex(i)) }
	}
	if enc, ok := o.scalars().Encoder(arr, f.Metadata); ok {
		return enc
	}
	// Types SQL results do not produce (unions, intervals): Arrow's text.
	return func(dst []byte, i int) []byte { return appendText(dst, arr.ValueStr(i), o.style) }
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
	return types.ListText(a, newTextEncoder(a.ListValues(), a.DataType().(arrow.ListLikeType).ElemField(), o))
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

// appendJSONString writes v as a JSON string as ClickHouse does (forward
// slashes escaped: output_format_json_escape_forward_slashes=1).
func appendJSONString[S string | []byte](dst []byte, v S) []byte {
	return types.AppendJSONString(dst, v, types.EscapeSlash)
}
