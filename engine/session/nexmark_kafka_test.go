package session_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
)

// The events the Kafka runs read: a bounded generator's, seed 42. At 200
// events per second of event time the 25,000 events span 125 s, so the
// 10-second windows of q5, q8 and q11 close many times over; every event
// has its own millisecond, so no ordering is left to ties.
const (
	kafkaEvents = 25000
	kafkaRate   = 200
	kafkaBaseMs = 1767225600000 // the generator's default base time
	kafkaParts  = 4
	// blockEvents is the generator's block (one person, three auctions,
	// 46 bids); a record's key is its block, so a block's events share a
	// partition and each partition holds whole blocks in event time order.
	blockEvents = 50
)

// kafkaGen is the bounded generator of those events.
var kafkaGen = fmt.Sprintf("'first-event-rate' = '%d', 'events.num' = '%d'", kafkaRate, kafkaEvents)

// nexmarkKafka declares tbl as the Kafka topic of the same name.
func nexmarkKafka(tbl string) string {
	return fmt.Sprintf(`CREATE TABLE %s (%s, WATERMARK FOR dateTime AS dateTime - INTERVAL '0.5' SECOND) WITH ('connector' = 'kafka', 'topic' = '%s', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`,
		tbl, nexmarkColumns[tbl], tbl)
}

// nexmarkRecord is one event as a producer writes it.
type nexmarkRecord struct {
	event      int64 // its event number
	key, value []byte
}

// nexmarkRecords renders each table's events, read from the bounded
// generator, as JSON records in event time order.
func nexmarkRecords(t *testing.T, s *session.Session) map[string][]nexmarkRecord {
	t.Helper()
	out := map[string][]nexmarkRecord{}
	for tbl, cols := range nexmarkColumns {
		var names []string
		for _, c := range strings.Split(cols, ", ") {
			name, _, _ := strings.Cut(c, " ")
			names = append(names, name)
		}
		mustExec(t, s, nexmarkGen(tbl, kafkaGen))
		r := mustExec(t, s, `SELECT * FROM `+tbl+` ORDER BY dateTime`)
		for _, b := range r.Batches {
			for i := range int(b.NumRows()) {
				var rec nexmarkRecord
				v := []byte{'{'}
				for c, name := range names {
					if c > 0 {
						v = append(v, ',')
					}
					v = append(strconv.AppendQuote(v, name), ':')
					switch col := b.Column(c).(type) {
					case *array.Int64:
						v = strconv.AppendInt(v, col.Value(i), 10)
					case *array.String:
						js, err := json.Marshal(col.Value(i))
						if err != nil {
							t.Fatal(err)
						}
						v = append(v, js...)
					case *array.Timestamp:
						ts := col.Value(i).ToTime(col.DataType().(*arrow.TimestampType).Unit).UTC()
						v = ts.AppendFormat(append(v, '"'), "2006-01-02 15:04:05.000")
						v = append(v, '"')
						if name == "dateTime" {
							rec.event = (ts.UnixMilli() - kafkaBaseMs) * kafkaRate / 1000
						}
					default:
						t.Fatalf("%s.%s: unexpected %s", tbl, name, col.DataType())
					}
				}
				rec.value = append(v, '}')
				rec.key = strconv.AppendInt(nil, rec.event/blockEvents, 10)
				out[tbl] = append(out[tbl], rec)
			}
		}
		mustExec(t, s, `DROP TABLE `+tbl)
	}
	return out
}

// produceNexmark writes the records of events [from, to) and waits for
// their acks: person through kcat (an independent client, partitioning by
// librdkafka's key hash), auction and bid through franz-go (murmur2).
func produceNexmark(t *testing.T, addr string, recs map[string][]nexmarkRecord, from, to int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for tbl, rs := range recs {
		var in []nexmarkRecord
		for _, r := range rs {
			if r.event >= from && r.event < to {
				in = append(in, r)
			}
		}
		if tbl == "person" {
			var lines bytes.Buffer
			for _, r := range in {
				fmt.Fprintf(&lines, "%s\t%s\n", r.key, r.value)
			}
			cmd := exec.CommandContext(ctx, "/usr/bin/kcat", "-b", addr, "-t", tbl, "-P", "-K", "\t")
			cmd.Stdin = &lines
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("kcat (run scripts/ensure-debs.sh if it is missing): %v\n%s", err, out)
			}
			continue
		}
		krs := make([]*kgo.Record, len(in))
		for i, r := range in {
			krs[i] = &kgo.Record{Topic: tbl, Key: r.key, Value: r.value}
		}
		if err := cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
			t.Fatalf("producing %s: %v", tbl, err)
		}
	}
}

// TestNexmarkKafkaStreamingEqualsBatch runs the Nexmark queries of
// TestNexmarkStreamingEqualsBatch, and a copy of each table, as continuous
// jobs over Kafka topics holding the generator's events as JSON, all at
// once: half the events are produced, every job commits, the server
// crashes, the other half is produced, and each job catches up with its
// topics' ends. Each table must then hold exactly what the same SQL
// computes as a batch over the same events, read from the bounded
// generator (an interactive SELECT over a Kafka table is refused as
// unbounded, so the topics cannot be read as a batch themselves).
func TestNexmarkKafkaStreamingEqualsBatch(t *testing.T) {
	ctx := context.Background()
	b := newTopic(t, "person", kafkaParts)
	admCl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	if _, err := adm.CreateTopics(ctx, kafkaParts, 1, nil, "auction", "bid"); err != nil {
		t.Fatal(err)
	}
	j := newJobServer(t, session.WithBrokers(b.Addr()))
	recs := nexmarkRecords(t, j.s)
	produceNexmark(t, b.Addr(), recs, 0, kafkaEvents/2)

	// The topics each query reads (the others read bid only).
	reads := map[string][]string{"q3": {"auction", "person"}, "q4": {"auction", "bid"}, "q8": {"auction", "person"},
		"q9": {"auction", "bid"}, "q20": {"auction", "bid"}, "person": {"person"}, "auction": {"auction"}}
	queries := []string{"person", "auction", "bid", "q0", "q1", "q2", "q3", "q14", "q20", "q21", "q22", "q15", "q16", "q17", "q18", "q19", "q11", "q4", "q9", "q8", "q5"}
	for tbl := range nexmarkColumns {
		mustExec(t, j.s, nexmarkKafka(tbl))
	}
	jobs := map[string]string{}
	sinks := map[string]string{}
	inserts := map[string]string{}
	for _, q := range queries {
		if _, ok := reads[q]; !ok {
			reads[q] = []string{"bid"}
		}
		sink, insert := kafkaQuery(t, q)
		sinks[q], inserts[q] = sink, insert
		mustExec(t, j.s, `CREATE TABLE `+sink+` WITH ('wharf.commit-interval' = '200 ms')`)
		jobs[q] = mustExec(t, j.s, insert).JobID
	}

	// await polls the jobs until done holds for each.
	await := func(what string, done func(q string, st runtime.Status) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for _, q := range queries {
			for {
				st, err := j.m.Job(jobs[q])
				if err == nil && done(q, st) {
					break
				}
				if st.State == runtime.StateFailed || time.Now().After(deadline) {
					t.Fatalf("%s: job not %s: %+v (%v)", q, what, st, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	// A crash once every job has committed (some at the half's end, some
	// short of it): each resumes from its committed positions and state.
	await("committing", func(_ string, st runtime.Status) bool { return st.Epoch >= 1 })
	before := map[string]uint64{}
	for q, id := range jobs {
		st, _ := j.m.Job(id)
		before[q] = st.Epoch
	}
	j.restart(true)
	produceNexmark(t, b.Addr(), recs, kafkaEvents/2, kafkaEvents)

	ends := map[string]int64{}
	for tbl := range nexmarkColumns {
		listed, err := adm.ListEndOffsets(ctx, tbl)
		if err != nil {
			t.Fatal(err)
		}
		listed.Each(func(o kadm.ListedOffset) { ends[fmt.Sprintf("kafka:%s/%d", o.Topic, o.Partition)] = o.Offset })
	}
	// Every partition holds events, so each one's event time counts in the
	// watermark (an empty one would hold it back for good).
	for tbl := range nexmarkColumns {
		for p := range kafkaParts {
			if k := fmt.Sprintf("kafka:%s/%d", tbl, p); ends[k] == 0 {
				t.Fatalf("%s is empty: %v", k, ends)
			}
		}
	}
	t.Logf("end offsets %v", ends)
	// A job commits only epochs with output: when its last records yield
	// none, its committed positions stay short of the ends. It has read
	// everything once it reads nothing more for a while; the comparison
	// then shows whether what it did not commit would have changed its
	// table.
	type reading struct {
		rows  int64
		since time.Time
	}
	last := map[string]reading{}
	await("caught up", func(q string, st runtime.Status) bool {
		if st.Epoch <= before[q] {
			return false
		}
		if r, ok := last[q]; !ok || r.rows != st.RowsIn {
			last[q] = reading{st.RowsIn, time.Now()}
		}
		for _, tbl := range reads[q] {
			for p := range kafkaParts {
				k := fmt.Sprintf("kafka:%s/%d", tbl, p)
				if st.Positions[k] != ends[k] {
					if time.Since(last[q].since) < 2*time.Second {
						return false
					}
					t.Logf("%s: has read nothing for 2 s with %s committed at %d of %d", q, k, st.Positions[k], ends[k])
					return true
				}
			}
		}
		return true
	})
	stopped := map[string]runtime.Status{}
	for _, q := range queries {
		st, err := j.m.Stop(ctx, jobs[q])
		if err != nil {
			t.Fatal(err)
		}
		for k := range st.Positions {
			tbl, _, _ := strings.Cut(strings.TrimPrefix(k, "kafka:"), "/")
			if !slices.Contains(reads[q], tbl) {
				t.Errorf("%s read %s, not listed in reads", q, k)
			}
		}
		stopped[q] = st
	}

	// The same SQL as a batch over the same events.
	for tbl := range nexmarkColumns {
		mustExec(t, j.s, `DROP TABLE `+tbl)
		mustExec(t, j.s, nexmarkGen(tbl, kafkaGen))
	}
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			st := stopped[q]
			name, _, _ := strings.Cut(sinks[q], "(")
			mustExec(t, j.s, `CREATE TABLE `+strings.Replace(sinks[q], name, name+"_batch", 1))
			mustExec(t, j.s, strings.Replace(inserts[q], name, name+"_batch", 1))
			streamed := checkEqualsBatch(t, j.s, q, name, st)
			// Partitions hold whole blocks in event-time order: no row is
			// late, also not the replayed rows of windows closed before
			// the crash that share a fetch with the first new ones.
			if st.LateRows != 0 {
				t.Errorf("%s: %d late rows", q, st.LateRows)
			}
			t.Logf("%s: %s rows", q, streamed)
		})
	}
}

// kafkaQuery is query q's sink and INSERT: a Nexmark query's, or for a
// table name a copy of the table, which checks the records decode to
// exactly the generator's rows.
func kafkaQuery(t *testing.T, q string) (sink, insert string) {
	t.Helper()
	if cols, ok := nexmarkColumns[q]; ok {
		return "kafka_" + q + "(" + cols + ")", "INSERT INTO kafka_" + q + " SELECT * FROM " + q
	}
	return nexmarkQuery(t, q)
}
