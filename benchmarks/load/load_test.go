package load

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// loadRows is the table size: $WHARF_LOAD_ROWS, else def (small for the
// harness test, 10M for the benchmark).
func loadRows(def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv("WHARF_LOAD_ROWS"), 10, 64); err == nil && n > 0 {
		return n
	}
	return def
}

// cacheRoot is where generated warehouses are kept between runs.
func cacheRoot(tb testing.TB) string {
	if d := os.Getenv("WHARF_LOAD_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(home, ".cache", "wharf", "bench")
}

const conns = 64

// scenario is one measured run: against the server (through loadgen) or
// against DuckDB in this process.
type scenario struct {
	name string
	hot  int64 // 0: keys over the whole table
	duck bool
}

// scenarios are the runs, cached ones over hot keys: that many lookups and
// as many aggregations, few enough for the result cache to hold them all
// (1,000 in the benchmark).
func scenarios(hot int64) []scenario {
	return []scenario{
		{name: "wharf-cached", hot: hot},
		{name: "wharf-uncached"},
		{name: "duckdb-hot", hot: hot, duck: true},
		{name: "duckdb-uniform", duck: true},
	}
}

// runAll generates (or reuses) the table, starts wharf serve, and runs every
// scenario for d each after warm-up w.
func runAll(ctx context.Context, tb testing.TB, rows, hot int64, d, w time.Duration) []Report {
	wh, err := cachedWarehouse(ctx, cacheRoot(tb), rows, filesPerTable())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("warehouse %s: %d rows in %d files (generated in %.1fs)", wh.Dir, wh.Rows, len(wh.Files), wh.Gen)
	wharfBin, loadgenBin, err := binaries(ctx, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := startServer(wharfBin, wh.Dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer srv.stop()
	duck, err := openDuck(ctx, wh.Files, conns)
	if err != nil {
		tb.Fatal(err)
	}
	defer duck.Close()
	var reports []Report
	for _, sc := range scenarios(hot) {
		var r Report
		if sc.duck {
			mix := Mix{Rows: rows, Hot: sc.hot, AggShare: 0.2}
			if err := Warm(ctx, conns, mix.All(), duckDo(duck)); err != nil {
				tb.Fatal(err)
			}
			Run(ctx, "warmup", conns, w, mix, 2, duckDo(duck))
			r = Run(ctx, sc.name, conns, d, mix, 1, duckDo(duck))
		} else {
			r, err = runLoadgen(ctx, loadgenBin, srv, loadParams{name: sc.name, rows: rows, hot: sc.hot, conns: conns, duration: d, warmup: w})
			if err != nil {
				tb.Fatal(err)
			}
		}
		raw, _ := json.Marshal(r)
		tb.Logf("%s", raw)
		reports = append(reports, r)
	}
	return reports
}

// TestHarness checks that the benchmark measures what it claims, on a small
// table: every answer of every scenario is checked against the generator
// (none wrong, no errors), the cached scenario is answered from the server's
// result cache and the uncached one is not.
func TestHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wharf and runs a server")
	}
	const hot = 100
	rows := loadRows(200_000)
	for _, r := range runAll(t.Context(), t, rows, hot, time.Second, 200*time.Millisecond) {
		if r.Requests == 0 || r.Lookups == 0 || r.Aggs == 0 {
			t.Errorf("%s: %d requests (%d lookups, %d aggregations), want some of each", r.Name, r.Requests, r.Lookups, r.Aggs)
		}
		if r.Errors != 0 || r.Wrong != 0 {
			t.Errorf("%s: %d errors, %d wrong answers; first: %s", r.Name, r.Errors, r.Wrong, r.FirstError)
		}
		switch r.Name {
		case "wharf-cached":
			// Only the warm-up pass over the 2,000 distinct statements misses.
			if r.CacheMisses > 2*hot || r.CacheHits < r.Requests {
				t.Errorf("%s: %d cache hits, %d misses for %d requests: not served from the cache", r.Name, r.CacheHits, r.CacheMisses, r.Requests)
			}
		case "wharf-uncached":
			if r.CacheMisses < r.Requests*9/10 {
				t.Errorf("%s: %d cache misses for %d requests: mostly cached", r.Name, r.CacheMisses, r.Requests)
			}
		}
	}
}

// TestCheck pins the answer checker: it must reject what is not in the table.
func TestCheck(t *testing.T) {
	r := RowOf(7)
	good := [][]string{{"7", strconv.FormatInt(r.UserID, 10), r.URL, strconv.Itoa(int(r.Status)), strconv.FormatInt(r.Bytes, 10)}}
	tests := []struct {
		name string
		q    Query
		rows [][]string
		ok   bool
	}{
		{"lookup", Query{Lookup, 7}, good, true},
		{"lookup wrong url", Query{Lookup, 7}, [][]string{{good[0][0], good[0][1], "/p/x", good[0][3], good[0][4]}}, false},
		{"lookup twice", Query{Lookup, 7}, append(good, good[0]), false},
		{"lookup missing", Query{Lookup, 7}, nil, false},
		{"lookup past the end", Query{Lookup, 100}, nil, true},
		{"agg empty", Query{Agg, 0}, nil, false},
		{"agg short", Query{Agg, 0}, [][]string{{"200", "1"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.q.Check(tt.rows, 100); (err == nil) != tt.ok {
				t.Errorf("Check = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	// The right aggregation passes, whatever the row order.
	counts := map[int32]int{}
	for id := int64(0); id < 100; id++ {
		counts[RowOf(id).Status]++
	}
	var rows [][]string
	for s, n := range counts {
		rows = append(rows, []string{strconv.Itoa(int(s)), strconv.Itoa(n)})
	}
	if err := (Query{Agg, 0}).Check(rows, 100); err != nil {
		t.Errorf("agg: %v", err)
	}
}

// BenchmarkLoad is the load benchmark of issue 5: 64 closed-loop clients,
// 80% lookups and 20% aggregations, against wharf serve (clients in the
// loadgen process, over loopback HTTP) and DuckDB (2 threads, in this
// process, no network hop) over the same Parquet files. It runs once
// whatever b.N is; each scenario is a sub-benchmark reporting qps and
// p50/p99/max in ms. $WHARF_LOAD_SECONDS sets the measured time per
// scenario (default 10), $WHARF_LOAD_OUT a file for the JSON reports.
//
//	go test -run '^$' -bench Load -benchtime 1x -timeout 30m ./load/
func BenchmarkLoad(b *testing.B) {
	secs, err := strconv.Atoi(os.Getenv("WHARF_LOAD_SECONDS"))
	if err != nil || secs <= 0 {
		secs = 10
	}
	reports := runAll(context.Background(), b, loadRows(10_000_000), 1000, time.Duration(secs)*time.Second, 3*time.Second)
	for _, r := range reports {
		b.Run(r.Name, func(b *testing.B) {
			b.ReportMetric(1e9/max(r.QPS, 1e-9), "ns/op") // per right answer
			b.ReportMetric(r.QPS, "qps")
			b.ReportMetric(r.P50ms, "p50-ms")
			b.ReportMetric(r.P99ms, "p99-ms")
			b.ReportMetric(r.MaxMs, "max-ms")
			b.ReportMetric(float64(r.Errors+r.Wrong), "errors")
			b.ReportMetric(float64(r.Rejected), "rejected")
		})
	}
	if out := os.Getenv("WHARF_LOAD_OUT"); out != "" {
		raw, err := json.MarshalIndent(reports, "", "  ")
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(out, append(raw, '\n'), 0o644); err != nil {
			b.Fatal(fmt.Errorf("WHARF_LOAD_OUT: %w", err))
		}
	}
}
