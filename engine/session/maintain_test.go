package session_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"
)

// TestMaintenanceProcedures: compaction, expiry and orphan cleanup as
// Iceberg's CALL procedures; none changes what the table holds.
func TestMaintenanceProcedures(t *testing.T) {
	s, wh := newSession(t)
	mustExec(t, s, `CREATE TABLE m (id BIGINT, s STRING)`)
	for i := range 6 {
		mustExec(t, s, fmt.Sprintf(`INSERT INTO m VALUES (%d, 'a'), (%d, 'b')`, 2*i, 2*i+1))
	}
	got := render(t, mustExec(t, s, `CALL system.rewrite_data_files('m')`))
	if len(got) != 1 || !strings.HasPrefix(got[0], "6|1|") {
		t.Fatalf("rewrite_data_files: %q, want 6 files into 1", got)
	}
	checkRows(t, s, `SELECT COUNT(*), SUM(id) FROM m`, "12|66")
	checkRows(t, s, `CALL system.rewrite_data_files('default.m')`, "0|0|0") // nothing small left to merge
	// Six inserts and the rewrite: all but the newest go.
	checkRows(t, s, `CALL system.expire_snapshots('m', '2999-01-01 00:00:00')`, "6")
	checkRows(t, s, `SELECT COUNT(*), SUM(id) FROM m`, "12|66")
	// Nothing is an hour old: nothing is an orphan yet, whatever is asked,
	// not even a file no snapshot names.
	tbl, err := wh.LoadTable(context.Background(), table.Identifier{"default", "m"})
	if err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(strings.TrimPrefix(tbl.Location(), "file://"), "data", "stray.parquet")
	if err := os.WriteFile(stray, []byte("not yet committed"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkRows(t, s, `CALL system.remove_orphan_files('m', '2999-01-01')`)
	if _, err := os.Stat(stray); err != nil {
		t.Fatalf("a file younger than an hour was removed: %v", err)
	}
	checkRows(t, s, `SELECT COUNT(*), SUM(id) FROM m`, "12|66")
	checkRefused(t, s, []struct{ sql, code, msg string }{
		{`CALL system.rewrite_data_files()`, "INVALID_ARGUMENT", "takes 1 arguments, got 0"},
		{`CALL system.expire_snapshots('m', 'yesterday')`, "INVALID_ARGUMENT", `older than "yesterday": want a timestamp`},
		{`CALL system.rewrite_data_files('nope')`, "NOT_FOUND", "nope"},
		{`CALL system.compact('m')`, "NOT_FOUND", "system.rewrite_data_files"},
	})
	// A read-only caller may not run them.
	if _, err := s.Exec(context.Background(), `CALL system.rewrite_data_files('m')`, true); err == nil {
		t.Error("a read-only call compacted")
	}
}
