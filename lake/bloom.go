package lake

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/iceberg-go"
	"github.com/cespare/xxhash/v2"
	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet split-block bloom filters (the spec's only kind), read by the
// filter-first reader to skip row groups that cannot hold the value of an
// `=` or IN conjunct. A filter answers "maybe" or "no" for a hash of a
// value's PLAIN encoding; "no" must be exact, so whatever cannot be read or
// hashed exactly (an unknown algorithm, hash or compression, a corrupt
// header, a literal the column's physical type cannot hold) keeps the row
// group.

// errBloomUnusable says a column chunk's filter is not one this reader
// checks (another algorithm, hash or compression): not an error, no
// pruning.
var errBloomUnusable = errors.New("bloom filter of an unsupported kind")

// errBloomShort says the bytes given end inside the bitset.
var errBloomShort = errors.New("bloom filter cut short")

// maxBloomBytes bounds a filter's bitset (the spec's bound, 128 MiB).
const maxBloomBytes = 128 << 20

// bloomHeaderGuess is how much is read to find a header when the column
// chunk gives no bloom_filter_length (older writers).
const bloomHeaderGuess = 256

// A bloomFilter is the bitset of a split-block bloom filter: 256-bit blocks
// of eight little-endian 32-bit words.
type bloomFilter []byte

// bloomSalt are the spec's eight odd constants, one per word of a block.
var bloomSalt = [8]uint32{0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31}

// mayContain says whether a value hashing to h may be in the filter: the
// block chosen by the hash's top 32 bits must have, in each word i, the
// bit chosen by (low 32 bits × salt[i]) >> 27.
func (f bloomFilter) mayContain(h uint64) bool {
	blocks := uint64(len(f) / 32)
	b := f[((h>>32)*blocks>>32)*32:]
	key := uint32(h)
	for i, s := range bloomSalt {
		w := binary.LittleEndian.Uint32(b[4*i:])
		if w&(1<<((key*s)>>27)) == 0 {
			return false
		}
	}
	return true
}

// decodeBloom decodes a bloom filter as stored at a column chunk's
// bloom_filter_offset: a Thrift compact BloomFilterHeader, then the bitset.
// b may run past the filter. It returns the bitset (aliasing b) and the
// filter's length in bytes; errBloomUnusable (wrapped) for a well-formed
// filter of a kind it does not check, errBloomShort (wrapped, with the
// length) when b ends inside the bitset, another error for a corrupt one.
func decodeBloom(b []byte) (bloomFilter, int, error) {
	var h format.BloomFilterHeader
	r := new(thrift.CompactProtocol).NewReaderFromBytes(b)
	if err := thrift.NewDecoder(r).Decode(&h); err != nil {
		return nil, 0, fmt.Errorf("bloom filter header (%d bytes available): %w", len(b), err)
	}
	hlen := r.BytesRead()
	if _, ok := h.Algorithm.Value.(*format.SplitBlockAlgorithm); !ok {
		return nil, 0, fmt.Errorf("%w: algorithm %v", errBloomUnusable, h.Algorithm.Value)
	}
	if _, ok := h.Hash.Value.(*format.XxHash); !ok {
		return nil, 0, fmt.Errorf("%w: hash %v", errBloomUnusable, h.Hash.Value)
	}
	if _, ok := h.Compression.Value.(*format.BloomFilterUncompressed); !ok {
		return nil, 0, fmt.Errorf("%w: compression %v", errBloomUnusable, h.Compression.Value)
	}
	n := int(h.NumBytes)
	if n <= 0 || n%32 != 0 || n > maxBloomBytes {
		return nil, 0, fmt.Errorf("bloom filter header at byte 0: num_bytes %d is not a positive multiple of 32 up to %d", n, maxBloomBytes)
	}
	if hlen+n > len(b) {
		return nil, hlen + n, fmt.Errorf("%w: bitset at byte %d of %d bytes, only %d present", errBloomShort, hlen, n, len(b)-hlen)
	}
	return bloomFilter(b[hlen : hlen+n]), hlen + n, nil
}

// bloomHash is the filter hash of v in a column of physical type t: xxHash64
// (seed 0) of its PLAIN encoding, without the length prefix of byte arrays.
// ok is false when no exact hash exists: a kind the reader does not prune
// by (boolean, floating point, INT96), or a literal t cannot hold.
func bloomHash(v scalar, t pqgo.Type) (h uint64, ok bool) {
	var buf [8]byte
	switch t.Kind() {
	case pqgo.Int32:
		if v.k != kInt || v.i < math.MinInt32 || v.i > math.MaxInt32 {
			return 0, false
		}
		binary.LittleEndian.PutUint32(buf[:], uint32(int32(v.i)))
		return xxhash.Sum64(buf[:4]), true
	case pqgo.Int64:
		if v.k != kInt {
			return 0, false
		}
		binary.LittleEndian.PutUint64(buf[:], uint64(v.i))
		return xxhash.Sum64(buf[:]), true
	case pqgo.ByteArray:
		if v.k != kBytes {
			return 0, false
		}
		return xxhash.Sum64String(v.b), true
	case pqgo.FixedLenByteArray:
		if v.k != kBytes || len(v.b) != t.Length() {
			return 0, false
		}
		return xxhash.Sum64String(v.b), true
	}
	return 0, false
}

// usesBloom says whether p has a leaf a bloom filter can decide.
func (p *pred) usesBloom() bool {
	switch p.op {
	case iceberg.OpAnd, iceberg.OpOr:
		return p.l.usesBloom() || p.r.usesBloom()
	case iceberg.OpEQ, iceberg.OpIn:
		return true
	}
	return false
}

// bloomMightMatch evaluates p with its = and IN leaves decided by has (may
// the field hold one of these values?) and every other leaf true: false
// only when the filters prove that no row satisfies p.
func (p *pred) bloomMightMatch(has func(field int, vals []scalar) bool) bool {
	switch p.op {
	case iceberg.OpAnd:
		return p.l.bloomMightMatch(has) && p.r.bloomMightMatch(has)
	case iceberg.OpOr:
		return p.l.bloomMightMatch(has) || p.r.bloomMightMatch(has)
	case iceberg.OpEQ:
		return has(p.field, []scalar{p.lit})
	case iceberg.OpIn:
		return has(p.field, p.set)
	}
	return true
}

// A rowGroupBlooms answers, for row group rg of an open data file (readFile
// moves one along the file's row groups), whether a column may hold some
// values, by the chunk's bloom filter (read through the footer cache).
type rowGroupBlooms struct {
	cache *FooterCache
	pf    *pqgo.File
	r     io.ReaderAt // the scan's handle on the file
	file  fileKey
	rg    int
	cols  map[int]leafCol
}

// has says whether field may hold one of vals in the row group: true
// unless its chunk has a usable filter that holds none of them.
func (b *rowGroupBlooms) has(field int, vals []scalar) bool {
	lc := b.cols[field]
	cc := &b.pf.Metadata().RowGroups[b.rg].Columns[lc.idx]
	if cc.MetaData.BloomFilterOffset <= 0 {
		return true
	}
	f, err := b.cache.bloom(b.r, b.file, b.rg, lc.idx, cc.MetaData.BloomFilterOffset, int64(cc.MetaData.BloomFilterLength))
	if err != nil {
		if !errors.Is(err, errBloomUnusable) {
			readerStats.bloomErrors.Add(1)
		}
		return true
	}
	t := b.pf.RowGroups()[b.rg].ColumnChunks()[lc.idx].Type()
	for _, v := range vals {
		h, ok := bloomHash(v, t)
		if !ok || f.mayContain(h) {
			return true
		}
	}
	return false
}

// A bloomEntry caches a column chunk's filter, or why it has none usable.
type bloomEntry struct {
	k   bloomKey
	f   bloomFilter
	err error
}

type bloomKey struct {
	file    fileKey
	rg, col int
}

func (e *bloomEntry) key() any { return e.k }

// size counts the bitset and a fixed overhead, so that failures cost too.
func (e *bloomEntry) size() int64 { return int64(len(e.f)) + 64 }

// bloom returns the filter of column chunk col of row group rg of file,
// stored at off (length n when known, else 0), from the cache or read from
// r and cached, as is a failure to read it.
func (c *FooterCache) bloom(r io.ReaderAt, file fileKey, rg, col int, off, n int64) (bloomFilter, error) {
	k := bloomKey{file, rg, col}
	if e, ok := c.get(k).(*bloomEntry); ok {
		return e.f, e.err
	}
	f, err := readBloom(r, off, n)
	if err != nil {
		err = fmt.Errorf("data file %s, row group %d, column %d: %w", file.path, rg, col, err)
	}
	readerStats.bloomReads.Add(1)
	c.put(&bloomEntry{k: k, f: f, err: err})
	return f, err
}

// readBloom reads the filter at off: n bytes when n > 0, else a header's
// worth first and then the rest.
func readBloom(r io.ReaderAt, off, n int64) (bloomFilter, error) {
	if n > maxBloomBytes+bloomHeaderGuess {
		return nil, fmt.Errorf("bloom filter at offset %d: length %d over %d", off, n, maxBloomBytes+bloomHeaderGuess)
	}
	want := n
	if want <= 0 {
		want = bloomHeaderGuess
	}
	b, err := readUpTo(r, off, want)
	if err != nil {
		return nil, err
	}
	f, total, err := decodeBloom(b)
	if n <= 0 && errors.Is(err, errBloomShort) && len(b) == bloomHeaderGuess {
		// The guess cut the bitset: read the length the header gives.
		if b, err = readUpTo(r, off, int64(total)); err != nil {
			return nil, err
		}
		f, total, err = decodeBloom(b)
	}
	if err != nil {
		return nil, fmt.Errorf("bloom filter at offset %d: %w", off, err)
	}
	if n > 0 && int64(total) != n {
		return nil, fmt.Errorf("bloom filter at offset %d: %d bytes, the column chunk says %d", off, total, n)
	}
	return f, nil
}

// readUpTo reads up to n bytes at off; fewer at the end of the file.
func readUpTo(r io.ReaderAt, off, n int64) ([]byte, error) {
	if off < 0 {
		return nil, fmt.Errorf("bloom filter offset %d", off)
	}
	b := make([]byte, n)
	k, err := r.ReadAt(b, off)
	if err != nil && !(errors.Is(err, io.EOF) && k > 0) {
		return nil, fmt.Errorf("reading bloom filter at offset %d: %w", off, err)
	}
	return b[:k], nil
}
