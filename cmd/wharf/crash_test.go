package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// wharfBinary builds the wharf binary once per test run.
func wharfBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wharf-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "wharf")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// process is a `wharf serve` in a process of its own, to be SIGKILLed.
type process struct {
	cmd  *exec.Cmd
	http string
	log  *bytes.Buffer
}

func startProcess(t *testing.T, data string, args ...string) *process {
	t.Helper()
	addrFile := filepath.Join(data, "addresses.json")
	_ = os.Remove(addrFile) // a killed server leaves its own behind
	p := &process{log: &bytes.Buffer{}}
	p.cmd = exec.Command(wharfBinary(t), append([]string{"serve", "--data", data, "--http", "127.0.0.1:0"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		var addrs map[string]string
		if b, err := os.ReadFile(addrFile); err == nil && json.Unmarshal(b, &addrs) == nil {
			p.http = addrs["http"]
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", p.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// sql posts one statement and returns the decoded response.
func (p *process) sql(t *testing.T, q string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"sql": q})
	resp, err := http.Post("http://"+p.http+"/v1/sql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", q, resp.StatusCode, b)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // sums beyond 2^53 stay exact
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// row returns the single row of a query as strings.
func (p *process) row(t *testing.T, q string) string {
	t.Helper()
	rows, _ := p.sql(t, q)["rows"].([]any)
	if len(rows) != 1 {
		t.Fatalf("%s: %d rows", q, len(rows))
	}
	var cells []string
	for _, c := range rows[0].([]any) {
		cells = append(cells, fmt.Sprint(c))
	}
	return strings.Join(cells, "|")
}

// crashRun is one crash test's setup: a topic of events spread over
// partitions on another wharf's embedded broker (which outlives the kills),
// fed in chunks while a `wharf serve` process runs the job under test and
// is SIGKILLed at random points.
type crashRun struct {
	ctx      context.Context
	broker   string
	data     string
	produced chan error
}

func newCrashRun(t *testing.T, topic string, events, parts int, value func(i int) string) *crashRun {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and kills real processes")
	}
	wharfBinary(t) // before the clock starts: building takes seconds
	broker := startServe(t, t.TempDir())
	r := &crashRun{broker: broker.addrs["broker"], data: t.TempDir(), produced: make(chan error, 1)}
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.broker), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	r.ctx = ctx
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, int32(parts), 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	go func() { // ~100 chunks over ~10 s, so the kills land mid-ingest
		chunk := max(events/100, 1)
		for from := 0; from < events; from += chunk {
			var recs []*kgo.Record
			for i := from; i < min(from+chunk, events); i++ {
				recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % parts), Value: []byte(value(i))})
			}
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				r.produced <- err
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		r.produced <- nil
	}()
	return r
}

// start runs the server under test.
func (r *crashRun) start(t *testing.T) *process {
	return startProcess(t, r.data, "--kafka", r.broker)
}

// killFiveTimes SIGKILLs p at random points and restarts it each time,
// then waits for the producer; probe says how far the job got.
func (r *crashRun) killFiveTimes(t *testing.T, p *process, probe string) *process {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 4))
	for k := range 5 {
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		t.Logf("kill %d: %s", k+1, p.row(t, probe))
		p.kill(t)
		p = r.start(t)
	}
	if err := <-r.produced; err != nil {
		t.Fatal(err)
	}
	return p
}

// await polls q until it answers want.
func (p *process) await(t *testing.T, q, want string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := p.row(t, q)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s, want %s\n%s", q, got, want, p.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCrashContinuousJob is issue 4's crash test: a continuous job in a
// `wharf serve` process reads 100k events over 8 partitions from another
// wharf's embedded broker and is SIGKILLed at random points 5 times; the
// table ends with exactly the source's rows and wharf verify is clean.
func TestCrashContinuousJob(t *testing.T) {
	const events, parts = 100_000, 8
	r := newCrashRun(t, "events", events, parts, func(i int) string {
		return fmt.Sprintf(`{"id":%d,"user_id":%d,"amount":%d}`, i, i%977, i%1000)
	})
	ctx := r.ctx
	p := r.start(t)
	p.sql(t, `CREATE TABLE events_src (id BIGINT NOT NULL, user_id BIGINT, amount BIGINT)
		WITH ('connector' = 'kafka', 'topic' = 'events', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	p.sql(t, `CREATE TABLE events (id BIGINT NOT NULL, user_id BIGINT, amount BIGINT)`)
	job := p.sql(t, `INSERT INTO events SELECT id, user_id, amount FROM events_src`)["job_id"]
	if job == nil {
		t.Fatal("no job id")
	}
	p = r.killFiveTimes(t, p, `SELECT COUNT(*) FROM events`)
	var sumID, sumAmount int64
	for i := range int64(events) {
		sumID += i
		sumAmount += i % 1000
	}
	p.await(t, `SELECT COUNT(*), COUNT(DISTINCT id), SUM(id), SUM(amount) FROM events`, fmt.Sprintf("%d|%d|%d|%d", events, events, sumID, sumAmount))
	resp, err := http.Post("http://"+p.http+"/v1/tables/default/events/verify", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(b), `{"ok":true`) {
		t.Fatalf("verify: %s", b)
	}
	resp, err = http.Get("http://" + p.http + "/v1/jobs/" + fmt.Sprint(job))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"state":"RUNNING"`) || !strings.Contains(string(b), fmt.Sprintf(`"kafka:events/7":%d`, events/parts)) {
		t.Fatalf("job status: %s", b)
	}
	// The command line shows the same, and stops the job after a final epoch.
	std, out, errb := testStdio(nil)
	if code := run(ctx, []string{"jobs", "--server", "http://" + p.http}, std); code != 0 || !strings.Contains(out.String(), fmt.Sprint(job)+"  RUNNING") ||
		!strings.Contains(out.String(), fmt.Sprintf("kafka:events/7 next %d", events/parts)) {
		t.Fatalf("wharf jobs: %d\n%s%s", code, out, errb)
	}
	out.Reset()
	if code := run(ctx, []string{"jobs", "stop", fmt.Sprint(job), "--server", "http://" + p.http}, std); code != 0 || !strings.Contains(out.String(), "STOPPED") {
		t.Fatalf("wharf jobs stop: %d\n%s%s", code, out, errb)
	}
	// The lineage index names the job and the ranges of every snapshot; the
	// last ranges end where the job's offsets do.
	out.Reset()
	if code := run(ctx, []string{"lineage", "default.events", "--server", "http://" + p.http}, std); code != 0 ||
		!strings.Contains(out.String(), "job "+fmt.Sprint(job)) || !strings.Contains(out.String(), fmt.Sprintf(", %d)\n", events/parts)) {
		t.Fatalf("wharf lineage: %d\n%s%s", code, out, errb)
	}
}

// TestCrashWindowedJob: the same kills during a tumbling-window aggregation.
// Event i has time base + 10·i ms and key i % 5, so every 1-second window
// holds 20 events of each key; after the kills the table must hold exactly
// that for every window the watermark closed: nothing lost, nothing twice.
func TestCrashWindowedJob(t *testing.T) {
	const events, parts = 40_000, 8
	r := newCrashRun(t, "ticks", events, parts, func(i int) string {
		ts := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 10 * time.Millisecond)
		return fmt.Sprintf(`{"id":%d,"k":%d,"ts":"%s"}`, i, i%5, ts.Format("2006-01-02 15:04:05.000"))
	})
	p := r.start(t)
	p.sql(t, `CREATE TABLE ticks (id BIGINT, k INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
		WITH ('connector' = 'kafka', 'topic' = 'ticks', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	p.sql(t, `CREATE TABLE per_second (window_start TIMESTAMP(3), k INT, n BIGINT, ids BIGINT)`)
	p.sql(t, `INSERT INTO per_second SELECT window_start, k, COUNT(*), SUM(id) FROM TABLE(TUMBLE(TABLE ticks, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end, k`)
	p = r.killFiveTimes(t, p, `SELECT COUNT(*) FROM per_second`)
	// The last window (holding the largest time) stays open: 399 closed
	// windows of 5 keys; their ids sum to that of events 0..39899.
	windows := events/100 - 1
	sumID := (windows*100 - 1) * windows * 100 / 2
	p.await(t, `SELECT COUNT(*), COUNT(DISTINCT window_start), MIN(n), MAX(n), SUM(n), SUM(ids) FROM per_second`,
		fmt.Sprintf("%d|%d|20|20|%d|%d", windows*5, windows, windows*100, sumID))
}

// TestCrashTopNJob: the same kills during a continuous Top-N into a table
// with a primary key (operator state in snapshots, rows replaced through
// position deletes). Amounts are distinct, so the top 3 of every user is
// one answer; after the kills the table holds exactly it.
func TestCrashTopNJob(t *testing.T) {
	const events, parts, users = 40_000, 8, 997
	amount := func(i int) int { return i * 7919 % 100_003 }
	r := newCrashRun(t, "bids", events, parts, func(i int) string {
		return fmt.Sprintf(`{"id":%d,"user_id":%d,"amount":%d}`, i, i%users, amount(i))
	})
	p := r.start(t)
	p.sql(t, `CREATE TABLE bids (id BIGINT, user_id BIGINT, amount BIGINT)
		WITH ('connector' = 'kafka', 'topic' = 'bids', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	p.sql(t, `CREATE TABLE top3 (user_id BIGINT, amount BIGINT, id BIGINT, rn BIGINT, PRIMARY KEY (user_id, rn) NOT ENFORCED)`)
	p.sql(t, `INSERT INTO top3 SELECT user_id, amount, id, rn FROM (
		SELECT user_id, amount, id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM bids) WHERE rn <= 3`)
	p = r.killFiveTimes(t, p, `SELECT COUNT(*), SUM(amount) FROM top3`)
	top := make([][]int, users) // per user, ids by amount descending
	for i := range events {
		u := i % users
		top[u] = append(top[u], i)
		slices.SortFunc(top[u], func(a, b int) int { return amount(b) - amount(a) })
		top[u] = top[u][:min(3, len(top[u]))]
	}
	var n, sumAmount, sumID, sumRank int
	for _, ids := range top {
		for rank, id := range ids {
			n, sumAmount, sumID, sumRank = n+1, sumAmount+amount(id), sumID+id, sumRank+(rank+1)*amount(id)
		}
	}
	p.await(t, `SELECT COUNT(*), COUNT(DISTINCT user_id), SUM(amount), SUM(id), SUM(rn * amount) FROM top3`,
		fmt.Sprintf("%d|%d|%d|%d|%d", n, users, sumAmount, sumID, sumRank))
}
