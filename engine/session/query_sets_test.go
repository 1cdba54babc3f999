package session_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
)

// setsSession has two small tables for intervals, CTEs, set operations and
// subqueries.
func setsSession(t *testing.T) *session.Session {
	t.Helper()
	s, _ := newSession(t)
	mustExec(t, s, `CREATE TABLE hits (id BIGINT NOT NULL, url STRING, region STRING, ms INT, ts TIMESTAMP(3), d DATE)`)
	mustExec(t, s, `INSERT INTO hits VALUES
		(1, '/a', 'eu', 120, TIMESTAMP '2026-11-21 10:00:00', DATE '2026-11-21'),
		(2, '/b', 'us', 80,  TIMESTAMP '2026-11-21 10:05:00', DATE '2026-11-22'),
		(3, '/a', 'us', NULL, TIMESTAMP '2026-11-21 10:10:00', NULL),
		(4, '/c', 'ap', 300, NULL, DATE '2026-01-31'),
		(5, NULL, NULL, 15, NULL, NULL)`)
	mustExec(t, s, `CREATE TABLE regions (code STRING, name STRING, rank INT)`)
	mustExec(t, s, `INSERT INTO regions VALUES ('eu', 'Europe', 1), ('us', 'Americas', 2), ('xx', 'Nowhere', NULL), (NULL, 'Unknown', 3)`)
	return s
}

func checkRows(t *testing.T, s *session.Session, q string, want ...string) {
	t.Helper()
	t.Run(q, func(t *testing.T) {
		got := render(t, mustExec(t, s, q))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %q\nwant %q", got, want)
		}
	})
}

type errCase struct {
	sql, code, msg string
	line, col      int
}

func checkErrors(t *testing.T, s *session.Session, cases []errCase) {
	t.Helper()
	checkErrorsAs(t, s, true, cases)
}

// checkErrorsAs is checkErrors for a caller that may only read, or not.
func checkErrorsAs(t *testing.T, s *session.Session, readOnly bool, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			_, err := s.Exec(context.Background(), c.sql, readOnly)
			var e *session.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not a statement error", err)
			}
			if string(e.Code) != c.code || !strings.Contains(e.Msg, c.msg) {
				t.Fatalf("got %s %q, want %s containing %q", e.Code, e.Msg, c.code, c.msg)
			}
			if e.Pos == nil || e.Pos.Line != c.line || e.Pos.Column != c.col {
				t.Fatalf("position %+v, want %d:%d", e.Pos, c.line, c.col)
			}
		})
	}
}

// checkRefused runs each statement, as a caller that may write, and checks
// that it fails with a statement error of the code whose message contains
// msg.
func checkRefused(t *testing.T, s *session.Session, cases []struct{ sql, code, msg string }) {
	t.Helper()
	for _, c := range cases {
		_, err := s.Exec(context.Background(), c.sql, false)
		var e *session.Error
		if !errors.As(err, &e) || string(e.Code) != c.code || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%s:\n got %v\nwant %s containing %q", c.sql, err, c.code, c.msg)
		}
	}
}

func TestIntervalLiterals(t *testing.T) {
	s := setsSession(t)
	checkRows(t, s, "SELECT id, ts + INTERVAL '1' DAY, ts - INTERVAL '5' SECOND FROM hits WHERE id = 1",
		"1|2026-11-22T10:00:00|2026-11-21T09:59:55")
	checkRows(t, s, "SELECT ts + INTERVAL '2' HOUR, ts + INTERVAL '90' MINUTE, ts + INTERVAL '1 02:03:04.5' DAY TO SECOND FROM hits WHERE id = 1",
		"2026-11-21T12:00:00|2026-11-21T11:30:00|2026-11-22T12:03:04.5")
	checkRows(t, s, "SELECT d + INTERVAL '1' MONTH, d - INTERVAL '1-2' YEAR TO MONTH, d - INTERVAL '90' DAY FROM hits WHERE id = 4",
		"2026-02-28|2024-11-30|2025-11-02")
	checkRows(t, s, "SELECT id FROM hits WHERE ts < TIMESTAMP '2026-11-21 10:00:00' + INTERVAL '10 00:00:00.000' DAY TO SECOND - INTERVAL '239' HOUR - INTERVAL '54' MINUTE ORDER BY id",
		"1", "2")
	checkRows(t, s, "SELECT ts + INTERVAL '-1' DAY, ts + INTERVAL '1:30' HOUR TO MINUTE FROM hits WHERE id = 1",
		"2026-11-20T10:00:00|2026-11-21T11:30:00")
	checkErrors(t, s, []errCase{
		{"SELECT INTERVAL '1:99' HOUR TO MINUTE", "INVALID_ARGUMENT", "does not match the qualifier", 1, 8},
		{"SELECT INTERVAL 'x' DAY", "INVALID_ARGUMENT", "does not match", 1, 8},
		{"SELECT id FROM hits WHERE id > INTERVAL '1-13' YEAR TO MONTH", "INVALID_ARGUMENT", "does not match", 1, 32},
	})
}

func TestWithAndDerived(t *testing.T) {
	s := setsSession(t)
	checkRows(t, s, "WITH slow AS (SELECT id, ms FROM hits WHERE ms > 50) SELECT id FROM slow WHERE id % 2 = 0 ORDER BY id", "2", "4")
	// A CTE sees the CTEs before it; each reference binds it again (a self-join).
	checkRows(t, s, "WITH a AS (SELECT id, region FROM hits WHERE region IS NOT NULL), b (k, n) AS (SELECT region, COUNT(*) FROM a GROUP BY region) "+
		"SELECT a.id, b.n FROM a JOIN b ON a.region = b.k ORDER BY a.id", "1|1", "2|2", "3|2", "4|1")
	checkRows(t, s, "WITH r AS (SELECT code FROM regions) SELECT x.code, y.code FROM r AS x JOIN r AS y ON x.code = y.code ORDER BY 1", "eu|eu", "us|us", "xx|xx")
	// Derived tables, with column aliases; filters reach the scans through them.
	checkRows(t, s, "SELECT t.a, t.b FROM (SELECT id, url FROM hits WHERE id < 4) AS t(a, b) WHERE t.a > 1 ORDER BY t.a", "2|/b", "3|/a")
	checkRows(t, s, "SELECT region, n FROM (SELECT region, COUNT(*) AS n FROM hits GROUP BY region) AS g WHERE n > 1", "us|2")
	checkRows(t, s, "SELECT * FROM (SELECT id FROM hits ORDER BY id DESC LIMIT 2) AS top ORDER BY id", "4", "5")
	// A nested WITH shadows an outer one.
	checkRows(t, s, "WITH t AS (SELECT 1 AS x) SELECT * FROM (WITH t AS (SELECT 2 AS x) SELECT x FROM t) AS u", "2")
	plan := strings.Join(render(t, mustExec(t, s, "EXPLAIN SELECT a FROM (SELECT id AS a, region FROM hits) AS t WHERE region = 'eu'")), "\n")
	if !strings.Contains(plan, "filter=") {
		t.Fatalf("filter not pushed into the scan:\n%s", plan)
	}
	checkErrors(t, s, []errCase{
		{"WITH a AS (SELECT 1 AS x), a AS (SELECT 2 AS x) SELECT * FROM a", "INVALID_ARGUMENT", "defined twice", 1, 28},
		{"WITH a (p, q) AS (SELECT 1 AS x) SELECT * FROM a", "INVALID_ARGUMENT", "has 1 columns, but 2 column names", 1, 6},
		{"SELECT * FROM (SELECT id FROM hits) AS t (a, b)", "INVALID_ARGUMENT", "has 1 columns", 1, 37},
		{"WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a", "NOT_FOUND", "table b not found", 1, 26},
		{"SELECT id FROM (SELECT url FROM hits) AS t", "NOT_FOUND", "column id not found", 1, 8},
		{"SELECT * FROM hits, LATERAL (SELECT 1) AS t", "UNSUPPORTED", "LATERAL", 1, 21},
	})
}

func TestSetOperations(t *testing.T) {
	s := setsSession(t)
	checkRows(t, s, "SELECT id FROM hits WHERE id < 3 UNION ALL SELECT id FROM hits WHERE id > 3 ORDER BY id", "1", "2", "4", "5")
	checkRows(t, s, "SELECT region FROM hits UNION ALL SELECT code FROM regions ORDER BY 1 NULLS FIRST LIMIT 4", "NULL", "NULL", "ap", "eu")
	// UNION removes duplicates, NULLs included.
	checkRows(t, s, "SELECT region FROM hits UNION SELECT code FROM regions ORDER BY region", "NULL", "ap", "eu", "us", "xx")
	checkRows(t, s, "SELECT region FROM hits INTERSECT SELECT code FROM regions ORDER BY region", "NULL", "eu", "us")
	checkRows(t, s, "SELECT code FROM regions EXCEPT SELECT region FROM hits", "xx")
	checkRows(t, s, "SELECT region, url FROM hits EXCEPT SELECT code, 'x' FROM regions ORDER BY region, url", "NULL|NULL", "ap|/c", "eu|/a", "us|/a", "us|/b")
	// Types unify: INT with BIGINT is BIGINT; INT with DECIMAL is DECIMAL.
	checkRows(t, s, "SELECT ms FROM hits WHERE id = 1 UNION ALL SELECT id FROM hits WHERE id = 2 UNION ALL SELECT 2.5", "120", "2", "2.5")
	checkRows(t, s, "SELECT COUNT(*) FROM (SELECT id FROM hits UNION ALL SELECT id FROM hits) AS u", "10")
	checkRows(t, s, "(SELECT id FROM hits ORDER BY id LIMIT 1) UNION ALL (SELECT id FROM hits ORDER BY id DESC LIMIT 1)", "1", "5")
	checkRows(t, s, "SELECT id FROM hits UNION ALL SELECT id FROM hits ORDER BY id LIMIT 3", "1", "1", "2")
	// A LIMIT satisfied in the first input stops the union early; one
	// reaching into the second takes rows from both.
	checkRows(t, s, "SELECT COUNT(*) FROM (SELECT id FROM hits UNION ALL SELECT id FROM hits LIMIT 2) AS t", "2")
	checkRows(t, s, "SELECT COUNT(*) FROM (SELECT id FROM hits UNION ALL SELECT id FROM hits LIMIT 7) AS t", "7")
	checkErrors(t, s, []errCase{
		{"SELECT id, url FROM hits UNION SELECT id FROM hits", "INVALID_ARGUMENT", "same number of columns", 1, 26},
		{"SELECT id FROM hits UNION SELECT url FROM hits", "INVALID_ARGUMENT", "incompatible types", 1, 21},
		{"SELECT id FROM hits UNION SELECT id FROM hits ORDER BY ms", "NOT_FOUND", "column ms not found", 1, 56},
		{"SELECT id FROM hits UNION SELECT id FROM hits ORDER BY id + 1", "UNSUPPORTED", "ORDER BY an expression", 1, 56},
	})
}

func TestSubqueries(t *testing.T) {
	s := setsSession(t)
	checkRows(t, s, "SELECT id FROM hits WHERE region IN (SELECT code FROM regions WHERE rank > 0) ORDER BY id", "1", "2", "3")
	checkRows(t, s, "SELECT id FROM hits WHERE id IN (SELECT rank FROM regions) AND id > 1", "2", "3")
	// NOT IN: a NULL in the subquery selects nothing; a NULL x drops out
	// unless the subquery is empty.
	checkRows(t, s, "SELECT id FROM hits WHERE region NOT IN (SELECT code FROM regions)")
	checkRows(t, s, "SELECT id FROM hits WHERE region NOT IN (SELECT code FROM regions WHERE code IS NOT NULL) ORDER BY id", "4")
	checkRows(t, s, "SELECT id FROM hits WHERE region NOT IN (SELECT code FROM regions WHERE rank > 100) ORDER BY id", "1", "2", "3", "4", "5")
	checkRows(t, s, "SELECT id FROM hits WHERE ms NOT IN (SELECT rank * 40 FROM regions WHERE rank IS NOT NULL) ORDER BY id", "4", "5")
	// EXISTS, correlated on equality (and a residual), and NOT EXISTS.
	checkRows(t, s, "SELECT id FROM hits AS h WHERE EXISTS (SELECT 1 FROM regions AS r WHERE r.code = h.region AND r.rank >= 2) ORDER BY id", "2", "3")
	checkRows(t, s, "SELECT id FROM hits WHERE NOT EXISTS (SELECT * FROM regions WHERE code = region) ORDER BY id", "4", "5")
	checkRows(t, s, "SELECT id FROM hits WHERE EXISTS (SELECT code FROM regions WHERE code = region AND name <> url AND rank <= id) ORDER BY id", "1", "2", "3")
	checkRows(t, s, "SELECT COUNT(*) FROM hits WHERE EXISTS (SELECT 1 FROM regions WHERE rank > 2)", "5")
	checkRows(t, s, "SELECT COUNT(*) FROM hits WHERE NOT EXISTS (SELECT MAX(rank) FROM regions)", "0")
	// Scalar subqueries.
	checkRows(t, s, "SELECT id, ms - (SELECT MIN(ms) FROM hits) FROM hits WHERE ms > (SELECT AVG(ms) FROM hits) ORDER BY id", "4|285")
	checkRows(t, s, "SELECT id FROM hits WHERE ms >= (SELECT AVG(ms) FROM hits) / 2 ORDER BY id", "1", "2", "4")
	checkRows(t, s, "SELECT (SELECT MAX(rank) FROM regions), (SELECT name FROM regions WHERE rank = 9)", "3|NULL")
	checkRows(t, s, "SELECT region, COUNT(*) FROM hits WHERE id < (SELECT MAX(rank) FROM regions) GROUP BY region ORDER BY region", "eu|1", "us|1")
	_, err := s.Exec(context.Background(), "SELECT (SELECT code FROM regions) FROM hits", false)
	if err == nil || !strings.Contains(err.Error(), "scalar subquery returned more than one row") {
		t.Fatalf("err = %v", err)
	}
	checkErrors(t, s, []errCase{
		{"SELECT id FROM hits WHERE region IN (SELECT code, name FROM regions)", "INVALID_ARGUMENT", "needs exactly one", 1, 38},
		{"SELECT id FROM hits WHERE id = 1 OR region IN (SELECT code FROM regions)", "UNSUPPORTED", "IN or [NOT] EXISTS", 1, 44},
		{"SELECT (SELECT code, name FROM regions)", "INVALID_ARGUMENT", "one column, not 2", 1, 8},
		{"SELECT region FROM hits GROUP BY region HAVING COUNT(*) > (SELECT MIN(rank) FROM regions)", "UNSUPPORTED", "scalar subquery", 1, 59},
		{"SELECT id FROM hits WHERE EXISTS (SELECT 1 FROM regions WHERE nope = region)", "NOT_FOUND", "column nope not found", 1, 63},
	})
}
