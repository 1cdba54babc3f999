package session_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake/objstore"
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

// The Nexmark tables' columns, by table.
var nexmarkColumns = map[string]string{
	"bid":     bidColumns,
	"auction": `id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra STRING`,
	"person":  `id BIGINT, name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING, dateTime TIMESTAMP(3), extra STRING`,
}

// nexmarkGen declares tbl as the Nexmark generator of seed 42 with options
// opts, its watermark half a second behind.
func nexmarkGen(tbl, opts string) string {
	return fmt.Sprintf(`CREATE TABLE %s (%s, WATERMARK FOR dateTime AS dateTime - INTERVAL '0.5' SECOND) WITH ('connector' = 'nexmark', 'table' = '%s', 'seed' = '42', %s)`,
		tbl, nexmarkColumns[tbl], tbl, opts)
}

// TestNexmarkStreamingEqualsBatch runs Nexmark queries as continuous jobs
// over the unbounded generators, stops each after a while, and checks that
// its table holds exactly (as a multiset) what the same SQL computes as a
// batch over the events the job consumed: bounded generators of the same
// seed, each table cut at the job's committed position for it. Updating
// queries (aggregates, Top-N, joins over them) write tables with a primary
// key, so what is compared is the upserted end state.
func TestNexmarkStreamingEqualsBatch(t *testing.T) {
	j := newJobServer(t)
	for _, q := range []string{"q0", "q1", "q2", "q3", "q14", "q20", "q21", "q22", "q15", "q16", "q17", "q18", "q19", "q11", "q4", "q9", "q8", "q5", "q7", "bidwindow"} {
		t.Run(q, func(t *testing.T) { nexmarkEqualsBatch(t, j, q, "") })
	}
}

// nexmarkRate is the generators' options per query; the default is
// 100,000 events per second of event time, paced by the wall clock.
var nexmarkRate = map[string]string{
	// q7 emits one row or so per 10 s window: at 1,000 events per second
	// of event time, unpaced, it closes tens of windows before it is
	// stopped.
	"q7":        "'first-event-rate' = '1000', 'rate-limited' = 'false'",
	"bidwindow": "'first-event-rate' = '1000', 'rate-limited' = 'false'",
}

// ownQueries are queries beyond Nexmark: the sink's columns and the
// INSERT, as nexmarkQuery reads them.
var ownQueries = map[string][2]string{
	// A join of bid with its own per-window counts, where every bid of a
	// window joins; a bid replayed into the join after the crash (rows the
	// job read again only to rebuild the open window) would come out
	// twice.
	"bidwindow": {
		`bidwindow(auction BIGINT, price BIGINT, dateTime TIMESTAMP(3), n BIGINT)`,
		`INSERT INTO bidwindow SELECT B.auction, B.price, B.dateTime, W.n FROM bid AS B JOIN (
			SELECT auction, window_start, window_end, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end
		) AS W ON B.auction = W.auction AND B.dateTime >= W.window_start AND B.dateTime < W.window_end`,
	},
}

// nexmarkEqualsBatch runs query q as a continuous job into its sink
// table, created WITH the properties with ("" for none), crashes and
// restarts it after its first commits, stops it, and checks its table
// against the batch result over the events it consumed (checkEqualsBatch).
// It returns the job's status as it stopped.
func nexmarkEqualsBatch(t *testing.T, j *jobServer, q, with string) runtime.Status {
	ctx := context.Background()
	sink, insert := ownQueries[q][0], ownQueries[q][1]
	if sink == "" {
		sink, insert = nexmarkQuery(t, q)
	}
	name, _, _ := strings.Cut(sink, "(")
	gen := cmp.Or(nexmarkRate[q], "'first-event-rate' = '100000', 'rate-limited' = 'true'")
	for tbl := range nexmarkColumns {
		mustExec(t, j.s, `DROP TABLE IF EXISTS `+tbl) // the batch tables of the query before
		mustExec(t, j.s, nexmarkGen(tbl, gen))
	}
	mustExec(t, j.s, `DROP TABLE IF EXISTS `+name) // the same query's table of another run
	mustExec(t, j.s, `DROP TABLE IF EXISTS `+name+`_batch`)
	if with != "" {
		mustExec(t, j.s, `CREATE TABLE `+sink+` WITH (`+with+`)`)
	} else {
		mustExec(t, j.s, `CREATE TABLE `+sink)
	}
	r := mustExec(t, j.s, insert)
	await := func(epochs uint64) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			st, _ := j.m.Job(r.JobID)
			if st.RowsIn >= 5000 && st.Epoch >= epochs {
				return
			}
			if st.State == runtime.StateFailed || time.Now().After(deadline) {
				t.Fatalf("job %+v", st)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// A crash after the first commits (no final epoch): the job resumes
	// from its committed positions and operator state.
	await(1)
	before, _ := j.m.Job(r.JobID)
	// The crash lands after a stateful job wrote the next epoch's operator
	// state and before it committed: recovery must read the committed
	// chain only, and pruning delete the orphan.
	orphan := fmt.Sprintf("state/%s/%020d-%020d.delta", r.JobID, before.Epoch+1, 0)
	if err := j.wh.Records().Put(ctx, orphan, []byte("not a delta")); err != nil {
		t.Fatal(err)
	}
	j.restart(true)
	await(before.Epoch + 1)
	st, err := j.m.Stop(ctx, r.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.wh.Records().Get(ctx, orphan); len(st.Operators) > 0 && !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("an uncommitted epoch's operator state was not pruned: %v", err)
	}
	if incrementalState[q] {
		checkDeltas(t, j.wh.Records(), r.JobID)
	}
	// The same query as a batch over exactly the consumed events.
	var consumed []string
	for tbl := range nexmarkColumns {
		mustExec(t, j.s, `DROP TABLE `+tbl)
		n, ok := st.Positions["gen:default."+tbl+"/0"]
		if !ok {
			continue // the query does not read it
		}
		consumed = append(consumed, fmt.Sprintf("%d %s", n, tbl))
		mustExec(t, j.s, nexmarkGen(tbl, fmt.Sprintf("%s, 'events.num' = '%d'", gen, n)))
	}
	if len(consumed) == 0 {
		t.Fatalf("status %+v", st)
	}
	mustExec(t, j.s, `CREATE TABLE `+strings.Replace(sink, name, name+"_batch", 1))
	mustExec(t, j.s, strings.Replace(insert, name, name+"_batch", 1))
	streamed := checkEqualsBatch(t, j.s, q, name, st)
	t.Logf("%s: %s rows from events %s", q, streamed, strings.Join(consumed, ", "))
	return st
}

// incrementalState names the queries whose operators snapshot as deltas:
// the job, restored from a full snapshot, must commit deltas after it.
var incrementalState = map[string]bool{"q11": true}

// checkDeltas checks that the committed operator state of job (the
// chain pruning leaves) holds a delta.
func checkDeltas(t *testing.T, records objstore.Store, job string) {
	t.Helper()
	objs, err := records.List(context.Background(), "state/"+job+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".delta") {
			return
		}
	}
	t.Fatalf("job %s committed no operator state delta: %v", job, objs)
}

// closedWindows selects, per windowed query, the rows of the windows the
// job's last watermark (%s) closed: the batch result is cut there.
var closedWindows = map[string]string{
	"q11": "endtime <= TIMESTAMP '%s'",
	"q8":  "stime <= TIMESTAMP '%s' - INTERVAL '10' SECOND",
	// A bid joins the windows ending up to 10 s after it.
	"q7":        "dateTime <= TIMESTAMP '%s' - INTERVAL '10' SECOND",
	"bidwindow": "dateTime <= TIMESTAMP '%s' - INTERVAL '10' SECOND",
}

// pastCut: the job's table also holds rows past the cut (bids joined with
// the windows closed so far but not yet with those still open).
var pastCut = map[string]bool{"q7": true, "bidwindow": true}

// tieColumns are what is compared of queries whose ties the stream and the
// batch may break differently, both validly.
var tieColumns = map[string]string{
	// Two bids of a bidder on an auction in the same millisecond: the
	// continuous dedup keeps the later one, as Flink's does; the batch
	// ROW_NUMBER keeps either.
	"q18": "auction, bidder, dateTime",
	// Bids of one auction at one price: the job ranks them as they arrive,
	// the batch in event order.
	"q19": "auction, price, rank_number",
}

// checkEqualsBatch compares job table name, written by query q and
// stopped with status st, with name_batch as multisets, and returns how
// many rows it compared. q5's rows do not say their window: its table must
// be part of the batch result (the windows closed so far), and not empty.
func checkEqualsBatch(t *testing.T, s *session.Session, q, name string, st runtime.Status) string {
	t.Helper()
	where := ""
	if c, ok := closedWindows[q]; ok {
		if st.Watermark == nil {
			t.Fatalf("no watermark: %+v", st)
		}
		where = " WHERE " + fmt.Sprintf(c, time.UnixMilli(*st.Watermark).UTC().Format("2006-01-02 15:04:05.000"))
	}
	cols := cmp.Or(tieColumns[q], "*")
	streamed := render(t, mustExec(t, s, `SELECT COUNT(*) FROM `+name+where))[0]
	if q == "q5" {
		checkRows(t, s, `SELECT COUNT(*) > 0 FROM `+name, "true")
		checkRows(t, s, `SELECT COUNT(*) FROM (SELECT * FROM `+name+` EXCEPT ALL SELECT * FROM `+name+`_batch)`, "0")
		return streamed
	}
	checkRows(t, s, `SELECT COUNT(*) FROM `+name+`_batch`+where, streamed)
	if !pastCut[q] {
		checkRows(t, s, `SELECT COUNT(*) FROM `+name, streamed) // only closed windows were emitted
	}
	checkRows(t, s, `SELECT COUNT(*) FROM (SELECT `+cols+` FROM `+name+where+` EXCEPT ALL SELECT `+cols+` FROM `+name+`_batch`+where+`)`, "0")
	checkRows(t, s, `SELECT COUNT(*) FROM (SELECT `+cols+` FROM `+name+`_batch`+where+` EXCEPT ALL SELECT `+cols+` FROM `+name+where+`)`, "0")
	return streamed
}
