package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/internal/broker"
)

func TestMain(m *testing.M) {
	// Short enough for the failure tests to finish in seconds.
	probeEvery, unreachableFor = 300*time.Millisecond, 1500*time.Millisecond
	os.Exit(m.Run())
}

// cluster is an embedded broker with a producer on it.
type cluster struct {
	b    *broker.Broker
	prod *kgo.Client
}

func startCluster(t testing.TB, partitions int) *cluster {
	t.Helper()
	b, err := broker.Start("127.0.0.1:0", broker.WithPartitions(partitions))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	prod, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.AllowAutoTopicCreation(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	return &cluster{b: b, prod: prod}
}

func (c *cluster) produce(t testing.TB, recs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// event is the JSON the tests produce.
type event struct {
	ID   int64  `json:"id"`
	Part int32  `json:"part"`
	Name string `json:"name"`
}

func eventRecord(topic string, part int32, id int64) *kgo.Record {
	v, _ := json.Marshal(event{ID: id, Part: part, Name: fmt.Sprintf("e-%d", id)})
	return &kgo.Record{Topic: topic, Partition: part, Value: v}
}

var eventColumns = []connector.Column{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Declared: "BIGINT"},
	{Name: "part", Type: arrow.PrimitiveTypes.Int32, Nullable: true, Declared: "INT"},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true, Declared: "STRING"},
	{Name: "off", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Declared: "BIGINT", MetadataKey: "offset"},
}

func newSpec(addr, topic string, opts map[string]string) *connector.TableSpec {
	o := map[string]string{"connector": "kafka", "topic": topic, "format": "json"}
	for k, v := range opts {
		o[k] = v
	}
	return &connector.TableSpec{Name: "db.events", Columns: eventColumns, Options: o, DefaultBrokers: addr, BatchRows: 64}
}

// open opens and starts a source, closed at the end of the test.
func open(t testing.TB, spec *connector.TableSpec, from map[int32]int64) *Source {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	src, err := Open(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	if err := src.Start(ctx, from); err != nil {
		t.Fatal(err)
	}
	return src.(*Source)
}

// reader collects batches and checks that each split's batches tile its
// offsets.
type reader struct {
	src  *Source
	next map[int32]int64 // expected From per split
	rows []readRow
	bad  []connector.BadRecord
}

type readRow struct {
	id   int64
	part int32
	off  int64
}

func newReader(src *Source, from map[int32]int64) *reader {
	r := &reader{src: src, next: map[int32]int64{}}
	for p, o := range from {
		r.next[p] = o
	}
	return r
}

// batch reads one batch and checks it.
func (r *reader) batch(t testing.TB, ctx context.Context) connector.Batch {
	t.Helper()
	b, err := r.src.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v (after %d rows)", err, len(r.rows))
	}
	defer b.Rows.Release()
	if want, ok := r.next[b.Split]; ok && b.From != want {
		t.Fatalf("split %d: batch starts at %d, the previous ended at %d", b.Split, b.From, want)
	}
	if b.To <= b.From {
		t.Fatalf("split %d: empty range [%d, %d)", b.Split, b.From, b.To)
	}
	r.next[b.Split] = b.To
	ids := b.Rows.Column(0).(*array.Int64)
	parts := b.Rows.Column(1).(*array.Int32)
	offs := b.Rows.Column(3).(*array.Int64)
	if len(b.Pos) != int(b.Rows.NumRows()) {
		t.Fatalf("split %d: %d rows, %d positions", b.Split, b.Rows.NumRows(), len(b.Pos))
	}
	for i := range int(b.Rows.NumRows()) {
		row := readRow{id: ids.Value(i), part: parts.Value(i), off: offs.Value(i)}
		if row.off < b.From || row.off >= b.To || row.part != b.Split {
			t.Fatalf("row %+v outside batch split %d [%d, %d)", row, b.Split, b.From, b.To)
		}
		if b.Pos[i] != row.off {
			t.Fatalf("row %+v: position %d", row, b.Pos[i])
		}
		r.rows = append(r.rows, row)
	}
	r.bad = append(r.bad, b.Bad...)
	return b
}

// until reads batches until n rows and bad records arrived, within 10 s.
func (r *reader) until(t testing.TB, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(r.rows)+len(r.bad) < n {
		r.batch(t, ctx)
	}
	if got := len(r.rows) + len(r.bad); got != n {
		t.Fatalf("read %d records, want %d", got, n)
	}
}

// quiet checks that nothing more arrives for a moment.
func (r *reader) quiet(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*probeEvery)
	defer cancel()
	if b, err := r.src.Next(ctx); err == nil {
		b.Rows.Release()
		t.Fatalf("unexpected batch split %d [%d, %d)", b.Split, b.From, b.To)
	}
}
