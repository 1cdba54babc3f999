package olap

import (
	"container/list"
	"sync"
)

// lru is a map bounded by the summed cost of its values (bytes, or 1 per
// entry), evicting the least recently used. evicted is called, outside the
// lock, for every value that leaves the map (evicted, replaced or removed).
// Safe for concurrent use.
type lru[V any] struct {
	mu      sync.Mutex
	max     int64
	used    int64
	order   *list.List // front = most recent; elements hold *lruEntry[V]
	m       map[string]*list.Element
	evicted func(v V, byPressure bool)
}

type lruEntry[V any] struct {
	key  string
	v    V
	cost int64
}

func newLRU[V any](max int64, evicted func(v V, byPressure bool)) *lru[V] {
	return &lru[V]{max: max, order: list.New(), m: map[string]*list.Element{}, evicted: evicted}
}

// get finds key and, when found, calls use with its value under the lock,
// so that use may take a reference before an eviction drops the cache's.
func (c *lru[V]) get(key string, use func(V)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		return false
	}
	c.order.MoveToFront(el)
	use(el.Value.(*lruEntry[V]).v)
	return true
}

// put stores v under key unless cost alone is over the bound; ok says
// whether it was stored.
func (c *lru[V]) put(key string, v V, cost int64) (ok bool) {
	if cost > c.max {
		return false
	}
	var gone []V
	var pressure []V
	c.mu.Lock()
	if el, dup := c.m[key]; dup {
		e := el.Value.(*lruEntry[V])
		c.used -= e.cost
		c.order.Remove(el)
		delete(c.m, key)
		gone = append(gone, e.v)
	}
	c.m[key] = c.order.PushFront(&lruEntry[V]{key: key, v: v, cost: cost})
	c.used += cost
	for c.used > c.max {
		el := c.order.Back()
		e := el.Value.(*lruEntry[V])
		c.order.Remove(el)
		delete(c.m, e.key)
		c.used -= e.cost
		pressure = append(pressure, e.v)
	}
	c.mu.Unlock()
	c.notify(gone, false)
	c.notify(pressure, true)
	return true
}

func (c *lru[V]) remove(key string) {
	c.mu.Lock()
	el, ok := c.m[key]
	if ok {
		c.order.Remove(el)
		delete(c.m, key)
		c.used -= el.Value.(*lruEntry[V]).cost
	}
	c.mu.Unlock()
	if ok {
		c.notify([]V{el.Value.(*lruEntry[V]).v}, false)
	}
}

// size is the summed cost and the number of entries.
func (c *lru[V]) size() (int64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, len(c.m)
}

func (c *lru[V]) notify(vs []V, byPressure bool) {
	if c.evicted == nil {
		return
	}
	for _, v := range vs {
		c.evicted(v, byPressure)
	}
}
