package lake

import (
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqgo "github.com/parquet-go/parquet-go"
)

// DefaultPageCacheBytes bounds the process's cache of decoded pages.
const DefaultPageCacheBytes = 256 << 20

// pageCache is the process's page cache, shared like footers: keyed by the
// full path and size of an immutable data file.
var pageCache = NewPageCache(DefaultPageCacheBytes, memory.DefaultAllocator)

// Pages is the decoded page cache the filter-first reader uses (one per
// process).
func (w *Warehouse) Pages() *PageCache { return pageCache }

// SetPageCacheBytes re-bounds the process's page cache (config knob
// olap.Config.PageCacheBytes); what is held over the new bound is evicted,
// and 0 turns the cache off (pages are decoded row by row as needed).
func SetPageCacheBytes(n int64) { pageCache.lru.resize(max(n, 0)) }

// A PageCache holds data pages of the filter-first reader decoded whole
// into Arrow arrays, bounded by the size of their buffers, evicting the
// least recently used: a page that many lookups read (the key column's
// page of a hot key range) is decompressed and decoded once. Only pages
// addressed by their column chunk's offset index are cached. Entries are
// keyed by path and file size, row group, column chunk, page and Arrow
// type, so a file rewritten at its path is never served stale pages.
//
// Filter columns' pages are cached on their first miss. An output
// column's page is cached on its second miss among the last seenPages
// output-page misses, if the cache evicted nothing in between, and only
// into room the cache has free: it never takes room filter pages need.
// Caching every page on its first miss thrashed on uniform keys (11.3 vs
// 9.2 ms/op), and a page a lookup reads once is not worth decoding whole.
//
// Arrays are reference counted: get retains the array for its caller under
// the cache's lock, and the cache releases its own reference when it lets
// an entry go, so an array is freed once the cache and every reader that
// got it are done. Safe for concurrent use.
type PageCache struct {
	lru  *byteLRU[*pageEntry]
	mem  memory.Allocator // the cached arrays' buffers
	seen missedPages      // output columns' pages missed lately
}

// seenPages bounds the output-column page misses a PageCache remembers
// (about 150 KiB of keys and their index).
const seenPages = 1024

// missedPages remembers the keys of the last seenPages output-column page
// misses: a ring, and an index of it bounded by its length.
type missedPages struct {
	mu   sync.Mutex
	ring []pageKey
	at   map[pageKey]missed
	next int // the slot the next miss takes
}

// A missed page is one remembered: its slot in the ring, and the cache's
// eviction count at its miss.
type missed struct {
	slot      int
	evictions int64
}

// again records a miss of k when the cache has evicted evictions entries,
// and says whether k was missed already among the remembered misses with
// no eviction since (k is then forgotten: a page admitted is not counted
// again).
func (m *missedPages) again(k pageKey, evictions int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.at[k]; ok {
		delete(m.at, k)
		m.ring[prev.slot] = pageKey{}
		if prev.evictions == evictions {
			return true
		}
	}
	if m.ring == nil {
		m.ring, m.at = make([]pageKey, seenPages), make(map[pageKey]missed, seenPages)
	}
	if old := m.ring[m.next]; old != (pageKey{}) { // a key in the index
		delete(m.at, old)
	}
	m.ring[m.next], m.at[k] = k, missed{m.next, evictions}
	m.next = (m.next + 1) % len(m.ring)
	return false
}

// A pageKey names one decoded page of a data file.
type pageKey struct {
	file      fileKey
	rg, col   int
	page      int    // ordinal in the chunk's offset index
	arrowType string // the type it is decoded to (arrow.DataType.Fingerprint)
}

type pageEntry struct {
	k   pageKey
	arr arrow.Array
	n   int64
}

func (e *pageEntry) key() any    { return e.k }
func (e *pageEntry) size() int64 { return e.n }

// pageEntryOverhead is what an entry costs beyond its buffers: the entry,
// the array and its data, the list element and the map slot.
const pageEntryOverhead = 512

// NewPageCache returns an empty cache holding up to maxBytes (0: none),
// decoding into buffers of mem.
func NewPageCache(maxBytes int64, mem memory.Allocator) *PageCache {
	c := &PageCache{lru: newByteLRU(maxBytes, func(*pageEntry) bool { return true }), mem: mem}
	c.lru.taken = func(e *pageEntry) { e.arr.Retain() }
	c.lru.dropped = func(e *pageEntry) { e.arr.Release() }
	return c
}

// Stats returns the counters: hits and misses count page lookups, Files
// the pages held.
func (c *PageCache) Stats() CacheStats { return c.lru.stats() }

// on says whether the cache holds anything at all.
func (c *PageCache) on() bool { return c != nil && c.lru.limit() > 0 }

// get returns the page under k, retained: the caller releases it.
func (c *PageCache) get(k pageKey) (arrow.Array, bool) {
	e, ok := c.lru.get(k)
	if !ok {
		c.lru.misses.Add(1)
		return nil, false
	}
	c.lru.hits.Add(1)
	return e.arr, true
}

// put caches arr as the page under k, evicting as needed, or with inRoom
// only if it fits beside what the cache holds; the caller keeps its own
// reference.
func (c *PageCache) put(k pageKey, arr arrow.Array, inRoom bool) {
	arr.Retain()
	e := &pageEntry{k: k, arr: arr, n: arrayBytes(arr.Data()) + pageEntryOverhead}
	if inRoom {
		c.lru.putInRoom(e)
	} else {
		c.lru.put(e)
	}
}

// admit says whether an output column's page missed under k, of rows rows
// of typ and compressed bytes, is to be decoded whole and cached: when
// the cache has room for it (decodedFloor) and it was missed lately with
// no eviction since (a cache evicting has no room to spare: filter pages
// need it).
func (c *PageCache) admit(k pageKey, typ arrow.DataType, rows, compressed int64) bool {
	return c.lru.room() >= decodedFloor(typ, rows, compressed)+pageEntryOverhead && c.seen.again(k, c.lru.evictions.Load())
}

// decodedFloor is about the least rows of typ take decoded: fixed-width
// values exactly, others their offsets and the page's compressed bytes
// (values decompressed and decoded take more). A page whose decoded size
// is over the room left is still decoded whole, then refused.
func decodedFloor(typ arrow.DataType, rows, compressed int64) int64 {
	if fw, ok := typ.(arrow.FixedWidthDataType); ok {
		return rows * int64(fw.BitWidth()) / 8
	}
	return rows*4 + compressed
}

// arrayBytes is the memory held by the buffers of an array (their
// capacity: a builder's buffers may be larger than their contents).
func arrayBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Cap())
		}
	}
	for _, ch := range d.Children() {
		n += arrayBytes(ch)
	}
	return n
}

// cachedPages loads pages from the page cache; on a miss, with fill or
// when the cache admits the page (an output column's page missed again), it
// reads a page and decodes it whole into the cache, else it reads it to
// decode the rows asked for only (an output column's page missed once:
// decoding a whole page for a lookup's row or two costs more than a hit
// saves unless the page is read again). It
// jumps to a page by the offset index, and reads on from a page to the
// next. The file is read only on a miss.
type cachedPages struct {
	cache  *PageCache
	fc     *pqgo.FileColumnChunk
	f      io.ReaderAt
	oi     pqgo.OffsetIndex
	at     chunkAt
	fill   bool
	pages  pqgo.Pages // opened on the first miss
	next   int        // the page pages reads next
	cur    arrow.Array
	pv     pageView
	loaded bool // pv holds a page read without fill
}

func (s *cachedPages) load(a int64) (rowSource, int64, int64, error) {
	s.release()
	oi, col := s.oi, s.at.col.idx
	i, err := pageOf(oi, a, col)
	if err != nil {
		return nil, 0, 0, err
	}
	n := oi.NumPages()
	first, end := oi.FirstRowIndex(i), s.at.rows
	if i+1 < n {
		end = oi.FirstRowIndex(i + 1)
	}
	if end <= a {
		return nil, 0, 0, fmt.Errorf("column %d: offset index page %d holds rows %d-%d, row %d expected in it", col, i, first, end, a)
	}
	k := pageKey{file: s.at.file, rg: s.at.rg, col: col, page: i, arrowType: s.at.col.fp}
	arr, ok := s.cache.get(k)
	if !ok {
		admitted := !s.fill && s.cache.admit(k, s.at.col.typ, end-first, oi.CompressedPageSize(i))
		if !s.fill && !admitted {
			p, err := s.read(i, first, end)
			if err != nil {
				return nil, 0, 0, err
			}
			s.pv.reset(p)
			s.loaded = true
			return &s.pv, first, end, nil
		}
		if arr, err = s.decode(i, first, end); err != nil {
			return nil, 0, 0, err
		}
		s.cache.put(k, arr, admitted) // an admitted page only into free room
	}
	s.cur = arr
	if int64(arr.Len()) != end-first { // a cached page is never of another length: defensive
		return nil, 0, 0, fmt.Errorf("column %d: cached page %d has %d rows, offset index says %d", col, i, arr.Len(), end-first)
	}
	return arrayRows{arr}, first, end, nil
}

// read reads page i, rows [first, end) by the offset index; the caller
// releases it.
func (s *cachedPages) read(i int, first, end int64) (pqgo.Page, error) {
	col := s.at.col.idx
	if s.pages == nil {
		s.pages = s.fc.PagesFrom(s.f)
		s.next = -1
	}
	if i != s.next {
		if err := s.pages.SeekToRow(first); err != nil {
			return nil, fmt.Errorf("column %d: seek to row %d: %w", col, first, err)
		}
	}
	readerStats.pageBytes.Add(s.oi.CompressedPageSize(i))
	p, err := s.pages.ReadPage()
	if err != nil {
		return nil, fmt.Errorf("column %d: page at row %d: %w", col, first, err)
	}
	readerStats.pages.Add(1)
	s.next = i + 1
	if p.NumRows() != end-first {
		pqgo.Release(p)
		return nil, fmt.Errorf("column %d: page at row %d has %d rows, offset index says %d", col, first, p.NumRows(), end-first)
	}
	return p, nil
}

// decode reads page i, rows [first, end) by the offset index, and decodes
// all of it into an array of the cache's allocator.
func (s *cachedPages) decode(i int, first, end int64) (arrow.Array, error) {
	col := s.at.col.idx
	p, err := s.read(i, first, end)
	if err != nil {
		return nil, err
	}
	defer pqgo.Release(p)
	s.pv.reset(p)
	b := array.NewBuilder(s.cache.mem, s.at.col.typ)
	defer b.Release()
	b.Reserve(int(end - first))
	if err := s.pv.appendTo(b, 0, int(end-first)); err != nil {
		return nil, fmt.Errorf("column %d: page at row %d: %w", col, first, err)
	}
	return b.NewArray(), nil
}

func (s *cachedPages) release() {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	if s.loaded {
		pqgo.Release(s.pv.page)
		s.loaded = false
	}
}

func (s *cachedPages) close() {
	s.release()
	if s.pages != nil {
		s.pages.Close()
	}
}

// arrayRows appends rows of an array of the builder's type: a page decoded
// whole, or a filter column (selectRows), which may be a slice (the
// accessors used honour the array's offset).
type arrayRows struct{ arr arrow.Array }

func (v arrayRows) appendTo(b array.Builder, from, to int) error {
	if from < 0 || to > v.arr.Len() || from > to {
		return fmt.Errorf("rows %d-%d of a page of %d", from, to, v.arr.Len())
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		// Reserved once: Append and AppendNull reserve a row each.
		b.Reserve(to - from)
		return appendEachOf[*array.Boolean](v.arr, from, to, b.UnsafeAppend, func() { b.UnsafeAppendBoolToBitmap(false) })
	case *array.Int32Builder:
		return appendValuesOf[*array.Int32](v.arr, from, to, b.AppendValues, b.Append, b.AppendNull)
	case *array.Date32Builder:
		return appendValuesOf[*array.Date32](v.arr, from, to, b.AppendValues, b.Append, b.AppendNull)
	case *array.Int64Builder:
		return appendValuesOf[*array.Int64](v.arr, from, to, b.AppendValues, b.Append, b.AppendNull)
	case *array.Time64Builder:
		return appendValuesOf[*array.Time64](v.arr, from, to, b.AppendValues, b.Append, b.AppendNull)
	case *array.TimestampBuilder:
		return appendValuesOf[*array.Timestamp](v.arr, from, to, b.AppendValues, b.Append, b.AppendNull)
	case *array.Float32Builder:
		return appendValuesOf[*array.Float32](v.arr, from, to, b.AppendValues, b.Append, b.AppendNull)
	case *array.Float64Builder:
		return appendValuesOf[*array.Float64](v.arr, from, to, b.AppendValues, b.Append, b.AppendNull)
	case *array.Decimal128Builder:
		return appendValuesOf[*array.Decimal128](v.arr, from, to, b.AppendValues, b.Append, b.AppendNull)
	case *array.FixedSizeBinaryBuilder:
		return appendEachOf[*array.FixedSizeBinary](v.arr, from, to, b.Append, b.AppendNull)
	case *array.StringBuilder:
		return appendEachOf[*array.String](v.arr, from, to, b.Append, b.AppendNull)
	case *array.LargeStringBuilder:
		return appendEachOf[*array.LargeString](v.arr, from, to, b.Append, b.AppendNull)
	case *array.BinaryBuilder:
		if _, ok := v.arr.(*array.LargeBinary); ok {
			return appendEachOf[*array.LargeBinary](v.arr, from, to, b.Append, b.AppendNull)
		}
		return appendEachOf[*array.Binary](v.arr, from, to, b.Append, b.AppendNull)
	}
	return fmt.Errorf("%w: no decoder for %s", errFallback, b.Type())
}

// appendValuesOf appends rows [from, to) of arr, an A, in one call when
// they hold no NULL, else row by row.
func appendValuesOf[A interface {
	arrow.Array
	Values() []T
}, T any](arr arrow.Array, from, to int, appendValues func([]T, []bool), put func(T), null func()) error {
	a, ok := arr.(A)
	if !ok {
		return fmt.Errorf("cached page of type %s, not %T", arr.DataType(), a)
	}
	vs := a.Values()[from:to]
	if a.NullN() == 0 {
		// Fast path: no NULL.
		appendValues(vs, nil)
		return nil
	}
	for i, x := range vs {
		if a.IsNull(from + i) {
			null()
		} else {
			put(x)
		}
	}
	return nil
}

// appendEachOf appends rows [from, to) of arr, an A, row by row.
func appendEachOf[A interface {
	arrow.Array
	Value(int) T
}, T any](arr arrow.Array, from, to int, put func(T), null func()) error {
	a, ok := arr.(A)
	if !ok {
		return fmt.Errorf("cached page of type %s, not %T", arr.DataType(), a)
	}
	for i := from; i < to; i++ {
		if a.IsNull(i) {
			null()
		} else {
			put(a.Value(i))
		}
	}
	return nil
}
