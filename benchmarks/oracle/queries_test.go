package oracle

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// query is one entry of testdata/queries.sql.
//
// The file format: each query starts with a header comment
//
//	-- family/name: what it checks
//
// followed by optional directive comments, then the SQL (Flink SQL, the
// dialect wharf speaks) ending with ';' at the end of a line:
//
//	-- duckdb: <sql>    DuckDB's text, when the dialects differ (repeat the
//	                    line to continue it); the default is the same SQL
//	-- pending: <why>   wharf cannot run it yet: skipped, listed in the output
//	-- bug: <what>      wharf runs it but answers wrongly (a known, reported
//	                    bug): skipped and listed like pending, until fixed
//	-- unordered        compare as a multiset even though there is an ORDER BY
//
// Other comment lines are notes. Comments before the first header are the
// file's preamble.
type query struct {
	Family, Name, Desc string
	Line               int
	SQL                string // wharf's
	Duck               string // DuckDB's
	Pending            string
	Bug                string
	Unordered          bool
}

// Skip is why the query is not compared ("" = it is).
func (q query) Skip() string {
	switch {
	case q.Pending != "":
		return "pending: " + q.Pending
	case q.Bug != "":
		return "known bug: " + q.Bug
	}
	return ""
}

// ID is how the test output names the query.
func (q query) ID() string { return q.Family + "/" + q.Name }

var (
	headerRE    = regexp.MustCompile(`^--\s*([a-z0-9_]+)/([a-z0-9_-]+):\s*(.*)$`)
	directiveRE = regexp.MustCompile(`^--\s*(duckdb|pending|bug):\s*(.*)$`)
	orderByRE   = regexp.MustCompile(`(?i)\border\s+by\b`)
)

// Ordered says whether rows must match in order: the query has an ORDER BY
// (and its author made ties impossible) and is not marked unordered.
func (q query) Ordered() bool { return !q.Unordered && orderByRE.MatchString(q.SQL) }

func parseQueries(r io.Reader) ([]query, error) {
	var (
		out  []query
		cur  *query
		sql  []string
		duck []string
		seen = map[string]int{}
	)
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		isComment := strings.HasPrefix(text, "--")
		if cur == nil || len(sql) == 0 {
			// Between queries, or in a query's header block.
			if m := headerRE.FindStringSubmatch(text); m != nil {
				if cur != nil {
					return nil, fmt.Errorf("line %d: header of %s/%s before %s has any SQL", line, m[1], m[2], cur.ID())
				}
				cur = &query{Family: m[1], Name: m[2], Desc: m[3], Line: line}
				if prev, dup := seen[cur.ID()]; dup {
					return nil, fmt.Errorf("line %d: %s is also on line %d", line, cur.ID(), prev)
				}
				seen[cur.ID()] = line
				continue
			}
			if cur == nil {
				if directiveRE.MatchString(text) || text == "-- unordered" {
					return nil, fmt.Errorf("line %d: a directive belongs between a query's header and its SQL", line)
				}
				if text != "" && !isComment {
					return nil, fmt.Errorf("line %d: SQL without a '-- family/name: description' header", line)
				}
				continue
			}
			if m := directiveRE.FindStringSubmatch(text); m != nil {
				switch m[1] {
				case "duckdb":
					duck = append(duck, m[2])
				case "pending":
					cur.Pending = m[2]
				case "bug":
					cur.Bug = m[2]
				}
				continue
			}
			if text == "-- unordered" {
				cur.Unordered = true
				continue
			}
			if isComment || text == "" {
				continue
			}
		}
		if isComment && len(sql) > 0 {
			continue // a note inside the SQL
		}
		sql = append(sql, sc.Text())
		if strings.HasSuffix(text, ";") {
			cur.SQL = strings.TrimSuffix(strings.TrimSpace(strings.Join(sql, "\n")), ";")
			cur.Duck = cur.SQL
			if len(duck) > 0 {
				cur.Duck = strings.TrimSuffix(strings.TrimSpace(strings.Join(duck, "\n")), ";")
			}
			out = append(out, *cur)
			cur, sql, duck = nil, nil, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("%s (line %d): the SQL does not end with ';'", cur.ID(), cur.Line)
	}
	return out, nil
}
