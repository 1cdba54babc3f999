package stream

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/internal/broker"
)

var freshnessFor = flag.Duration("stream.freshness", 15*time.Second, "how long BenchmarkFreshness produces (3 s with -short)")

const (
	produceEvery = 20 * time.Millisecond
	pollEvery    = 5 * time.Millisecond
)

// freshness produces one record every produceEvery for d into a topic that
// a running job reads at the default commit interval, while a poller runs
// SELECT MAX(id) on the job's table through the session every pollEvery.
// A record's latency is from just before it was produced to the return of
// the first SELECT that saw it. Every produced record must become visible.
func freshness(tb testing.TB, d time.Duration) []time.Duration {
	tb.Helper()
	ctx := context.Background()
	b, err := broker.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ProducerLinger(0))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "ticks"); err != nil {
		tb.Fatal(err)
	}
	v := newServer(tb, b.Addr())
	v.exec(tb, `CREATE TABLE ticks_src (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'ticks', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`).Release()
	v.exec(tb, `CREATE TABLE ticks (id BIGINT)`).Release()

	produce := func(id int) error {
		return cl.ProduceSync(ctx, &kgo.Record{Topic: "ticks", Value: fmt.Appendf(nil, `{"id":%d}`, id)}).FirstErr()
	}
	maxID := func() int {
		n, ok := v.value(tb, "SELECT MAX(id) FROM ticks")
		if !ok {
			return -1
		}
		return int(n)
	}
	// Record 0 warms up: the job has started and committed once before the
	// measured records 1..n are produced.
	if err := produce(0); err != nil {
		tb.Fatal(err)
	}
	r := v.exec(tb, "INSERT INTO ticks SELECT id FROM ticks_src")
	for deadline := time.Now().Add(30 * time.Second); maxID() < 0; time.Sleep(pollEvery) {
		if time.Now().After(deadline) {
			st, _ := v.m.Job(r.JobID)
			tb.Fatalf("the first record is not visible after 30 s: %+v", st)
		}
	}

	n := int(d / produceEvery)
	var mu sync.Mutex
	sent := make([]time.Time, n+1) // by id; set before the record is produced
	// The producer stops early when the poller fails; its error is checked
	// once it has ended.
	var prodErr error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	wg.Go(func() {
		tick := time.NewTicker(produceEvery)
		defer tick.Stop()
		for id := 1; id <= n && prodErr == nil; id++ {
			mu.Lock()
			sent[id] = time.Now()
			mu.Unlock()
			prodErr = produce(id)
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	})
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	for seen := 0; seen < n; time.Sleep(pollEvery) {
		if time.Since(start) > d+30*time.Second {
			st, _ := v.m.Job(r.JobID)
			tb.Fatalf("%d of %d records visible after %s: %+v", seen, n, time.Since(start), st)
		}
		m := maxID()
		now := time.Now()
		mu.Lock()
		for ; seen < m; seen++ {
			if sent[seen+1].IsZero() {
				tb.Fatalf("id %d visible before it was produced", seen+1)
			}
			lat = append(lat, now.Sub(sent[seen+1]))
		}
		mu.Unlock()
	}
	wg.Wait()
	if prodErr != nil {
		tb.Fatal(prodErr)
	}
	if got, _ := v.value(tb, "SELECT COUNT(*) FROM ticks"); got != int64(n+1) {
		tb.Fatalf("ticks holds %d rows, want %d", got, n+1)
	}
	return lat
}

// quantile is the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// BenchmarkFreshness measures produce → visible to SELECT at the default
// commit interval (1 s). An op is the whole -stream.freshness run; run it
// with -benchtime 1x.
func BenchmarkFreshness(b *testing.B) {
	d := *freshnessFor
	if testing.Short() {
		d = 3 * time.Second
	}
	var all []time.Duration
	for range b.N {
		all = append(all, freshness(b, d)...)
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/float64(b.N), "records/op")
	b.ReportMetric(all[0].Seconds()*1000, "min-ms")
	b.ReportMetric(quantile(all, 0.5).Seconds()*1000, "p50-ms")
	b.ReportMetric(quantile(all, 0.99).Seconds()*1000, "p99-ms")
	b.ReportMetric(all[len(all)-1].Seconds()*1000, "max-ms")
}

// TestFreshnessMeasures runs the freshness measurement for 2 s: every
// produced record is seen, once, with a latency after it was produced.
func TestFreshnessMeasures(t *testing.T) {
	lat := freshness(t, 2*time.Second)
	if want := int(2 * time.Second / produceEvery); len(lat) != want {
		t.Fatalf("%d latencies, want %d", len(lat), want)
	}
	for i, l := range lat {
		if l <= 0 {
			t.Fatalf("record %d: latency %s", i+1, l)
		}
	}
}
