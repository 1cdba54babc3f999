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

	"github.com/wharfdata/wharf/lake"
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
//
// With -hits.readers each query with a WHERE clause also runs on wharf with
// lake.FilterFirst off (sub-benchmark wharf-iceberg-go: iceberg-go's reader,
// the path before the filter-first reader), between its wharf and DuckDB
// runs; the table then compares the two readers too.
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
			hitsTally.add(q.ID(), engWharf, b.Elapsed()/time.Duration(b.N))
		})
		if *compareReaders && whereRE.MatchString(q.SQL) {
			b.Run(id+"/wharf-iceberg-go", func(b *testing.B) {
				lake.FilterFirst = false
				defer func() { lake.FilterFirst = true }()
				hitsTally.warm(b, id+"/wharf-iceberg-go", func() error { return runWharf(ctx, e, q.SQL) })
				b.ResetTimer()
				for range b.N {
					if err := runWharf(ctx, e, q.SQL); err != nil {
						b.Fatal(err)
					}
				}
				hitsTally.add(q.ID(), engIcebergGo, b.Elapsed()/time.Duration(b.N))
			})
		}
		b.Run(id+"/duckdb", func(b *testing.B) {
			hitsTally.warm(b, id+"/duckdb", func() error { return runDuck(ctx, e.duck, q.Duck) })
			b.ResetTimer()
			for range b.N {
				if err := runDuck(ctx, e.duck, q.Duck); err != nil {
					b.Fatal(err)
				}
			}
			hitsTally.add(q.ID(), engDuck, b.Elapsed()/time.Duration(b.N))
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

var compareReaders = flag.Bool("hits.readers", false, "also run the queries with a WHERE clause with lake.FilterFirst off")

// whereRE finds the queries the filter-first reader may serve.
var whereRE = regexp.MustCompile(`(?i)\bwhere\b`)

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

// Engines of a tally.
const (
	engWharf     = iota
	engDuck      // DuckDB
	engIcebergGo // wharf with lake.FilterFirst off
	numEngines
)

// tally keeps every round's ns/op per query and engine.
type tally struct {
	times  map[string][numEngines][]time.Duration
	warmed map[string]bool
}

var hitsTally = tally{times: map[string][numEngines][]time.Duration{}, warmed: map[string]bool{}}

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
		n = max(n, len(v[engWharf]))
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

// table is the per-query report, worst ratio first, then the sums. With
// iceberg-go reader times it has a second table over the queries that have
// them: filter-first against iceberg-go's reader, worst (highest) first.
func (t *tally) table(qs []query) string {
	var sb strings.Builder
	t.ratios(&sb, qs, engWharf, engDuck, "wharf ms", "DuckDB ms")
	if slices.ContainsFunc(qs, func(q query) bool { return len(t.times[q.ID()][engIcebergGo]) > 0 }) {
		sb.WriteString("\n")
		t.ratios(&sb, qs, engWharf, engIcebergGo, "filter-first ms", "iceberg-go reader ms")
	}
	return sb.String()
}

// ratios writes the medians of engines a and b for the queries measured on
// both, with ratio a/b, worst first, then the sums.
func (t *tally) ratios(sb *strings.Builder, qs []query, a, b int, nameA, nameB string) {
	type line struct {
		id   string
		a, b time.Duration
	}
	var lines []line
	var sumA, sumB time.Duration
	for _, q := range qs {
		v, ok := t.times[q.ID()]
		if !ok || len(v[a]) == 0 || len(v[b]) == 0 {
			continue
		}
		l := line{q.ID(), median(v[a]), median(v[b])}
		lines = append(lines, l)
		sumA, sumB = sumA+l.a, sumB+l.b
	}
	slices.SortStableFunc(lines, func(x, y line) int {
		rx, ry := float64(x.a)/float64(x.b), float64(y.a)/float64(y.b)
		switch {
		case rx > ry:
			return -1
		case rx < ry:
			return 1
		}
		return 0
	})
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	fmt.Fprintf(sb, "| query | %s | %s | ratio |\n| --- | ---: | ---: | ---: |\n", nameA, nameB)
	for _, l := range lines {
		fmt.Fprintf(sb, "| %s | %.2f | %.2f | %.2f |\n", l.id, ms(l.a), ms(l.b), float64(l.a)/float64(l.b))
	}
	fmt.Fprintf(sb, "| **sum (%d queries)** | **%.1f** | **%.1f** | **%.2f** |\n", len(lines), ms(sumA), ms(sumB), float64(sumA)/float64(sumB))
}
