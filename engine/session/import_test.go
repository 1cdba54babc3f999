package session_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// writeParquet writes rows id = from..to-1 with name "n<id>" and an INT
// score id % 7 (NULL every 5th row) as a plain Parquet file, as another tool
// would: no Iceberg field ids.
func writeParquet(t *testing.T, path string, from, to int) {
	t.Helper()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "score", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("n%d", i))
		b.Field(1).(*array.Int64Builder).Append(int64(i))
		if i%5 == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Int32Builder).Append(int32(i % 7))
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(sc, f, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFilesystemImport(t *testing.T) {
	ctx := context.Background()
	s, wh := newSession(t)
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "a.parquet"), 0, 1000)
	writeParquet(t, filepath.Join(dir, "b.parquet"), 1000, 2500)
	if err := os.WriteFile(filepath.Join(dir, "_SUCCESS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// sum(id) over 0..2499, and the scores.
	const sumID = 2499 * 2500 / 2

	mustExec(t, s, fmt.Sprintf(`CREATE TABLE files (id BIGINT NOT NULL, name STRING, score BIGINT, missing STRING, src STRING METADATA FROM 'file.path')
		WITH ('connector' = 'filesystem', 'path' = '%s/*.parquet', 'format' = 'parquet')`, dir))
	checkRows(t, s, `SELECT COUNT(*), SUM(id), COUNT(score), COUNT(missing), COUNT(DISTINCT src) FROM files`, fmt.Sprintf("2500|%d|2000|0|2", sumID))
	checkRows(t, s, `DESCRIBE files`, "id|BIGINT|FALSE|||", "name|STRING|TRUE|||", "score|BIGINT|TRUE|||", "missing|STRING|TRUE|||", "src|STRING|TRUE||METADATA FROM 'file.path'|")
	checkRows(t, s, `SHOW TABLES`, "files")

	// Import: INSERT INTO a lake table SELECT from the files.
	mustExec(t, s, `CREATE TABLE people (id BIGINT NOT NULL, name STRING, score BIGINT) PARTITIONED BY (bucket(4, id))`)
	r := mustExec(t, s, `INSERT INTO people SELECT id, name, score FROM files`)
	if r.Stats.RowsAffected != 2500 {
		t.Fatalf("imported %d rows", r.Stats.RowsAffected)
	}
	checkRows(t, s, `SELECT COUNT(*), SUM(id), COUNT(DISTINCT id), SUM(score) FROM people`, fmt.Sprintf("2500|%d|2500|%s", sumID, render(t, mustExec(t, s, `SELECT SUM(score) FROM files`))[0]))

	// add_files registers the same files without rewriting them.
	mustExec(t, s, `CREATE TABLE registered (id BIGINT NOT NULL, name STRING, score INT)`)
	r = mustExec(t, s, fmt.Sprintf(`CALL system.add_files('registered', '%s/')`, dir))
	if got := render(t, r); len(got) != 1 || !strings.HasPrefix(got[0], "2|2500|") {
		t.Fatalf("add_files returned %q", got)
	}
	checkRows(t, s, `SELECT COUNT(*), SUM(id), MAX(name), COUNT(score) FROM registered WHERE id >= 0`, fmt.Sprintf("2500|%d|n999|2000", sumID))
	// Pruning works from the footers' statistics.
	checkRows(t, s, `SELECT COUNT(*) FROM registered WHERE id >= 2000`, "500")
	tbl, err := wh.LoadTable(ctx, table.Identifier{"default", "registered"})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := lake.Verify(ctx, tbl); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep)
	}

	writeParquet(t, filepath.Join(t.TempDir(), "c.parquet"), 0, 1)
	for _, c := range []struct{ sql, code, msg string }{
		{fmt.Sprintf(`CALL system.add_files('registered', '%s/a.parquet')`, dir), "CONFLICT", "already part of default.registered"},
		{fmt.Sprintf(`CALL system.add_files('people', '%s/nothing-*.parquet')`, dir), "NOT_FOUND", "no files match"},
		{`CALL system.add_files('registered')`, "INVALID_ARGUMENT", "takes 2 arguments"},
		{`CALL system.add_files('registered', 1)`, "INVALID_ARGUMENT", "argument 2 of system.add_files must be a string"},
		{`CALL system.rewrite_everything()`, "NOT_FOUND", "no procedure system.rewrite_everything"},
		{`CREATE TABLE f2 (a INT) WITH ('connector' = 'filesystem', 'format' = 'parquet')`, "", ""},
		{`SELECT * FROM f2`, "INTERNAL", "needs 'path'"},
		{`CREATE TABLE k (a INT) WITH ('connector' = 'nosuch')`, "UNSUPPORTED", "connector 'nosuch' is not supported; wharf reads 'datagen', 'filesystem', 'kafka', 'nexmark'"},
		{`CREATE TABLE files (a INT) WITH ('connector' = 'filesystem')`, "ALREADY_EXISTS", "files"},
		{`CREATE TABLE people2 (a INT) WITH ('connector' = 'filesystem', 'path' = '/x', 'format' = 'parquet', 'bogus' = '1')`, "", ""},
		{`SELECT * FROM people2`, "INTERNAL", "unknown option 'bogus'"},
	} {
		_, err := s.Exec(ctx, c.sql, false)
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", c.sql, err)
			}
			continue
		}
		var e *session.Error
		if !errors.As(err, &e) || string(e.Code) != c.code || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%s:\n got %v\nwant %s containing %q", c.sql, err, c.code, c.msg)
		}
	}
	// CSV and JSON lines import too; a line that does not decode fails the
	// statement with its file and line.
	csvDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(csvDir, "p.csv"), []byte("7,seven,1\n8,eight,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, fmt.Sprintf(`CREATE TABLE csvfiles (id BIGINT NOT NULL, name STRING, score BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')`, csvDir))
	mustExec(t, s, `INSERT INTO people SELECT * FROM csvfiles`)
	checkRows(t, s, `SELECT name FROM people WHERE id IN (7, 8) AND name NOT LIKE 'n%' ORDER BY id`, "seven", "eight")
	if err := os.WriteFile(filepath.Join(csvDir, "q.csv"), []byte("9,nine,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Exec(ctx, `INSERT INTO people SELECT * FROM csvfiles`, false); err == nil || !strings.Contains(err.Error(), "record 0 of "+filepath.Join(csvDir, "q.csv")) {
		t.Fatalf("bad CSV line: %v", err)
	}
	checkRows(t, s, `SELECT COUNT(*) FROM people`, "2502")

	// DROP TABLE of a connector table drops its definition, not files.
	mustExec(t, s, `DROP TABLE files`)
	if _, err := os.Stat(filepath.Join(dir, "a.parquet")); err != nil {
		t.Fatal(err)
	}
	checkRows(t, s, `SHOW TABLES LIKE 'f%'`, "f2")
}
