package exec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A grouper gives each row of a batch the id of its group, by the values
// of the key columns; ids are dense, in order of first appearance. NULL
// keys are equal to each other and form their own group.
type grouper interface {
	// assign returns each row's group id in out (reused when large
	// enough), adding new groups; nil means every row is group 0.
	assign(keys []arrow.Array, n int, out []uint32) []uint32
	// lookup returns each row's group id in out (reused when large
	// enough) without adding groups: -1 for a key no group has and for
	// NULL keys (a hash join's probe, where NULL never matches); nil means
	// every row is group 0.
	lookup(keys []arrow.Array, n int, out []int32) []int32
	// len is the number of groups.
	len() int
	// emitKeys builds the key columns for groups [from, to).
	emitKeys(alloc memory.Allocator, from, to int) []arrow.Array
	// size is the bytes of state held.
	size() int64
}

// newGrouper picks the grouper for the key types: none (one group), one
// integer-like key (a hash table over the values), one string key (a hash
// table over the bytes), or anything else (rows encoded to bytes).
func newGrouper(types []arrow.DataType) (grouper, error) {
	for _, t := range types {
		if !keyType(t) {
			return nil, fmt.Errorf("BUG: cannot group by %s", t)
		}
	}
	if len(types) == 0 {
		return singleGroup{}, nil
	}
	if len(types) == 1 {
		switch t := types[0]; t.ID() {
		case arrow.INT8:
			return newIntGrouper[int8](t), nil
		case arrow.INT16:
			return newIntGrouper[int16](t), nil
		case arrow.INT32, arrow.DATE32:
			return newIntGrouper[int32](t), nil
		case arrow.INT64, arrow.TIME64, arrow.TIMESTAMP:
			return newIntGrouper[int64](t), nil
		case arrow.STRING, arrow.BINARY:
			return &bytesGrouper{dt: t, null: -1}, nil
		}
	}
	return &rowGrouper{types: types}, nil
}

// keyType says whether values of t can be grouped and compared here.
func keyType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DECIMAL128, arrow.STRING, arrow.BINARY, arrow.DATE32, arrow.TIME64, arrow.TIMESTAMP, arrow.NULL:
		return true
	}
	return false
}

// singleGroup is the grouper of an aggregation without GROUP BY: one group,
// which exists even when no row arrives.
type singleGroup struct{}

func (singleGroup) assign([]arrow.Array, int, []uint32) []uint32      { return nil }
func (singleGroup) lookup([]arrow.Array, int, []int32) []int32        { return nil }
func (singleGroup) len() int                                          { return 1 }
func (singleGroup) emitKeys(memory.Allocator, int, int) []arrow.Array { return nil }
func (singleGroup) size() int64                                       { return 0 }

type intKey interface {
	~int8 | ~int16 | ~int32 | ~int64
}

// intGrouper groups by one integer-like column (dates, times and timestamps
// included) with an open-addressing table of group ids over the values.
type intGrouper[T intKey] struct {
	dt    arrow.DataType
	slots []uint32 // group id + 1; 0 is empty
	mask  uint64
	keys  []T   // per group; the NULL group's entry is unused
	null  int32 // the NULL group, -1 before one
}

func newIntGrouper[T intKey](dt arrow.DataType) *intGrouper[T] {
	return &intGrouper[T]{dt: dt, slots: make([]uint32, 1024), mask: 1023, null: -1}
}

func (g *intGrouper[T]) assign(cols []arrow.Array, n int, out []uint32) []uint32 {
	out = resize(out, n)
	arr := cols[0]
	vals := arrow.GetValues[T](arr.Data(), 1)
	if arr.NullN() == 0 {
		// Fast path: no NULL keys.
		for i, v := range vals {
			out[i] = g.find(v)
		}
		return out
	}
	// Slow path: NULL keys go to their own group.
	if arr.NullN() == n {
		id := g.nullGroup()
		for i := range out {
			out[i] = id
		}
		return out
	}
	bm, off := arr.NullBitmapBytes(), arr.Data().Offset()
	for i, v := range vals {
		if bitutil.BitIsSet(bm, off+i) {
			out[i] = g.find(v)
		} else {
			out[i] = g.nullGroup()
		}
	}
	return out
}

func (g *intGrouper[T]) find(v T) uint32 {
	for s := mix64(uint64(v)) & g.mask; ; s = (s + 1) & g.mask {
		id := g.slots[s]
		if id == 0 {
			return g.insert(v, s)
		}
		if g.keys[id-1] == v {
			return id - 1
		}
	}
}

func (g *intGrouper[T]) lookup(cols []arrow.Array, n int, out []int32) []int32 {
	out = resize(out, n)
	arr := cols[0]
	if arr.NullN() == n {
		for i := range out {
			out[i] = -1
		}
		return out
	}
	vals := arrow.GetValues[T](arr.Data(), 1)
	for i, v := range vals {
		out[i] = g.get(v)
	}
	if arr.NullN() > 0 {
		// Slow path: NULL keys match nothing.
		bm, off := arr.NullBitmapBytes(), arr.Data().Offset()
		for i := range out {
			if !bitutil.BitIsSet(bm, off+i) {
				out[i] = -1
			}
		}
	}
	return out
}

// get returns v's group, -1 without one.
func (g *intGrouper[T]) get(v T) int32 {
	for s := mix64(uint64(v)) & g.mask; ; s = (s + 1) & g.mask {
		id := g.slots[s]
		if id == 0 {
			return -1
		}
		if g.keys[id-1] == v {
			return int32(id - 1)
		}
	}
}

func (g *intGrouper[T]) insert(v T, slot uint64) uint32 {
	id := uint32(len(g.keys))
	g.keys = append(g.keys, v)
	g.slots[slot] = id + 1
	if 2*len(g.keys) > len(g.slots) {
		g.rehash()
	}
	return id
}

func (g *intGrouper[T]) nullGroup() uint32 {
	if g.null < 0 {
		g.null = int32(len(g.keys))
		g.keys = append(g.keys, 0)
	}
	return uint32(g.null)
}

func (g *intGrouper[T]) rehash() {
	g.slots = make([]uint32, 2*len(g.slots))
	g.mask = uint64(len(g.slots) - 1)
	for id, v := range g.keys {
		if int32(id) == g.null {
			continue
		}
		s := mix64(uint64(v)) & g.mask
		for g.slots[s] != 0 {
			s = (s + 1) & g.mask
		}
		g.slots[s] = uint32(id) + 1
	}
}

func (g *intGrouper[T]) len() int { return len(g.keys) }

func (g *intGrouper[T]) emitKeys(alloc memory.Allocator, from, to int) []arrow.Array {
	var valid []bool
	if g.null >= int32(from) && g.null < int32(to) {
		valid = make([]bool, to-from)
		for i := range valid {
			valid[i] = true
		}
		valid[int(g.null)-from] = false
	}
	return []arrow.Array{fixedArray(alloc, g.dt, g.keys[from:to], valid)}
}

func (g *intGrouper[T]) size() int64 {
	var z T
	return int64(4*cap(g.slots)) + int64(cap(g.keys))*int64(sizeOf(z))
}

// bytesGrouper groups by one STRING or BINARY column.
type bytesGrouper struct {
	dt   arrow.DataType
	t    byteTable
	null int32
}

func (g *bytesGrouper) assign(cols []arrow.Array, n int, out []uint32) []uint32 {
	out = resize(out, n)
	arr := cols[0]
	if arr.NullN() == n {
		for i := range out {
			out[i] = g.nullGroup()
		}
		return out
	}
	offs, data := varlen(arr)
	if arr.NullN() == 0 {
		// Fast path: no NULL keys.
		for i := range out {
			k := data[offs[i]:offs[i+1]]
			out[i] = g.t.findOrAdd(k, hashBytes(k))
		}
		return out
	}
	// Slow path: NULL keys go to their own group.
	bm, off := arr.NullBitmapBytes(), arr.Data().Offset()
	for i := range out {
		if !bitutil.BitIsSet(bm, off+i) {
			out[i] = g.nullGroup()
			continue
		}
		k := data[offs[i]:offs[i+1]]
		out[i] = g.t.findOrAdd(k, hashBytes(k))
	}
	return out
}

func (g *bytesGrouper) lookup(cols []arrow.Array, n int, out []int32) []int32 {
	out = resize(out, n)
	arr := cols[0]
	if arr.NullN() == n {
		for i := range out {
			out[i] = -1
		}
		return out
	}
	offs, data := varlen(arr)
	var bm []byte
	off := arr.Data().Offset()
	if arr.NullN() > 0 {
		bm = arr.NullBitmapBytes()
	}
	for i := range out {
		if bm != nil && !bitutil.BitIsSet(bm, off+i) {
			out[i] = -1
			continue
		}
		k := data[offs[i]:offs[i+1]]
		out[i] = g.t.find(k, hashBytes(k))
	}
	return out
}

func (g *bytesGrouper) nullGroup() uint32 {
	if g.null < 0 {
		g.null = int32(g.t.addUnindexed())
	}
	return uint32(g.null)
}

func (g *bytesGrouper) len() int { return g.t.len() }

func (g *bytesGrouper) emitKeys(alloc memory.Allocator, from, to int) []arrow.Array {
	vals := make([][]byte, to-from)
	var valid []bool
	if g.null >= int32(from) && g.null < int32(to) {
		valid = make([]bool, to-from)
	}
	for i := range vals {
		vals[i] = g.t.key(from + i)
		if valid != nil {
			valid[i] = int32(from+i) != g.null
		}
	}
	return []arrow.Array{varlenArray(alloc, g.dt, vals, valid)}
}

func (g *bytesGrouper) size() int64 { return g.t.size() }

// rowGrouper groups by several columns, or one of a type without a
// dedicated grouper: each row's key values are encoded to bytes (column by
// column, see rowEncoder) and looked up in a byte table.
type rowGrouper struct {
	types []arrow.DataType
	enc   rowEncoder
	t     byteTable
}

func (g *rowGrouper) assign(cols []arrow.Array, n int, out []uint32) []uint32 {
	out = resize(out, n)
	g.enc.encode(cols, n)
	for i := range out {
		k := g.enc.row(i)
		out[i] = g.t.findOrAdd(k, hashBytes(k))
	}
	return out
}

// lookup finds rows by their encoding; a row with a NULL key may find the
// group of equal rows, so a join also masks NULL keys itself.
func (g *rowGrouper) lookup(cols []arrow.Array, n int, out []int32) []int32 {
	out = resize(out, n)
	g.enc.encode(cols, n)
	for i := range out {
		k := g.enc.row(i)
		out[i] = g.t.find(k, hashBytes(k))
	}
	return out
}

func (g *rowGrouper) len() int { return g.t.len() }

func (g *rowGrouper) emitKeys(alloc memory.Allocator, from, to int) []arrow.Array {
	keys := make([][]byte, to-from)
	for i := range keys {
		keys[i] = g.t.key(from + i)
	}
	return decodeRows(alloc, g.types, keys)
}

func (g *rowGrouper) size() int64 { return g.t.size() + g.enc.size() }

// byteTable is an open-addressing hash table of byte strings, each kept
// once in an arena and numbered densely in order of addition.
type byteTable struct {
	slots  []uint32 // entry + 1; 0 is empty
	mask   uint64
	hashes []uint64 // per entry
	offs   []uint32 // entry i is arena[offs[i]:offs[i+1]]
	arena  []byte
	// unindexed is the one entry added without a slot (a NULL group), -1
	// without one.
	unindexed int32
}

func (t *byteTable) init() {
	t.slots, t.mask, t.offs, t.unindexed = make([]uint32, 1024), 1023, []uint32{0}, -1
}

// reset forgets every entry, keeping the memory.
func (t *byteTable) reset() {
	if t.slots == nil {
		return
	}
	clear(t.slots)
	t.hashes, t.offs, t.arena, t.unindexed = t.hashes[:0], t.offs[:1], t.arena[:0], -1
}

// findOrAdd returns the entry equal to key (whose hash is h), adding it
// when new.
func (t *byteTable) findOrAdd(key []byte, h uint64) uint32 {
	if t.slots == nil {
		t.init()
	}
	for s := h & t.mask; ; s = (s + 1) & t.mask {
		id := t.slots[s]
		if id == 0 {
			e := t.add(key, h)
			t.slots[s] = e + 1
			if 2*len(t.hashes) > len(t.slots) {
				t.rehash()
			}
			return e
		}
		e := id - 1
		if t.hashes[e] == h && string(t.arena[t.offs[e]:t.offs[e+1]]) == string(key) {
			return e
		}
	}
}

// find returns the entry equal to key (whose hash is h), -1 without one.
func (t *byteTable) find(key []byte, h uint64) int32 {
	if t.slots == nil {
		return -1
	}
	for s := h & t.mask; ; s = (s + 1) & t.mask {
		id := t.slots[s]
		if id == 0 {
			return -1
		}
		e := id - 1
		if t.hashes[e] == h && string(t.arena[t.offs[e]:t.offs[e+1]]) == string(key) {
			return int32(e)
		}
	}
}

func (t *byteTable) add(key []byte, h uint64) uint32 {
	t.arena = append(t.arena, key...)
	t.offs = append(t.offs, uint32(len(t.arena)))
	t.hashes = append(t.hashes, h)
	return uint32(len(t.hashes) - 1)
}

// addUnindexed adds an empty entry that lookups never find.
func (t *byteTable) addUnindexed() uint32 {
	if t.slots == nil {
		t.init()
	}
	e := t.add(nil, 0)
	t.unindexed = int32(e)
	return e
}

func (t *byteTable) rehash() {
	t.slots = make([]uint32, 2*len(t.slots))
	t.mask = uint64(len(t.slots) - 1)
	for e, h := range t.hashes {
		if int32(e) == t.unindexed {
			continue
		}
		s := h & t.mask
		for t.slots[s] != 0 {
			s = (s + 1) & t.mask
		}
		t.slots[s] = uint32(e) + 1
	}
}

func (t *byteTable) len() int         { return len(t.hashes) }
func (t *byteTable) key(e int) []byte { return t.arena[t.offs[e]:t.offs[e+1]] }
func (t *byteTable) size() int64 {
	return int64(4*cap(t.slots) + 8*cap(t.hashes) + 4*cap(t.offs) + cap(t.arena))
}

// rowEncoder encodes rows of columns to byte strings that are equal exactly
// when the rows' values are (NULL equal to NULL, -0.0 to 0.0, NaN to NaN).
// Per column: a byte 0 for NULL, else 1 and the value: fixed-width types
// little-endian, BOOLEAN one byte, STRING and BINARY a 4-byte length and
// the bytes. It works column by column over typed slices.
type rowEncoder struct {
	offs []int32 // row i is buf[offs[i]:offs[i+1]]
	pos  []int32
	buf  []byte
}

func (e *rowEncoder) encode(cols []arrow.Array, n int) {
	e.offs = resize32(e.offs, n+1)
	clear(e.offs)
	lens := e.offs[1:]
	for _, c := range cols {
		addLens(c, lens)
	}
	for i := 1; i <= n; i++ {
		e.offs[i] += e.offs[i-1]
	}
	e.buf = resize(e.buf, int(e.offs[n]))
	e.pos = resize32(e.pos, n)
	copy(e.pos, e.offs[:n])
	for _, c := range cols {
		writeCol(c, e.buf, e.pos)
	}
}

func (e *rowEncoder) row(i int) []byte { return e.buf[e.offs[i]:e.offs[i+1]] }
func (e *rowEncoder) size() int64      { return int64(4*cap(e.offs) + 4*cap(e.pos) + cap(e.buf)) }

// width is the encoded value width of a fixed-width type; 0 for STRING
// and BINARY.
func width(t arrow.DataType) int {
	switch t.ID() {
	case arrow.BOOL:
		return 1
	case arrow.STRING, arrow.BINARY:
		return 0
	case arrow.NULL:
		return 0
	}
	return t.(arrow.FixedWidthDataType).BitWidth() / 8
}

func addLens(c arrow.Array, lens []int32) {
	n := len(lens)
	if c.NullN() == n {
		for i := range lens {
			lens[i]++
		}
		return
	}
	var bm []byte
	off := c.Data().Offset()
	if c.NullN() > 0 {
		bm = c.NullBitmapBytes()
	}
	switch c.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		offs, _ := varlen(c)
		for i := range lens {
			if bm != nil && !bitutil.BitIsSet(bm, off+i) {
				lens[i]++
			} else {
				lens[i] += 5 + offs[i+1] - offs[i]
			}
		}
	default:
		w := 1 + int32(width(c.DataType()))
		if bm == nil {
			// Fast path: no NULLs.
			for i := range lens {
				lens[i] += w
			}
			return
		}
		for i := range lens {
			if bitutil.BitIsSet(bm, off+i) {
				lens[i] += w
			} else {
				lens[i]++
			}
		}
	}
}

func writeCol(c arrow.Array, buf []byte, pos []int32) {
	n := len(pos)
	if c.NullN() == n {
		for i := range pos {
			buf[pos[i]] = 0
			pos[i]++
		}
		return
	}
	var bm []byte
	off := c.Data().Offset()
	if c.NullN() > 0 {
		bm = c.NullBitmapBytes()
	}
	switch c.DataType().ID() {
	case arrow.BOOL:
		vb := c.Data().Buffers()[1].Bytes()
		for i := range pos {
			p := pos[i]
			if bm != nil && !bitutil.BitIsSet(bm, off+i) {
				buf[p] = 0
				pos[i] = p + 1
				continue
			}
			buf[p] = 1
			buf[p+1] = 0
			if bitutil.BitIsSet(vb, off+i) {
				buf[p+1] = 1
			}
			pos[i] = p + 2
		}
	case arrow.STRING, arrow.BINARY:
		offs, data := varlen(c)
		for i := range pos {
			p := pos[i]
			if bm != nil && !bitutil.BitIsSet(bm, off+i) {
				buf[p] = 0
				pos[i] = p + 1
				continue
			}
			v := data[offs[i]:offs[i+1]]
			buf[p] = 1
			binary.LittleEndian.PutUint32(buf[p+1:], uint32(len(v)))
			copy(buf[p+5:], v)
			pos[i] = p + 5 + int32(len(v))
		}
	case arrow.FLOAT64:
		vals := arrow.GetValues[float64](c.Data(), 1)
		for i := range pos {
			p := pos[i]
			if bm != nil && !bitutil.BitIsSet(bm, off+i) {
				buf[p] = 0
				pos[i] = p + 1
				continue
			}
			buf[p] = 1
			binary.LittleEndian.PutUint64(buf[p+1:], floatBits(vals[i]))
			pos[i] = p + 9
		}
	case arrow.FLOAT32:
		vals := arrow.GetValues[float32](c.Data(), 1)
		for i := range pos {
			p := pos[i]
			if bm != nil && !bitutil.BitIsSet(bm, off+i) {
				buf[p] = 0
				pos[i] = p + 1
				continue
			}
			buf[p] = 1
			binary.LittleEndian.PutUint32(buf[p+1:], float32Bits(vals[i]))
			pos[i] = p + 5
		}
	default:
		w := width(c.DataType())
		raw := c.Data().Buffers()[1].Bytes()[off*w:]
		for i := range pos {
			p := pos[i]
			if bm != nil && !bitutil.BitIsSet(bm, off+i) {
				buf[p] = 0
				pos[i] = p + 1
				continue
			}
			buf[p] = 1
			copy(buf[p+1:p+1+int32(w)], raw[i*w:(i+1)*w])
			pos[i] = p + 1 + int32(w)
		}
	}
}

// floatBits are the bits of f with -0.0 as 0.0 and every NaN as one.
func floatBits(f float64) uint64 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7ff8000000000001
	}
	return math.Float64bits(f)
}

func float32Bits(f float32) uint32 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7fc00001
	}
	return math.Float32bits(f)
}

// decodeRows builds one column per type from encoded rows.
func decodeRows(alloc memory.Allocator, types []arrow.DataType, rows [][]byte) []arrow.Array {
	n := len(rows)
	pos := make([]int, n)
	valid := make([]bool, n)
	out := make([]arrow.Array, len(types))
	for c, t := range types {
		nulls := false
		for i, r := range rows {
			valid[i] = r[pos[i]] == 1
			nulls = nulls || !valid[i]
			pos[i]++
		}
		v := valid
		if !nulls {
			v = nil
		}
		switch t.ID() {
		case arrow.NULL:
			out[c] = nullArray(alloc, n)
		case arrow.BOOL:
			vals := make([]bool, n)
			for i, r := range rows {
				if valid[i] {
					vals[i] = r[pos[i]] == 1
					pos[i]++
				}
			}
			out[c] = boolArray(alloc, vals, v)
		case arrow.STRING, arrow.BINARY:
			vals := make([][]byte, n)
			for i, r := range rows {
				if valid[i] {
					l := int(binary.LittleEndian.Uint32(r[pos[i]:]))
					vals[i] = r[pos[i]+4 : pos[i]+4+l]
					pos[i] += 4 + l
				}
			}
			out[c] = varlenArray(alloc, t, vals, v)
		default:
			w := width(t)
			raw := make([]byte, n*w)
			for i, r := range rows {
				if valid[i] {
					copy(raw[i*w:], r[pos[i]:pos[i]+w])
					pos[i] += w
				}
			}
			out[c] = fixedArrayRaw(alloc, t, raw, n, v)
		}
	}
	return out
}

// varlen returns the offsets (one per row and one more) and data of a
// STRING or BINARY array.
func varlen(a arrow.Array) ([]int32, []byte) {
	d := a.Data()
	offs := arrow.GetOffsets[int32](d, 1)
	var data []byte
	if b := d.Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	return offs, data
}

// mix64 scrambles an integer into a well-distributed hash (the finalizer
// of a 64-bit multiplicative hash).
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// hashBytes hashes a byte string: eight bytes at a time, multiplied and
// rotated in, then mixed. Deterministic across runs (APPROX_COUNT_DISTINCT
// gives the same estimate every time).
func hashBytes(b []byte) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := uint64(len(b)) * m
	for len(b) >= 8 {
		h = bits.RotateLeft64((h^binary.LittleEndian.Uint64(b))*m, 29)
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	h = (h ^ tail) * m
	return mix64(h)
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

func resize32(s []int32, n int) []int32 { return resize(s, n) }
