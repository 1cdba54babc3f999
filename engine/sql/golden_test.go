package sql

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// goldenCase is one case of a testdata/*.sql file. Cases are separated by
// blank lines. A case starts with comment lines: a title, or
// "-- --fail=<substring>" followed by "-- at=<line>:<column>" for a case
// that must fail there. The rest is the SQL, which Parse reads; lines and
// columns count from the SQL's first line.
type goldenCase struct {
	title    string
	fail     string
	at       string
	sql      string
	fileLine int
}

func readCases(t testing.TB, path string) []goldenCase {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	line := 1
	for _, chunk := range strings.Split(string(data), "\n\n") {
		start := line
		line += strings.Count(chunk, "\n") + 2
		chunk = strings.Trim(chunk, "\n")
		if chunk == "" {
			continue
		}
		c := goldenCase{fileLine: start}
		lines := strings.Split(chunk, "\n")
		for len(lines) > 0 && strings.HasPrefix(lines[0], "--") {
			h := strings.TrimSpace(strings.TrimPrefix(lines[0], "--"))
			switch {
			case strings.HasPrefix(h, "--fail="):
				c.fail = strings.TrimPrefix(h, "--fail=")
			case strings.HasPrefix(h, "at="):
				c.at = strings.TrimPrefix(h, "at=")
			case c.title == "" && c.fail == "":
				c.title = h
			}
			lines = lines[1:]
		}
		c.sql = strings.Join(lines, "\n")
		if c.sql == "" {
			t.Fatalf("%s:%d: case without SQL", path, start)
		}
		if c.fail != "" && c.at == "" {
			t.Fatalf("%s:%d: failing case without -- at=L:C", path, start)
		}
		cases = append(cases, c)
	}
	return cases
}

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sql")
	if len(files) == 0 {
		t.Fatal("no testdata/*.sql")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".sql"), func(t *testing.T) {
			var out strings.Builder
			for _, c := range readCases(t, file) {
				where := fmt.Sprintf("%s:%d", file, c.fileLine)
				stmts, err := Parse(c.sql)
				header := c.title
				if c.fail != "" {
					header = "--fail=" + c.fail
				}
				fmt.Fprintf(&out, "-- %s\n", header)
				if c.fail != "" {
					var perr *Error
					switch {
					case err == nil:
						t.Errorf("%s: parsed, want error %q", where, c.fail)
						continue
					case !errors.As(err, &perr):
						t.Errorf("%s: error %v is not a *Error", where, err)
					case !strings.Contains(err.Error(), c.fail):
						t.Errorf("%s: error %q, want it to contain %q", where, err, c.fail)
					case perr.Pos.String() != c.at:
						t.Errorf("%s: error at %s, want %s (%v)", where, perr.Pos, c.at, err)
					}
					fmt.Fprintf(&out, "ERROR: %v\n\n", err)
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				fmt.Fprintf(&out, "%s;\n\n", roundTrip(t, stmts))
			}
			golden := strings.TrimSuffix(file, ".sql") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got := out.String(); got != string(want) {
				t.Errorf("output differs from %s (run go test -update and review the diff):\n%s",
					golden, firstDiff(got, string(want)))
			}
		})
	}
}

// firstDiff shows the first differing line of got and want.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return ""
}
