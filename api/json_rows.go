package api

import (
	"encoding/base64"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/types"
)

// This file renders Arrow values as JSON the way DESIGN.md §3 specifies, by
// appending into a byte slice: one closure per column per batch, then no
// allocation and no reflection per value.

// valueEncoder appends the JSON of row i of one array to dst.
type valueEncoder = types.ValueEncoder

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
	return types.WithNulls(arr, newNonNullEncoder(arr, md), "null")
}

// jsonScalars is how DESIGN.md §3 writes scalar values.
var jsonScalars = types.ScalarText{
	Quote64:      types.Quote64Unsafe,
	Float:        types.FloatJSON,
	DecimalQuote: '"',
	TimeQuote:    '"',
	String:       appendString,
	Bytes:        appendBase64,
}

func newNonNullEncoder(arr arrow.Array, md arrow.Metadata) valueEncoder {
	switch a := arr.(type) {
	case *array.Null:
		return func(dst []byte, _ int) []byte { return append(dst, "null"...) }
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
		return types.ListText(a, elem)
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
	}
	if enc, ok := jsonScalars.Encoder(arr, md); ok {
		return enc
	}
	// Types SQL results do not produce (unions, intervals): their Arrow text
	// form, as a string.
	return func(dst []byte, i int) []byte { return appendString(dst, arr.ValueStr(i)) }
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

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// appendString writes s as a JSON string, U+2028 and U+2029 escaped so the
// output is also valid JavaScript.
func appendString(dst []byte, s string) []byte {
	return types.AppendJSONString(dst, s, types.EscapeLineSeparators)
}
