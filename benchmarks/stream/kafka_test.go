package stream

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/internal/broker"
)

var kafkaRecords = flag.Int64("stream.records", 1_000_000, "records in the topic of BenchmarkKafkaIngest")

const (
	kafkaPartitions = 8
	kafkaColumns    = `id BIGINT, auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, dateTime TIMESTAMP(3), extra STRING`
	// The job's source: the whole topic from its first offsets.
	createKafkaBids = `CREATE TABLE bids_src (` + kafkaColumns + `) WITH ('connector' = 'kafka', 'topic' = 'bids',
		'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`
)

// topic is a filled topic on an in-process broker.
type topic struct {
	addr    string
	records int64
	bytes   int64 // payload (record value) bytes
}

// fillTopic starts a broker and writes n JSON bids with ids 0..n-1 to the
// 8 partitions of topic "bids" (id i to partition i%8), from a fixed seed.
func fillTopic(tb testing.TB, n int64) *topic {
	tb.Helper()
	b, err := broker.Start("127.0.0.1:0", broker.WithPartitions(kafkaPartitions))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, kafkaPartitions, 1, nil, "bids"); err != nil {
		tb.Fatal(err)
	}
	t := &topic{addr: b.Addr(), records: n}
	rng := rand.New(rand.NewPCG(4, 2))
	channels := []string{"Google", "Facebook", "Baidu", "Apple"}
	var recs []*kgo.Record
	for i := range n {
		ch := channels[rng.IntN(len(channels))]
		extra := make([]byte, rng.IntN(48))
		for j := range extra {
			extra[j] = byte('a' + rng.IntN(26))
		}
		v := fmt.Appendf(nil, `{"id":%d,"auction":%d,"bidder":%d,"price":%d,"channel":"%s","url":"https://www.nexmark.com/%s/item.htm?query=1&channel_id=%d","dateTime":"2026-11-21 10:%02d:%02d.%03d","extra":"%s"}`,
			i, 1000+i/50+rng.Int64N(100), 2000+rng.Int64N(10000), 1+rng.Int64N(1_000_000), ch, strings.ToLower(ch), rng.Int32(),
			i/60_000%60, i/1000%60, i%1000, extra)
		t.bytes += int64(len(v))
		recs = append(recs, &kgo.Record{Topic: "bids", Partition: int32(i % kafkaPartitions), Value: v})
		if len(recs) == 10_000 || i == n-1 {
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				tb.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	return t
}

// kafkaRaw fetches the whole topic with franz-go and no decoding: the
// ceiling of any Kafka ingest on this broker.
func kafkaRaw(tb testing.TB, t *topic) measured {
	tb.Helper()
	from := map[int32]kgo.Offset{}
	for p := range int32(kafkaPartitions) {
		from[p] = kgo.NewOffset().At(0)
	}
	w := startWindow(tb)
	cl, err := kgo.NewClient(kgo.SeedBrokers(t.addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"bids": from}))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var n, bytes int64
	for n < t.records {
		fs := cl.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			tb.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) { n, bytes = n+1, bytes+int64(len(r.Value)) })
	}
	m := w.end(tb)
	if n != t.records || bytes != t.bytes {
		tb.Fatalf("raw fetch: %d records of %d bytes, want %d of %d", n, bytes, t.records, t.bytes)
	}
	return m
}

// kafkaSource reads the whole topic through the Kafka source the job
// opens (fetch and JSON decode into Arrow batches), with no job.
func kafkaSource(tb testing.TB, v *server, t *topic) measured {
	tb.Helper()
	v.exec(tb, "DROP TABLE IF EXISTS bids_probe").Release()
	v.exec(tb, "CREATE TABLE bids_probe ("+kafkaColumns+")").Release()
	src := v.openSource(tb, "INSERT INTO bids_probe SELECT * FROM bids_src")
	defer src.Close()
	w := startWindow(tb)
	covered, rows := readSource(tb, src, t.records)
	m := w.end(tb)
	if covered != t.records || rows != t.records {
		tb.Fatalf("source: %d rows over %d offsets, want %d", rows, covered, t.records)
	}
	return m
}

// kafkaJob copies the whole topic into a fresh table with a continuous job,
// stops it once it has read every record, and checks that the table holds
// each id exactly once and that the committed offsets are the topic's ends.
func kafkaJob(tb testing.TB, v *server, t *topic, op int) measured {
	tb.Helper()
	tbl := name("bids", op)
	v.exec(tb, "CREATE TABLE "+tbl+" ("+kafkaColumns+")").Release()
	// Done once every record is read or every offset committed: the second
	// ends a job that skipped records, and the checks below fail it.
	st, m := v.runJob(tb, "INSERT INTO "+tbl+" SELECT * FROM bids_src", func(st runtime.Status) bool {
		return st.RowsIn >= t.records || positions(tb, st, "kafka:bids/") >= t.records
	})
	if offsets := positions(tb, st, "kafka:bids/"); offsets != t.records || st.RowsOut != t.records {
		tb.Fatalf("job committed offsets summing to %d and wrote %d rows, want %d", offsets, st.RowsOut, t.records)
	}
	for _, c := range []struct {
		q    string
		want int64
	}{
		{"SELECT COUNT(*) FROM " + tbl, t.records},
		{"SELECT COUNT(DISTINCT id) FROM " + tbl, t.records},
		{"SELECT MAX(id) - MIN(id) + 1 FROM " + tbl, t.records},
	} {
		if got, _ := v.value(tb, c.q); got != c.want {
			tb.Fatalf("%s = %d, want %d", c.q, got, c.want)
		}
	}
	return m
}

// BenchmarkKafkaIngest measures INSERT INTO t SELECT * FROM kafka_table as
// a continuous job over a pre-filled topic (-stream.records JSON bids, 8
// partitions), from submit to the end of the commit that holds the last
// record, against two ceilings in the same run: /raw (franz-go fetch only)
// and /source (the job's source: fetch and decode).
func BenchmarkKafkaIngest(b *testing.B) {
	t := fillTopic(b, *kafkaRecords)
	v := newServer(b, t.addr)
	v.exec(b, createKafkaBids).Release()
	run := func(b *testing.B, op func(i int) measured) {
		var total measured
		for i := range b.N {
			total = total.add(op(i))
		}
		n := float64(t.records) * float64(b.N)
		report(b, n, "rows", total)
		b.ReportMetric(float64(t.bytes)*float64(b.N)/total.wall.Seconds()/1e6, "MB/s")
		b.ReportMetric(float64(t.bytes)*float64(b.N)/total.cpu.Seconds()/1e6, "MB/cpu-s")
	}
	b.Run("raw", func(b *testing.B) { run(b, func(int) measured { return kafkaRaw(b, t) }) })
	b.Run("source", func(b *testing.B) { run(b, func(int) measured { return kafkaSource(b, v, t) }) })
	ops := 0 // table names stay unique across the rounds b.Run makes
	b.Run("job", func(b *testing.B) {
		run(b, func(int) measured { ops++; return kafkaJob(b, v, t, ops) })
	})
}

// TestKafkaIngestMeasures runs the measurements of BenchmarkKafkaIngest on
// a small topic: each checks its own counts.
func TestKafkaIngestMeasures(t *testing.T) {
	tp := fillTopic(t, 20_000)
	v := newServer(t, tp.addr)
	v.exec(t, createKafkaBids).Release()
	kafkaRaw(t, tp)
	kafkaSource(t, v, tp)
	kafkaJob(t, v, tp, 0)
}

// TestKafkaSourceEpochEnds reads the job's Kafka source the way the
// runtime ends epochs (Next under a deadline), with deadlines short enough
// that many end while a fetch is being taken, and checks that the batches
// cover every offset once and hold a row for each: what BenchmarkKafkaIngest
// counts on.
func TestKafkaSourceEpochEnds(t *testing.T) {
	tp := fillTopic(t, 200_000)
	v := newServer(t, tp.addr)
	v.exec(t, createKafkaBids).Release()
	v.exec(t, "CREATE TABLE bids_probe ("+kafkaColumns+")").Release()
	src := v.openSource(t, "INSERT INTO bids_probe SELECT * FROM bids_src")
	defer src.Close()
	var covered, rows int64
	// Lost records never come: give up after 2 s without a batch.
	for i, last := 0, time.Now(); covered < tp.records && time.Since(last) < 2*time.Second; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%5*300+100)*time.Microsecond)
		b, err := src.Next(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		covered, rows, last = covered+b.To-b.From, rows+b.Rows.NumRows(), time.Now()
		b.Rows.Release()
	}
	if covered == tp.records && rows == tp.records {
		return
	}
	t.Fatalf("%d rows in batches covering %d offsets, want %d of each", rows, covered, tp.records)
}
