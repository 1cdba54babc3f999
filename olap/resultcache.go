package olap

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/session"
)

// resultCache keeps query results by key (the normalized statement and the
// snapshot of every table it read, see resultKey), bounded by their bytes.
// A commit changes a table's snapshot id, so the results that read it are
// never asked for again and age out (or are dropped at once when the
// statement's prepared entry notices, see Gate.prepare); results over other
// tables stay.
type resultCache struct {
	lru      *lru[*cachedResult]
	maxEntry int64 // a larger result is not kept: it would push out many small ones
	m        *metrics
}

// cachedResult holds one reference to each batch; readers take their own.
type cachedResult struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	snap    int64
	enc     *session.Encodings // what front ends wrote for it
}

// maxEncoded is the most bytes of encodings kept per result: a small
// result's answer is written from them, a larger one is encoded each time
// (its encoding costs little beside sending it).
const maxEncoded = 64 << 10

func newResultCache(maxBytes int64, m *metrics) *resultCache {
	c := &resultCache{maxEntry: maxBytes / 8, m: m}
	c.lru = newLRU(maxBytes, func(r *cachedResult, byPressure bool) {
		if byPressure {
			m.resultEvictions.Inc()
		}
		for _, b := range r.batches {
			b.Release()
		}
	})
	return c
}

// get returns a result the caller owns (and releases), or nil.
func (c *resultCache) get(key string) *session.Result {
	var res *session.Result
	found := c.lru.get(key, func(r *cachedResult) {
		res = &session.Result{Kind: session.ResultRows, Schema: r.schema, Batches: make([]arrow.RecordBatch, len(r.batches)), Encodings: r.enc}
		res.Stats.SnapshotID = r.snap
		for i, b := range r.batches {
			b.Retain()
			res.Batches[i] = b
		}
	})
	if found {
		c.m.resultHits.Inc()
	} else {
		c.m.resultMisses.Inc()
	}
	return res
}

// put keeps res (the caller keeps its own reference) unless it is too large.
func (c *resultCache) put(key string, res *session.Result) {
	size := int64(len(key)) + 256
	for _, b := range res.Batches {
		size += batchBytes(b)
	}
	// Encodings take about what the batches take (text against Arrow
	// buffers), up to maxEncoded; the entry is charged for them up front.
	room := min(size, maxEncoded)
	size += room
	if size > c.maxEntry {
		return
	}
	r := &cachedResult{schema: res.Schema, batches: make([]arrow.RecordBatch, len(res.Batches)), snap: res.Stats.SnapshotID, enc: session.NewEncodings(room)}
	for i, b := range res.Batches {
		b.Retain()
		r.batches[i] = b
	}
	if !c.lru.put(key, r, size) {
		for _, b := range r.batches {
			b.Release()
		}
	}
}

func (c *resultCache) remove(key string) { c.lru.remove(key) }

// batchBytes is the memory behind a batch's buffers.
func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, col := range b.Columns() {
		n += dataBytes(col.Data())
	}
	return n
}

func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, buf := range d.Buffers() {
		if buf != nil {
			n += int64(buf.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataBytes(c)
	}
	// Dictionary returns a typed nil for arrays without one.
	if dict, ok := d.Dictionary().(*array.Data); ok && dict != nil {
		n += dataBytes(dict)
	}
	return n
}
