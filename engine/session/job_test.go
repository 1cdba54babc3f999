package session_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/internal/broker"
	"github.com/wharfdata/wharf/lake"
)

// produce writes events id = from..to-1 as JSON, spread over partitions by
// id, and waits for every ack.
func produce(t *testing.T, addr, topic string, from, to int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		v := fmt.Sprintf(`{"id":%d,"user":"u%d","amount":%d.5,"ts":"2026-11-21 10:00:%02d.123"}`, i, i%13, i%100, i%60)
		if i%97 == 0 {
			v = fmt.Sprintf(`{"id":%d,"user":null,"amount":0,"ts":null}`, i) // NULLs too
		}
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % 4), Value: []byte(v)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// waitRows polls until the table has want rows (or fails after a bound).
func waitRows(t *testing.T, s *session.Session, tbl string, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := render(t, mustExec(t, s, "SELECT COUNT(*) FROM "+tbl))[0]
		if got == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %s rows, want %d", tbl, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestContinuousJobKafka(t *testing.T) {
	ctx := context.Background()
	b := newTopic(t, "orders", 4)
	produce(t, b.Addr(), "orders", 0, 2000)
	j := newJobServer(t, session.WithBrokers(b.Addr()))
	s, m := j.s, j.m
	mustExec(t, s, `CREATE TABLE orders_src (id BIGINT NOT NULL, `+"`user`"+` STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3),
		part INT METADATA FROM 'partition', off BIGINT METADATA FROM 'offset')
		WITH ('connector' = 'kafka', 'topic' = 'orders', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	mustExec(t, s, `CREATE TABLE orders (id BIGINT NOT NULL, customer STRING, amount DECIMAL(12, 2), ts TIMESTAMP(3), part INT, off BIGINT)`)
	r := mustExec(t, s, "INSERT INTO orders SELECT id, UPPER(`user`), amount * 2, ts, part, off FROM orders_src WHERE id % 10 <> 3")
	if r.Kind != session.ResultJob || !strings.HasPrefix(r.JobID, "job-") {
		t.Fatalf("result %+v", r)
	}
	id := r.JobID
	want := func(n int) int { return n - (n+6)/10 } // ids with id % 10 == 3 are filtered out
	waitRows(t, s, "orders", want(2000))
	checkRows(t, s, `SELECT COUNT(DISTINCT id), MIN(id), MAX(id), COUNT(DISTINCT part), SUM(off) FROM orders WHERE customer IS NOT NULL OR id % 97 = 0`,
		fmt.Sprintf("%d|0|1999|4|%d", want(2000), sumOffsets(2000)))

	// More input while running, then a graceful stop takes a final epoch.
	produce(t, b.Addr(), "orders", 2000, 3000)
	waitRows(t, s, "orders", want(3000))
	st, err := m.Stop(ctx, id)
	if err != nil || st.State != runtime.StateStopped {
		t.Fatalf("stop: %+v %v", st, err)
	}
	if st.Positions["kafka:orders/0"] != 750 || st.RowsOut == 0 || st.Epoch == 0 {
		t.Fatalf("status after stop %+v", st)
	}

	// Input while stopped; a new server (new manager) leaves a stopped job
	// stopped until it is started, then reads exactly the rest.
	produce(t, b.Addr(), "orders", 3000, 4000)
	j.restart(false)
	s, m = j.s, j.m
	if st, _ := m.Job(id); st.State != runtime.StateStopped {
		t.Fatalf("job after restart: %+v", st)
	}
	if _, err := m.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitRows(t, s, "orders", want(4000))

	// A hard stop (no final epoch, as in a crash) loses nothing committed
	// and the next server resumes the running job by itself.
	produce(t, b.Addr(), "orders", 4000, 5000)
	j.restart(true)
	s, m = j.s, j.m
	waitRows(t, s, "orders", want(5000))
	checkRows(t, s, `SELECT COUNT(*), COUNT(DISTINCT id), SUM(id) FROM orders`, fmt.Sprintf("%d|%d|%d", want(5000), want(5000), sumKept(5000)))
	if jobs := m.Jobs(); len(jobs) != 1 || jobs[0].State != runtime.StateRunning {
		t.Fatalf("jobs %+v", jobs)
	}
	m.Close(ctx)

	tbl, err := j.wh.LoadTable(ctx, table.Identifier{"default", "orders"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := lake.Verify(ctx, tbl)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep)
	}

	mustExec(t, s, `CREATE TABLE slow (id BIGINT) WITH ('wharf.commit-interval' = 'soon')`)
	checkRefused(t, s, []struct{ sql, code, msg string }{
		{`INSERT INTO slow SELECT id FROM orders_src`, "INVALID_ARGUMENT", "'wharf.commit-interval' = 'soon': want a positive duration"},
		{`INSERT INTO orders SELECT id, 'x', SUM(amount), NULL, 0, 0 FROM orders_src GROUP BY id`, "INVALID_ARGUMENT", "table default.orders doesn't support consuming update changes"},
		{`SELECT * FROM orders_src`, "INVALID_ARGUMENT", "default.orders_src is an unbounded kafka table: a SELECT would never end"},
		{`INSERT OVERWRITE orders SELECT id, 'x', amount, ts, part, off FROM orders_src`, "INVALID_ARGUMENT", "INSERT OVERWRITE needs a bounded input"},
	})
}

// sumOffsets is the sum of the offsets of events 0..n-1 over 4 partitions
// (event i is offset i/4 of partition i%4), of the events the job keeps.
func sumOffsets(n int) int {
	sum := 0
	for i := range n {
		if i%10 != 3 {
			sum += i / 4
		}
	}
	return sum
}

func sumKept(n int) int {
	sum := 0
	for i := range n {
		if i%10 != 3 {
			sum += i
		}
	}
	return sum
}

func TestContinuousJobDeadLetters(t *testing.T) {
	ctx := context.Background()
	b, err := broker.Start("127.0.0.1:0", broker.WithPartitions(1))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	send := func(topic string, values ...string) {
		var recs []*kgo.Record
		for _, v := range values {
			recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(v)})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	send("in", `{"id":1}`, `{"id":"two"}`, `{"id":3}`, `not json`, `{"id":5}`)
	send("strict", `{"id":1}`, `x`, `y`, `z`)

	j := newJobServer(t, session.WithBrokers(b.Addr()))
	s, m := j.s, j.m
	mustExec(t, s, `CREATE TABLE src (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'in', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	mustExec(t, s, `CREATE TABLE ids (id BIGINT)`)
	mustExec(t, s, `INSERT INTO ids SELECT id FROM src`)
	waitRows(t, s, "ids", 3)
	waitRows(t, s, "ids_dead_letters", 2)
	// The dead letters and the rows of an epoch land in one commit.
	checkRows(t, s, "SELECT topic, `partition`, `offset`, raw = CAST('not json' AS BYTES), error <> '' FROM ids_dead_letters ORDER BY `offset`",
		"in|0|1|false|true", "in|0|3|true|true")

	// Over the budget, the job pauses with the reason in its status.
	mustExec(t, s, `CREATE TABLE src2 (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'strict', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	mustExec(t, s, `CREATE TABLE ids2 (id BIGINT) WITH ('wharf.dead-letter.budget' = '2', 'wharf.dead-letter.table' = 'default.rejects')`)
	id := mustExec(t, s, `INSERT INTO ids2 SELECT id FROM src2`).JobID
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, _ := m.Job(id)
		if st.State == runtime.StatePaused {
			if !strings.Contains(st.Error, "3 records of this epoch do not decode, over the budget of 2") {
				t.Fatalf("paused with %q", st.Error)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkRows(t, s, `SELECT COUNT(*) FROM rejects`, "0")
	checkRows(t, s, `SELECT COUNT(*) FROM ids2`, "0")
}

// TestLateRowsTable: a row whose window has closed goes to the late-rows
// table the sink names, in the same commit; the windows are not changed.
func TestLateRowsTable(t *testing.T) {
	ctx := context.Background()
	b, err := broker.Start("127.0.0.1:0", broker.WithPartitions(1))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	send := func(secs ...int) {
		var recs []*kgo.Record
		for _, s := range secs {
			recs = append(recs, &kgo.Record{Topic: "clicks", Value: []byte(fmt.Sprintf(`{"u":%d,"ts":"2026-11-21 10:00:%02d.000"}`, s, s))})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	send(1, 2, 3, 11, 12, 25) // windows [0,10) and [10,20) close at watermark 25
	j := newJobServer(t, session.WithBrokers(b.Addr()))
	s, m := j.s, j.m
	mustExec(t, s, `CREATE TABLE clicks (u BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'kafka', 'topic' = 'clicks', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	mustExec(t, s, `CREATE TABLE per10 (window_start TIMESTAMP(3), n BIGINT, users BIGINT) WITH ('wharf.late-rows.table' = 'default.late_clicks', 'wharf.commit-interval' = '200 ms')`)
	id := mustExec(t, s, `INSERT INTO per10 SELECT window_start, COUNT(*), SUM(u) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end`).JobID
	waitRows(t, s, "per10", 2)
	send(5, 26) // 5 is late: its window [0,10) was emitted
	waitRows(t, s, "late_clicks", 1)
	checkRows(t, s, `SELECT u, window_start FROM late_clicks`, "5|2026-11-21T10:00:00")
	checkRows(t, s, `SELECT window_start, n, users FROM per10 ORDER BY window_start`, "2026-11-21T10:00:00|3|6", "2026-11-21T10:00:10|2|23")
	if st, _ := m.Job(id); st.LateRows != 1 {
		t.Fatalf("status %+v", st)
	}
}

// TestEmptyEpochsCommitPositions: a job whose filter drops everything it
// reads still commits its positions (as snapshots without files, every
// few empty epochs and at a stop), so a restart reads only what is new.
func TestEmptyEpochsCommitPositions(t *testing.T) {
	ctx := context.Background()
	b := newTopic(t, "quiet", 4)
	produce(t, b.Addr(), "quiet", 0, 1000)
	j := newJobServer(t, session.WithBrokers(b.Addr()))
	mustExec(t, j.s, `CREATE TABLE quiet_src (id BIGINT NOT NULL) WITH ('connector' = 'kafka', 'topic' = 'quiet', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	mustExec(t, j.s, `CREATE TABLE rare (id BIGINT NOT NULL) WITH ('wharf.commit-interval' = '100 ms')`)
	id := mustExec(t, j.s, `INSERT INTO rare SELECT id FROM quiet_src WHERE id >= 5000`).JobID
	waitStatus := func(what string, ok func(runtime.Status) bool) runtime.Status {
		t.Helper()
		return j.waitStatus(id, what, ok)
	}
	at := func(n int64) func(runtime.Status) bool {
		return func(st runtime.Status) bool {
			for p := range 4 {
				if st.Positions[fmt.Sprintf("kafka:quiet/%d", p)] != n {
					return false
				}
			}
			return true
		}
	}
	waitStatus("positions committed without output", at(250))
	checkRows(t, j.s, `SELECT COUNT(*) FROM rare`, "0")
	lin, err := j.wh.Lineage(ctx, table.Identifier{"default", "rare"})
	if err != nil || len(lin) == 0 {
		t.Fatalf("lineage %+v %v", lin, err)
	}

	// After a crash the job reads only what came since.
	j.restart(true)
	produce(t, b.Addr(), "quiet", 5000, 5004)
	waitRows(t, j.s, "rare", 4)
	if st, _ := j.m.Job(id); st.RowsIn != 4 {
		t.Fatalf("read %d records after the restart, want the 4 new ones", st.RowsIn)
	}

	// A stop commits what was read, output or not.
	produce(t, b.Addr(), "quiet", 1000, 1100)
	waitStatus("read", func(st runtime.Status) bool { return st.RowsIn == 104 })
	st, err := j.m.Stop(ctx, id)
	if err != nil || !at(276)(st) {
		t.Fatalf("stop: %+v %v", st, err)
	}
	tbl, err := j.wh.LoadTable(ctx, table.Identifier{"default", "rare"})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := lake.Verify(ctx, tbl); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

// TestJoinStateTTL: 'wharf.state.ttl' on the sink bounds a regular join's
// state: rows of one side that waited past it are gone, so rows of the
// other side arriving later match nothing, while both sides arriving
// within it join.
func TestJoinStateTTL(t *testing.T) {
	b := newTopic(t, "lefts", 4)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), 4, 1, nil, "rights"); err != nil {
		t.Fatal(err)
	}
	j := newJobServer(t, session.WithBrokers(b.Addr()))
	for _, topic := range []string{"lefts", "rights"} {
		mustExec(t, j.s, `CREATE TABLE `+topic+` (id BIGINT NOT NULL, `+"`user`"+` STRING) WITH ('connector' = 'kafka', 'topic' = '`+topic+`', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	}
	mustExec(t, j.s, `CREATE TABLE joined (id BIGINT NOT NULL, l STRING, r STRING) WITH ('wharf.state.ttl' = '300 ms', 'wharf.commit-interval' = '100 ms')`)
	id := mustExec(t, j.s, "INSERT INTO joined SELECT L.id, L.`user`, R.`user` FROM lefts AS L JOIN rights AS R ON L.id = R.id").JobID
	status := func(what string, ok func(runtime.Status) bool) {
		t.Helper()
		j.waitStatus(id, what, ok)
	}
	joinBytes := func(st runtime.Status) int64 {
		for _, o := range st.Operators {
			if strings.Contains(o.Operator, "StreamJoin") {
				return o.Bytes
			}
		}
		return -1
	}
	// Left rows alone: held, then dropped once the TTL has passed.
	produce(t, b.Addr(), "lefts", 0, 100)
	status("left rows held", func(st runtime.Status) bool { return st.RowsIn == 100 && joinBytes(st) > 0 })
	status("left rows expired", func(st runtime.Status) bool { return joinBytes(st) == 0 })
	// Their right rows come too late; committed (an epoch without output
	// commits its positions) and nothing joined.
	produce(t, b.Addr(), "rights", 0, 100)
	status("right rows read and committed", func(st runtime.Status) bool {
		return st.RowsIn == 200 && st.Positions["kafka:rights/0"] == 25
	})
	checkRows(t, j.s, `SELECT COUNT(*) FROM joined`, "0")
	// Both sides within the TTL join.
	produce(t, b.Addr(), "lefts", 100, 200)
	produce(t, b.Addr(), "rights", 100, 200)
	waitRows(t, j.s, "joined", 100)
}
