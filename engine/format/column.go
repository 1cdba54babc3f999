package format

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/wharfdata/wharf/engine/connector"
)

// kind is what a node converts into.
type kind uint8

const (
	kBool kind = iota
	kInt8
	kInt16
	kInt32
	kInt64
	kFloat32
	kFloat64
	kDecimal
	kString
	kBytes
	kDate
	kTime32
	kTime64
	kTimestamp
	kList
	kMap
	kRow
)

// node is the conversion plan of one column or nested field, bound to its
// builder once so the hot path does no type switching on Arrow types.
type node struct {
	kind     kind
	name     string // path for messages: price, addr.city, tags[]
	sqlType  string // for messages: TINYINT, DECIMAL(10, 2)
	nullable bool
	ltz      bool  // TIMESTAMP_LTZ: a 'Z' suffix is allowed
	prec     int   // fractional-second digits kept (time, timestamp); decimal precision
	scale    int   // decimal scale
	div      int64 // nanoseconds per Arrow tick (time, timestamp)
	b        array.Builder

	elem, key, val *node          // list element; map key and value
	fields         []*node        // row fields
	index          map[string]int // row field name → index
}

// compileColumns plans the physical columns as the fields of one root row.
func compileColumns(cols []connector.Column, builders []array.Builder) (*node, error) {
	root := &node{kind: kRow, index: make(map[string]int, len(cols))}
	for i, c := range cols {
		if c.MetadataKey != "" {
			return nil, fmt.Errorf("BUG: metadata column %s given to a format", c.Name)
		}
		n, err := compile(c.Name, c.Type, c.Nullable, c.Declared, builders[i])
		if err != nil {
			return nil, err
		}
		root.fields = append(root.fields, n)
		root.index[c.Name] = i
	}
	return root, nil
}

func compile(name string, dt arrow.DataType, nullable bool, declared string, b array.Builder) (*node, error) {
	n := &node{name: name, nullable: nullable, b: b, sqlType: sqlName(dt, declared)}
	switch t := dt.(type) {
	case *arrow.BooleanType:
		n.kind = kBool
	case *arrow.Int8Type:
		n.kind = kInt8
	case *arrow.Int16Type:
		n.kind = kInt16
	case *arrow.Int32Type:
		n.kind = kInt32
	case *arrow.Int64Type:
		n.kind = kInt64
	case *arrow.Float32Type:
		n.kind = kFloat32
	case *arrow.Float64Type:
		n.kind = kFloat64
	case *arrow.Decimal128Type:
		n.kind, n.prec, n.scale = kDecimal, int(t.Precision), int(t.Scale)
	case *arrow.StringType:
		n.kind = kString
	case *arrow.BinaryType:
		n.kind = kBytes
	case *arrow.Date32Type:
		n.kind = kDate
	case *arrow.Time32Type:
		n.kind, n.div = kTime32, unitNanos(t.Unit)
		n.prec = declaredPrecision(declared, 0, t.Unit)
	case *arrow.Time64Type:
		n.kind, n.div = kTime64, unitNanos(t.Unit)
		n.prec = declaredPrecision(declared, 0, t.Unit)
	case *arrow.TimestampType:
		n.kind, n.div, n.ltz = kTimestamp, unitNanos(t.Unit), t.TimeZone != ""
		n.prec = declaredPrecision(declared, 6, t.Unit)
	case *arrow.ListType:
		n.kind = kList
		e, err := compile(name+"[]", t.Elem(), t.ElemField().Nullable, "", b.(*array.ListBuilder).ValueBuilder())
		if err != nil {
			return nil, err
		}
		n.elem = e
	case *arrow.MapType:
		n.kind = kMap
		mb := b.(*array.MapBuilder)
		k, err := compile(name+".key", t.KeyType(), false, "", mb.KeyBuilder())
		if err != nil {
			return nil, err
		}
		v, err := compile(name+".value", t.ItemType(), t.ItemField().Nullable, "", mb.ItemBuilder())
		if err != nil {
			return nil, err
		}
		if k.kind >= kList {
			return nil, fmt.Errorf("column %s: map keys of type %s are not supported", name, k.sqlType)
		}
		n.key, n.val = k, v
	case *arrow.StructType:
		n.kind = kRow
		sb := b.(*array.StructBuilder)
		n.index = make(map[string]int, t.NumFields())
		for i, f := range t.Fields() {
			fn, err := compile(name+"."+f.Name, f.Type, f.Nullable, "", sb.FieldBuilder(i))
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, fn)
			n.index[f.Name] = i
		}
	default:
		return nil, fmt.Errorf("column %s: type %s is not supported by the formats", name, dt)
	}
	return n, nil
}

func unitNanos(u arrow.TimeUnit) int64 {
	return [...]int64{arrow.Second: 1e9, arrow.Millisecond: 1e6, arrow.Microsecond: 1e3, arrow.Nanosecond: 1}[u]
}

// declaredPrecision is the fractional-second precision a TIME(p) or
// TIMESTAMP(p) column keeps: p as declared, Flink's default when the
// declaration has none, or the Arrow unit's when there is no declaration
// (nested fields); never more than the unit holds.
func declaredPrecision(declared string, def int, u arrow.TimeUnit) int {
	unitPrec := 3 * int(u)
	if declared == "" {
		return unitPrec
	}
	p := def
	if i := strings.IndexByte(declared, '('); i >= 0 {
		if j := strings.IndexByte(declared[i:], ')'); j > 0 {
			if v, err := strconv.Atoi(strings.TrimSpace(declared[i+1 : i+j])); err == nil {
				p = v
			}
		}
	}
	return min(p, unitPrec)
}

// sqlName is a type's name in messages: the declaration when there is one.
func sqlName(dt arrow.DataType, declared string) string {
	if declared != "" {
		return declared
	}
	switch t := dt.(type) {
	case *arrow.Int8Type:
		return "TINYINT"
	case *arrow.Int16Type:
		return "SMALLINT"
	case *arrow.Int32Type:
		return "INT"
	case *arrow.Int64Type:
		return "BIGINT"
	case *arrow.Float32Type:
		return "FLOAT"
	case *arrow.Float64Type:
		return "DOUBLE"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d, %d)", t.Precision, t.Scale)
	case *arrow.StringType:
		return "STRING"
	case *arrow.BinaryType:
		return "BYTES"
	case *arrow.BooleanType:
		return "BOOLEAN"
	case *arrow.Date32Type:
		return "DATE"
	case *arrow.Time32Type, *arrow.Time64Type:
		return "TIME"
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "TIMESTAMP_LTZ"
		}
		return "TIMESTAMP"
	}
	return strings.ToUpper(dt.String())
}

// cell is one converted value on the tape. Nested values take several
// cells: a list or map cell (i = element count) is followed by its
// elements' cells; a row cell points at its fields' ranges in tape.slots.
type cell struct {
	null bool
	i    int64  // integer, bool, float bits, days, ticks, decimal low word, count, slot base
	hi   int64  // decimal high word; a row's end on the tape
	b    []byte // string and bytes (into the payload or the tape's arena)
}

// tape holds one record's converted values until they are all known good.
type tape struct {
	cells []cell
	// slots holds, per row cell, a [start, end) pair of cell indexes per
	// field; start -1 marks a missing field. A repeated JSON key simply
	// points its field at the later range.
	slots []int32
	arena []byte // unescaped strings and decoded bytes
}

func (t *tape) reset() {
	t.cells, t.slots, t.arena = t.cells[:0], t.slots[:0], t.arena[:0]
}

func (t *tape) push(c cell) { t.cells = append(t.cells, c) }

// openRow pushes a row cell for n fields, all missing, and returns its
// cell index.
func (t *tape) openRow(nfields int) int {
	base := len(t.slots)
	for range nfields {
		t.slots = append(t.slots, -1, -1)
	}
	t.cells = append(t.cells, cell{i: int64(base)})
	return len(t.cells) - 1
}

// put replays the value at cells[pos] into n's builder and returns the
// position after it. It cannot fail: the tape holds only converted values.
func (n *node) put(t *tape, pos int) int {
	c := &t.cells[pos]
	if c.null {
		n.b.AppendNull()
		return pos + 1
	}
	switch n.kind {
	case kBool:
		n.b.(*array.BooleanBuilder).Append(c.i != 0)
	case kInt8:
		n.b.(*array.Int8Builder).Append(int8(c.i))
	case kInt16:
		n.b.(*array.Int16Builder).Append(int16(c.i))
	case kInt32:
		n.b.(*array.Int32Builder).Append(int32(c.i))
	case kInt64:
		n.b.(*array.Int64Builder).Append(c.i)
	case kFloat32:
		n.b.(*array.Float32Builder).Append(float32(f64frombits(c.i)))
	case kFloat64:
		n.b.(*array.Float64Builder).Append(f64frombits(c.i))
	case kDecimal:
		n.b.(*array.Decimal128Builder).Append(decimal128.New(c.hi, uint64(c.i)))
	case kString:
		n.b.(*array.StringBuilder).BinaryBuilder.Append(c.b)
	case kBytes:
		n.b.(*array.BinaryBuilder).Append(c.b)
	case kDate:
		n.b.(*array.Date32Builder).Append(arrow.Date32(c.i))
	case kTime32:
		n.b.(*array.Time32Builder).Append(arrow.Time32(c.i))
	case kTime64:
		n.b.(*array.Time64Builder).Append(arrow.Time64(c.i))
	case kTimestamp:
		n.b.(*array.TimestampBuilder).Append(arrow.Timestamp(c.i))
	case kList:
		n.b.(*array.ListBuilder).Append(true)
		p := pos + 1
		for range c.i {
			p = n.elem.put(t, p)
		}
		return p
	case kMap:
		n.b.(*array.MapBuilder).Append(true)
		p := pos + 1
		for range c.i {
			p = n.key.put(t, p)
			p = n.val.put(t, p)
		}
		return p
	case kRow:
		n.b.(*array.StructBuilder).Append(true)
		n.putFields(t, c)
		return int(c.hi)
	}
	return pos + 1
}

// putFields replays a row's fields; missing ones become NULL.
func (n *node) putFields(t *tape, c *cell) {
	base := int(c.i)
	for j, f := range n.fields {
		if start := t.slots[base+2*j]; start >= 0 {
			f.put(t, int(start))
		} else {
			f.b.AppendNull()
		}
	}
}
