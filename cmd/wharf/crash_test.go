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

// TestCrashContinuousJob is issue 4's crash test: a continuous job in a
// `wharf serve` process reads 100k events over 8 partitions from another
// wharf's embedded broker and is SIGKILLed at random points 5 times; the
// table ends with exactly the source's rows and wharf verify is clean.
func TestCrashContinuousJob(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real processes")
	}
	const events, parts = 100_000, 8
	wharfBinary(t)                       // before the clock starts: building takes seconds
	broker := startServe(t, t.TempDir()) // the other wharf, whose broker outlives the kills
	brokerAddr := broker.addrs["broker"]
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokerAddr), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, parts, 1, nil, "events"); err != nil {
		t.Fatal(err)
	}
	produced := make(chan error, 1)
	go func() { // produce in chunks while the job runs and dies
		const chunk = 1_000 // 100 chunks over ~10 s, so the kills land mid-ingest
		for from := 0; from < events; from += chunk {
			var recs []*kgo.Record
			for i := from; i < from+chunk; i++ {
				v := fmt.Sprintf(`{"id":%d,"user_id":%d,"amount":%d}`, i, i%977, i%1000)
				recs = append(recs, &kgo.Record{Topic: "events", Partition: int32(i % parts), Value: []byte(v)})
			}
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				produced <- err
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		produced <- nil
	}()

	data := t.TempDir()
	p := startProcess(t, data, "--kafka", brokerAddr)
	p.sql(t, `CREATE TABLE events_src (id BIGINT NOT NULL, user_id BIGINT, amount BIGINT)
		WITH ('connector' = 'kafka', 'topic' = 'events', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	p.sql(t, `CREATE TABLE events (id BIGINT NOT NULL, user_id BIGINT, amount BIGINT)`)
	job := p.sql(t, `INSERT INTO events SELECT id, user_id, amount FROM events_src`)["job_id"]
	if job == nil {
		t.Fatal("no job id")
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 4))
	for k := range 5 {
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		t.Logf("kill %d: %s rows committed", k+1, p.row(t, `SELECT COUNT(*) FROM events`))
		p.kill(t)
		p = startProcess(t, data, "--kafka", brokerAddr)
	}
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	var sumID, sumAmount int64
	for i := range int64(events) {
		sumID += i
		sumAmount += i % 1000
	}
	want := fmt.Sprintf("%d|%d|%d|%d", events, events, sumID, sumAmount)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := p.row(t, `SELECT COUNT(*), COUNT(DISTINCT id), SUM(id), SUM(amount) FROM events`)
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("table has %s, want %s\n%s", got, want, p.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
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
}
