package session_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
)

// TestWindowJobEarlyFiring runs a tumbling-window aggregation with early
// firing into a table keyed by window and auction, over the Nexmark
// generator paced by the wall clock: the table holds partial results of a
// window well before the watermark closes it. The job is killed without a
// final epoch (its windows are rebuilt by replay, and fire +I rows over
// the partial ones), then stopped; every window the watermark closed must
// equal the batch result of the same SQL over the events consumed.
func TestWindowJobEarlyFiring(t *testing.T) {
	ctx := context.Background()
	j := newJobServer(t)
	s, m := j.s, j.m
	// Event time runs with the wall clock, 1,000 events/s: a 2 s window is
	// open for some 3 s (the watermark trails by 1 s).
	gen := `WITH ('connector' = 'nexmark', 'table' = 'bid', 'seed' = '5', 'first-event-rate' = '1000'%s)`
	mustExec(t, s, `CREATE TABLE bid (`+bidColumns+`, WATERMARK FOR dateTime AS dateTime - INTERVAL '1' SECOND) `+fmt.Sprintf(gen, ", 'rate-limited' = 'true'"))
	mustExec(t, s, `CREATE TABLE per_auction (window_start TIMESTAMP(3), window_end TIMESTAMP(3), auction BIGINT, n BIGINT, top BIGINT,
		PRIMARY KEY (window_start, window_end, auction) NOT ENFORCED) WITH ('wharf.commit-interval' = '200 ms', 'wharf.early-fire.delay' = '400 ms')`)
	id := mustExec(t, s, `INSERT INTO per_auction `+perAuctionQuery).JobID

	status := func(m *runtime.Manager) runtime.Status {
		st, _ := m.Job(id)
		if st.State == runtime.StateFailed {
			t.Fatalf("job %+v", st)
		}
		return st
	}
	stamp := func(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000") }
	// partials waits for the table to hold partial results of a window
	// ending after `after`, then the same window's updated: rows of a
	// window whose end is over a second of event time past the watermark
	// the job reported after the query (commits move it by a fifth of a
	// second). It returns the window's end and the events counted.
	partials := func(m *runtime.Manager, s *session.Session, after time.Time) (end time.Time, first, then int) {
		for deadline := time.Now().Add(20 * time.Second); first == 0 || then == first; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no partial results in the table after %s: %+v", after, status(m))
			}
			rows := render(t, mustExec(t, s, `SELECT window_end, SUM(n) FROM per_auction GROUP BY window_end ORDER BY window_end DESC LIMIT 1`))
			st := status(m)
			if len(rows) == 0 || st.Watermark == nil {
				continue
			}
			cell, n, _ := strings.Cut(rows[0], "|")
			e, err := time.Parse("2006-01-02T15:04:05.999", cell)
			if err != nil {
				t.Fatal(err)
			}
			if !e.After(after) || e.UnixMilli() <= *st.Watermark+1000 {
				continue
			}
			if !e.Equal(end) {
				first = atoi(t, n)
			}
			end, then = e, atoi(t, n)
		}
		return end, first, then
	}
	partialEnd, firstN, partialN := partials(m, s, time.Time{})
	before := status(m)
	j.restart(true) // a crash: no final epoch
	s, m = j.s, j.m
	// Recovered, still firing early (the option is the table's), and the
	// watermark has closed the windows seen partial.
	laterEnd, _, _ := partials(m, s, partialEnd)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st := status(m)
		if st.Epoch > before.Epoch && st.Watermark != nil && *st.Watermark >= laterEnd.UnixMilli() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job after the crash: %+v, waiting for the watermark to pass %s", st, laterEnd)
		}
	}
	st, err := m.Stop(ctx, id)
	if err != nil || st.Watermark == nil || st.LateRows != 0 {
		t.Fatalf("stop: %+v %v", st, err)
	}

	// The table also holds partial results of windows still open: compare
	// the closed ones.
	wm := stamp(*st.Watermark)
	consumed, _, streamed := checkWindowsEqualBatch(t, s, gen, st, `(SELECT * FROM per_auction WHERE window_end <= TIMESTAMP '`+wm+`')`)
	final := render(t, mustExec(t, s, `SELECT SUM(n) FROM per_auction WHERE window_end = TIMESTAMP '`+stamp(partialEnd.UnixMilli())+`'`))[0]
	if partialN >= atoi(t, final) {
		t.Errorf("window ending %s: %d rows partial, %s final", partialEnd, partialN, final)
	}
	t.Logf("%s closed rows (windows × auctions, events) from %d events; window ending %s seen with %d, then %d of its %s events; watermark %s",
		streamed, consumed, partialEnd, firstN, partialN, final, wm)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEarlyFiringRefused checks the ways early firing is asked for that a
// job cannot run, each with the reason.
func TestEarlyFiringRefused(t *testing.T) {
	s := newJobServer(t).s
	mustExec(t, s, `CREATE TABLE bid (`+bidColumns+`, WATERMARK FOR dateTime AS dateTime - INTERVAL '1' SECOND) WITH ('connector' = 'nexmark', 'table' = 'bid')`)
	early := `WITH ('wharf.early-fire.delay' = '5 s')`
	mustExec(t, s, `CREATE TABLE no_key (window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT) `+early)
	mustExec(t, s, `CREATE TABLE keyed (window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, PRIMARY KEY (window_start, window_end) NOT ENFORCED) `+early)
	mustExec(t, s, `CREATE TABLE bad_delay (window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, PRIMARY KEY (window_start, window_end) NOT ENFORCED) WITH ('wharf.early-fire.delay' = 'soon')`)
	tumble := `FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND)) GROUP BY window_start, window_end`
	checkRefused(t, s, []struct{ sql, code, msg string }{
		{`INSERT INTO no_key SELECT window_start, window_end, COUNT(*) ` + tumble, "INVALID_ARGUMENT", "table default.no_key doesn't support consuming update changes, which the query produces (a window aggregation fired early"},
		{`INSERT INTO bad_delay SELECT window_start, window_end, COUNT(*) ` + tumble, "INVALID_ARGUMENT", "'wharf.early-fire.delay' = 'soon': want a positive duration"},
		{`INSERT INTO keyed SELECT dateTime, dateTime, auction FROM bid`, "UNSUPPORTED", "early firing applies to a job whose last step is a window aggregation"},
		{`INSERT INTO keyed SELECT window_start, window_end, COUNT(*) FROM TABLE(SESSION(TABLE bid PARTITION BY auction, DESCRIPTOR(dateTime), INTERVAL '2' SECOND)) GROUP BY window_start, window_end`, "UNSUPPORTED", "a SESSION window is known only when it closes"},
		{`INSERT INTO keyed SELECT window_start, window_end, COUNT(*) FROM (SELECT window_start, window_end, auction, COUNT(*) AS c ` + tumble + `, auction) GROUP BY window_start, window_end`, "UNSUPPORTED", "this job groups windows again"},
		{`SET 'table.exec.emit.early-fire.enabled' = 'true'`, "UNSUPPORTED", "CREATE TABLE … WITH ('wharf.early-fire.delay' = '5 s')"},
	})
}
