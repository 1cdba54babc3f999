package lake

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// A cacheEntry is a value a byteLRU holds: it names its key and what it
// costs in memory.
type cacheEntry interface {
	key() any
	size() int64
}

// A byteLRU is the core of the footer and page caches: entries bounded by
// the sum of their sizes, evicting the least recently used, with hit, miss
// and eviction counters (the caller counts hits and misses, as it alone
// knows what a lookup is). taken, when set, is called under the lock for
// each entry get returns, and dropped for each entry the cache lets go of
// (evicted, or refused by put), so that reference-counted entries are
// retained before a concurrent eviction can release them. Safe for
// concurrent use.
type byteLRU[E cacheEntry] struct {
	mu      sync.Mutex
	max     int64
	used    int64
	order   *list.List // front = most recent; elements hold E
	m       map[any]*list.Element
	counted int64 // entries count says to count (CacheStats.Files)
	count   func(E) bool
	taken   func(E) // nil: nothing to do
	dropped func(E) // nil: nothing to do

	hits, misses, evictions atomic.Int64
}

func newByteLRU[E cacheEntry](maxBytes int64, count func(E) bool) *byteLRU[E] {
	return &byteLRU[E]{max: maxBytes, order: list.New(), m: map[any]*list.Element{}, count: count}
}

// stats returns the counters and what is held.
func (c *byteLRU[E]) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
		Bytes: c.used, Files: c.counted}
}

// limit returns the bound.
func (c *byteLRU[E]) limit() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max
}

func (c *byteLRU[E]) resize(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = n
	c.evict()
}

// get returns the entry under k and marks it the most recent.
func (c *byteLRU[E]) get(k any) (E, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[k]
	if !ok {
		var zero E
		return zero, false
	}
	c.order.MoveToFront(el)
	e := el.Value.(E)
	if c.taken != nil {
		c.taken(e)
	}
	return e, true
}

// room returns the bytes free under the bound.
func (c *byteLRU[E]) room() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max - c.used
}

// put stores e unless its key is held (a concurrent miss stored it first:
// the values are equal, keep that one) or it alone is over the bound; the
// cache owns e either way (dropped is called on a refused one).
func (c *byteLRU[E]) put(e E) { c.store(e, false) }

// putInRoom stores e as put does, but only if it fits beside what is held:
// it evicts nothing.
func (c *byteLRU[E]) putInRoom(e E) { c.store(e, true) }

func (c *byteLRU[E]) store(e E, inRoom bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	bound := c.max
	if inRoom {
		bound -= c.used
	}
	if _, dup := c.m[e.key()]; dup || e.size() > bound {
		if c.dropped != nil {
			c.dropped(e)
		}
		return
	}
	c.m[e.key()] = c.order.PushFront(e)
	c.used += e.size()
	if c.count(e) {
		c.counted++
	}
	c.evict()
}

func (c *byteLRU[E]) evict() {
	for c.used > c.max {
		el := c.order.Back()
		e := el.Value.(E)
		c.order.Remove(el)
		delete(c.m, e.key())
		c.used -= e.size()
		if c.count(e) {
			c.counted--
		}
		c.evictions.Add(1)
		if c.dropped != nil {
			c.dropped(e)
		}
	}
}
