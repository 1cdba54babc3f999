package lake

import (
	"container/list"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/iceberg-go"
	icebergio "github.com/apache/iceberg-go/io"
)

// DefaultManifestCacheBytes bounds the process's manifest cache.
const DefaultManifestCacheBytes = 64 << 20

// manifests is the process's manifest cache. It is shared by every
// warehouse: entries are keyed by the full path of an immutable file, so a
// hit is valid whichever warehouse or table asks.
var manifests = NewManifestCache(DefaultManifestCacheBytes)

// Manifests is the manifest cache PlanScan uses (one per process).
func (w *Warehouse) Manifests() *ManifestCache { return manifests }

// ManifestCache holds decoded manifest lists and the live entries of
// manifests, keyed by file path and bounded by their approximate in-memory
// size, evicting the least recently used. Iceberg never rewrites a manifest
// or manifest list in place, so a cached value never goes stale: a table that
// gains a manifest per commit decodes only the new one on its next scan.
// Safe for concurrent use; the values handed out are shared and read-only.
type ManifestCache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order *list.List // front = most recent; elements hold *manifestCached
	m     map[string]*list.Element

	hits, misses, evictions atomic.Int64
}

type manifestCached struct {
	path string
	v    any // []iceberg.ManifestFile for a manifest list, []iceberg.ManifestEntry for a manifest
	cost int64
}

// CacheStats are a byte-bounded file cache's counters since it was
// created (ManifestCache, FooterCache) and what it holds now.
type CacheStats struct {
	Hits      int64 // files served from the cache
	Misses    int64 // files read (and decoded)
	Evictions int64 // files dropped for space
	Bytes     int64 // approximate size of what is held
	Files     int64 // files held
}

// NewManifestCache returns an empty cache holding up to maxBytes.
func NewManifestCache(maxBytes int64) *ManifestCache {
	return &ManifestCache{max: maxBytes, order: list.New(), m: map[string]*list.Element{}}
}

// Stats returns the counters.
func (c *ManifestCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
		Bytes: c.used, Files: int64(len(c.m)),
	}
}

func (c *ManifestCache) get(path string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[path]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	c.hits.Add(1)
	return el.Value.(*manifestCached).v, true
}

// put stores v unless it alone is over the bound. A concurrent miss on the
// same path may have stored it first: the values are equal, keep that one.
func (c *ManifestCache) put(path string, v any, cost int64) {
	if cost > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.m[path]; dup {
		return
	}
	c.m[path] = c.order.PushFront(&manifestCached{path: path, v: v, cost: cost})
	c.used += cost
	for c.used > c.max {
		el := c.order.Back()
		e := el.Value.(*manifestCached)
		c.order.Remove(el)
		delete(c.m, e.path)
		c.used -= e.cost
		c.evictions.Add(1)
	}
}

// list returns the manifests of the manifest list at path.
func (c *ManifestCache) list(fio icebergio.IO, path string) ([]iceberg.ManifestFile, error) {
	if v, ok := c.get(path); ok {
		return v.([]iceberg.ManifestFile), nil
	}
	c.misses.Add(1)
	f, err := fio.Open(path)
	if err != nil {
		return nil, fmt.Errorf("manifest list %s: %w", path, err)
	}
	mfs, err := iceberg.ReadManifestList(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("manifest list %s: %w", path, err)
	}
	cost := int64(256 + len(path))
	for _, mf := range mfs {
		cost += manifestFileCost(mf)
	}
	c.put(path, mfs, cost)
	return mfs, nil
}

// entries returns the live (added and existing) entries of each manifest,
// decoding the misses concurrently.
func (c *ManifestCache) entries(fio icebergio.IO, mfs []iceberg.ManifestFile) ([][]iceberg.ManifestEntry, error) {
	out := make([][]iceberg.ManifestEntry, len(mfs))
	var miss []int
	for i, mf := range mfs {
		if v, ok := c.get(mf.FilePath()); ok {
			out[i] = v.([]iceberg.ManifestEntry)
		} else {
			miss = append(miss, i)
		}
	}
	if len(miss) == 0 { // Fast path: everything decoded before.
		return out, nil
	}
	// Slow path: decode the misses, a few at a time.
	errs := make([]error, len(mfs))
	sem := make(chan struct{}, min(runtime.GOMAXPROCS(0), len(miss)))
	var wg sync.WaitGroup
	for _, i := range miss {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = c.decode(fio, mfs[i])
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *ManifestCache) decode(fio icebergio.IO, mf iceberg.ManifestFile) ([]iceberg.ManifestEntry, error) {
	c.misses.Add(1)
	var es []iceberg.ManifestEntry
	cost := int64(256 + len(mf.FilePath()))
	for e, err := range mf.Entries(fio, true) {
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", mf.FilePath(), err)
		}
		es = append(es, e)
		cost += entryCost(e)
	}
	c.put(mf.FilePath(), es, cost)
	return es, nil
}

// The costs below approximate the heap behind a decoded value: fixed parts
// plus the variable-length paths, bounds and per-column maps (a map slot is
// counted at ~48 bytes).
const mapSlotCost = 48

func manifestFileCost(mf iceberg.ManifestFile) int64 {
	n := 256 + len(mf.FilePath()) + len(mf.KeyMetadata())
	for _, p := range mf.Partitions() {
		n += 64
		if p.LowerBound != nil {
			n += len(*p.LowerBound)
		}
		if p.UpperBound != nil {
			n += len(*p.UpperBound)
		}
	}
	return int64(n)
}

func entryCost(e iceberg.ManifestEntry) int64 {
	df := e.DataFile()
	n := 512 + len(df.FilePath()) + 8*len(df.SplitOffsets()) + len(df.KeyMetadata())
	for _, b := range df.LowerBoundValues() {
		n += mapSlotCost + len(b)
	}
	for _, b := range df.UpperBoundValues() {
		n += mapSlotCost + len(b)
	}
	n += mapSlotCost * (len(df.ColumnSizes()) + len(df.ValueCounts()) + len(df.NullValueCounts()) + len(df.NaNValueCounts()) + len(df.Partition()))
	return int64(n)
}
