package session_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var bytesRE = regexp.MustCompile(`bytes: \d+ of \d+ kept`)

var update = flag.Bool("update", false, "rewrite golden files")

// TestPlanGolden checks EXPLAIN of each query in testdata/plans.sql against
// testdata/plans.golden (regenerate with go test -update).
func TestPlanGolden(t *testing.T) {
	s, _ := newSession(t)
	mustExec(t, s, `CREATE TABLE hits (id BIGINT NOT NULL, url STRING, region STRING, ms INT, ts TIMESTAMP(3)) PARTITIONED BY (region)`)
	mustExec(t, s, `INSERT INTO hits VALUES (1, '/a', 'eu', 120, TIMESTAMP '2026-11-21 10:00:00'), (2, '/b', 'us', 80, NULL), (3, '/a', 'ap', NULL, NULL)`)
	src, err := os.ReadFile(filepath.Join("testdata", "plans.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	comment := ""
	for _, line := range strings.Split(string(src), "\n") {
		switch {
		case strings.HasPrefix(line, "--"):
			comment = line
			continue
		case strings.TrimSpace(line) == "":
			continue
		}
		q := strings.TrimSuffix(strings.TrimSpace(line), ";")
		out.WriteString(comment + "\n" + q + "\n")
		r, err := s.Exec(t.Context(), "EXPLAIN "+q, true)
		if err != nil {
			out.WriteString("ERROR: " + err.Error() + "\n\n")
			continue
		}
		// Byte counts depend on the Parquet writer; file counts carry the pruning.
		text := bytesRE.ReplaceAllString(strings.Join(render(t, r), "\n"), "bytes: … of … kept")
		out.WriteString(text + "\n\n")
		r.Release()
	}
	golden := filepath.Join("testdata", "plans.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if out.String() != string(want) {
		t.Fatalf("plans differ from %s (go test -update rewrites it):\n%s", golden, out.String())
	}
}
