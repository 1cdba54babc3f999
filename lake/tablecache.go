package lake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/errkind"
)

// DefaultMaxStaleness bounds how old a cached table may be when another
// process (or this server's Iceberg REST endpoint) committed to it. Commits
// made through this warehouse's catalog are seen at once.
const DefaultMaxStaleness = 100 * time.Millisecond

// TableCache holds loaded tables for query planning, so that a query does
// not pay a catalog round trip plus a metadata JSON parse per table.
//
// Freshness: every commit, create, drop or rename through this warehouse's
// catalog invalidates its entry before returning, so this process reads its
// own commits. Changes made elsewhere are picked up by a check done at most
// every maxStale per table: for a SQL catalog one indexed read of the
// metadata_location pointer (the full metadata is loaded only when it
// moved). With a REST catalog every Load reloads (commits through it are
// not seen by the invalidation). A cached table is a whole metadata
// version, so a query never sees part of a commit.
//
// Tables handed out are shared: callers must treat them as read-only.
type TableCache struct {
	w        *Warehouse
	maxStale time.Duration
	pointer  func(ctx context.Context, id table.Identifier) (string, error) // nil: no cheap check

	mu sync.Mutex
	m  map[string]*cachedTable

	hits, loads, checks atomic.Int64
}

type cachedTable struct {
	refresh sync.Mutex // one refresher at a time
	tbl     atomic.Pointer[table.Table]
	checked atomic.Int64  // UnixNano when tbl was last known current; 0 = check due
	gen     atomic.Uint64 // bumped by Invalidate, so a refresh racing a commit does not mark a stale table current
}

// TableCacheStats are a TableCache's counters since it was created.
type TableCacheStats struct {
	Hits   int64 // served from memory without a check
	Checks int64 // freshness checks that found the cached table current
	Loads  int64 // full metadata loads
}

func newTableCache(w *Warehouse, maxStale time.Duration) *TableCache {
	c := &TableCache{w: w, maxStale: maxStale, m: map[string]*cachedTable{}}
	if cdb, ok := w.CatalogDB(); ok {
		c.pointer = pointerReader(cdb)
	} else {
		// Commits through a REST catalog do not pass ownedCatalog's
		// notification, so this process could miss its own: reload always.
		c.maxStale = 0
	}
	return c
}

// Tables is the warehouse's table cache.
func (w *Warehouse) Tables() *TableCache { return w.tables }

// SetMaxStaleness changes the bound on staleness for changes made outside
// this warehouse's catalog; 0 checks on every Load.
func (c *TableCache) SetMaxStaleness(d time.Duration) {
	c.mu.Lock()
	c.maxStale = d
	c.mu.Unlock()
}

// Stats returns the counters.
func (c *TableCache) Stats() TableCacheStats {
	return TableCacheStats{Hits: c.hits.Load(), Checks: c.checks.Load(), Loads: c.loads.Load()}
}

// Load returns table id, current within the staleness bound.
func (c *TableCache) Load(ctx context.Context, id table.Identifier) (*table.Table, error) {
	key := strings.Join(id, ".")
	c.mu.Lock()
	e := c.m[key]
	if e == nil {
		e = &cachedTable{}
		c.m[key] = e
	}
	maxStale := c.maxStale
	c.mu.Unlock()

	// Fast path: checked recently enough.
	if t, ok := e.current(maxStale); ok {
		c.hits.Add(1)
		return t, nil
	}
	// Slow path: one goroutine checks; the others wait for its answer.
	e.refresh.Lock()
	defer e.refresh.Unlock()
	if t, ok := e.current(maxStale); ok {
		c.hits.Add(1)
		return t, nil
	}
	gen := e.gen.Load()
	start := time.Now().UnixNano()
	if t := e.tbl.Load(); t != nil && c.pointer != nil {
		loc, err := c.pointer(ctx, id)
		if err != nil {
			c.forget(key, e, err)
			return nil, err
		}
		if loc == t.MetadataLocation() {
			c.checks.Add(1)
			e.markChecked(gen, start)
			return t, nil
		}
	}
	t, err := c.w.cat.LoadTable(ctx, id)
	if err != nil {
		c.forget(key, e, err)
		return nil, err
	}
	c.loads.Add(1)
	e.tbl.Store(t)
	e.markChecked(gen, start)
	return t, nil
}

// Invalidate makes the next Load of id check the catalog.
func (c *TableCache) Invalidate(id table.Identifier) {
	c.mu.Lock()
	e := c.m[strings.Join(id, ".")]
	c.mu.Unlock()
	if e != nil {
		e.gen.Add(1)
		e.checked.Store(0)
	}
}

// forget drops the entry of a table that no longer exists.
func (c *TableCache) forget(key string, e *cachedTable, err error) {
	if !errors.Is(err, catalog.ErrNoSuchTable) && !errors.Is(err, catalog.ErrNoSuchNamespace) {
		return
	}
	c.mu.Lock()
	if c.m[key] == e {
		delete(c.m, key)
	}
	c.mu.Unlock()
}

func (e *cachedTable) current(maxStale time.Duration) (*table.Table, bool) {
	t := e.tbl.Load()
	checked := e.checked.Load()
	if t == nil || checked == 0 || time.Now().UnixNano()-checked >= int64(maxStale) {
		return nil, false
	}
	return t, true
}

// markChecked records that the table was current at start, unless an
// invalidation came in between.
func (e *cachedTable) markChecked(gen uint64, start int64) {
	if e.gen.Load() == gen {
		e.checked.Store(start)
	}
}

// pointerReader reads a table's metadata_location from the Iceberg JDBC
// catalog layout that iceberg-go's SQL catalog uses.
func pointerReader(cdb CatalogDB) func(context.Context, table.Identifier) (string, error) {
	q := `SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`
	if cdb.Dialect == "postgres" {
		q = `SELECT metadata_location FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3`
	}
	return func(ctx context.Context, id table.Identifier) (string, error) {
		var loc sql.NullString
		err := cdb.DB.QueryRowContext(ctx, q, cdb.Name, strings.Join(id[:len(id)-1], "."), id[len(id)-1]).Scan(&loc)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, strings.Join(id, "."))
		}
		if err != nil {
			// A read that changes nothing: safe to retry.
			return "", errkind.Errorf(errkind.Retryable, "checking table %s: %w", strings.Join(id, "."), err)
		}
		return loc.String, nil
	}
}
