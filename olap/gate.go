// Package olap serves interactive queries to many clients at once: every
// statement of the HTTP API and of the ClickHouse front ends passes one
// Gate, which reuses prepared plans, answers repeated SELECTs from a result
// cache keyed by the snapshots they read, and admits the rest through
// admission control (two lanes, queue bounds, time and memory limits).
package olap

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/lake"
)

// Config tunes a Gate; zero fields take the defaults of DefaultConfig.
type Config struct {
	Small, Heavy LaneLimits
	// HeavyBytes classifies SELECTs: one that read more than this many
	// bytes of data files (after pruning) on its previous run goes to the
	// heavy lane; on its first run, the unpruned size of its tables counts.
	HeavyBytes       int64
	ResultCacheBytes int64 // 0 = DefaultConfig's; negative = no result cache
	PreparedEntries  int   // prepared SELECTs kept
	// FooterCacheBytes re-bounds the process's cache of parsed Parquet
	// footers and page indexes (lake.Footers); 0 keeps
	// lake.DefaultFooterCacheBytes.
	FooterCacheBytes int64
	// PageCacheBytes re-bounds the process's cache of decoded Parquet
	// pages (lake.SetPageCacheBytes); 0 keeps lake.DefaultPageCacheBytes,
	// negative turns it off.
	PageCacheBytes int64
	// ReaderFiles is how many data files the filter-first reader reads at
	// once per scan (lake.SetReaderFiles); 0 keeps GOMAXPROCS. Each file in
	// flight holds a few decoded row groups.
	ReaderFiles int
}

// DefaultConfig sizes the lanes for this machine: small queries are short
// and mostly wait on memory, so several per core; heavy ones get half the
// cores between them.
func DefaultConfig() Config {
	cpus := runtime.GOMAXPROCS(0)
	return Config{
		Small:            LaneLimits{Concurrency: 4 * cpus, Queue: 1024, MaxWait: 5 * time.Second, Timeout: 30 * time.Second},
		Heavy:            LaneLimits{Concurrency: max(1, cpus/2), Queue: 32, MaxWait: 30 * time.Second, Timeout: 5 * time.Minute},
		HeavyBytes:       64 << 20,
		ResultCacheBytes: 256 << 20,
		PreparedEntries:  4096,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Small == (LaneLimits{}) {
		c.Small = d.Small
	}
	if c.Heavy == (LaneLimits{}) {
		c.Heavy = d.Heavy
	}
	if c.HeavyBytes == 0 {
		c.HeavyBytes = d.HeavyBytes
	}
	if c.ResultCacheBytes == 0 {
		c.ResultCacheBytes = d.ResultCacheBytes
	}
	if c.PreparedEntries == 0 {
		c.PreparedEntries = d.PreparedEntries
	}
	return c
}

// Gate wraps a session for the front ends: it is their Backend (the
// session's other methods pass through). Safe for concurrent use.
type Gate struct {
	*session.Session
	cfg      Config
	lanes    [2]*lane
	results  *resultCache // nil when disabled
	prepared *lru[*preparedEntry]
	flights  flights
	m        *metrics
}

// flights are the result cache misses being computed, by key.
type flights struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// join returns the channel closed when key's computation ends; leader is
// true for the caller that must compute it (and then call done).
func (f *flights) join(key string) (wait chan struct{}, leader bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.m[key]; ok {
		return ch, false
	}
	if f.m == nil {
		f.m = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	f.m[key] = ch
	return ch, true
}

func (f *flights) done(key string, ch chan struct{}) {
	f.mu.Lock()
	delete(f.m, key)
	f.mu.Unlock()
	close(ch)
}

// preparedEntry is a reusable plan and what the gate learned running it.
type preparedEntry struct {
	p   *session.Prepared
	q   *sql.Query // as parsed, for the positions of errors
	key string     // result cache key: the text and every pin
	// scanned is the bytes the last run read after pruning (-1 = not run yet).
	scanned atomic.Int64
}

// Option configures a Gate.
type Option func(*gateOptions)

type gateOptions struct {
	cfg Config
	reg prometheus.Registerer
}

// WithConfig sets the limits and cache sizes.
func WithConfig(c Config) Option { return func(o *gateOptions) { o.cfg = c } }

// WithRegisterer registers the gate's metrics with r (default: a private
// registry nobody scrapes).
func WithRegisterer(r prometheus.Registerer) Option { return func(o *gateOptions) { o.reg = r } }

// New returns a gate over s, whose warehouse's table cache it reports on.
func New(s *session.Session, opts ...Option) *Gate {
	o := gateOptions{}
	for _, f := range opts {
		f(&o)
	}
	if o.reg == nil {
		o.reg = prometheus.NewRegistry()
	}
	g := &Gate{Session: s, cfg: o.cfg.withDefaults()}
	if g.cfg.FooterCacheBytes > 0 {
		lake.SetFooterCacheBytes(g.cfg.FooterCacheBytes)
	}
	if g.cfg.PageCacheBytes != 0 {
		lake.SetPageCacheBytes(g.cfg.PageCacheBytes) // negative: 0, off
	}
	if g.cfg.ReaderFiles > 0 {
		lake.SetReaderFiles(g.cfg.ReaderFiles)
	}
	g.m = newMetrics(o.reg, func() *resultCache { return g.results }, s.Warehouse().Tables(), s.Warehouse().Manifests(), s.Warehouse().Footers(), s.Warehouse().Pages())
	g.lanes[LaneSmall] = newLane(LaneSmall, g.cfg.Small, g.m.lanes[LaneSmall])
	g.lanes[LaneHeavy] = newLane(LaneHeavy, g.cfg.Heavy, g.m.lanes[LaneHeavy])
	g.results = newResultCache(max(0, g.cfg.ResultCacheBytes), g.m)
	g.prepared = newLRU[*preparedEntry](int64(g.cfg.PreparedEntries), nil)
	return g
}

// Exec runs one statement: parsed once, a SELECT answered from the result
// cache when its tables have not changed, anything else admitted to a lane
// and run under that lane's time limit and the session's memory budget.
// A SELECT whose exact text ran before skips the parser: on a cache hit,
// parsing and printing the text was most of the gate's cost.
func (g *Gate) Exec(ctx context.Context, text string, readOnly bool) (*session.Result, error) {
	start := time.Now()
	tkey := textKey + preparedKey(ctx, text)
	e, cur, err := g.lookup(ctx, tkey)
	if err != nil {
		return nil, session.Classify(err, e.q)
	}
	if cur {
		g.m.preparedHits.Inc()
	} else {
		stmt, err := session.Parse(text)
		if err != nil {
			return nil, err
		}
		q, ok := stmt.(*sql.Query)
		if !ok {
			ln := LaneSmall
			if _, insert := stmt.(*sql.Insert); insert {
				ln = LaneHeavy
			}
			return g.admitted(ctx, ln, "none", start, func(ctx context.Context) (*session.Result, error) {
				return g.ExecStatement(ctx, stmt, readOnly, start)
			})
		}
		if e, err = g.prepare(ctx, q); err != nil {
			return nil, session.Classify(err, q)
		}
		if e.p.LakeOnly {
			g.prepared.put(tkey, e, 1)
		}
	}
	ln := g.laneOf(e)
	cacheable := e.key != "" && g.cfg.ResultCacheBytes > 0
	if cacheable {
		if res := g.results.get(e.key); res != nil {
			return g.hit(ln, res, start), nil
		}
	}
	outcome := "none"
	if cacheable {
		outcome = "miss"
		// After a commit every client misses at once: one runs the
		// statement, the others wait for its result instead of each
		// scanning the same snapshot.
		wait, leader := g.flights.join(e.key)
		if leader {
			defer g.flights.done(e.key, wait)
		} else {
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if res := g.results.get(e.key); res != nil {
				return g.hit(ln, res, start), nil
			}
		}
	}
	return g.admitted(ctx, ln, outcome, start, func(ctx context.Context) (*session.Result, error) {
		res, err := g.Run(ctx, e.p)
		if err != nil {
			return nil, session.Classify(err, e.q)
		}
		e.scanned.Store(res.Stats.BytesScanned)
		if cacheable {
			g.results.put(e.key, res)
		}
		res.Stats.Elapsed = time.Since(start)
		return res, nil
	})
}

// hit answers from the result cache.
func (g *Gate) hit(ln Lane, res *session.Result, start time.Time) *session.Result {
	res.Stats.Elapsed = time.Since(start)
	g.m.hitDuration[ln].Observe(res.Stats.Elapsed.Seconds())
	return res
}

// admitted runs f in lane ln under the lane's time limit.
func (g *Gate) admitted(ctx context.Context, ln Lane, cache string, start time.Time, f func(context.Context) (*session.Result, error)) (*session.Result, error) {
	l := g.lanes[ln]
	release, err := l.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if l.limits.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.limits.Timeout)
		defer cancel()
	}
	res, err := f(ctx)
	g.m.duration.WithLabelValues(ln.String(), cache).Observe(time.Since(start).Seconds())
	return res, err
}

// Keys of the prepared plans: a SELECT's text as the parser prints it, and
// (textKey and) its text as sent, both under the call's database, in which
// one-part names resolve. Spellings of one statement share a plan.
const textKey = "\x01" // no printed text starts with it

func preparedKey(ctx context.Context, text string) string {
	if db := session.Database(ctx); db != lake.DefaultNamespace {
		return db + "\x00" + text // no text starts with a database name and a NUL
	}
	return text
}

// lookup finds the prepared entry under key; cur is false when there is
// none or its tables moved on since it was planned.
func (g *Gate) lookup(ctx context.Context, key string) (e *preparedEntry, cur bool, err error) {
	g.prepared.get(key, func(v *preparedEntry) { e = v })
	if e == nil {
		return nil, false, nil
	}
	cur, err = g.Current(ctx, e.p)
	return e, cur, err
}

// prepare returns the statement's prepared entry: the cached one while its
// tables are current, else a new plan (kept when it can be reused).
func (g *Gate) prepare(ctx context.Context, q *sql.Query) (*preparedEntry, error) {
	key := preparedKey(ctx, q.String())
	e, cur, err := g.lookup(ctx, key)
	if err != nil {
		return nil, err
	}
	if cur {
		g.m.preparedHits.Inc()
		return e, nil
	}
	if e != nil {
		// A table moved on: the results keyed by the old snapshots will not
		// be asked for again.
		g.results.remove(e.key)
	}
	g.m.preparedMisses.Inc()
	p, err := g.Prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	ne := &preparedEntry{p: p, q: q}
	ne.scanned.Store(-1)
	if p.LakeOnly {
		if p.Cacheable() {
			ne.key = resultKey(p)
		}
		if e != nil {
			ne.scanned.Store(e.scanned.Load()) // the best guess until it runs
		}
		g.prepared.put(key, ne, 1)
	}
	return ne, nil
}

// resultKey is the statement text and, per table read, its identifier,
// snapshot and schema (a schema change keeps the snapshot).
func resultKey(p *session.Prepared) string {
	var b strings.Builder
	b.WriteString(p.Text)
	for _, pin := range p.Pins {
		b.WriteByte(0)
		b.WriteString(strings.Join(pin.Ident, "."))
		b.WriteByte('@')
		b.WriteString(strconv.FormatInt(pin.SnapshotID, 10))
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(pin.SchemaID))
	}
	return b.String()
}

// laneOf classifies a SELECT by the bytes it read last time, or, before its
// first run, by the size of its tables. Bytes after pruning say what a run
// costs independently of the load at the time, unlike its duration, which
// grows with contention and would push small queries into the heavy lane
// exactly when the server is busy.
func (g *Gate) laneOf(e *preparedEntry) Lane {
	bytes := e.scanned.Load()
	if bytes < 0 {
		bytes = e.p.EstimatedBytes()
	}
	if bytes > g.cfg.HeavyBytes {
		return LaneHeavy
	}
	return LaneSmall
}
