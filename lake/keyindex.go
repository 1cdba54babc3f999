package lake

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
)

// keyCodec encodes a row's primary key as bytes: fixed width for numbers
// (every integer type as 8 bytes, so that a key column promoted from int to
// long encodes alike in old and new files), length-prefixed for strings and
// binaries, so that the concatenation over the key columns is injective.
type keyCodec struct {
	names []string // key columns, in identifier order
	// exact: one integer-like key column, whose value is its own index slot.
	exact bool
}

func newKeyCodec(schema *iceberg.Schema) (keyCodec, []int, error) {
	ids := schema.IdentifierFieldIDs
	if len(ids) == 0 {
		return keyCodec{}, nil, fmt.Errorf("table has no primary key (identifier fields): upserts need one")
	}
	c := keyCodec{}
	for _, id := range ids {
		f, ok := schema.FindFieldByID(id)
		if !ok {
			return keyCodec{}, nil, fmt.Errorf("primary key field id %d is not in the schema", id)
		}
		c.names = append(c.names, f.Name)
	}
	if len(ids) == 1 {
		f, _ := schema.FindFieldByID(ids[0])
		switch f.Type.(type) {
		case iceberg.Int32Type, iceberg.Int64Type, iceberg.DateType, iceberg.TimeType, iceberg.TimestampType, iceberg.TimestampTzType:
			c.exact = true
		}
	}
	return c, ids, nil
}

// appendKey appends the key of row i of cols (the key columns, in order).
func (c keyCodec) appendKey(dst []byte, cols []arrow.Array, i int) ([]byte, error) {
	for j, col := range cols {
		if ext, ok := col.(array.ExtensionArray); ok {
			col = ext.Storage()
		}
		if col.IsNull(i) {
			return dst, fmt.Errorf("row %d: primary key column %s is null", i, c.names[j])
		}
		switch a := col.(type) {
		case *array.Int8:
			dst = binary.BigEndian.AppendUint64(dst, uint64(a.Value(i)))
		case *array.Int16:
			dst = binary.BigEndian.AppendUint64(dst, uint64(a.Value(i)))
		case *array.Int32:
			dst = binary.BigEndian.AppendUint64(dst, uint64(a.Value(i)))
		case *array.Int64:
			dst = binary.BigEndian.AppendUint64(dst, uint64(a.Value(i)))
		case *array.Date32:
			dst = binary.BigEndian.AppendUint64(dst, uint64(a.Value(i)))
		case *array.Time64:
			dst = binary.BigEndian.AppendUint64(dst, uint64(a.Value(i)))
		case *array.Timestamp:
			dst = binary.BigEndian.AppendUint64(dst, uint64(a.Value(i)))
		case *array.Boolean:
			b := byte(0)
			if a.Value(i) {
				b = 1
			}
			dst = append(dst, b)
		case *array.Float32:
			dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(float64(a.Value(i))))
		case *array.Float64:
			dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(a.Value(i)))
		case *array.Decimal128:
			v := a.Value(i)
			dst = binary.BigEndian.AppendUint64(dst, uint64(v.HighBits()))
			dst = binary.BigEndian.AppendUint64(dst, v.LowBits())
		case *array.String:
			dst = appendBytes(dst, a.Value(i))
		case *array.LargeString:
			dst = appendBytes(dst, a.Value(i))
		case *array.Binary:
			dst = appendBytes(dst, a.Value(i))
		case *array.LargeBinary:
			dst = appendBytes(dst, a.Value(i))
		case *array.FixedSizeBinary:
			dst = append(dst, a.Value(i)...)
		default:
			return dst, fmt.Errorf("primary key column %s: type %s cannot be a key", c.names[j], col.DataType())
		}
	}
	return dst, nil
}

func appendBytes[T string | []byte](dst []byte, v T) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

// A loc packs a live row's place: data file ordinal (high 24 bits) and row
// position in the file (low 40 bits).
type loc uint64

const (
	posBits = 40
	maxPos  = 1<<posBits - 1
	maxFile = 1<<(64-posBits) - 1
)

func makeLoc(file uint32, pos int64) (loc, error) {
	if pos < 0 || pos > maxPos || file > maxFile {
		return 0, fmt.Errorf("BUG: row %d of file %d is beyond the key index's reach", pos, file)
	}
	return loc(uint64(file)<<posBits | uint64(pos)), nil
}

func (l loc) file() uint32 { return uint32(l >> posBits) }
func (l loc) pos() int64   { return int64(l & maxPos) }

// keyIndex maps each primary key to the one live row holding it.
//
// It stays compact by never keeping a key as a Go string: an exact key (one
// integer column) is its own 8-byte map key; any other key is found by its
// 64-bit hash, and its bytes are kept once in an arena to tell two keys with
// the same hash apart (the second such key goes to the small over map).
// Rows sharing a key (a table written without the key enforced) keep their
// extra places in dups, so that the next change to the key deletes them all.
type keyIndex struct {
	codec  keyCodec
	exact  map[uint64]loc
	hashed map[uint64]slot
	arena  []byte
	garb   int // arena bytes no slot points to
	over   map[string]loc
	dups   map[string][]loc

	files []iceberg.DataFile // by ordinal
}

type slot struct {
	loc loc
	key uint32 // arena offset of the key (uvarint length, then bytes)
}

var hashSeed = maphash.MakeSeed()

// newKeyIndex returns an empty index sized for about n keys: growing a map
// of millions of keys rehashes it several times.
func newKeyIndex(c keyCodec, n int) *keyIndex {
	ix := &keyIndex{codec: c, over: map[string]loc{}, dups: map[string][]loc{}}
	if c.exact {
		ix.exact = make(map[uint64]loc, n)
	} else {
		ix.hashed = make(map[uint64]slot, n)
	}
	return ix
}

// Len is the number of live keys.
func (ix *keyIndex) Len() int { return len(ix.exact) + len(ix.hashed) + len(ix.over) }

func (ix *keyIndex) addFile(df iceberg.DataFile) (uint32, error) {
	if len(ix.files) > maxFile {
		return 0, fmt.Errorf("key index: more than %d data files; compact the table", maxFile)
	}
	ix.files = append(ix.files, df)
	return uint32(len(ix.files) - 1), nil
}

func (ix *keyIndex) arenaKey(off uint32) []byte {
	n, w := binary.Uvarint(ix.arena[off:])
	return ix.arena[int(off)+w : int(off)+w+int(n)]
}

// get returns the live row of key.
func (ix *keyIndex) get(key []byte) (loc, bool) {
	if ix.exact != nil {
		l, ok := ix.exact[binary.BigEndian.Uint64(key)]
		return l, ok
	}
	if s, ok := ix.hashed[maphash.Bytes(hashSeed, key)]; ok && bytes.Equal(ix.arenaKey(s.key), key) {
		return s.loc, true
	}
	l, ok := ix.over[string(key)]
	return l, ok
}

// set makes l the live row of key, returning the row it replaces.
func (ix *keyIndex) set(key []byte, l loc) (old loc, had bool) {
	if ix.exact != nil {
		k := binary.BigEndian.Uint64(key)
		old, had = ix.exact[k]
		ix.exact[k] = l
		return old, had
	}
	h := maphash.Bytes(hashSeed, key)
	s, ok := ix.hashed[h]
	switch {
	case !ok:
		if len(ix.arena) > math.MaxUint32-len(key)-binary.MaxVarintLen64 {
			ix.compactArena()
		}
		off := uint32(len(ix.arena))
		ix.arena = appendBytes(ix.arena, key)
		ix.hashed[h] = slot{loc: l, key: off}
		return 0, false
	case bytes.Equal(ix.arenaKey(s.key), key):
		ix.hashed[h] = slot{loc: l, key: s.key}
		return s.loc, true
	}
	// Slow path: another key holds this hash.
	old, had = ix.over[string(key)]
	ix.over[string(key)] = l
	return old, had
}

// del removes key, returning its live row.
func (ix *keyIndex) del(key []byte) (loc, bool) {
	if ix.exact != nil {
		k := binary.BigEndian.Uint64(key)
		l, ok := ix.exact[k]
		delete(ix.exact, k)
		return l, ok
	}
	h := maphash.Bytes(hashSeed, key)
	if s, ok := ix.hashed[h]; ok && bytes.Equal(ix.arenaKey(s.key), key) {
		delete(ix.hashed, h)
		var n [binary.MaxVarintLen64]byte
		ix.garb += binary.PutUvarint(n[:], uint64(len(key))) + len(key)
		if ix.garb > 1<<20 && ix.garb > len(ix.arena)/2 {
			ix.compactArena()
		}
		return s.loc, true
	}
	l, ok := ix.over[string(key)]
	delete(ix.over, string(key))
	return l, ok
}

// compactArena drops the bytes of deleted keys.
func (ix *keyIndex) compactArena() {
	arena := make([]byte, 0, len(ix.arena)-ix.garb)
	for h, s := range ix.hashed {
		k := ix.arenaKey(s.key)
		s.key = uint32(len(arena))
		arena = appendBytes(arena, k)
		ix.hashed[h] = s
	}
	ix.arena, ix.garb = arena, 0
}

// load adds the row l of key while indexing a table: a key already present
// keeps its first row and notes the later one as a duplicate.
func (ix *keyIndex) load(key []byte, l loc) {
	if old, had := ix.set(key, l); had {
		ix.set(key, old)
		ix.dups[string(key)] = append(ix.dups[string(key)], l)
	}
}

// Bytes estimates the index's memory: map slots at Go's swiss-table load
// (7/8, a control byte per slot), the arena and the file table.
func (ix *keyIndex) Bytes() int64 {
	slotBytes := func(n, kv int) int64 { return int64(n) * int64(kv+1) * 8 / 7 }
	b := slotBytes(len(ix.exact), 16) + slotBytes(len(ix.hashed), 24) + int64(cap(ix.arena))
	for k := range ix.over {
		b += int64(len(k)) + 40
	}
	return b + int64(len(ix.files))*64
}
