package format

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/connector"
)

// jsonOptions are Flink's json format options. The encode.* and
// map-null-key.* ones shape only what a sink writes; they are accepted so
// Flink DDL moves over unchanged.
var jsonOptions = []string{
	"json.fail-on-missing-field", "json.ignore-parse-errors", "json.timestamp-format.standard",
	"json.map-null-key.mode", "json.map-null-key.literal",
	"json.encode.decimal-as-plain-number", "json.encode.ignore-null-fields",
}

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 256

// jsonDecoder reads one JSON object per record with a hand-written scanner:
// fields are matched by name (case-sensitive) to columns, values converted
// straight from the payload bytes into tape cells.
type jsonDecoder struct {
	root        *node
	failMissing bool
	ignore      bool
	iso         bool
	t           tape
	rec         []byte
	nulled      int64 // fields nulled in the current record
	ign         Ignored
}

func newJSON(cols []connector.Column, builders []array.Builder, o options) (*jsonDecoder, error) {
	d := &jsonDecoder{}
	var err error
	if d.failMissing, err = o.bool("json.fail-on-missing-field", false); err != nil {
		return nil, err
	}
	if d.ignore, err = o.bool("json.ignore-parse-errors", false); err != nil {
		return nil, err
	}
	if d.failMissing && d.ignore {
		return nil, errors.New("'json.fail-on-missing-field' and 'json.ignore-parse-errors' cannot both be true")
	}
	switch v := o.m["json.timestamp-format.standard"]; v {
	case "", "SQL":
	case "ISO-8601":
		d.iso = true
	default:
		return nil, fmt.Errorf("option 'json.timestamp-format.standard' = '%s': want SQL or ISO-8601", v)
	}
	if d.root, err = compileColumns(cols, builders); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *jsonDecoder) Ignored() Ignored { return d.ign }

func (d *jsonDecoder) Decode(rec []byte) error {
	if rec == nil { // a tombstone: no row, as in Flink
		d.ign.Records++
		return ErrSkipped
	}
	d.t.reset()
	d.rec, d.nulled = rec, 0
	err := d.record()
	d.rec = nil
	if err != nil {
		if d.ignore {
			d.ign.Records++
			return ErrSkipped
		}
		return err
	}
	d.ign.Fields += d.nulled
	d.root.putFields(&d.t, &d.t.cells[0])
	return nil
}

// decodeError names where a record went wrong. conv marks a value that is
// well-formed JSON but does not convert to its column's type: under
// ignore-parse-errors that field becomes NULL instead.
type decodeError struct {
	field string
	off   int
	msg   string
	conv  bool
}

func (e *decodeError) Error() string {
	if e.field == "" {
		return fmt.Sprintf("at byte %d: %s", e.off, e.msg)
	}
	return fmt.Sprintf("field %s at byte %d: %s", e.field, e.off, e.msg)
}

func (d *jsonDecoder) syntax(p int, msg string) error { return &decodeError{off: p, msg: msg} }

func (d *jsonDecoder) record() error {
	p := d.ws(0)
	if p >= len(d.rec) || d.rec[p] != '{' {
		return d.syntax(p, "want a JSON object")
	}
	p, err := d.object(d.root, p, 1)
	if err != nil {
		return err
	}
	if p = d.ws(p); p != len(d.rec) {
		return d.syntax(p, "unexpected data after the JSON object")
	}
	return nil
}

func (d *jsonDecoder) ws(p int) int {
	for p < len(d.rec) {
		switch d.rec[p] {
		case ' ', '\t', '\n', '\r':
			p++
		default:
			return p
		}
	}
	return p
}

// object converts the object at rec[p] into a row of n's fields.
func (d *jsonDecoder) object(n *node, p, depth int) (int, error) {
	if depth > maxJSONDepth {
		return p, d.syntax(p, "nested too deeply")
	}
	t := &d.t
	rc := t.openRow(len(n.fields))
	base := int(t.cells[rc].i)
	p = d.ws(p + 1)
	if p < len(d.rec) && d.rec[p] == '}' {
		p++
	} else {
		for {
			if p >= len(d.rec) || d.rec[p] != '"' {
				return p, d.syntax(p, "want a field name")
			}
			key, q, err := d.str(p)
			if err != nil {
				return q, err
			}
			if p, err = d.colon(q); err != nil {
				return p, err
			}
			if j, ok := n.index[string(key)]; ok {
				start := len(t.cells)
				if p, err = d.field(n.fields[j], p, depth); err != nil {
					return p, err
				}
				t.slots[base+2*j], t.slots[base+2*j+1] = int32(start), int32(len(t.cells))
			} else if p, err = d.skip(p, depth); err != nil {
				return p, err
			}
			if p, err = d.next(p, '}'); err != nil {
				return p, err
			}
			if d.rec[p-1] == '}' {
				break
			}
		}
	}
	for j, f := range n.fields {
		if t.slots[base+2*j] >= 0 {
			continue
		}
		if d.failMissing {
			return p, &decodeError{field: f.name, off: p, msg: "missing ('json.fail-on-missing-field' is true)"}
		}
		if !f.nullable {
			return p, &decodeError{field: f.name, off: p, msg: "missing, and the column is NOT NULL"}
		}
	}
	t.cells[rc].hi = int64(len(t.cells))
	return p, nil
}

// field converts one field's value; under ignore-parse-errors a value that
// does not convert becomes NULL (Flink's behaviour) and is counted.
func (d *jsonDecoder) field(f *node, p, depth int) (int, error) {
	start := len(d.t.cells)
	q, err := d.value(f, p, depth+1)
	if err == nil || !d.ignore || !f.nullable || !isConvErr(err) {
		return q, err
	}
	d.t.cells = d.t.cells[:start]
	if q, err = d.skip(p, depth); err != nil {
		return q, err
	}
	d.t.push(cell{null: true})
	d.nulled++
	return q, nil
}

// isConvErr is apart from field so its errors.As target escapes to the heap
// only on the error path.
func isConvErr(err error) bool {
	var de *decodeError
	return errors.As(err, &de) && de.conv
}

func (d *jsonDecoder) colon(p int) (int, error) {
	p = d.ws(p)
	if p >= len(d.rec) || d.rec[p] != ':' {
		return p, d.syntax(p, "want ':' after a field name")
	}
	return d.ws(p + 1), nil
}

// next steps over ',' or the closing byte after a member, returning the
// position of the next member (or after the closing byte).
func (d *jsonDecoder) next(p int, closing byte) (int, error) {
	p = d.ws(p)
	if p < len(d.rec) {
		switch d.rec[p] {
		case ',':
			return d.ws(p + 1), nil
		case closing:
			return p + 1, nil
		}
	}
	return p, d.syntax(p, fmt.Sprintf("want ',' or '%c'", closing))
}

func (d *jsonDecoder) convErr(n *node, p int, msg string) error {
	return &decodeError{field: n.name, off: p, msg: msg, conv: true}
}

// value converts the JSON value at rec[p] for n, pushing its cells.
func (d *jsonDecoder) value(n *node, p, depth int) (int, error) {
	if p >= len(d.rec) {
		return p, d.syntax(p, "want a value")
	}
	t := &d.t
	switch c := d.rec[p]; c {
	case '"':
		s, q, err := d.str(p)
		if err != nil {
			return q, err
		}
		if n.kind == kString {
			if !utf8.Valid(s) {
				return q, d.convErr(n, p, "invalid UTF-8")
			}
			t.push(cell{b: s})
			return q, nil
		}
		if n.kind >= kList {
			return q, d.convErr(n, p, "a string where "+n.sqlType+" is expected")
		}
		v, err := n.fromText(t, s, d.iso)
		if err != nil {
			return q, d.convErr(n, p, err.Error())
		}
		t.push(v)
		return q, nil
	case '{':
		switch n.kind {
		case kRow:
			return d.object(n, p, depth)
		case kMap:
			return d.mapObject(n, p, depth)
		}
		return d.rawText(n, p, depth)
	case '[':
		if n.kind == kList {
			return d.array(n, p, depth)
		}
		return d.rawText(n, p, depth)
	case 'n':
		q, err := d.literal(p, "null")
		if err != nil {
			return q, err
		}
		if !n.nullable {
			return q, &decodeError{field: n.name, off: p, msg: "null, and the column is NOT NULL"}
		}
		t.push(cell{null: true})
		return q, nil
	case 't', 'f':
		lit := "true"
		if c == 'f' {
			lit = "false"
		}
		q, err := d.literal(p, lit)
		if err != nil {
			return q, err
		}
		switch n.kind {
		case kBool:
			v := cell{}
			if c == 't' {
				v.i = 1
			}
			t.push(v)
		case kString:
			t.push(cell{b: d.rec[p:q]})
		default:
			return q, d.convErr(n, p, "a boolean where "+n.sqlType+" is expected")
		}
		return q, nil
	default:
		q, err := d.number(p)
		if err != nil {
			return q, err
		}
		switch n.kind {
		case kInt8, kInt16, kInt32, kInt64, kFloat32, kFloat64, kDecimal, kString:
			v, err := n.fromText(t, d.rec[p:q], false)
			if err != nil {
				return q, d.convErr(n, p, err.Error())
			}
			t.push(v)
			return q, nil
		}
		return q, d.convErr(n, p, "a number where "+n.sqlType+" is expected")
	}
}

// rawText keeps a nested object or array as its JSON text in a STRING
// column, as Flink does; for other types it is a conversion error.
func (d *jsonDecoder) rawText(n *node, p, depth int) (int, error) {
	q, err := d.skip(p, depth)
	if err != nil {
		return q, err
	}
	if n.kind != kString {
		what := "an object"
		if d.rec[p] == '[' {
			what = "an array"
		}
		return q, d.convErr(n, p, what+" where "+n.sqlType+" is expected")
	}
	if !utf8.Valid(d.rec[p:q]) {
		return q, d.convErr(n, p, "invalid UTF-8")
	}
	d.t.push(cell{b: d.rec[p:q]})
	return q, nil
}

func (d *jsonDecoder) array(n *node, p, depth int) (int, error) {
	if depth > maxJSONDepth {
		return p, d.syntax(p, "nested too deeply")
	}
	t := &d.t
	t.push(cell{})
	lc := len(t.cells) - 1
	p = d.ws(p + 1)
	count := int64(0)
	if p < len(d.rec) && d.rec[p] == ']' {
		return p + 1, nil
	}
	for {
		var err error
		if p, err = d.value(n.elem, p, depth+1); err != nil {
			return p, err
		}
		count++
		if p, err = d.next(p, ']'); err != nil {
			return p, err
		}
		if d.rec[p-1] == ']' {
			t.cells[lc].i = count
			return p, nil
		}
	}
}

// mapObject converts an object into a MAP: keys converted from their text.
func (d *jsonDecoder) mapObject(n *node, p, depth int) (int, error) {
	if depth > maxJSONDepth {
		return p, d.syntax(p, "nested too deeply")
	}
	t := &d.t
	t.push(cell{})
	mc := len(t.cells) - 1
	p = d.ws(p + 1)
	if p < len(d.rec) && d.rec[p] == '}' {
		return p + 1, nil
	}
	count := int64(0)
	for {
		if p >= len(d.rec) || d.rec[p] != '"' {
			return p, d.syntax(p, "want a key")
		}
		key, q, err := d.str(p)
		if err != nil {
			return q, err
		}
		k, err := n.key.fromText(t, key, d.iso)
		if err != nil {
			return q, d.convErr(n.key, p, err.Error())
		}
		t.push(k)
		if p, err = d.colon(q); err != nil {
			return p, err
		}
		if p, err = d.value(n.val, p, depth+1); err != nil {
			return p, err
		}
		count++
		if p, err = d.next(p, '}'); err != nil {
			return p, err
		}
		if d.rec[p-1] == '}' {
			t.cells[mc].i = count
			return p, nil
		}
	}
}

func (d *jsonDecoder) literal(p int, lit string) (int, error) {
	if len(d.rec)-p < len(lit) || string(d.rec[p:p+len(lit)]) != lit {
		return p, d.syntax(p, "invalid JSON value")
	}
	return p + len(lit), nil
}

// number steps over a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *jsonDecoder) number(p int) (int, error) {
	r, q := d.rec, p
	if q < len(r) && r[q] == '-' {
		q++
	}
	switch {
	case q < len(r) && r[q] == '0':
		q++
	case q < len(r) && r[q] >= '1' && r[q] <= '9':
		q = digitsEnd(r, q)
	default:
		return p, d.syntax(p, "invalid JSON value")
	}
	if q < len(r) && r[q] == '.' {
		e := digitsEnd(r, q+1)
		if e == q+1 {
			return p, d.syntax(q, "invalid number")
		}
		q = e
	}
	if q < len(r) && (r[q] == 'e' || r[q] == 'E') {
		q++
		if q < len(r) && (r[q] == '+' || r[q] == '-') {
			q++
		}
		e := digitsEnd(r, q)
		if e == q {
			return p, d.syntax(q, "invalid number")
		}
		q = e
	}
	return q, nil
}

func digitsEnd(r []byte, q int) int {
	for q < len(r) && r[q] >= '0' && r[q] <= '9' {
		q++
	}
	return q
}

// str reads the string at rec[p] (a '"'): its content straight from the
// payload when it has no escapes (Fast path), else unescaped into the arena.
func (d *jsonDecoder) str(p int) ([]byte, int, error) {
	r := d.rec
	// Fast path: no escapes.
	for q := p + 1; q < len(r); q++ {
		switch c := r[q]; {
		case c == '"':
			return r[p+1 : q], q + 1, nil
		case c == '\\':
			return d.unescape(p, q)
		case c < 0x20:
			return nil, q, d.syntax(q, "control character in a string")
		}
	}
	return nil, len(r), d.syntax(p, "unterminated string")
}

// unescape is str's slow path, from the first backslash at q.
func (d *jsonDecoder) unescape(p, q int) ([]byte, int, error) {
	r, t := d.rec, &d.t
	start := len(t.arena)
	t.arena = append(t.arena, r[p+1:q]...)
	for q < len(r) {
		c := r[q]
		switch {
		case c == '"':
			return t.arena[start:len(t.arena):len(t.arena)], q + 1, nil
		case c < 0x20:
			return nil, q, d.syntax(q, "control character in a string")
		case c != '\\':
			t.arena = append(t.arena, c)
			q++
			continue
		}
		if q+1 >= len(r) {
			break
		}
		switch e := r[q+1]; e {
		case '"', '\\', '/':
			t.arena = append(t.arena, e)
		case 'b':
			t.arena = append(t.arena, '\b')
		case 'f':
			t.arena = append(t.arena, '\f')
		case 'n':
			t.arena = append(t.arena, '\n')
		case 'r':
			t.arena = append(t.arena, '\r')
		case 't':
			t.arena = append(t.arena, '\t')
		case 'u':
			r1, ok := hex4(r, q+2)
			if !ok {
				return nil, q, d.syntax(q, "invalid \\u escape")
			}
			q += 6
			if utf16.IsSurrogate(r1) {
				if r2, ok := hex4(r, q+2); ok && q+1 < len(r) && r[q] == '\\' && r[q+1] == 'u' {
					if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
						r1 = dec
						q += 6
					}
				}
			}
			t.arena = utf8.AppendRune(t.arena, r1)
			continue
		default:
			return nil, q, d.syntax(q, "invalid escape")
		}
		q += 2
	}
	return nil, len(r), d.syntax(p, "unterminated string")
}

func hex4(r []byte, q int) (rune, bool) {
	if q+4 > len(r) {
		return 0, false
	}
	var v rune
	for _, c := range r[q : q+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			v = v<<4 | rune(c|0x20-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// skip steps over any JSON value, checking its syntax.
func (d *jsonDecoder) skip(p, depth int) (int, error) {
	if depth > maxJSONDepth {
		return p, d.syntax(p, "nested too deeply")
	}
	if p >= len(d.rec) {
		return p, d.syntax(p, "want a value")
	}
	switch c := d.rec[p]; c {
	case '"':
		_, q, err := d.str(p)
		return q, err
	case '{', '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		q := d.ws(p + 1)
		if q < len(d.rec) && d.rec[q] == closing {
			return q + 1, nil
		}
		for {
			var err error
			if c == '{' {
				if q >= len(d.rec) || d.rec[q] != '"' {
					return q, d.syntax(q, "want a field name")
				}
				if _, q, err = d.str(q); err != nil {
					return q, err
				}
				if q, err = d.colon(q); err != nil {
					return q, err
				}
			}
			if q, err = d.skip(q, depth+1); err != nil {
				return q, err
			}
			if q, err = d.next(q, closing); err != nil {
				return q, err
			}
			if d.rec[q-1] == closing {
				return q, nil
			}
		}
	case 't':
		return d.literal(p, "true")
	case 'f':
		return d.literal(p, "false")
	case 'n':
		return d.literal(p, "null")
	}
	return d.number(p)
}
