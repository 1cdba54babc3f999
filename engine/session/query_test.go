package session_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// render prints a result as rows of values separated by |, NULL as NULL.
func render(t *testing.T, r *session.Result) []string {
	t.Helper()
	var out []string
	for _, b := range r.Batches {
		for i := 0; i < int(b.NumRows()); i++ {
			var cells []string
			for c := 0; c < int(b.NumCols()); c++ {
				col := b.Column(c)
				if col.IsNull(i) {
					cells = append(cells, "NULL")
					continue
				}
				cells = append(cells, col.ValueStr(i))
			}
			out = append(out, strings.Join(cells, "|"))
		}
	}
	return out
}

func TestSelect(t *testing.T) {
	ctx := context.Background()
	s, _ := newSession(t)
	mustExec(t, s, `CREATE TABLE hits (id BIGINT NOT NULL, url STRING, region STRING, ms INT, ts TIMESTAMP(3)) PARTITIONED BY (region)`)
	mustExec(t, s, `INSERT INTO hits VALUES
		(1, '/a', 'eu', 120, TIMESTAMP '2026-11-21 10:00:00'),
		(2, '/b', 'us', 80,  TIMESTAMP '2026-11-21 10:05:00'),
		(3, '/a', 'us', NULL, TIMESTAMP '2026-11-21 10:10:00')`)
	mustExec(t, s, `INSERT INTO hits VALUES (4, '/c', 'ap', 300, TIMESTAMP '2026-11-21 11:00:00'), (5, NULL, 'eu', 15, NULL)`)

	f := func(q string, want ...string) {
		t.Helper()
		t.Run(q, func(t *testing.T) {
			got := render(t, mustExec(t, s, q))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %q\nwant %q", got, want)
			}
		})
	}
	f("SELECT id, url FROM hits WHERE region = 'us' ORDER BY id", "2|/b", "3|/a")
	f("SELECT id FROM hits WHERE ms > 100 ORDER BY ms DESC", "4", "1")
	f("SELECT id, ms * 2 + 1 AS x FROM hits WHERE id <= 2 ORDER BY x", "2|161", "1|241")
	f("SELECT id FROM hits ORDER BY ms NULLS FIRST, id LIMIT 3", "3", "5", "2")
	f("SELECT id FROM hits ORDER BY id DESC LIMIT 2 OFFSET 1", "4", "3")
	f("SELECT id FROM hits WHERE url IS NULL", "5")
	f("SELECT id FROM hits WHERE region IN ('ap', 'eu') AND ms BETWEEN 10 AND 200 ORDER BY 1", "1", "5")
	f("SELECT h.id, UPPER(h.url) FROM hits AS h WHERE h.url LIKE '/a%' ORDER BY h.id", "1|/A", "3|/A")
	f("SELECT id, CASE WHEN ms IS NULL THEN 'none' WHEN ms > 100 THEN 'slow' ELSE 'fast' END FROM hits ORDER BY id",
		"1|slow", "2|fast", "3|none", "4|slow", "5|fast")
	f("SELECT 1 + 2, 'x' || 'y'", "3|xy")
	f("SELECT id FROM hits WHERE ts >= TIMESTAMP '2026-11-21 10:05:00' ORDER BY id", "2", "3", "4")

	// Time travel: the first insert's snapshot has three rows.
	tbl, err := s.LoadTable(ctx, []string{"default", "hits"})
	if err != nil {
		t.Fatal(err)
	}
	first := tbl.Metadata().Snapshots()[0].SnapshotID
	f(fmt.Sprintf("SELECT id FROM hits FOR SYSTEM_TIME AS OF %d ORDER BY id", first), "1", "2", "3")

	// Column types: declared Flink types travel as metadata.
	r := mustExec(t, s, "SELECT ts, ms FROM hits LIMIT 1")
	if d, _ := r.Schema.Field(0).Metadata.GetValue("wharf.type"); d != "TIMESTAMP(3)" {
		t.Fatalf("declared type of ts = %q", d)
	}
	if p, _ := r.Schema.Field(0).Metadata.GetValue("wharf.precision"); p != "3" {
		t.Fatalf("precision of ts = %q", p)
	}
	if !arrow.TypeEqual(r.Schema.Field(1).Type, arrow.PrimitiveTypes.Int32) {
		t.Fatalf("ms type %s", r.Schema.Field(1).Type)
	}

	// EXPLAIN shows the pushed filter and what pruning kept.
	plan := strings.Join(render(t, mustExec(t, s, "EXPLAIN SELECT id FROM hits WHERE region = 'us'")), "\n")
	if !strings.Contains(plan, "files: 1 of 4 kept") || !strings.Contains(plan, "region") {
		t.Fatalf("explain:\n%s", plan)
	}
}

func TestAggregate(t *testing.T) {
	s, _ := newSession(t)
	mustExec(t, s, `CREATE TABLE hits (id BIGINT NOT NULL, url STRING, region STRING, ms INT, ok BOOLEAN, cost DECIMAL(10, 2)) PARTITIONED BY (region)`)
	mustExec(t, s, `INSERT INTO hits VALUES
		(1, '/a', 'eu', 120, TRUE, 1.50),
		(2, '/b', 'us', 80, TRUE, 2.25),
		(3, '/a', 'us', NULL, FALSE, NULL)`)
	mustExec(t, s, `INSERT INTO hits VALUES (4, '/c', 'ap', 300, TRUE, 10.00), (5, NULL, 'eu', 15, NULL, 0.01), (6, '/a', NULL, 7, FALSE, 3.00)`)
	mustExec(t, s, `CREATE TABLE empty (x INT, s STRING)`)

	f := func(q string, want ...string) {
		t.Helper()
		t.Run(q, func(t *testing.T) {
			got := render(t, mustExec(t, s, q))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %q\nwant %q", got, want)
			}
		})
	}
	// GROUP BY with HAVING and ORDER BY over aggregates; NULL keys group together.
	f("SELECT region, COUNT(*) AS n, SUM(ms), MIN(url), MAX(ms) FROM hits GROUP BY region HAVING COUNT(*) > 1 ORDER BY n DESC, region",
		"eu|2|135|/a|120", "us|2|80|/a|80")
	f("SELECT region, COUNT(*) FROM hits GROUP BY region ORDER BY region NULLS FIRST", "NULL|1", "ap|1", "eu|2", "us|2")
	f("SELECT region FROM hits GROUP BY region ORDER BY SUM(ms) DESC LIMIT 2", "ap", "eu")
	// Expressions over group keys and aggregates; grouping by an expression.
	f("SELECT UPPER(region) AS r, COUNT(url) * 10 + 1 FROM hits WHERE region IS NOT NULL GROUP BY region ORDER BY r", "AP|11", "EU|11", "US|21")
	f("SELECT ms > 100 AS slow, COUNT(*) FROM hits GROUP BY ms > 100 ORDER BY slow NULLS FIRST", "NULL|1", "false|3", "true|2")
	f("SELECT region, url, COUNT(*) FROM hits GROUP BY region, url ORDER BY region NULLS LAST, url NULLS LAST",
		"ap|/c|1", "eu|/a|1", "eu|NULL|1", "us|/a|1", "us|/b|1", "NULL|/a|1")
	// COUNT(DISTINCT), FILTER, and both.
	f("SELECT COUNT(DISTINCT url), COUNT(url), COUNT(DISTINCT region) FROM hits", "3|5|3")
	f("SELECT region, COUNT(*) FILTER (WHERE ms > 50), SUM(ms) FILTER (WHERE ok) FROM hits GROUP BY region ORDER BY region",
		"NULL|0|NULL", "ap|1|300", "eu|1|120", "us|1|80")
	f("SELECT COUNT(DISTINCT url) FILTER (WHERE id > 1), SUM(DISTINCT ms), AVG(DISTINCT id) FROM hits", "3|522|3")
	// Global aggregates: one row, also over no rows.
	f("SELECT COUNT(*), COUNT(ms), SUM(ms), AVG(ms), MIN(ms), MAX(url) FROM hits", "6|5|522|104|7|/c")
	f("SELECT COUNT(*), SUM(x), AVG(x), MIN(s), LISTAGG(s), APPROX_COUNT_DISTINCT(x) FROM empty", "0|NULL|NULL|NULL|NULL|0")
	f("SELECT COUNT(*) FROM hits WHERE id > 100", "0")
	f("SELECT COUNT(*) FROM hits WHERE id > 100 GROUP BY region")
	f("SELECT COUNT(*) + 1, 'x' FROM hits HAVING COUNT(*) > 5", "7|x")
	f("SELECT COUNT(*) FROM hits HAVING COUNT(*) > 6")
	f("SELECT COUNT(*)", "1")
	// Result types as Flink: AVG of INT is integer division; DECIMAL sums keep the scale.
	f("SELECT AVG(ms), SUM(cost), AVG(cost), MIN(cost), MAX(ok), MIN(ok) FROM hits", "104|16.76|3.352|0.01|true|false")
	f("SELECT STDDEV_POP(CAST(ms AS DOUBLE)), VAR_SAMP(CAST(ms AS DOUBLE)), STDDEV(ms), VARIANCE(id) FROM hits WHERE id <= 2",
		"20|800|28|0")
	f("SELECT VAR_SAMP(ms), STDDEV_SAMP(cost) FROM hits WHERE id = 1", "NULL|NULL")
	f("SELECT region, FIRST_VALUE(url), LAST_VALUE(url), LISTAGG(url), LISTAGG(url, '; ') FROM hits GROUP BY region ORDER BY region",
		"NULL|/a|/a|/a|/a", "ap|/c|/c|/c|/c", "eu|/a|/a|/a|/a", "us|/b|/a|/b,/a|/b; /a")
	f("SELECT APPROX_COUNT_DISTINCT(url), APPROX_COUNT_DISTINCT(region) FROM hits", "3|3")
	// SELECT DISTINCT.
	f("SELECT DISTINCT url FROM hits ORDER BY url", "NULL", "/a", "/b", "/c")
	f("SELECT DISTINCT region, ok FROM hits WHERE region = 'us' ORDER BY 2", "us|false", "us|true")
	f("SELECT DISTINCT COUNT(*) FROM hits GROUP BY region", "1", "2")
	f("SELECT DISTINCT * FROM hits WHERE id = 2", "2|/b|us|80|true|2.25")
	// Flink groups by expressions only: GROUP BY 1 is a constant key (one group), not an ordinal.
	f("SELECT COUNT(1), COUNT(DISTINCT 1) FROM hits GROUP BY 1", "6|1")

	// Types: COUNT is BIGINT NOT NULL; SUM(INT) is INT.
	r := mustExec(t, s, "SELECT COUNT(*), SUM(ms), AVG(cost) FROM hits")
	if f := r.Schema.Field(0); !arrow.TypeEqual(f.Type, arrow.PrimitiveTypes.Int64) || f.Nullable {
		t.Fatalf("COUNT(*) is %s nullable=%v", f.Type, f.Nullable)
	}
	if f := r.Schema.Field(1); !arrow.TypeEqual(f.Type, arrow.PrimitiveTypes.Int32) {
		t.Fatalf("SUM(INT) is %s", f.Type)
	}
	if f := r.Schema.Field(2); f.Type.String() != "decimal(38, 6)" {
		t.Fatalf("AVG(DECIMAL(10, 2)) is %s", f.Type)
	}

	// Pushdown still prunes: WHERE on the partition column, and HAVING on a
	// group key moved below the aggregation into the scan.
	for _, q := range []string{
		"EXPLAIN SELECT region, COUNT(*) FROM hits WHERE region = 'us' GROUP BY region",
		"EXPLAIN SELECT region, COUNT(*) FROM hits GROUP BY region HAVING region = 'us' AND COUNT(*) > 1",
	} {
		plan := strings.Join(render(t, mustExec(t, s, q)), "\n")
		if !strings.Contains(plan, "files: 1 of 5 kept") || !strings.Contains(plan, "columns=[region]") || !strings.Contains(plan, "Aggregate group=[region] aggs=[COUNT(*)]") {
			t.Fatalf("%s:\n%s", q, plan)
		}
	}
	f("SELECT region, COUNT(*) FROM hits GROUP BY region HAVING region = 'us' AND COUNT(*) > 1", "us|2")
}

func TestAggregateMemoryLimit(t *testing.T) {
	// RELIABILITY Q3: a GROUP BY whose groups outgrow the query budget fails
	// with a clear error instead of exhausting the process.
	s, _ := newSession(t)
	mustExec(t, s, "CREATE TABLE big (k BIGINT, v STRING)")
	var b strings.Builder
	b.WriteString("INSERT INTO big VALUES ")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 'v%d')", i, i)
	}
	mustExec(t, s, b.String())
	restore := session.SetQueryMemory(64 << 10)
	_, err := s.Exec(context.Background(), "SELECT k, v, LISTAGG(v), COUNT(DISTINCT v) FROM big GROUP BY k, v", true)
	var e *session.Error
	if !errors.As(err, &e) || e.Code != "MEMORY_LIMIT" || !strings.Contains(e.Msg, "memory limit") {
		t.Fatalf("err = %v, want a memory limit error", err)
	}
	restore()
	if got := render(t, mustExec(t, s, "SELECT COUNT(*), COUNT(DISTINCT k) FROM big")); fmt.Sprint(got) != "[2000|2000]" {
		t.Fatalf("after the limit: %v", got)
	}
}

// TestScanMemoryLimit: what a table scan reads is charged to the query's
// memory budget, with both readers. A query whose scan alone is over a
// small budget fails with MEMORY_LIMIT, without a panic on the readers'
// goroutines and without leaving one behind, and the session answers after
// it; under a large budget the same query runs, and once its result is
// released every byte is back.
func TestScanMemoryLimit(t *testing.T) {
	ctx := t.Context()
	s, _ := newSession(t)
	mustExec(t, s, `CREATE TABLE gen (k BIGINT, v STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1e12', 'seed' = '1',
		'fields.k.kind' = 'sequence', 'fields.k.start' = '1', 'fields.k.end' = '20000')`)
	mustExec(t, s, "CREATE TABLE big (k BIGINT, v STRING)")
	for range 4 { // four data files of 20000 rows, ~2 MiB each decoded
		mustExec(t, s, "INSERT INTO big SELECT * FROM gen")
	}
	defer lake.SetReaderFiles(0)
	lake.SetReaderFiles(3) // the filter-first reader reads files at once, on goroutines of its own
	defer func() { lake.FilterFirst = true }()
	// The aggregate holds next to nothing: only the scan can go over.
	const q = "SELECT COUNT(*), MAX(k), COUNT(v) FROM big WHERE k > 0"
	for _, filterFirst := range []bool{true, false} {
		lake.FilterFirst = filterFirst
		// arrow-go v18.8.0's delta decoder never frees its 64-byte scratch
		// buffer: up to two per file of v (unique strings, DELTA_* pages)
		// that iceberg-go's reader decoded.
		var scratch int64
		if !filterFirst {
			scratch = 2 * 64 * 4
		}
		before := runtime.NumGoroutine()
		small := exec.NewBudget(memory.DefaultAllocator, 1<<20)
		_, err := s.RunBudget(ctx, q, small)
		var e *session.Error
		if !errors.As(err, &e) || e.Code != session.CodeMemoryLimit || !strings.Contains(e.Msg, "memory limit of 1 MiB") {
			t.Fatalf("filter first %v: err = %v, want a memory limit error", filterFirst, err)
		}
		if u := small.Used(); u < 0 || u > scratch {
			t.Fatalf("filter first %v: %d bytes still charged after the query failed", filterFirst, u)
		}
		for i := 0; runtime.NumGoroutine() > before; i++ {
			if i == 100 {
				buf := make([]byte, 1<<20)
				t.Fatalf("filter first %v: %d goroutines after the query, %d before:\n%s", filterFirst, runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(10 * time.Millisecond)
		}

		large := exec.NewBudget(memory.DefaultAllocator, 256<<20)
		r, err := s.RunBudget(ctx, q, large)
		if err != nil {
			t.Fatalf("filter first %v, large budget: %v", filterFirst, err)
		}
		if got := fmt.Sprint(render(t, r)); got != "[80000|20000|80000]" {
			t.Fatalf("filter first %v: %s", filterFirst, got)
		}
		r.Release()
		if u := large.Used(); u < 0 || u > scratch {
			t.Fatalf("filter first %v: %d bytes still charged after the result was released", filterFirst, u)
		}
		if large.Peak() < 2<<20 {
			t.Fatalf("filter first %v: peak %d, less than a file's batch: the scan was not charged", filterFirst, large.Peak())
		}
		t.Logf("filter first %v: peak %d bytes", filterFirst, large.Peak())
	}

	// A bounded connector table decodes into the budget too.
	const cq = "SELECT COUNT(*), MAX(k), COUNT(v) FROM gen"
	small := exec.NewBudget(memory.DefaultAllocator, 64<<10)
	_, err := s.RunBudget(ctx, cq, small)
	var e *session.Error
	if !errors.As(err, &e) || e.Code != session.CodeMemoryLimit {
		t.Fatalf("connector: err = %v, want a memory limit error", err)
	}
	if u := small.Used(); u != 0 {
		t.Fatalf("connector: %d bytes still charged after the query failed", u)
	}
	large := exec.NewBudget(memory.DefaultAllocator, 256<<20)
	r, err := s.RunBudget(ctx, cq, large)
	if err != nil {
		t.Fatalf("connector, large budget: %v", err)
	}
	if got := fmt.Sprint(render(t, r)); got != "[20000|20000|20000]" {
		t.Fatalf("connector: %s", got)
	}
	r.Release()
	if u, p := large.Used(), large.Peak(); u != 0 || p < 64<<10 {
		t.Fatalf("connector: %d bytes still charged, peak %d: the connector's batches were not charged", u, p)
	}
}

func TestSelectErrors(t *testing.T) {
	s, _ := newSession(t)
	mustExec(t, s, "CREATE TABLE t (amount DOUBLE, name STRING)")
	checkErrors(t, s, []errCase{
		{"SELECT amout FROM t", "NOT_FOUND", "did you mean amount?", 1, 8},
		{"SELECT amount FROM missing", "NOT_FOUND", "", 1, 20},
		{"SELECT amount FROM t WHERE name + 1 > 2", "INVALID_ARGUMENT", "cannot apply", 1, 33},
		{"SELECT amount FROM t WHERE amount", "INVALID_ARGUMENT", "BOOLEAN", 1, 28},
		{"SELECT name, amount FROM t GROUP BY name", "INVALID_ARGUMENT", "column amount must appear in GROUP BY or be used in an aggregate", 1, 14},
		{"SELECT name FROM t GROUP BY name HAVING amount > 1", "INVALID_ARGUMENT", "column amount must appear in GROUP BY", 1, 41},
		{"SELECT name FROM t GROUP BY name ORDER BY amount", "INVALID_ARGUMENT", "column amount must appear in GROUP BY", 1, 43},
		{"SELECT * FROM t GROUP BY name", "INVALID_ARGUMENT", "column amount must appear in GROUP BY", 1, 8},
		{"SELECT SUM(MAX(amount)) FROM t", "INVALID_ARGUMENT", "cannot be nested", 1, 12},
		{"SELECT name FROM t WHERE COUNT(*) > 1", "INVALID_ARGUMENT", "not allowed in WHERE", 1, 26},
		{"SELECT COUNT(*) FROM t GROUP BY SUM(amount)", "INVALID_ARGUMENT", "not allowed in GROUP BY", 1, 33},
		{"SELECT COUNT(*) FILTER (WHERE MAX(amount) > 1) FROM t", "INVALID_ARGUMENT", "not allowed in FILTER", 1, 31},
		{"SELECT SUM(name) FROM t", "INVALID_ARGUMENT", "cannot apply 'SUM' to arguments of type STRING", 1, 8},
		{"SELECT COUNT(*) FILTER (WHERE amount) FROM t", "INVALID_ARGUMENT", "FILTER needs a BOOLEAN", 1, 31},
		{"SELECT name FROM t GROUP BY name HAVING COUNT(*)", "INVALID_ARGUMENT", "HAVING needs a BOOLEAN", 1, 41},
		{"SELECT UPPER(DISTINCT name) FROM t", "INVALID_ARGUMENT", "DISTINCT is only allowed in aggregate", 1, 8},
		{"SELECT LISTAGG(name, name) FROM t", "INVALID_ARGUMENT", "separator must be a string literal", 1, 22},
		{"SELECT DISTINCT name FROM t ORDER BY amount", "INVALID_ARGUMENT", "SELECT DISTINCT", 1, 38},
		{"SELECT name AS n, COUNT(*) FROM t GROUP BY n", "NOT_FOUND", "column n not found", 1, 44},
		{"SELECT COUNT(*), GROUP_ID() FROM t GROUP BY ROLLUP(name)", "UNSUPPORTED", "GROUP_ID", 1, 18},
		{"SELECT SUM(amount) OVER (ORDER BY name RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t", "UNSUPPORTED", "RANGE frames with offsets", 1, 54},
		{"SELECT ROW_NUMBER() FROM t", "INVALID_ARGUMENT", "needs an OVER clause", 1, 8},
		{"SELECT a.x FROM t JOIN t AS a ON TRUE", "NOT_FOUND", "column x not found in a", 1, 8},
		{"SELECT name FROM t JOIN t AS a ON TRUE", "INVALID_ARGUMENT", "column name is ambiguous", 1, 8},
		{"SELECT t.name FROM t JOIN t AS a ON b.name = a.name", "NOT_FOUND", "unknown table b", 1, 37},
		{"SELECT t.name FROM t JOIN t AS a ON t.amount + a.amount", "INVALID_ARGUMENT", "ON needs a BOOLEAN condition, not DOUBLE", 1, 46},
		{"SELECT * FROM t JOIN t ON TRUE", "INVALID_ARGUMENT", "table t appears twice", 1, 22},
		{"SELECT * FROM t JOIN t AS a USING (nam)", "NOT_FOUND", "column nam of USING is not on the left side", 1, 36},
		{"SELECT * FROM t JOIN t AS a ON COUNT(*) > 1", "INVALID_ARGUMENT", "not allowed in ON", 1, 32},
		{"SELECT x.* FROM t JOIN t AS a ON TRUE", "NOT_FOUND", "unknown table x", 1, 8},
		{"SELECT amount FROM t ORDER BY 3", "INVALID_ARGUMENT", "position 3", 1, 31},
	})
}

func TestJoin(t *testing.T) {
	s, _ := newSession(t)
	mustExec(t, s, `CREATE TABLE a (k INT, v STRING)`)
	mustExec(t, s, `CREATE TABLE b (k INT, w STRING, n BIGINT)`)
	mustExec(t, s, `CREATE TABLE c (k INT, z STRING)`)
	mustExec(t, s, `INSERT INTO a VALUES (1, 'a1'), (2, 'a2'), (2, 'a2bis'), (3, 'a3'), (NULL, 'anull')`)
	mustExec(t, s, `INSERT INTO b VALUES (2, 'b2', 20), (2, 'b2bis', 21), (3, 'b3', 30), (4, 'b4', 40), (NULL, 'bnull', 0)`)
	mustExec(t, s, `INSERT INTO c VALUES (3, 'c3'), (4, 'c4')`)
	f := func(q string, want ...string) {
		t.Helper()
		t.Run(q, func(t *testing.T) {
			got := render(t, mustExec(t, s, q))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %q\nwant %q", got, want)
			}
		})
	}
	f("SELECT a.v, b.w FROM a JOIN b ON a.k = b.k ORDER BY a.v, b.w",
		"a2|b2", "a2|b2bis", "a2bis|b2", "a2bis|b2bis", "a3|b3")
	f("SELECT v, w FROM a LEFT JOIN b ON a.k = b.k ORDER BY v, w",
		"a1|NULL", "a2|b2", "a2|b2bis", "a2bis|b2", "a2bis|b2bis", "a3|b3", "anull|NULL")
	f("SELECT v, w FROM a RIGHT JOIN b ON a.k = b.k ORDER BY w, v",
		"a2|b2", "a2bis|b2", "a2|b2bis", "a2bis|b2bis", "a3|b3", "NULL|b4", "NULL|bnull")
	f("SELECT v, w FROM a FULL JOIN b ON a.k = b.k AND b.n > 20 ORDER BY v NULLS LAST, w",
		"a1|NULL", "a2|b2bis", "a2bis|b2bis", "a3|b3", "anull|NULL", "NULL|b2", "NULL|b4", "NULL|bnull")
	f("SELECT COUNT(*) FROM a CROSS JOIN b", "25")
	f("SELECT COUNT(*) FROM a, b WHERE a.k = b.k AND b.n >= 21", "3")
	f("SELECT k, v, w FROM a JOIN b USING (k) WHERE k = 3", "3|a3|b3")
	f("SELECT * FROM a FULL JOIN c USING (k) ORDER BY k NULLS FIRST, v",
		"NULL|anull|NULL", "1|a1|NULL", "2|a2|NULL", "2|a2bis|NULL", "3|a3|c3", "4|NULL|c4")
	f("SELECT a.*, c.z FROM a JOIN c ON a.k = c.k", "3|a3|c3")
	f("SELECT a.v, b.w, c.z FROM a JOIN b ON a.k = b.k LEFT JOIN c ON c.k = b.k ORDER BY a.v, b.w",
		"a2|b2|NULL", "a2|b2bis|NULL", "a2bis|b2|NULL", "a2bis|b2bis|NULL", "a3|b3|c3")
	f("SELECT a.k, COUNT(*), SUM(b.n) FROM a JOIN b ON a.k = b.k GROUP BY a.k ORDER BY a.k", "2|4|82", "3|1|30")
	f("SELECT x.v, y.v FROM a AS x JOIN a AS y ON x.k = y.k AND x.v < y.v", "a2|a2bis")
	f("SELECT v FROM a LEFT JOIN b ON a.k = b.k WHERE b.k IS NULL ORDER BY v", "a1", "anull")
	f("SELECT v FROM a JOIN b ON a.k = b.k AND a.k > 2", "a3")
	f("SELECT COUNT(*) FROM a JOIN b ON a.k <> b.k", "11")
	f("SELECT v, w FROM a LEFT JOIN b ON a.k = b.k AND a.v = 'a3' ORDER BY v", "a1|NULL", "a2|NULL", "a2bis|NULL", "a3|b3", "anull|NULL")
	f("SELECT COUNT(*) FROM a JOIN b ON a.k = b.k WHERE a.k IS NULL", "0")
	f("SELECT COUNT(*) FROM a JOIN (b JOIN c ON b.k = c.k) ON a.k = c.k", "1")
}
