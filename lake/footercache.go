package lake

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"unsafe"

	icebergio "github.com/apache/iceberg-go/io"
	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// DefaultFooterCacheBytes bounds the process's Parquet footer cache.
const DefaultFooterCacheBytes = 32 << 20

// footers is the process's footer cache, shared like manifests: keyed by the
// full path and size of an immutable data file.
var footers = NewFooterCache(DefaultFooterCacheBytes)

// Footers is the footer cache the filter-first reader uses (one per process).
func (w *Warehouse) Footers() *FooterCache { return footers }

// SetFooterCacheBytes re-bounds the process's footer cache (config knob
// olap.footer-cache-bytes); what is held over the new bound is evicted.
func SetFooterCacheBytes(n int64) { footers.resize(n) }

// A FooterCache holds Parquet data files as parquet-go parsed them on open
// — footer, schema, row groups, column and offset indexes — so that opening
// a held file neither reads nor parses anything, and the bloom filters of
// their column chunks (bloom.go), bounded together by an estimate of their
// size in memory, evicting the least recently used. Entries are keyed by
// path and file size: data files are never rewritten in place, and a file
// of another size at a path (a test or a tool rewriting it) is another
// entry, never stale metadata. Safe for concurrent use.
type FooterCache struct {
	lru *byteLRU[cacheEntry]
}

// A fileKey names one version of a data file.
type fileKey struct {
	path string
	size int64
}

// A parsedFile is a data file's metadata as parquet-go parsed it. pf reads
// nothing itself (its reader is detached after the open): pages and bloom
// filters are read through the handle each scan opens.
type parsedFile struct {
	k     fileKey
	pf    *pqgo.File
	bytes int64 // estimate of what pf holds in memory (parsedSize)
}

func (p *parsedFile) key() any    { return p.k }
func (p *parsedFile) size() int64 { return p.bytes }

// NewFooterCache returns an empty cache holding up to maxBytes.
func NewFooterCache(maxBytes int64) *FooterCache {
	return &FooterCache{lru: newByteLRU(maxBytes, func(e cacheEntry) bool {
		_, ok := e.(*parsedFile)
		return ok
	})}
}

// Stats returns the counters: hits and misses count file opens; Files
// counts parsed files (not bloom filters).
func (c *FooterCache) Stats() CacheStats { return c.lru.stats() }

func (c *FooterCache) resize(n int64) { c.lru.resize(n) }

func (c *FooterCache) get(k any) cacheEntry {
	e, _ := c.lru.get(k)
	return e
}

func (c *FooterCache) put(e cacheEntry) { c.lru.put(e) }

// open returns the parsed metadata of the Parquet file at path (size bytes)
// with its page index, from the cache or read, parsed and cached, and a
// handle to read its pages and bloom filters through. The handle opens the
// file on its first read, so a scan that prunes every row group of a held
// file opens nothing; the caller closes it once done with the file.
func (c *FooterCache) open(fio icebergio.IO, path string, size int64) (*pqgo.File, *fileHandle, error) {
	k := fileKey{path, size}
	h := &fileHandle{fio: fio, path: path}
	if p, ok := c.get(k).(*parsedFile); ok {
		c.lru.hits.Add(1)
		return p.pf, h, nil
	}
	c.lru.misses.Add(1)
	d := &detachable{r: h}
	pf, err := pqgo.OpenFile(d, size, pqgo.SkipBloomFilters(true), pqgo.SkipPageIndex(false))
	d.detach()
	if err != nil {
		h.Close()
		return nil, nil, fmt.Errorf("data file %s: %w", path, err)
	}
	c.put(&parsedFile{k: k, pf: pf, bytes: parsedSize(pf, d.read)})
	return pf, h, nil
}

// A fileHandle reads one data file for one scan, opening it on first use.
// Not safe for concurrent use: one file is read by one goroutine.
type fileHandle struct {
	fio  icebergio.IO
	path string
	f    icebergio.File
}

func (h *fileHandle) ReadAt(p []byte, off int64) (int, error) {
	if h.f == nil {
		f, err := h.fio.Open(h.path)
		if err != nil {
			return 0, err
		}
		h.f = f
	}
	return h.f.ReadAt(p, off)
}

// Close closes the file if it was opened.
func (h *fileHandle) Close() error {
	if h.f == nil {
		return nil
	}
	err := h.f.Close()
	h.f = nil
	return err
}

// errDetached says parquet-go tried to read a cached file through the
// reader it was opened with: every read must go through a scan's handle.
var errDetached = errors.New("parsed Parquet metadata read through its opening reader (use a scan's file handle)")

// A detachable is the reader a cached file is opened with: it serves the
// open's reads and counts their bytes, and fails every read once detached,
// so the cache never holds an open file nor a scan's handle.
type detachable struct {
	mu   sync.Mutex
	r    io.ReaderAt
	read int64
}

func (d *detachable) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.r == nil {
		return 0, errDetached
	}
	n, err := d.r.ReadAt(p, off)
	d.read += int64(n)
	return n, err
}

func (d *detachable) detach() {
	d.mu.Lock()
	d.r = nil
	d.mu.Unlock()
}

// parsedSize estimates the memory a parsed file holds: the metadata bytes
// the open read (parquet-go keeps the footer and page index buffers, whose
// byte fields alias them) plus the structs and slices decoded from them,
// counted per schema element, row group, column chunk and page index
// entry. TestParsedSizeEstimate checks it against the heap.
func parsedSize(pf *pqgo.File, read int64) int64 {
	const (
		schemaElem = int64(unsafe.Sizeof(format.SchemaElement{}) + unsafe.Sizeof(pqgo.Column{}))
		rowGroup   = int64(unsafe.Sizeof(format.RowGroup{}) + unsafe.Sizeof(pqgo.FileRowGroup{}))
		chunk      = int64(unsafe.Sizeof(format.ColumnChunk{}) + unsafe.Sizeof(pqgo.FileColumnChunk{}) +
			unsafe.Sizeof(format.ColumnIndex{}) + unsafe.Sizeof(format.OffsetIndex{}) +
			unsafe.Sizeof(pqgo.FileColumnIndex{}) + unsafe.Sizeof(pqgo.FileOffsetIndex{}) +
			16) // the ColumnChunk interface in the row group's slice
		str      = 16 // a string header (path elements, keys, values)
		bytesHdr = 24 // a []byte header (page minimums and maximums)
		location = int64(unsafe.Sizeof(format.PageLocation{}))
	)
	md := pf.Metadata()
	n := read + int64(len(md.Schema))*schemaElem + int64(len(md.RowGroups))*rowGroup
	for _, rg := range md.RowGroups {
		n += int64(len(rg.Columns)) * chunk
		for _, cc := range rg.Columns {
			n += int64(len(cc.MetaData.PathInSchema)) * str
			n += int64(len(cc.MetaData.Encoding)*int(unsafe.Sizeof(format.Encoding(0))) +
				len(cc.MetaData.EncodingStats)*int(unsafe.Sizeof(format.PageEncodingStats{})))
		}
	}
	for _, ci := range pf.ColumnIndexes() {
		n += int64(len(ci.NullPages)) + bytesHdr*int64(len(ci.MinValues)+len(ci.MaxValues)) +
			8*int64(len(ci.NullCounts)+len(ci.RepetitionLevelHistogram)+len(ci.DefinitionLevelHistogram))
	}
	for _, oi := range pf.OffsetIndexes() {
		n += location*int64(len(oi.PageLocations)) + 8*int64(len(oi.UnencodedByteArrayDataBytes))
	}
	for _, e := range md.KeyValueMetadata {
		n += 2*str + int64(len(e.Key)+len(e.Value))
	}
	return n
}
