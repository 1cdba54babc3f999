package session_test

import (
	"context"
	"strings"
	"testing"
)

func TestViews(t *testing.T) {
	s := setsSession(t)
	mustExec(t, s, `CREATE VIEW eu_hits AS SELECT id, url, ms FROM hits WHERE region = 'eu' OR region IS NULL`)
	mustExec(t, s, `CREATE VIEW busy (page, n) AS SELECT url, COUNT(*) FROM hits GROUP BY url`)
	mustExec(t, s, `CREATE VIEW IF NOT EXISTS busy AS SELECT 1`)
	// Views over views, joins with tables, aliases with column lists.
	mustExec(t, s, `CREATE VIEW eu_busy AS SELECT e.id, b.n FROM eu_hits e JOIN busy b ON e.url = b.page`)
	checkRows(t, s, `SELECT * FROM eu_hits ORDER BY id`, "1|/a|120", "5|NULL|15")
	checkRows(t, s, `SELECT page, n FROM busy WHERE n > 1`, "/a|2")
	checkRows(t, s, `SELECT * FROM eu_busy`, "1|2")
	checkRows(t, s, `SELECT x.p FROM busy AS x (p, c) WHERE c = 2`, "/a")
	// A view sees the table as it is when queried, not when created.
	mustExec(t, s, `INSERT INTO hits VALUES (6, '/a', 'eu', 1, NULL, NULL)`)
	checkRows(t, s, `SELECT n FROM busy WHERE page = '/a'`, "3")
	// A temporary view shadows nothing and vanishes with DROP.
	mustExec(t, s, `CREATE TEMPORARY VIEW tmp AS SELECT COUNT(*) AS c FROM hits`)
	checkRows(t, s, `SELECT c FROM tmp`, "6")
	checkRows(t, s, `SHOW VIEWS`, "busy", "eu_busy", "eu_hits", "tmp")
	checkRows(t, s, `SHOW TABLES LIKE '%u%'`, "busy", "eu_busy", "eu_hits")
	checkRows(t, s, `DESCRIBE busy`, "page|STRING|TRUE|||", "n|BIGINT|FALSE|||")
	mustExec(t, s, `DROP TEMPORARY VIEW tmp`)
	mustExec(t, s, `DROP VIEW eu_busy`)
	mustExec(t, s, `DROP VIEW IF EXISTS eu_busy`)
	checkRows(t, s, `SHOW VIEWS`, "busy", "eu_hits")

	checkRefused(t, s, []struct{ sql, code, msg string }{
		{`CREATE VIEW busy AS SELECT 1`, "ALREADY_EXISTS", "busy"},
		{`CREATE VIEW hits AS SELECT 1`, "ALREADY_EXISTS", "Iceberg table"},
		{`CREATE TABLE busy (a INT)`, "ALREADY_EXISTS", "is a view"},
		{`CREATE VIEW v2 (a, b) AS SELECT 1`, "INVALID_ARGUMENT", "names 2 columns but its query produces 1"},
		{`CREATE VIEW v3 AS SELECT nope FROM hits`, "NOT_FOUND", "nope"},
		{`DROP VIEW hits`, "NOT_FOUND", "hits"},
		{`SELECT * FROM busy FOR SYSTEM_TIME AS OF TIMESTAMP '2026-01-01 00:00:00'`, "INVALID_ARGUMENT", "busy is a view"},
		{`INSERT INTO busy VALUES ('x', 1)`, "NOT_FOUND", "busy"},
	})
	// A view whose table went away says so when used.
	mustExec(t, s, `CREATE TABLE gone (a INT)`)
	mustExec(t, s, `CREATE VIEW on_gone AS SELECT a FROM gone`)
	mustExec(t, s, `DROP TABLE gone`)
	_, err := s.Exec(context.Background(), `SELECT * FROM on_gone`, true)
	if err == nil || !strings.Contains(err.Error(), "view on_gone no longer binds: table gone not found") {
		t.Fatalf("got %v", err)
	}
}
