package format

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/connector"
)

var rawOptions = []string{"raw.charset"}

// rawDecoder puts the whole payload into the single physical column, a
// STRING (UTF-8 checked) or BYTES; a nil payload (tombstone) is NULL.
type rawDecoder struct {
	col *node
}

func newRaw(cols []connector.Column, builders []array.Builder, o options) (*rawDecoder, error) {
	if cs, ok := o.m["raw.charset"]; ok && !strings.EqualFold(strings.ReplaceAll(cs, "-", ""), "UTF8") {
		return nil, fmt.Errorf("option 'raw.charset' = '%s': only UTF-8 is supported", cs)
	}
	if len(cols) != 1 {
		return nil, fmt.Errorf("raw needs exactly one physical column, the table has %d", len(cols))
	}
	root, err := compileColumns(cols, builders)
	if err != nil {
		return nil, err
	}
	col := root.fields[0]
	if col.kind != kString && col.kind != kBytes {
		return nil, fmt.Errorf("column %s: raw reads into STRING or BYTES, not %s", col.name, col.sqlType)
	}
	return &rawDecoder{col: col}, nil
}

func (d *rawDecoder) Ignored() Ignored { return Ignored{} }

func (d *rawDecoder) Decode(rec []byte) error {
	if rec == nil {
		if !d.col.nullable {
			return &decodeError{field: d.col.name, msg: "a null payload, and the column is NOT NULL"}
		}
		d.col.b.AppendNull()
		return nil
	}
	if d.col.kind == kBytes {
		d.col.b.(*array.BinaryBuilder).Append(rec)
		return nil
	}
	if !utf8.Valid(rec) {
		return &decodeError{field: d.col.name, off: firstInvalidUTF8(rec), msg: "invalid UTF-8"}
	}
	d.col.b.(*array.StringBuilder).BinaryBuilder.Append(rec)
	return nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
