package oracle

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkHits times the web-analytics queries (those of
// testdata/queries.sql over hits alone) hot on both engines: wharf through
// its session (the path of POST /v1/sql), DuckDB (2 threads) with
// read_parquet over the same data files. Each query runs once untimed on
// each engine first (OS cache, DuckDB's metadata cache, wharf's table
// metadata), then query by query wharf and DuckDB alternate, so that a burst
// of load from elsewhere hits both sides of one ratio.
//
// -count N repeats each sub-benchmark N times in place (the query's wharf
// runs, then its DuckDB runs), so both sides of a ratio are measured within
// seconds of each other. Every repetition goes into a tally; at the end the
// benchmark logs the per-query medians, each ratio wharf/DuckDB and the sums
// (and writes that table to $WHARF_HITS_TABLE when set).
//
//	go test -run '^$' -bench Hits -benchtime 2x -count 3 ./oracle/
//
// -bench 'Hits/(q1|q2)' selects queries by ID (family_name). With
// -hits.profile DIR each query's timed wharf runs (setup and warm-up left
// out, unlike -cpuprofile) are CPU-profiled into DIR/<id>.pprof.
func BenchmarkHits(b *testing.B) {
	e := getEnv(b)
	qs, err := hitsQueries()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range qs {
		id := strings.ReplaceAll(q.ID(), "/", "_")
		b.Run(id+"/wharf", func(b *testing.B) {
			hitsTally.warm(b, id+"/wharf", func() error { return runWharf(ctx, e, q.SQL) })
			stop := profileTo(b, id)
			b.ResetTimer()
			for range b.N {
				if err := runWharf(ctx, e, q.SQL); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			stop()
			hitsTally.add(q.ID(), 0, b.Elapsed()/time.Duration(b.N))
		})
		b.Run(id+"/duckdb", func(b *testing.B) {
			hitsTally.warm(b, id+"/duckdb", func() error { return runDuck(ctx, e.duck, q.Duck) })
			b.ResetTimer()
			for range b.N {
				if err := runDuck(ctx, e.duck, q.Duck); err != nil {
					b.Fatal(err)
				}
			}
			hitsTally.add(q.ID(), 1, b.Elapsed()/time.Duration(b.N))
		})
	}
	b.Logf("hits %d rows, %d files, %.1f MiB; medians of %d run(s) per query:\n%s",
		e.rows["hits"], len(e.files["hits"]), float64(e.bytes["hits"])/(1<<20), hitsTally.runs(), hitsTally.table(qs))
	if out := os.Getenv("WHARF_HITS_TABLE"); out != "" {
		if err := os.WriteFile(out, []byte(hitsTally.table(qs)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

var profileDir = flag.String("hits.profile", "", "write a CPU profile of each query's timed wharf runs into this directory")

// profileTo starts a CPU profile into profileDir/id.pprof, if asked for; the
// returned func stops it.
func profileTo(b *testing.B, id string) (stop func()) {
	if *profileDir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(*profileDir, id+".pprof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// tablesRE finds the tables a query names.
var tablesRE = regexp.MustCompile(`(?i)\b(hits|orders|lineitem)\b`)

// hitsQueries are the queries of the suite that read hits and no other
// table, and that wharf runs (neither pending nor a known bug).
func hitsQueries() ([]query, error) {
	f, err := os.Open(queriesFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	all, err := parseQueries(f)
	if err != nil {
		return nil, err
	}
	var out []query
	for _, q := range all {
		if q.Skip() != "" {
			continue
		}
		names := tablesRE.FindAllString(q.SQL, -1)
		if len(names) > 0 && !slices.ContainsFunc(names, func(n string) bool { return !strings.EqualFold(n, "hits") }) {
			out = append(out, q)
		}
	}
	return out, nil
}

func runWharf(ctx context.Context, e *env, text string) error {
	res, err := e.sess.Exec(ctx, text, true)
	res.Release()
	return err
}

// runDuck reads every row of the result into Go values, which DuckDB's
// database/sql driver does anyway: the cost of a client that looks at the
// rows, as wharf's Arrow result is looked at by its HTTP encoder.
func runDuck(ctx context.Context, db *sql.DB, text string) error {
	rs, err := db.QueryContext(ctx, text)
	if err != nil {
		return err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return err
		}
	}
	return rs.Err()
}

// tally keeps every round's ns/op per query and engine (0 wharf, 1 DuckDB).
type tally struct {
	times  map[string][2][]time.Duration
	warmed map[string]bool
}

var hitsTally = tally{times: map[string][2][]time.Duration{}, warmed: map[string]bool{}}

// warm runs f once per key and test binary: the untimed warm-up run.
func (t *tally) warm(b *testing.B, key string, f func() error) {
	if t.warmed[key] {
		return
	}
	t.warmed[key] = true
	if err := f(); err != nil {
		b.Fatal(err)
	}
}

func (t *tally) add(id string, engine int, d time.Duration) {
	v := t.times[id]
	v[engine] = append(v[engine], d)
	t.times[id] = v
}

// runs is how many times the most measured query ran on wharf.
func (t *tally) runs() int {
	n := 0
	for _, v := range t.times {
		n = max(n, len(v[0]))
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// table is the per-query report, worst ratio first, then the sums.
func (t *tally) table(qs []query) string {
	type line struct {
		id          string
		wharf, duck time.Duration
	}
	var lines []line
	var sumW, sumD time.Duration
	for _, q := range qs {
		v, ok := t.times[q.ID()]
		if !ok || len(v[0]) == 0 || len(v[1]) == 0 {
			continue
		}
		l := line{q.ID(), median(v[0]), median(v[1])}
		lines = append(lines, l)
		sumW, sumD = sumW+l.wharf, sumD+l.duck
	}
	slices.SortStableFunc(lines, func(a, b line) int {
		ra, rb := float64(a.wharf)/float64(a.duck), float64(b.wharf)/float64(b.duck)
		switch {
		case ra > rb:
			return -1
		case ra < rb:
			return 1
		}
		return 0
	})
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	var sb strings.Builder
	fmt.Fprintf(&sb, "| query | wharf ms | DuckDB ms | ratio |\n| --- | ---: | ---: | ---: |\n")
	for _, l := range lines {
		fmt.Fprintf(&sb, "| %s | %.2f | %.2f | %.2f |\n", l.id, ms(l.wharf), ms(l.duck), float64(l.wharf)/float64(l.duck))
	}
	fmt.Fprintf(&sb, "| **sum (%d queries)** | **%.1f** | **%.1f** | **%.2f** |\n", len(lines), ms(sumW), ms(sumD), float64(sumW)/float64(sumD))
	return sb.String()
}
