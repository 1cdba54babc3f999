package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

func newSession(t *testing.T) (*session.Session, *lake.Warehouse) {
	t.Helper()
	wh, err := lake.Open(context.Background(), lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	return session.New(wh), wh
}

func mustExec(t *testing.T, s *session.Session, q string) *session.Result {
	t.Helper()
	r, err := s.Exec(context.Background(), q, false)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	t.Cleanup(r.Release)
	return r
}

// cells flattens a string result.
func cells(r *session.Result) [][]string {
	var out [][]string
	for _, b := range r.Batches {
		for i := 0; i < int(b.NumRows()); i++ {
			var row []string
			for c := 0; c < int(b.NumCols()); c++ {
				row = append(row, b.Column(c).(*array.String).Value(i))
			}
			out = append(out, row)
		}
	}
	return out
}

func TestCreateInsertShowDrop(t *testing.T) {
	ctx := context.Background()
	s, wh := newSession(t)
	mustExec(t, s, `CREATE TABLE shop.orders (
		id BIGINT NOT NULL,
		customer STRING,
		amount DECIMAL(10, 2),
		qty TINYINT,
		ts TIMESTAMP(3),
		day_ DATE,
		PRIMARY KEY (id) NOT ENFORCED,
		WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
	) COMMENT 'orders' PARTITIONED BY (days(ts), bucket(8, id), customer, truncate(4, customer))
	WITH ('write.format.default' = 'parquet')`)
	r := mustExec(t, s, `INSERT INTO shop.orders VALUES
		(1, 'ann', 12.50, 3, TIMESTAMP '2026-11-21 10:00:00.123', DATE '2026-11-21'),
		(2, 'bob', 7, -4, '2026-11-21 11:30:00', '2026-11-20'),
		(3, NULL, CAST('1.25' AS DECIMAL(10, 2)), NULL, NULL, NULL)`)
	if r.Stats.RowsAffected != 3 || r.Stats.SnapshotID == 0 {
		t.Fatalf("insert stats %+v", r.Stats)
	}
	mustExec(t, s, `INSERT INTO shop.orders (id, customer) VALUES (4, 'cy')`)

	id := table.Identifier{"shop", "orders"}
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	spec := tbl.Spec()
	if got := spec.NumFields(); got != 4 {
		t.Fatalf("partition fields = %d", got)
	}
	if n := len(tbl.Metadata().Snapshots()); n != 2 {
		t.Fatalf("snapshots = %d, want 2", n)
	}
	for _, sn := range tbl.Metadata().Snapshots() {
		if sn.Summary.Properties[commit.KeyTxID] == "" || sn.Summary.Properties[commit.KeyJobVersion] == "" {
			t.Fatalf("snapshot %d lacks provenance: %v", sn.SnapshotID, sn.Summary.Properties)
		}
	}
	arrowTbl, err := tbl.Scan().ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if arrowTbl.NumRows() != 4 {
		t.Fatalf("rows = %d", arrowTbl.NumRows())
	}
	arrowTbl.Release()
	rep, err := s.Verify(ctx, id)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep)
	}

	if got := cells(mustExec(t, s, "SHOW TABLES FROM shop")); len(got) != 1 || got[0][0] != "orders" {
		t.Fatalf("show tables: %v", got)
	}
	desc := cells(mustExec(t, s, "DESCRIBE shop.orders"))
	want := [][]string{
		{"id", "BIGINT", "FALSE", "PRI(id)", "", ""},
		{"customer", "STRING", "TRUE", "", "", ""},
		{"amount", "DECIMAL(10, 2)", "TRUE", "", "", ""},
		{"qty", "TINYINT", "TRUE", "", "", ""},
		{"ts", "TIMESTAMP(3)", "TRUE", "", "", "ts - INTERVAL '5' SECOND"},
		{"day_", "DATE", "TRUE", "", "", ""},
	}
	if len(desc) != len(want) {
		t.Fatalf("describe: %v", desc)
	}
	for i := range want {
		if strings.Join(desc[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("describe row %d = %v, want %v", i, desc[i], want[i])
		}
	}
	mustExec(t, s, "CREATE TABLE IF NOT EXISTS shop.orders (x INT)")
	mustExec(t, s, "CREATE DATABASE IF NOT EXISTS shop")
	if _, err := s.Exec(ctx, "CREATE DATABASE shop", false); err == nil {
		t.Fatal("CREATE DATABASE of an existing database succeeded")
	}
	if _, err := s.Exec(ctx, "DROP DATABASE shop", false); err == nil {
		t.Fatal("DROP DATABASE of a database with tables succeeded")
	}
	mustExec(t, s, "DROP TABLE shop.orders")
	mustExec(t, s, "DROP TABLE IF EXISTS shop.orders")
	if got := cells(mustExec(t, s, "SHOW TABLES")); len(got) != 0 {
		t.Fatalf("after drop: %v", got)
	}
	if got := cells(mustExec(t, s, "SHOW DATABASES")); len(got) != 1 || got[0][0] != "shop" {
		t.Fatalf("show databases: %v", got)
	}
	mustExec(t, s, "DROP DATABASE shop")
	mustExec(t, s, "DROP DATABASE IF EXISTS shop")
	if _, err := s.Exec(ctx, "DROP DATABASE shop", false); err == nil {
		t.Fatal("DROP DATABASE of a missing database succeeded")
	}
}

func TestStatementErrors(t *testing.T) {
	s, _ := newSession(t)
	mustExec(t, s, "CREATE TABLE t (a INT NOT NULL, b STRING, c TINYINT)")
	cases := []struct {
		sql, code, msg string
		line, col      int
		readOnly       bool
	}{
		{"CREATE TABLE t (a INT)", "ALREADY_EXISTS", "", 1, 1, false},
		{"SELEC 1", "SYNTAX_ERROR", "", 1, 1, false},
		{"INSERT INTO t VALUES (1, 'x', 1000)", "INVALID_ARGUMENT", "out of range", 1, 31, false},
		{"INSERT INTO t VALUES (NULL, 'x', 1)", "INVALID_ARGUMENT", "NOT NULL", 1, 23, false},
		{"INSERT INTO t VALUES (1, 2, 3)", "INVALID_ARGUMENT", "does not fit", 1, 26, false},
		{"INSERT INTO t VALUES (1, 'x')", "INVALID_ARGUMENT", "2 values but 3", 1, 23, false},
		{"INSERT INTO t (b) VALUES ('x')", "INVALID_ARGUMENT", "NOT NULL", 1, 1, false},
		{"INSERT INTO t (a, zz) VALUES (1, 2)", "NOT_FOUND", "unknown column zz", 1, 19, false},
		{"INSERT INTO missing VALUES (1)", "NOT_FOUND", "", 1, 1, false},
		{"CREATE TABLE p (ts TIMESTAMP(3)) PARTITIONED BY (bucket(0, ts))", "INVALID_ARGUMENT", "bucket count", 1, 50, false},
		{"CREATE TABLE p (s STRING) PARTITIONED BY (days(s))", "INVALID_ARGUMENT", "does not apply", 1, 43, false},
		{"CREATE TABLE `../x` (a INT)", "INVALID_ARGUMENT", "names are", 1, 14, false},
		{"CREATE TABLE p (ts TIMESTAMP(3)) PARTITIONED BY (days(ts), hours(ts))", "INVALID_ARGUMENT", "redundant", 1, 60, false},
		{"CREATE TABLE k (a INT) WITH ('connector' = 'hive')", "UNSUPPORTED", "connector 'hive' is not supported", 1, 30, false},
		{"INSERT INTO t VALUES (1, 'x', 1)", "FORBIDDEN", "", 1, 1, true},
		{"DROP TABLE t", "FORBIDDEN", "", 1, 1, true},
	}
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			_, err := s.Exec(context.Background(), c.sql, c.readOnly)
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
	// Read-only callers may still read.
	if _, err := s.Exec(context.Background(), "SHOW TABLES", true); err != nil {
		t.Fatal(err)
	}
}

// TestInsertExpressions: VALUES are evaluated by the engine, so they take the
// same expressions and conversions as queries.
func TestInsertExpressions(t *testing.T) {
	s, _ := newSession(t)
	mustExec(t, s, "CREATE TABLE e (id BIGINT, name STRING, ts TIMESTAMP(3), amount DECIMAL(5, 2), score DOUBLE)")
	mustExec(t, s, `INSERT INTO e VALUES
		(1, UPPER('ann'), TIMESTAMP '2026-11-21 10:00:00' + INTERVAL '1' DAY, 12.345, 7),
		(2 + 3, CONCAT('b', 'o', 'b'), '2026-11-21 11:30:00', CAST('1.5' AS DECIMAL(5, 2)), 0.5)`)
	got := render(t, mustExec(t, s, "SELECT id, name, CAST(ts AS STRING), amount, score FROM e ORDER BY id"))
	want := []string{"1|ANN|2026-11-22 10:00:00.000000|12.35|7", "5|bob|2026-11-21 11:30:00.000000|1.5|0.5"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, c := range []struct{ sql, msg string }{
		{"INSERT INTO e (id, amount) VALUES (1, 12345.6)", "does not fit type DECIMAL(5, 2)"},
		{"INSERT INTO e (id) VALUES (1.5E0)", "DOUBLE does not fit type BIGINT"},
		{"INSERT INTO e (id) VALUES (COUNT(*))", "not allowed in VALUES"},
	} {
		_, err := s.Exec(context.Background(), c.sql, false)
		var e *session.Error
		if !errors.As(err, &e) || e.Code != session.CodeInvalid || !strings.Contains(e.Msg, c.msg) || e.Pos == nil {
			t.Errorf("%s: %v, want INVALID_ARGUMENT containing %q with a position", c.sql, err, c.msg)
		}
	}
}
