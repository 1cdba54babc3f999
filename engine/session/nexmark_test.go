package session_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

const bidColumns = `auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, dateTime TIMESTAMP(3), extra STRING`

// nexmarkQuery reads a Nexmark query file: its sink's columns and its INSERT.
func nexmarkQuery(t *testing.T, q string) (sink, insert string) {
	t.Helper()
	b, err := os.ReadFile("../connector/nexmark/testdata/queries/" + q + ".sql")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "\n-- sink: ")
	sink, insert, _ = strings.Cut(rest, "\n")
	return sink, strings.TrimSuffix(strings.TrimSpace(insert), ";")
}

// TestNexmarkStreamingEqualsBatch runs the stateless Nexmark queries as
// continuous jobs over the unbounded generator, stops each after a while,
// and checks that its table holds exactly what the same SQL computes as a
// batch over the events the job consumed (a bounded generator of the same
// seed, as many events as the job's committed position).
func TestNexmarkStreamingEqualsBatch(t *testing.T) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	m := runtime.NewManager(wh)
	s := session.New(wh, session.WithJobs(m))
	if err := m.Resume(ctx, s); err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	for _, q := range []string{"q0", "q1", "q2", "q14", "q21", "q22"} {
		t.Run(q, func(t *testing.T) {
			sink, insert := nexmarkQuery(t, q)
			name, _, _ := strings.Cut(sink, "(")
			mustExec(t, s, `CREATE TABLE bid (`+bidColumns+`) WITH ('connector' = 'nexmark', 'table' = 'bid', 'seed' = '42')`)
			mustExec(t, s, `CREATE TABLE `+sink)
			r := mustExec(t, s, insert)
			deadline := time.Now().Add(30 * time.Second)
			for {
				st, _ := m.Job(r.JobID)
				if st.RowsOut >= 2000 {
					break
				}
				if st.State == runtime.StateFailed || time.Now().After(deadline) {
					t.Fatalf("job %+v", st)
				}
				time.Sleep(20 * time.Millisecond)
			}
			st, err := m.Stop(ctx, r.JobID)
			if err != nil {
				t.Fatal(err)
			}
			consumed := st.Positions["gen:default.bid/0"]
			if consumed == 0 {
				t.Fatalf("status %+v", st)
			}
			// The same query as a batch over exactly the consumed events.
			mustExec(t, s, `DROP TABLE bid`)
			mustExec(t, s, fmt.Sprintf(`CREATE TABLE bid (`+bidColumns+`) WITH ('connector' = 'nexmark', 'table' = 'bid', 'seed' = '42', 'events.num' = '%d')`, consumed))
			mustExec(t, s, `CREATE TABLE `+strings.Replace(sink, name, name+"_batch", 1))
			mustExec(t, s, strings.Replace(insert, name, name+"_batch", 1))
			streamed := render(t, mustExec(t, s, `SELECT COUNT(*) FROM `+name))[0]
			checkRows(t, s, `SELECT COUNT(*) FROM `+name+`_batch`, streamed)
			checkRows(t, s, `SELECT COUNT(*) FROM (SELECT * FROM `+name+` EXCEPT SELECT * FROM `+name+`_batch)`, "0")
			checkRows(t, s, `SELECT COUNT(*) FROM (SELECT * FROM `+name+`_batch EXCEPT SELECT * FROM `+name+`)`, "0")
			t.Logf("%s: %s rows from %d events", q, streamed, consumed)
			mustExec(t, s, `DROP TABLE bid`)
		})
	}
}
