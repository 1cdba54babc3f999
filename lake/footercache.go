package lake

import (
	"container/list"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	icebergio "github.com/apache/iceberg-go/io"
	pqgo "github.com/parquet-go/parquet-go"
)

// DefaultFooterCacheBytes bounds the process's Parquet footer cache.
const DefaultFooterCacheBytes = 32 << 20

// footers is the process's footer cache, shared like manifests: keyed by the
// full path of an immutable data file.
var footers = NewFooterCache(DefaultFooterCacheBytes)

// Footers is the footer cache the filter-first reader uses (one per process).
func (w *Warehouse) Footers() *FooterCache { return footers }

// SetFooterCacheBytes re-bounds the process's footer cache (config knob
// olap.footer-cache-bytes); what is held over the new bound is evicted.
func SetFooterCacheBytes(n int64) { footers.resize(n) }

// A FooterCache holds the tails of Parquet data files — the page index
// (column and offset indexes) and the footer, which parquet-go reads
// whenever it opens a file — keyed by path, and the bloom filters of their
// column chunks (bloom.go), bounded together by their byte size, evicting
// the least recently used. Data files are never rewritten in place, so a
// cached entry never goes stale. Opening a file whose tail is
// cached costs no read of it: only parsing. Safe for concurrent use.
type FooterCache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order *list.List // front = most recent; elements hold cacheEntry
	m     map[any]*list.Element
	tails int64 // entries that are file tails

	hits, misses, evictions atomic.Int64
}

// A cacheEntry is a file tail or a bloom filter.
type cacheEntry interface {
	key() any
	size() int64
}

type fileTail struct {
	path string
	off  int64 // file offset of b[0]; b runs to the end of the file
	b    []byte
}

func (t *fileTail) key() any    { return t.path }
func (t *fileTail) size() int64 { return int64(len(t.b)) }

// NewFooterCache returns an empty cache holding up to maxBytes.
func NewFooterCache(maxBytes int64) *FooterCache {
	return &FooterCache{max: maxBytes, order: list.New(), m: map[any]*list.Element{}}
}

// Stats returns the counters.
func (c *FooterCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
		Bytes: c.used, Files: c.tails}
}

func (c *FooterCache) resize(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = n
	c.evict()
}

func (c *FooterCache) get(k any) cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[k]
	if !ok {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(cacheEntry)
}

func (c *FooterCache) put(e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.m[e.key()]; dup || e.size() > c.max {
		return
	}
	c.m[e.key()] = c.order.PushFront(e)
	c.used += e.size()
	if _, ok := e.(*fileTail); ok {
		c.tails++
	}
	c.evict()
}

func (c *FooterCache) evict() {
	for c.used > c.max {
		el := c.order.Back()
		e := el.Value.(cacheEntry)
		c.order.Remove(el)
		delete(c.m, e.key())
		c.used -= e.size()
		if _, ok := e.(*fileTail); ok {
			c.tails--
		}
		c.evictions.Add(1)
	}
}

// open opens the Parquet file at path (size bytes) with its page index,
// serving its tail from the cache when held and caching it otherwise. The
// caller closes the returned closer once done with the file.
func (c *FooterCache) open(fio icebergio.IO, path string, size int64) (*pqgo.File, io.Closer, error) {
	f, err := fio.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("data file %s: %w", path, err)
	}
	opts := []pqgo.FileOption{pqgo.SkipBloomFilters(true), pqgo.SkipPageIndex(false)}
	if t, ok := c.get(path).(*fileTail); ok { // Fast path: no read of the tail.
		c.hits.Add(1)
		pf, err := pqgo.OpenFile(tailReader{f, t}, size, opts...)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("data file %s: %w", path, err)
		}
		return pf, f, nil
	}
	c.misses.Add(1)
	pf, err := pqgo.OpenFile(f, size, opts...)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("data file %s: %w", path, err)
	}
	if t, err := readTail(f, pf, path, size); err == nil {
		c.put(t)
	} // else: a file without a readable tail range is just not cached
	return pf, f, nil
}

// readTail reads the file's page index and footer: from the first column
// or offset index to the end.
func readTail(r io.ReaderAt, pf *pqgo.File, path string, size int64) (*fileTail, error) {
	var last [8]byte
	if _, err := r.ReadAt(last[:], size-8); err != nil {
		return nil, err
	}
	off := size - 8 - int64(binary.LittleEndian.Uint32(last[:4]))
	for _, rg := range pf.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			for _, o := range []int64{cc.ColumnIndexOffset, cc.OffsetIndexOffset} {
				if o > 0 && o < off {
					off = o
				}
			}
		}
	}
	if off < 0 || off >= size {
		return nil, fmt.Errorf("data file %s: footer out of range", path)
	}
	b := make([]byte, size-off)
	if _, err := r.ReadAt(b, off); err != nil {
		return nil, err
	}
	return &fileTail{path: path, off: off, b: b}, nil
}

// tailReader serves reads within the cached tail from memory and the rest
// from the file.
type tailReader struct {
	f io.ReaderAt
	t *fileTail
}

func (r tailReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.t.off {
		n := copy(p, r.t.b[min(off-r.t.off, int64(len(r.t.b))):])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	return r.f.ReadAt(p, off)
}
