package session_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestNexmarkBatch runs every Nexmark query as a batch job over a bounded
// generator (the three tables of one seed), so the queries' SQL is checked
// end to end; the continuous runs are compared against these.
func TestNexmarkBatch(t *testing.T) {
	s, _ := newSession(t)
	gen := `WITH ('connector' = 'nexmark', 'seed' = '3', 'events.num' = '50000', 'table' = '%s')`
	mustExec(t, s, `CREATE TABLE bid (`+bidColumns+`) `+strings.Replace(gen, "%s", "bid", 1))
	mustExec(t, s, `CREATE TABLE auction (id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra STRING) `+strings.Replace(gen, "%s", "auction", 1))
	mustExec(t, s, `CREATE TABLE person (id BIGINT, name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING, dateTime TIMESTAMP(3), extra STRING) `+strings.Replace(gen, "%s", "person", 1))
	files, _ := filepath.Glob("../connector/nexmark/testdata/queries/q*.sql")
	var failed []string
	for _, f := range files {
		q := strings.TrimSuffix(filepath.Base(f), ".sql")
		sink, insert := nexmarkQuery(t, q)
		mustExec(t, s, `CREATE TABLE `+sink)
		r, err := s.Exec(context.Background(), insert, false)
		if err != nil {
			failed = append(failed, q+": "+err.Error())
			continue
		}
		t.Logf("%s: %d rows", q, r.Stats.RowsAffected)
	}
	if len(failed) != 0 {
		t.Errorf("%d of %d queries run as batch; failed:\n%s", len(files)-len(failed), len(files), strings.Join(failed, "\n"))
	}
}
