package oracle

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// nexmarkDir holds the Nexmark queries as wharf's continuous and batch
// tests run them: a sink line, then one INSERT … SELECT.
const nexmarkDir = "../../engine/connector/nexmark/testdata/queries"

// nexmarkTies are the columns compared of queries whose ties (rows equal in
// the ORDER BY of their ROW_NUMBER) either engine may break either way.
var nexmarkTies = map[string]string{
	"q9":  "id, price, bid_dateTime",
	"q18": "auction, bidder, dateTime",
	"q19": "auction, price, rank_number",
}

// nexmarkMacros define, in DuckDB, the Flink functions the Nexmark queries
// call that DuckDB lacks (as far as the queries use them: DATE_FORMAT's
// patterns yyyy, MM, dd, HH and mm), and flink_avg, which the DuckDB text
// calls for AVG: Flink's average of a BIGINT is a BIGINT, the quotient
// truncated (the queries average BIGINTs only).
var nexmarkMacros = []string{
	`CREATE MACRO flink_avg(x) AS CAST(sum(x) / count(x) AS BIGINT)`, // integer_division is on
	`CREATE MACRO date_format(ts, f) AS strftime(ts, replace(replace(replace(replace(replace(f, 'yyyy', '%Y'), 'MM', '%m'), 'dd', '%d'), 'HH', '%H'), 'mm', '%M'))`,
	`CREATE MACRO char_length(s) AS length(s)`,
	`CREATE MACRO split_index(s, sep, i) AS string_split(s, sep)[i + 1]`, // from 0; NULL past the end
}

// TestNexmarkDuckDB runs the Nexmark queries' SELECTs as batch queries on
// wharf and on DuckDB over the same Parquet files, the events of one
// bounded generator loaded into lake tables, and compares the results as
// multisets. With the continuous jobs' tests (a job's table equals wharf's
// batch result of the same SQL) this closes the chain: stream = batch =
// DuckDB.
func TestNexmarkDuckDB(t *testing.T) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	s := session.New(wh)
	columns := map[string]string{
		"bid":     `auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, dateTime TIMESTAMP(3), extra STRING`,
		"auction": `id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra STRING`,
		"person":  `id BIGINT, name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING, dateTime TIMESTAMP(3), extra STRING`,
	}
	duck, err := openDuck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	for _, m := range nexmarkMacros {
		if _, err := duck.ExecContext(ctx, m); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
	}
	for _, name := range []string{"bid", "auction", "person"} {
		for _, q := range []string{
			fmt.Sprintf(`CREATE TABLE %s_gen (%s) WITH ('connector' = 'nexmark', 'table' = '%s', 'seed' = '3', 'events.num' = '50000', 'first-event-rate' = '200')`, name, columns[name], name),
			fmt.Sprintf(`CREATE TABLE %s (%s)`, name, columns[name]),
			fmt.Sprintf(`INSERT INTO %s SELECT * FROM %s_gen`, name, name),
		} {
			r, err := s.Exec(ctx, q, false)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			r.Release()
		}
		id, err := lake.Ident(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _, n, err := createView(ctx, duck, wh, name, id)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d rows", name, n)
	}

	f, err := os.Open("testdata/nexmark_duckdb.sql")
	if err != nil {
		t.Fatal(err)
	}
	overrides, err := parseQueries(f)
	f.Close()
	if err != nil {
		t.Fatalf("testdata/nexmark_duckdb.sql: %v", err)
	}
	duckSQL := map[string]string{}
	for _, q := range overrides {
		duckSQL[q.Name] = q.SQL
	}
	files, err := filepath.Glob(filepath.Join(nexmarkDir, "q*.sql"))
	if err != nil || len(files) < 19 {
		t.Fatalf("%d query files in %s (%v), want the 19 of issue 4", len(files), nexmarkDir, err)
	}
	for _, file := range files {
		q := strings.TrimSuffix(filepath.Base(file), ".sql")
		t.Run(q, func(t *testing.T) {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sel, err := nexmarkSelect(string(text))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			dq := cmp.Or(duckSQL[q], avgRE.ReplaceAllString(strings.ReplaceAll(sel, "`", `"`), "flink_avg("))
			delete(duckSQL, q)
			if cols, ok := nexmarkTies[q]; ok {
				sel = "SELECT " + cols + " FROM (" + sel + ") AS q"
				dq = "SELECT " + cols + " FROM (" + dq + ") AS q"
			}
			res, err := s.Exec(ctx, sel, true)
			if err != nil {
				t.Fatalf("wharf: %v\n%s", err, sel)
			}
			defer res.Release()
			d := compareWith(&env{duck: duck}, query{SQL: sel, Duck: dq, Unordered: true}, res)
			if d != "" {
				t.Fatalf("wharf SQL:\n%s\nDuckDB SQL:\n%s\n%s", indent(sel), indent(dq), d)
			}
			var n int64
			for _, b := range res.Batches {
				n += b.NumRows()
			}
			if n == 0 {
				t.Fatalf("no rows: the comparison proves nothing")
			}
			t.Logf("%d rows, equal", n)
		})
	}
	for q := range duckSQL {
		t.Errorf("testdata/nexmark_duckdb.sql overrides %s, which has no query file", q)
	}
}

var avgRE = regexp.MustCompile(`(?i)\bAVG\(`)

// nexmarkSelect returns the SELECT of a Nexmark query file: its INSERT
// without the comments and the INSERT INTO clause.
func nexmarkSelect(text string) (string, error) {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	body := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";")
	head, rest, ok := strings.Cut(body, "\n")
	if !ok || !strings.HasPrefix(head, "INSERT INTO ") {
		return "", fmt.Errorf("want INSERT INTO <sink> on a line of its own, got %q", head)
	}
	return rest, nil
}
