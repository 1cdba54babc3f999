package nexmark

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/engine/sql"
)

// queries are the Nexmark queries kept in testdata/queries (q6, q10, q12
// and q13 need features outside the flat tables: partitioned OVER windows
// on a retracting input, a filesystem sink, processing time, side input).
var queries = []string{"q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8", "q9", "q11", "q14", "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22"}

// TestQueriesParse parses every query file: a header comment, a `-- sink:`
// line whose columns make a valid CREATE TABLE, and one INSERT INTO that
// sink.
func TestQueriesParse(t *testing.T) {
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join("testdata", "queries", q+".sql"))
			if err != nil {
				t.Fatal(err)
			}
			src := string(text)
			if !strings.HasPrefix(src, "-- Nexmark "+q+",") {
				t.Errorf("no header comment naming %s", q)
			}
			_, sink, ok := strings.Cut(src, "\n-- sink: ")
			sink, _, _ = strings.Cut(sink, "\n")
			if !ok {
				t.Fatal("no -- sink: line")
			}
			ddl, err := sql.ParseOne("CREATE TABLE " + sink)
			if err != nil {
				t.Fatalf("sink %s: %v", sink, err)
			}
			pieces, err := sql.SplitStatements(src)
			if err != nil || len(pieces) != 1 {
				t.Fatalf("split: %d statements, %v", len(pieces), err)
			}
			stmt, err := sql.ParseOne(src)
			if err != nil {
				t.Fatal(err)
			}
			ins, ok := stmt.(*sql.Insert)
			if !ok {
				t.Fatalf("a %T, not an INSERT", stmt)
			}
			if got, want := ins.Table.String(), ddl.(*sql.CreateTable).Name.String(); got != want || want != "nexmark_"+q {
				t.Errorf("INSERT INTO %s, sink %s", got, want)
			}
			// The canonical print parses back: the tree is what was meant.
			if _, err := sql.ParseOne(stmt.String()); err != nil {
				t.Errorf("printed form does not parse: %v\n%s", err, stmt)
			}
		})
	}
}
