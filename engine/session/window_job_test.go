package session_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
)

// TestWindowJobEqualsBatch runs a tumbling-window aggregation as a
// continuous job over the unbounded Nexmark generator, kills it without a
// final epoch (as a crash would) while windows are open, lets a new manager
// recover it (the open windows are rebuilt by replay), stops it, and checks
// that its table equals the batch result of the same SQL over the events it
// consumed, for every window up to the job's watermark.
func TestWindowJobEqualsBatch(t *testing.T) {
	ctx := context.Background()
	j := newJobServer(t)
	s, m := j.s, j.m
	// 2,000 events/s of event time: a 2 s window holds 4,000 events.
	gen := `WITH ('connector' = 'nexmark', 'table' = 'bid', 'seed' = '9', 'first-event-rate' = '2000'%s)`
	mustExec(t, s, `CREATE TABLE bid (`+bidColumns+`, WATERMARK FOR dateTime AS dateTime - INTERVAL '1' SECOND) `+fmt.Sprintf(gen, ", 'scan.watermark.idle-timeout' = '30 s'"))
	mustExec(t, s, `CREATE TABLE per_auction (window_start TIMESTAMP(3), window_end TIMESTAMP(3), auction BIGINT, n BIGINT, top BIGINT) WITH ('wharf.commit-interval' = '300 ms')`)
	id := mustExec(t, s, `INSERT INTO per_auction `+perAuctionQuery).JobID
	waitJob := func(m *runtime.Manager, rows int64) runtime.Status {
		deadline := time.Now().Add(30 * time.Second)
		for {
			st, _ := m.Job(id)
			if st.RowsOut >= rows && st.Epoch > 0 {
				return st
			}
			if st.State == runtime.StateFailed || time.Now().After(deadline) {
				t.Fatalf("job %+v", st)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first := waitJob(m, 1)
	j.restart(true) // a crash: no final epoch
	s, m = j.s, j.m
	waitJob(m, first.RowsOut+1) // recovered and committed more windows
	st, err := m.Stop(ctx, id)
	if err != nil || st.Watermark == nil || st.LateRows != 0 || st.OpenWindows == 0 {
		t.Fatalf("stop: %+v %v", st, err)
	}
	// Every row the job wrote is of a window the watermark closed.
	consumed, wm, streamed := checkWindowsEqualBatch(t, s, gen, st, `per_auction`)
	t.Logf("%s rows (windows, events) from %d events; watermark %s; restarts and replay survived", streamed, consumed, wm)
}

// perAuctionQuery counts bids and finds the top price per auction in
// 2-second tumbling windows.
const perAuctionQuery = `SELECT window_start, window_end, auction, COUNT(*), MAX(price) FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND)) GROUP BY window_start, window_end, auction`

// checkWindowsEqualBatch declares bid again as the bounded generator gen
// of the events the job stopped with status st consumed, runs
// perAuctionQuery over them as a batch, and checks that streamed (the
// job's rows: per_auction or a subquery of it) equals the batch's windows
// that the job's watermark closed. It returns the events consumed, the
// watermark and the rows and events compared.
func checkWindowsEqualBatch(t *testing.T, s *session.Session, gen string, st runtime.Status, streamed string) (consumed int64, wm, counted string) {
	t.Helper()
	consumed = st.Positions["gen:default.bid/0"]
	mustExec(t, s, `DROP TABLE bid`)
	mustExec(t, s, `CREATE TABLE bid (`+bidColumns+`) `+fmt.Sprintf(gen, fmt.Sprintf(", 'events.num' = '%d'", consumed)))
	mustExec(t, s, `CREATE TABLE per_auction_batch (window_start TIMESTAMP(3), window_end TIMESTAMP(3), auction BIGINT, n BIGINT, top BIGINT)`)
	mustExec(t, s, `INSERT INTO per_auction_batch `+perAuctionQuery)
	wm = time.UnixMilli(*st.Watermark).UTC().Format("2006-01-02 15:04:05.000")
	complete := `(SELECT * FROM per_auction_batch WHERE window_end <= TIMESTAMP '` + wm + `')`
	counted = render(t, mustExec(t, s, `SELECT COUNT(*), SUM(n) FROM `+streamed+` AS s`))[0]
	checkRows(t, s, `SELECT COUNT(*), SUM(n) FROM `+complete+` AS b`, counted)
	checkRows(t, s, `SELECT COUNT(*) FROM (SELECT * FROM `+streamed+` AS s EXCEPT SELECT * FROM `+complete+` AS b)`, "0")
	return consumed, wm, counted
}
