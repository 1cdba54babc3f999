package oracle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharfdata/wharf/engine/session"
)

const queriesFile = "testdata/queries.sql"

// minQueries is issue 3's floor for the suite.
const minQueries = 60

func loadQueries(t *testing.T) []query {
	t.Helper()
	f, err := os.Open(queriesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := parseQueries(f)
	if err != nil {
		t.Fatalf("%s: %v", queriesFile, err)
	}
	return qs
}

// outcome of one query, for the summary.
type outcome uint8

const (
	passed outcome = iota
	failed
	pending
	knownBug
)

// TestDifferential runs every query of testdata/queries.sql on wharf and on
// DuckDB over the same Parquet files and compares the results: the same
// columns count, and the same rows (in order when the query has an ORDER BY,
// as multisets otherwise), cell by cell in canonical form.
func TestDifferential(t *testing.T) {
	qs := loadQueries(t)
	if len(qs) < minQueries {
		t.Errorf("%s has %d queries, issue 3 asks for at least %d", queriesFile, len(qs), minQueries)
	}
	e := getEnv(t)
	var sizes []string
	for _, n := range []string{"hits", "orders", "lineitem"} {
		sizes = append(sizes, fmt.Sprintf("%s %d rows (%d files, %.1f MiB)", n, e.rows[n], len(e.files[n]), float64(e.bytes[n])/(1<<20)))
	}
	t.Logf("data: %s; generated in %v, written and committed in %v, DuckDB views in %v", strings.Join(sizes, ", "),
		e.gen.Round(time.Millisecond), e.load.Round(time.Millisecond), e.views.Round(time.Millisecond))

	type tally struct{ ran, passed, pending, bugs int }
	families := map[string]*tally{}
	var wharfTime, duckTime time.Duration
	var skipped []string
	start := time.Now()
	for _, q := range qs {
		tl := families[q.Family]
		if tl == nil {
			tl = &tally{}
			families[q.Family] = tl
		}
		// t.Skip and t.Fatal end the subtest early: res says "failed"
		// unless runOne returns, or "pending" for a skipped query.
		res := failed
		switch {
		case q.Pending != "":
			res = pending
		case q.Bug != "":
			res = knownBug
		}
		if why := q.Skip(); why != "" {
			skipped = append(skipped, fmt.Sprintf("  %-34s %s", q.ID(), why))
		}
		t.Run(q.ID(), func(t *testing.T) {
			res = runOne(t, e, q, &wharfTime, &duckTime)
		})
		switch res {
		case pending:
			tl.pending++
		case knownBug:
			tl.bugs++
		case passed:
			tl.ran++
			tl.passed++
		default:
			tl.ran++
		}
	}

	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	var total tally
	fmt.Fprintf(&b, "%-12s %5s %6s %7s %4s\n", "family", "ran", "passed", "pending", "bug")
	for _, n := range names {
		tl := families[n]
		fmt.Fprintf(&b, "%-12s %5d %6d %7d %4d\n", n, tl.ran, tl.passed, tl.pending, tl.bugs)
		total.ran, total.passed = total.ran+tl.ran, total.passed+tl.passed
		total.pending, total.bugs = total.pending+tl.pending, total.bugs+tl.bugs
	}
	fmt.Fprintf(&b, "%-12s %5d %6d %7d %4d\n", "total", total.ran, total.passed, total.pending, total.bugs)
	t.Logf("%d queries in %v (wharf %v, DuckDB %v):\n%s\nnot compared (%d):\n%s", len(qs), time.Since(start).Round(time.Millisecond),
		wharfTime.Round(time.Millisecond), duckTime.Round(time.Millisecond), b.String(), len(skipped), strings.Join(skipped, "\n"))
}

// runOne runs q on both engines and compares. A pending query is still run
// on wharf: when wharf now answers it and agrees with DuckDB, the skip
// message says that the pending mark can go.
func runOne(t *testing.T, e *env, q query, wharfTime, duckTime *time.Duration) outcome {
	ctx := context.Background()
	t0 := time.Now()
	res, werr := e.sess.Exec(ctx, q.SQL, true)
	*wharfTime += time.Since(t0)
	defer res.Release()

	if why := q.Skip(); why != "" {
		if werr != nil {
			var se *session.Error
			if errors.As(werr, &se) {
				t.Skipf("%s (wharf: %s: %s)", why, se.Code, se.Msg)
			}
			t.Skipf("%s (wharf: %v)", why, werr)
		}
		msg := "wharf now agrees with DuckDB: remove the mark"
		if d := compareWith(e, q, res); d != "" {
			msg = "wharf runs it and still disagrees with DuckDB:\n" + d
		}
		t.Skipf("%s — %s", why, msg)
	}

	header := fmt.Sprintf("%s (%s, line %d): %s\nwharf SQL:\n%s", q.ID(), queriesFile, q.Line, q.Desc, indent(q.SQL))
	if q.Duck != q.SQL {
		header += "\nDuckDB SQL:\n" + indent(q.Duck)
	}
	if werr != nil {
		t.Fatalf("%s\nwharf failed: %v", header, werr)
	}
	t1 := time.Now()
	d := compareWith(e, q, res)
	*duckTime += time.Since(t1)
	if d != "" {
		t.Errorf("%s\n%s", header, d)
		return failed
	}
	var n int64
	for _, b := range res.Batches {
		n += b.NumRows()
	}
	t.Logf("%d rows, equal", n)
	return passed
}

// compareWith runs q on DuckDB and compares its rows with wharf's result; ""
// means they match.
func compareWith(e *env, q query, res *session.Result) string {
	got, err := arrowRows(res.Batches)
	if err != nil {
		return fmt.Sprintf("wharf result: %v", err)
	}
	rs, err := e.duck.QueryContext(context.Background(), q.Duck)
	if err != nil {
		return fmt.Sprintf("DuckDB failed: %v", err)
	}
	defer rs.Close()
	ncols, want, err := sqlRows(rs)
	if err != nil {
		return fmt.Sprintf("DuckDB result: %v", err)
	}
	if w := res.Schema.NumFields(); w != ncols {
		return fmt.Sprintf("columns: wharf %d (%s), duckdb %d", w, res.Schema, ncols)
	}
	return diff(got, want, q.Ordered())
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
