package session_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

func TestInsertSelect(t *testing.T) {
	ctx := context.Background()
	s, wh := newSession(t)
	mustExec(t, s, `CREATE TABLE src (id BIGINT NOT NULL, region STRING, ms INT, price DECIMAL(12, 3))`)
	mustExec(t, s, `INSERT INTO src VALUES (1, 'eu', 120, 1.5), (2, 'us', 80, 2.25), (3, 'us', NULL, NULL), (4, 'ap', 300, 10)`)
	mustExec(t, s, `CREATE TABLE dst (region STRING, n BIGINT NOT NULL, total_ms BIGINT, price DECIMAL(10, 2))`)

	// Aggregates, widening INT → BIGINT and DECIMAL(12,3) → DECIMAL(10,2).
	r := mustExec(t, s, `INSERT INTO dst SELECT region, COUNT(*), SUM(ms), MAX(price) FROM src GROUP BY region`)
	if r.Stats.RowsAffected != 3 {
		t.Fatalf("rows affected %d, want 3", r.Stats.RowsAffected)
	}
	checkRows(t, s, `SELECT * FROM dst ORDER BY region`, "ap|1|300|10", "eu|1|120|1.5", "us|2|80|2.25")

	// A column list: the others are NULL. WITH, ORDER BY and LIMIT work.
	mustExec(t, s, `INSERT INTO dst (n, region) WITH big AS (SELECT * FROM src WHERE id > 2) SELECT id, region FROM big ORDER BY id LIMIT 1`)
	checkRows(t, s, `SELECT region, n, total_ms, price FROM dst WHERE n = 3`, "us|3|NULL|NULL")

	// The snapshot names its job, version and the upstream snapshot it read.
	tbl, err := wh.LoadTable(ctx, table.Identifier{"default", "dst"})
	if err != nil {
		t.Fatal(err)
	}
	var sources []commit.Range
	if err := json.Unmarshal([]byte(tbl.CurrentSnapshot().Summary.Properties[commit.KeySources]), &sources); err != nil {
		t.Fatal(err)
	}
	srcTbl, err := wh.LoadTable(ctx, table.Identifier{"default", "src"})
	if err != nil {
		t.Fatal(err)
	}
	want := commit.Range{Kind: "table", Name: "default.src", To: srcTbl.CurrentSnapshot().SequenceNumber + 1}
	if len(sources) != 1 || sources[0] != want {
		t.Fatalf("sources %+v, want %+v", sources, want)
	}
	rep, err := lake.Verify(ctx, tbl)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep)
	}

	// INSERT … SELECT from the table itself reads the snapshot before the write.
	mustExec(t, s, `INSERT INTO src SELECT id + 10, region, ms, price FROM src`)
	checkRows(t, s, `SELECT COUNT(*), SUM(id) FROM src`, "8|60")
}

// TestInsertNoRows: a statement that inserts nothing still commits, as a
// snapshot of its own without files (it used to panic on a table without
// snapshots, and to report another commit's snapshot otherwise).
func TestInsertNoRows(t *testing.T) {
	ctx := context.Background()
	s, wh := newSession(t)
	mustExec(t, s, `CREATE TABLE t (a BIGINT)`)
	id := table.Identifier{"default", "t"}
	var last int64
	for i, q := range []string{`INSERT INTO t SELECT a FROM t`, `INSERT INTO t VALUES (1)`, `INSERT INTO t SELECT a FROM t WHERE a > 5`} {
		r := mustExec(t, s, q)
		tbl, err := wh.LoadTable(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		head := tbl.CurrentSnapshot()
		if head == nil || r.Stats.SnapshotID != head.SnapshotID || head.SnapshotID == last || len(tbl.Metadata().Snapshots()) != i+1 {
			t.Fatalf("%s: snapshot %d, head %+v, %d snapshots", q, r.Stats.SnapshotID, head, len(tbl.Metadata().Snapshots()))
		}
		last = head.SnapshotID
	}
	checkRows(t, s, `SELECT COUNT(*) FROM t`, "1")
}

func TestInsertSelectErrors(t *testing.T) {
	s, _ := newSession(t)
	mustExec(t, s, `CREATE TABLE src (id BIGINT NOT NULL, name STRING, big DECIMAL(20, 2))`)
	mustExec(t, s, `INSERT INTO src VALUES (1, 'a', 123456789012.5), (2, NULL, 1)`)
	mustExec(t, s, `CREATE TABLE dst (id INT NOT NULL, name STRING NOT NULL, small DECIMAL(4, 1))`)
	cases := []struct{ sql, code, msg string }{
		{`INSERT INTO dst SELECT id, name FROM src`, "INVALID_ARGUMENT", "the query produces 2 columns but 3 are inserted"},
		{`INSERT INTO dst SELECT id, name, big FROM src`, "INVALID_ARGUMENT", "column id: query column 1 (id) of type BIGINT does not fit type INT (use CAST)"},
		{`INSERT INTO dst SELECT CAST(id AS INT), name, NULL FROM src`, "INVALID_ARGUMENT", "column name is NOT NULL but row 2 of the query is NULL"},
		{`INSERT INTO dst SELECT CAST(id AS INT), 'x', big FROM src`, "INVALID_ARGUMENT", "column small: row 1's value does not fit type DECIMAL(4, 1)"},
		{`INSERT INTO dst (id, nope) SELECT 1, 2`, "NOT_FOUND", "unknown column nope in table default.dst"},
		{`INSERT INTO dst (id) SELECT 1`, "INVALID_ARGUMENT", "column name is NOT NULL and has no value"},
		{`INSERT INTO dst PARTITION (id = 1) SELECT 'a', 1.0`, "INVALID_ARGUMENT", "id is not an identity partition column"},
	}
	checkRefused(t, s, cases)
	// Nothing was committed by the failed statements.
	checkRows(t, s, `SELECT COUNT(*) FROM dst`, "0")
}

func TestInsertOverwrite(t *testing.T) {
	ctx := context.Background()
	s, wh := newSession(t)
	mustExec(t, s, `CREATE TABLE src (id BIGINT, day_ STRING, v INT)`)
	mustExec(t, s, `INSERT INTO src VALUES (1, 'mon', 1), (2, 'mon', 2), (3, 'tue', 3), (4, 'wed', 4)`)

	// Unpartitioned: the whole table is replaced, also by an empty result.
	mustExec(t, s, `CREATE TABLE flat (id BIGINT, v INT)`)
	mustExec(t, s, `INSERT INTO flat VALUES (100, 100), (101, 101)`)
	mustExec(t, s, `INSERT OVERWRITE flat SELECT id, v FROM src WHERE v > 2`)
	checkRows(t, s, `SELECT id FROM flat ORDER BY id`, "3", "4")
	mustExec(t, s, `INSERT OVERWRITE flat SELECT id, v FROM src WHERE v > 100`)
	checkRows(t, s, `SELECT COUNT(*) FROM flat`, "0")

	// Partitioned by day_: dynamic overwrite replaces only the partitions written.
	mustExec(t, s, `CREATE TABLE part (id BIGINT, day_ STRING, v INT) PARTITIONED BY (day_)`)
	mustExec(t, s, `INSERT INTO part SELECT * FROM src`)
	mustExec(t, s, `INSERT OVERWRITE part SELECT id * 10, day_, v FROM src WHERE day_ = 'mon'`)
	checkRows(t, s, `SELECT id, day_ FROM part ORDER BY id`, "3|tue", "4|wed", "10|mon", "20|mon")

	// A static partition: the query gives the other columns, and the named
	// partition is replaced even when the query writes nothing.
	mustExec(t, s, `INSERT OVERWRITE part PARTITION (day_ = 'tue') SELECT id * 100, v FROM src WHERE id = 1`)
	checkRows(t, s, `SELECT id, day_ FROM part ORDER BY id`, "4|wed", "10|mon", "20|mon", "100|tue")
	mustExec(t, s, `INSERT OVERWRITE part PARTITION (day_ = 'wed') SELECT id, v FROM src WHERE id < 0`)
	checkRows(t, s, `SELECT id, day_ FROM part ORDER BY id`, "10|mon", "20|mon", "100|tue")
	// INSERT INTO with a static partition appends into it.
	mustExec(t, s, `INSERT INTO part PARTITION (day_ = 'mon') VALUES (7, 7)`)
	checkRows(t, s, `SELECT id FROM part WHERE day_ = 'mon' ORDER BY id`, "7", "10", "20")

	for _, name := range []string{"flat", "part"} {
		tbl, err := wh.LoadTable(ctx, table.Identifier{"default", name})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := lake.Verify(ctx, tbl)
		if err != nil || !rep.OK() {
			t.Fatalf("verify %s: %v %+v", name, err, rep)
		}
	}
}

func TestStatementSet(t *testing.T) {
	ctx := context.Background()
	s, wh := newSession(t)
	mustExec(t, s, `CREATE TABLE src (id BIGINT, region STRING)`)
	mustExec(t, s, `INSERT INTO src VALUES (1, 'eu'), (2, 'us'), (3, 'eu')`)
	mustExec(t, s, `CREATE TABLE eu (id BIGINT)`)
	mustExec(t, s, `CREATE TABLE us (id BIGINT)`)
	r := mustExec(t, s, `EXECUTE STATEMENT SET BEGIN
		INSERT INTO eu SELECT id FROM src WHERE region = 'eu';
		INSERT INTO us SELECT id FROM src WHERE region = 'us';
	END`)
	if r.Stats.RowsAffected != 3 {
		t.Fatalf("rows %d", r.Stats.RowsAffected)
	}
	checkRows(t, s, `SELECT COUNT(*) FROM eu`, "2")
	checkRows(t, s, `SELECT COUNT(*) FROM us`, "1")
	// One epoch of one job committed both tables.
	job := func(name string) string {
		tbl, err := wh.LoadTable(ctx, table.Identifier{"default", name})
		if err != nil {
			t.Fatal(err)
		}
		return tbl.CurrentSnapshot().Summary.Properties[commit.KeyJob]
	}
	if job("eu") == "" || job("eu") != job("us") {
		t.Fatalf("jobs %q and %q", job("eu"), job("us"))
	}
	// A failing INSERT commits nothing of the set.
	for _, c := range []struct{ sql, msg string }{
		{`BEGIN STATEMENT SET; INSERT INTO eu SELECT id FROM src; INSERT INTO us SELECT region FROM src; END`, "does not fit type BIGINT"},
		{`EXECUTE STATEMENT SET BEGIN INSERT INTO eu SELECT 1; INSERT INTO eu SELECT 2; END`, "writes default.eu twice"},
	} {
		if _, err := s.Exec(ctx, c.sql, false); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.sql, err)
		}
	}
	checkRows(t, s, `SELECT COUNT(*) FROM eu`, "2")
}
