// Package load is the OLAP load benchmark (issue 5): a mix of per-key
// lookups and small aggregations over a generated events table, sent by many
// clients at once to wharf serve (through cmd/loadgen, a separate process)
// and to DuckDB over the same Parquet files.
//
// This file is what both sides share: the table's contents (a pure function
// of the row id, so any answer can be checked without a second engine), the
// query mix, and the driver that runs a mix for a bounded time and reports
// QPS and latency percentiles.
package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The events table. Rows are written in id order, so per-file min/max
// statistics on id let a lookup prune every data file but one.
const (
	Table = "events"
	DDL   = `CREATE TABLE events (
  id BIGINT NOT NULL,
  user_id BIGINT,
  url STRING,
  status INT,
  bytes BIGINT,
  ts TIMESTAMP(3)
)`
	// AggSpan is the width of an aggregation's id range (BETWEEN lo AND lo+AggSpan).
	AggSpan = 1000
	// TsBase is the timestamp of row 0 (2026-11-01T00:00:00Z) in microseconds;
	// row id is TsBase + id milliseconds.
	TsBase = 1_793_491_200_000_000
)

var statuses = [...]int32{200, 200, 200, 200, 200, 200, 200, 301, 304, 404, 500, 503}

// mix64 is SplitMix64's finalizer: a cheap, well-spread hash of the id.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Row is one event.
type Row struct {
	ID, UserID, Bytes int64
	URL               string
	Status            int32
	TsMicros          int64
}

// RowOf returns the event with the given id.
func RowOf(id int64) Row {
	h := mix64(uint64(id))
	return Row{
		ID:       id,
		UserID:   int64(h % 1_000_000),
		URL:      "/p/" + strconv.FormatUint((h>>20)%5000, 10),
		Status:   statuses[(h>>40)%uint64(len(statuses))],
		Bytes:    int64((h >> 8) % 100_000),
		TsMicros: TsBase + id*1000,
	}
}

// Kind is a query's shape.
type Kind int

const (
	Lookup Kind = iota // SELECT * … WHERE id = k
	Agg                // SELECT status, COUNT(*) … WHERE id BETWEEN lo AND lo+AggSpan GROUP BY status
)

// Query is one statement of the mix; Key is the id looked up or the low end
// of the aggregated range.
type Query struct {
	Kind Kind
	Key  int64
}

// SQL is the statement's text (literal keys: it is what a client sends).
func (q Query) SQL() string {
	if q.Kind == Lookup {
		return "SELECT id, user_id, url, status, bytes FROM events WHERE id = " + strconv.FormatInt(q.Key, 10)
	}
	return fmt.Sprintf("SELECT status, COUNT(*) AS n FROM events WHERE id BETWEEN %d AND %d GROUP BY status", q.Key, q.Key+AggSpan)
}

// Check compares an answer, each value as its text, with what the table
// holds; rows may come in any order.
func (q Query) Check(rows [][]string, tableRows int64) error {
	if q.Kind == Lookup {
		if q.Key >= tableRows {
			if len(rows) != 0 {
				return fmt.Errorf("id %d: %d rows, want none", q.Key, len(rows))
			}
			return nil
		}
		r := RowOf(q.Key)
		want := []string{strconv.FormatInt(r.ID, 10), strconv.FormatInt(r.UserID, 10), r.URL,
			strconv.Itoa(int(r.Status)), strconv.FormatInt(r.Bytes, 10)}
		if len(rows) != 1 || !slices.Equal(rows[0], want) {
			return fmt.Errorf("id %d: got %q, want [%q]", q.Key, rows, want)
		}
		return nil
	}
	want := aggOf(q.Key, tableRows)
	got := map[string]int64{}
	for _, r := range rows {
		if len(r) != 2 {
			return fmt.Errorf("range %d: row %q has %d columns, want 2", q.Key, r, len(r))
		}
		n, err := strconv.ParseInt(r[1], 10, 64)
		if err != nil {
			return fmt.Errorf("range %d: count %q: %w", q.Key, r[1], err)
		}
		got[r[0]] += n
	}
	if len(got) != len(want) {
		return fmt.Errorf("range %d: got %v, want %v", q.Key, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			return fmt.Errorf("range %d: got %v, want %v", q.Key, got, want)
		}
	}
	return nil
}

// aggOf is the answer to the aggregation over [lo, lo+AggSpan]: count by
// status, as text. Hot mixes ask the same ranges again and again, so
// answers are kept (up to maxAggs of them; callers must not modify one).
func aggOf(lo, tableRows int64) map[string]int64 {
	key := [2]int64{lo, tableRows}
	if v, ok := aggs.Load(key); ok {
		return v.(map[string]int64)
	}
	want := map[string]int64{}
	for id := lo; id <= min(lo+AggSpan, tableRows-1); id++ {
		want[strconv.Itoa(int(RowOf(id).Status))]++
	}
	if aggsKept.Add(1) <= maxAggs {
		aggs.Store(key, want)
	}
	return want
}

const maxAggs = 1 << 14

var (
	aggs     sync.Map // [2]int64{lo, tableRows} → map[string]int64
	aggsKept atomic.Int64
)

// Mix draws queries: a lookup with probability 1-AggShare, else an
// aggregation; keys uniform over the whole table, or over Hot keys spread
// evenly across it (few enough distinct statements for a result cache).
type Mix struct {
	Rows     int64
	Hot      int64 // 0: the whole id range
	AggShare float64
}

// Next draws one query.
func (m Mix) Next(rng *rand.Rand) Query {
	kind := Lookup
	if rng.Float64() < m.AggShare {
		kind = Agg
	}
	if m.Hot > 0 {
		return Query{Kind: kind, Key: rng.Int64N(m.Hot) * (m.Rows / m.Hot)}
	}
	return Query{Kind: kind, Key: rng.Int64N(m.Rows)}
}

// All returns every distinct query of a hot mix (nil for a uniform one):
// running them once fills a result cache.
func (m Mix) All() []Query {
	if m.Hot <= 0 {
		return nil
	}
	qs := make([]Query, 0, 2*m.Hot)
	for i := range m.Hot {
		k := i * (m.Rows / m.Hot)
		qs = append(qs, Query{Kind: Lookup, Key: k}, Query{Kind: Agg, Key: k})
	}
	return qs
}

// Do runs one query and returns its rows as text; an error wrapping
// ErrRejected means admission control refused it (HTTP 429).
type Do func(ctx context.Context, q Query) ([][]string, error)

// ErrRejected is an engine's "overloaded, retry later".
var ErrRejected = errors.New("rejected by admission control")

// Report is one scenario's figures.
type Report struct {
	Name     string  `json:"name"`
	Conns    int     `json:"conns"`
	Seconds  float64 `json:"seconds"`
	Requests int64   `json:"requests"`
	Lookups  int64   `json:"lookups"`
	Aggs     int64   `json:"aggs"`
	Errors   int64   `json:"errors"`   // failed, other than Rejected
	Rejected int64   `json:"rejected"` // refused by admission control
	Wrong    int64   `json:"wrong"`    // answered, but not what the table holds
	// QPS and the latencies count right answers only: a refusal is quick
	// and would flatter both.
	QPS   float64 `json:"qps"`
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
	// FirstError is the first error or wrong answer seen, for diagnosis.
	FirstError string `json:"first_error,omitempty"`
	// CacheHits and CacheMisses are the server's result cache lookups
	// during the scenario (warm-up included), from its /metrics; the
	// harness fills them in, not the clients.
	CacheHits   int64 `json:"server_cache_hits,omitempty"`
	CacheMisses int64 `json:"server_cache_misses,omitempty"`
}

// Warm runs every query of qs once, conns at a time, and returns the first
// error; a hot mix measured after it reads from a full result cache. A
// refused query is retried after a pause, for up to a minute.
func Warm(ctx context.Context, conns int, qs []Query, do Do) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan Query)
	)
	for range conns {
		wg.Go(func() {
			for q := range next {
				_, err := do(ctx, q)
				for give := time.Now().Add(time.Minute); errors.Is(err, ErrRejected) && time.Now().Before(give); {
					time.Sleep(20 * time.Millisecond)
					_, err = do(ctx, q)
				}
				if err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, q := range qs {
		next <- q
	}
	close(next)
	wg.Wait()
	return first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Run sends mix's queries from conns workers, each waiting for its answer
// before the next (closed loop), for d, checking every answer, and reports.
func Run(ctx context.Context, name string, conns int, d time.Duration, mix Mix, seed uint64, do Do) Report {
	type worker struct {
		lat                     []time.Duration
		requests, lookups, aggs int64
		errors, rejected, wrong int64
		firstErr                error
	}
	ws := make([]worker, conns)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range ws {
		w := &ws[i]
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				q := mix.Next(rng)
				t0 := time.Now()
				rows, err := do(ctx, q)
				took := time.Since(t0)
				w.requests++
				if q.Kind == Lookup {
					w.lookups++
				} else {
					w.aggs++
				}
				switch {
				case errors.Is(err, ErrRejected):
					w.rejected++
					w.firstErr = cmpOr(w.firstErr, err)
				case err != nil:
					w.errors++
					w.firstErr = cmpOr(w.firstErr, err)
				default:
					if err := q.Check(rows, mix.Rows); err != nil {
						w.wrong++
						w.firstErr = cmpOr(w.firstErr, err)
						continue
					}
					w.lat = append(w.lat, took)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := Report{Name: name, Conns: conns, Seconds: elapsed.Seconds()}
	var lat []time.Duration
	for _, w := range ws {
		lat = append(lat, w.lat...)
		r.Requests += w.requests
		r.Rejected += w.rejected
		r.Lookups += w.lookups
		r.Aggs += w.aggs
		r.Errors += w.errors
		r.Wrong += w.wrong
		if r.FirstError == "" && w.firstErr != nil {
			r.FirstError = w.firstErr.Error()
		}
	}
	r.QPS = float64(len(lat)) / elapsed.Seconds()
	if len(lat) > 0 {
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		r.P50ms = ms(lat[len(lat)/2])
		r.P99ms = ms(lat[min(len(lat)-1, len(lat)*99/100)])
		r.MaxMs = ms(lat[len(lat)-1])
	}
	return r
}
