package format

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/connector"
)

// csvOptions are Flink's csv format options;
// 'csv.write-bigdecimal-in-scientific-notation' shapes only what a sink
// writes and is accepted so Flink DDL moves over unchanged.
var csvOptions = []string{
	"csv.field-delimiter", "csv.disable-quote-character", "csv.quote-character",
	"csv.allow-comments", "csv.ignore-parse-errors", "csv.array-element-delimiter",
	"csv.escape-character", "csv.null-literal", "csv.write-bigdecimal-in-scientific-notation",
}

// csvDecoder reads one CSV line per record into the physical columns in
// order. Timestamps use the SQL layout; BYTES are base64; ARRAY fields hold
// their elements separated by 'csv.array-element-delimiter'.
type csvDecoder struct {
	root       *node
	delim      byte
	quote      int // -1: quoting disabled
	escape     int // -1: none
	comments   bool
	ignore     bool
	arrayDelim string
	null       string
	hasNull    bool
	t          tape
	fields     []csvField
	ign        Ignored
}

// csvField is one split field: its content (unquoted, unescaped) and where
// it starts in the record.
type csvField struct {
	v   []byte
	off int
}

func newCSV(cols []connector.Column, builders []array.Builder, o options) (*csvDecoder, error) {
	d := &csvDecoder{arrayDelim: ";"}
	delim, err := o.char("csv.field-delimiter", ',')
	if err != nil {
		return nil, err
	}
	d.delim = byte(delim)
	noQuote, err := o.bool("csv.disable-quote-character", false)
	if err != nil {
		return nil, err
	}
	if d.quote, err = o.char("csv.quote-character", '"'); err != nil {
		return nil, err
	}
	if noQuote {
		if _, set := o.m["csv.quote-character"]; set {
			return nil, errors.New("'csv.quote-character' cannot be set when 'csv.disable-quote-character' is true")
		}
		d.quote = -1
	}
	if d.escape, err = o.char("csv.escape-character", -1); err != nil {
		return nil, err
	}
	if d.comments, err = o.bool("csv.allow-comments", false); err != nil {
		return nil, err
	}
	if d.ignore, err = o.bool("csv.ignore-parse-errors", false); err != nil {
		return nil, err
	}
	if v, ok := o.m["csv.array-element-delimiter"]; ok {
		if v == "" {
			return nil, errors.New("option 'csv.array-element-delimiter' must not be empty")
		}
		d.arrayDelim = v
	}
	d.null, d.hasNull = o.m["csv.null-literal"]
	if d.root, err = compileColumns(cols, builders); err != nil {
		return nil, err
	}
	for _, f := range d.root.fields {
		switch {
		case f.kind == kList && f.elem.kind >= kList, f.kind == kMap, f.kind == kRow:
			return nil, fmt.Errorf("column %s: csv holds scalar columns and arrays of scalars only, not %s", f.name, f.sqlType)
		}
	}
	return d, nil
}

func (d *csvDecoder) Ignored() Ignored { return d.ign }

func (d *csvDecoder) Decode(rec []byte) error {
	err := d.decode(rec)
	if err != nil && (d.ignore || errors.Is(err, ErrSkipped)) {
		d.ign.Records++
		return ErrSkipped
	}
	return err
}

func (d *csvDecoder) decode(rec []byte) error {
	line := rec
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n > 1 && line[n-2] == '\r' {
			line = line[:n-2]
		}
	}
	if len(line) == 0 || d.comments && line[0] == '#' {
		return ErrSkipped // empty and comment lines hold no row, as in Flink
	}
	d.t.reset()
	if err := d.split(line); err != nil {
		return err
	}
	cols := d.root.fields
	if len(d.fields) != len(cols) && !d.ignore {
		return fmt.Errorf("row length mismatch: %d fields expected but was %d", len(cols), len(d.fields))
	}
	t := &d.t
	rc := t.openRow(len(cols))
	nulled := int64(0)
	for j, col := range cols {
		start := len(t.cells)
		if j < len(d.fields) {
			f := d.fields[j]
			if err := d.convert(col, f.v); err != nil {
				if !d.ignore || !col.nullable {
					return &decodeError{field: col.name, off: f.off, msg: err.Error()}
				}
				t.cells = t.cells[:start]
				t.push(cell{null: true})
				nulled++
			}
		} else {
			t.push(cell{null: true})
		}
		if t.cells[start].null && !col.nullable {
			return &decodeError{field: col.name, off: len(line), msg: "null, and the column is NOT NULL"}
		}
		t.slots[2*j], t.slots[2*j+1] = int32(start), int32(len(t.cells))
	}
	t.cells[rc].hi = int64(len(t.cells))
	d.ign.Fields += nulled
	d.root.putFields(t, &t.cells[rc])
	return nil
}

// convert pushes the cells of one field's content.
func (d *csvDecoder) convert(n *node, v []byte) error {
	if d.hasNull && string(v) == d.null || len(v) == 0 && n.kind != kString {
		d.t.push(cell{null: true})
		return nil
	}
	if n.kind != kList {
		c, err := n.fromText(&d.t, v, false)
		if err != nil {
			return err
		}
		d.t.push(c)
		return nil
	}
	lc := len(d.t.cells)
	d.t.push(cell{})
	count := int64(0)
	for {
		e := v
		i := indexOf(v, d.arrayDelim)
		if i >= 0 {
			e = v[:i]
		}
		if err := d.convert(n.elem, e); err != nil {
			return fmt.Errorf("element %d: %w", count+1, err)
		}
		if d.t.cells[len(d.t.cells)-1].null && !n.elem.nullable {
			return fmt.Errorf("element %d is null, and the elements are NOT NULL", count+1)
		}
		count++
		if i < 0 {
			break
		}
		v = v[i+len(d.arrayDelim):]
	}
	d.t.cells[lc].i = count
	return nil
}

func indexOf(s []byte, sep string) int {
	if len(sep) == 1 {
		for i, c := range s {
			if c == sep[0] {
				return i
			}
		}
		return -1
	}
	for i := 0; i+len(sep) <= len(s); i++ {
		if string(s[i:i+len(sep)]) == sep {
			return i
		}
	}
	return -1
}

// split cuts the line into fields, unquoting and unescaping into the arena
// only fields that need it.
func (d *csvDecoder) split(line []byte) error {
	d.fields = d.fields[:0]
	p := 0
	for {
		start := p
		var v []byte
		if d.quote >= 0 && p < len(line) && int(line[p]) == d.quote {
			var err error
			if v, p, err = d.quoted(line, p); err != nil {
				return err
			}
			if p < len(line) && line[p] != d.delim {
				return &decodeError{off: p, msg: "unexpected character after a closing quote"}
			}
		} else {
			v, p = d.plain(line, p)
		}
		d.fields = append(d.fields, csvField{v: v, off: start})
		if p >= len(line) {
			return nil
		}
		p++ // the delimiter
	}
}

// plain reads an unquoted field up to the delimiter.
func (d *csvDecoder) plain(line []byte, p int) ([]byte, int) {
	start := p
	for p < len(line) && line[p] != d.delim {
		if int(line[p]) == d.escape {
			return d.plainEscaped(line, start, p)
		}
		p++
	}
	return line[start:p], p
}

func (d *csvDecoder) plainEscaped(line []byte, start, p int) ([]byte, int) {
	t := &d.t
	a := len(t.arena)
	t.arena = append(t.arena, line[start:p]...)
	for p < len(line) && line[p] != d.delim {
		if int(line[p]) == d.escape && p+1 < len(line) {
			p++
		}
		t.arena = append(t.arena, line[p])
		p++
	}
	return t.arena[a:len(t.arena):len(t.arena)], p
}

// quoted reads a quoted field starting at the quote at p: a doubled quote
// or an escaped character stands for itself.
func (d *csvDecoder) quoted(line []byte, p int) ([]byte, int, error) {
	q := byte(d.quote)
	start := p + 1
	// Fast path: no doubled quotes, no escapes.
	for i := start; i < len(line); i++ {
		c := line[i]
		if int(c) == d.escape || c == q && i+1 < len(line) && line[i+1] == q {
			break
		}
		if c == q {
			return line[start:i], i + 1, nil
		}
	}
	t := &d.t
	a := len(t.arena)
	for i := start; i < len(line); i++ {
		c := line[i]
		switch {
		case int(c) == d.escape && i+1 < len(line):
			i++
			c = line[i]
		case c == q && i+1 < len(line) && line[i+1] == q:
			i++
		case c == q:
			return t.arena[a:len(t.arena):len(t.arena)], i + 1, nil
		}
		t.arena = append(t.arena, c)
	}
	t.arena = t.arena[:a]
	return nil, len(line), &decodeError{off: p, msg: "unterminated quoted field"}
}
