package session_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/session"
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

func TestSelectErrors(t *testing.T) {
	s, _ := newSession(t)
	mustExec(t, s, "CREATE TABLE t (amount DOUBLE, name STRING)")
	cases := []struct {
		sql, code, msg string
		line, col      int
	}{
		{"SELECT amout FROM t", "NOT_FOUND", "did you mean amount?", 1, 8},
		{"SELECT amount FROM missing", "NOT_FOUND", "", 1, 20},
		{"SELECT amount FROM t WHERE name + 1 > 2", "INVALID_ARGUMENT", "cannot apply", 1, 33},
		{"SELECT amount FROM t WHERE amount", "INVALID_ARGUMENT", "BOOLEAN", 1, 28},
		{"SELECT name, COUNT(*) FROM t GROUP BY name", "UNSUPPORTED", "GROUP BY", 1, 39},
		{"SELECT a.x FROM t JOIN t AS a ON TRUE", "UNSUPPORTED", "JOIN", 1, 19},
		{"SELECT amount FROM t ORDER BY 3", "INVALID_ARGUMENT", "position 3", 1, 31},
	}
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			_, err := s.Exec(context.Background(), c.sql, true)
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
