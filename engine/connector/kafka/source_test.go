package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/internal/errkind"
)

// produceEvents writes perPart events to each of parts partitions; ids are
// unique, and the returned sum checks a read-back.
func produceEvents(t testing.TB, c *cluster, topic string, parts, perPart int) (sum int64) {
	var recs []*kgo.Record
	for p := range parts {
		for i := range perPart {
			id := int64(p*1_000_000 + i)
			recs = append(recs, eventRecord(topic, int32(p), id))
			sum += id
		}
	}
	c.produce(t, recs...)
	return sum
}

func TestReadBackEightPartitions(t *testing.T) {
	c := startCluster(t, 8)
	sum := produceEvents(t, c, "events", 8, 250)
	alloc := memory.NewCheckedAllocator(memory.DefaultAllocator)
	spec := newSpec(c.b.Addr(), "events", nil)
	spec.Alloc = alloc
	src := open(t, spec, nil)

	splits, err := src.Splits(context.Background())
	if err != nil || !slices.Equal(splits, []int32{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Fatalf("Splits = %v, %v", splits, err)
	}
	r := newReader(src, map[int32]int64{0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0})
	r.until(t, 8*250)
	r.quiet(t)
	var got int64
	seen := map[int64]bool{}
	for _, row := range r.rows {
		if seen[row.id] {
			t.Fatalf("id %d read twice", row.id)
		}
		seen[row.id] = true
		got += row.id
	}
	if got != sum {
		t.Fatalf("checksum %d, want %d", got, sum)
	}
	for p := range int32(8) {
		if r.next[p] != 250 {
			t.Errorf("partition %d read to %d, want 250", p, r.next[p])
		}
	}
	src.Close()
	alloc.AssertSize(t, 0)
}

func TestResumeFromCheckpoint(t *testing.T) {
	c := startCluster(t, 3)
	produceEvents(t, c, "events", 3, 100)
	first := open(t, newSpec(c.b.Addr(), "events", map[string]string{"scan.startup.mode": "earliest-offset"}), nil)
	r1 := newReader(first, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(r1.rows) < 128 { // some batches, from whichever partitions came first
		r1.batch(t, ctx)
	}
	first.Close()

	// Resume the partitions read so far at their checkpointed positions; the
	// others start per 'scan.startup.mode' (earliest).
	second := open(t, newSpec(c.b.Addr(), "events", map[string]string{"scan.startup.mode": "latest-offset"}), r1.next)
	produceEvents(t, c, "events", 3, 0)
	r2 := newReader(second, r1.next)
	want := 0
	for p := range int32(3) {
		if _, ok := r1.next[p]; ok {
			want += 100 - int(r1.next[p])
		}
	}
	r2.until(t, want)
	r2.quiet(t)
	seen := map[int64]bool{}
	for _, row := range append(r1.rows, r2.rows...) {
		if seen[row.id] {
			t.Fatalf("id %d read twice", row.id)
		}
		seen[row.id] = true
	}
	for p := range int32(3) {
		if _, ok := r1.next[p]; ok && r2.next[p] != 100 {
			t.Errorf("partition %d resumed and read to %d, want 100", p, r2.next[p])
		}
	}
}

func TestStartupModes(t *testing.T) {
	c := startCluster(t, 1)
	t0 := time.UnixMilli(1_700_000_000_000)
	var recs []*kgo.Record
	for i := range 10 {
		r := eventRecord("events", 0, int64(i))
		r.Timestamp = t0.Add(time.Duration(i) * time.Second)
		recs = append(recs, r)
	}
	c.produce(t, recs...)

	earliest := newReader(open(t, newSpec(c.b.Addr(), "events", nil), nil), map[int32]int64{0: 0})
	earliest.until(t, 10)

	ts := newReader(open(t, newSpec(c.b.Addr(), "events", map[string]string{
		"scan.startup.mode": "timestamp", "scan.startup.timestamp-millis": "1700000006500"}), nil), map[int32]int64{0: 7})
	ts.until(t, 3)
	if ts.rows[0].id != 7 {
		t.Errorf("timestamp start read id %d first, want 7", ts.rows[0].id)
	}

	latest := newReader(open(t, newSpec(c.b.Addr(), "events", map[string]string{"scan.startup.mode": "latest-offset"}), nil), map[int32]int64{0: 10})
	c.produce(t, eventRecord("events", 0, 42))
	latest.until(t, 1)
	if latest.rows[0].id != 42 || latest.rows[0].off != 10 {
		t.Errorf("latest start read %+v, want id 42 at offset 10", latest.rows[0])
	}
}

func TestMetadataColumns(t *testing.T) {
	c := startCluster(t, 2)
	ts := time.UnixMilli(1_700_000_000_123)
	c.produce(t, &kgo.Record{Topic: "meta", Partition: 1, Key: []byte("k1"), Value: []byte(`{"id":1}`), Timestamp: ts,
		Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}, {Key: "n"}}})
	cols := []connector.Column{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Declared: "BIGINT"},
		{Name: "t", Type: arrow.BinaryTypes.String, Nullable: true, Declared: "STRING", MetadataKey: "topic"},
		{Name: "p", Type: arrow.PrimitiveTypes.Int32, Nullable: true, Declared: "INT", MetadataKey: "partition"},
		{Name: "o", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Declared: "BIGINT", MetadataKey: "offset"},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true, Declared: "TIMESTAMP_LTZ(3)", MetadataKey: "timestamp"},
		{Name: "tt", Type: arrow.BinaryTypes.String, Nullable: true, Declared: "STRING", MetadataKey: "timestamp-type"},
		{Name: "k", Type: arrow.BinaryTypes.Binary, Nullable: true, Declared: "BYTES", MetadataKey: "key"},
		{Name: "h", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.Binary), Nullable: true, Declared: "MAP<STRING, BYTES>", MetadataKey: "headers"},
	}
	spec := &connector.TableSpec{Name: "db.meta", Columns: cols, DefaultBrokers: c.b.Addr(),
		Options: map[string]string{"connector": "kafka", "topic": "meta", "value.format": "json"}}
	src := open(t, spec, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := src.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rows.Release()
	var got []string
	for _, col := range b.Rows.Columns() {
		got = append(got, col.ValueStr(0))
	}
	want := []string{"1", "meta", "1", "0", "2023-11-14T22:13:20.123Z", "CreateTime", "azE=", `[{"key":"h","value":"dg=="},{"key":"n","value":null}]`}
	if !slices.Equal(got, want) {
		t.Fatalf("metadata row\n got %q\nwant %q", got, want)
	}

	for _, bad := range []struct {
		col  connector.Column
		want string
	}{
		{connector.Column{Name: "x", Type: arrow.PrimitiveTypes.Int64, Declared: "BIGINT", MetadataKey: "partition"}, "column x: metadata 'partition' is INT, not BIGINT"},
		{connector.Column{Name: "x", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String), Declared: "MAP<STRING, STRING>", MetadataKey: "headers"}, "is MAP<STRING, BYTES>, not MAP<STRING, STRING>"},
		{connector.Column{Name: "x", Type: arrow.BinaryTypes.String, Declared: "STRING", MetadataKey: "value"}, "unknown Kafka metadata key 'value'"},
	} {
		spec := newSpec(c.b.Addr(), "meta", nil)
		spec.Columns = []connector.Column{bad.col}
		if _, err := Open(ctx, spec); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Open with %+v: %v, want %q", bad.col, err, bad.want)
		}
	}
}

func TestBadRecordsGoToDeadLetters(t *testing.T) {
	c := startCluster(t, 1)
	good := eventRecord("events", 0, 1)
	bad := &kgo.Record{Topic: "events", Partition: 0, Value: []byte(`{"id":"x"}`), Timestamp: time.UnixMilli(1_700_000_000_000)}
	c.produce(t, good, bad, eventRecord("events", 0, 3))
	r := newReader(open(t, newSpec(c.b.Addr(), "events", nil), nil), map[int32]int64{0: 0})
	r.until(t, 3)
	if len(r.rows) != 2 || r.rows[0].id != 1 || r.rows[1].id != 3 || r.rows[1].off != 2 {
		t.Fatalf("good rows %+v", r.rows)
	}
	want := connector.BadRecord{Topic: "events", Split: 0, Position: 1, Timestamp: 1_700_000_000_000,
		Err: `field id at byte 6: "x" is not an integer for BIGINT`, Raw: []byte(`{"id":"x"}`)}
	if got := r.bad[0]; len(r.bad) != 1 || got.Topic != want.Topic || got.Position != want.Position || got.Timestamp != want.Timestamp || got.Err != want.Err || string(got.Raw) != string(want.Raw) {
		t.Fatalf("bad records %+v, want %+v", r.bad, want)
	}

	// Under ignore-parse-errors the record is skipped but counted.
	ign := open(t, newSpec(c.b.Addr(), "events", map[string]string{"json.ignore-parse-errors": "true"}), nil)
	ri := newReader(ign, map[int32]int64{0: 0})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ri.next[0] < 3 {
		ri.batch(t, ctx)
	}
	if len(ri.rows) != 3 || len(ri.bad) != 0 {
		t.Fatalf("ignore-parse-errors: %d rows, %d bad; want 3 rows (the bad field NULL)", len(ri.rows), len(ri.bad))
	}
	if got := ign.Ignored(); got.Fields != 1 {
		t.Fatalf("Ignored = %+v, want one nulled field", got)
	}
}

func TestOffsetsOutOfRange(t *testing.T) {
	c := startCluster(t, 1)
	for i := range 10 { // one record batch each, so a fetch brings one record
		c.produce(t, eventRecord("events", 0, int64(i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	spec := newSpec(c.b.Addr(), "events", map[string]string{"properties.max.partition.fetch.bytes": "1", "properties.fetch.max.bytes": "1"})

	// Records deleted while the source reads: it has at most two fetched
	// ahead, then must stop at the hole with the offsets in the message.
	src := open(t, spec, map[int32]int64{0: 2})
	r := newReader(src, map[int32]int64{0: 2})
	r.batch(t, ctx)
	adm := kadm.NewClient(c.prod)
	var o kadm.Offsets
	o.Add(kadm.Offset{Topic: "events", Partition: 0, At: 6})
	if _, err := adm.DeleteRecords(ctx, o); err != nil {
		t.Fatal(err)
	}
	var err error
	for err == nil && r.next[0] < 6 {
		var b connector.Batch
		if b, err = src.Next(ctx); err == nil {
			r.next[0] = b.To
			b.Rows.Release()
		}
	}
	wantFatal(t, err, fmt.Sprintf("topic events on %s partition 0: offset %d is out of range: the log now holds offsets 6 to 10", c.b.Addr(), r.next[0]))

	// A checkpoint that is no longer in the log.
	s2, err := Open(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	wantFatal(t, s2.Start(ctx, map[int32]int64{0: 3}), "partition 0: checkpoint offset 3 is out of range: the log holds offsets 6 to 10")
	wantFatal(t, s2.Start(ctx, map[int32]int64{5: 0}), "the checkpoint has partition 5, the topic has partitions 0..0")
}

func TestRecreatedTopic(t *testing.T) {
	c := startCluster(t, 1)
	produceEvents(t, c, "events", 1, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	adm := kadm.NewClient(c.prod)
	recreate := func() {
		t.Helper()
		c.prod.PurgeTopicsFromClient("events") // its producer would keep the old topic ID
		if _, err := adm.DeleteTopics(ctx, "events"); err != nil {
			t.Fatal(err)
		}
		if _, err := adm.CreateTopic(ctx, 1, 1, nil, "events"); err != nil {
			t.Fatal(err)
		}
		produceEvents(t, c, "events", 1, 8)
	}

	reading := open(t, newSpec(c.b.Addr(), "events", nil), nil)
	r := newReader(reading, map[int32]int64{0: 0})
	r.until(t, 5)
	recreate()
	_, err := reading.Next(ctx)
	wantFatal(t, err, "was deleted and recreated")

	opened, err := Open(ctx, newSpec(c.b.Addr(), "events", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	recreate()
	wantFatal(t, opened.Start(ctx, map[int32]int64{0: 5}), "was deleted and recreated")
}

func TestCloseUnblocksNext(t *testing.T) {
	c := startCluster(t, 1)
	produceEvents(t, c, "events", 1, 1)
	src := open(t, newSpec(c.b.Addr(), "events", map[string]string{"scan.startup.mode": "latest-offset"}), nil)
	done := make(chan error, 1)
	go func() {
		_, err := src.Next(context.Background())
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	src.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Next took %s to return after Close", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still blocked 5 s after Close")
	}
}

func TestBrokerUnreachable(t *testing.T) {
	c := startCluster(t, 1)
	produceEvents(t, c, "events", 1, 1)
	src := open(t, newSpec(c.b.Addr(), "events", nil), nil)
	r := newReader(src, nil)
	r.until(t, 1)
	c.b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err := src.Next(ctx)
	if !errkind.IsRetryable(err) || !strings.Contains(err.Error(), "kafka unreachable for") {
		t.Fatalf("Next with the broker gone: %v (%s), want a retryable error", err, errkind.Of(err))
	}
	if d := time.Since(start); d < unreachableFor {
		t.Fatalf("gave up after %s, before %s", d, unreachableFor)
	}
}

func TestOptions(t *testing.T) {
	for _, c := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"topic": ""}, "option 'topic' is required"},
		{map[string]string{"topic": "a;b"}, "reading several topics is not supported yet"},
		{map[string]string{"topic-pattern": "a.*"}, "reading topics by pattern is not supported yet"},
		{map[string]string{"scan.startup.mode": "group-offsets"}, "wharf keeps each partition's position in its own checkpoints"},
		{map[string]string{"scan.startup.mode": "specific-offsets"}, "'specific-offsets' is not supported"},
		{map[string]string{"scan.startup.mode": "timestamp"}, "'scan.startup.timestamp-millis' is required"},
		{map[string]string{"scan.startup.mode": "nope"}, "want earliest-offset, latest-offset or timestamp"},
		{map[string]string{"scan.startup.timestamp-millis": "5"}, "needs 'scan.startup.mode' = 'timestamp'"},
		{map[string]string{"format": "avro"}, `format "avro" is not supported`},
		{map[string]string{"value.format": "json"}, "'format' and 'value.format' are both set"},
		{map[string]string{"json.nope": "1"}, "unknown option 'json.nope' for format json"},
		{map[string]string{"csv.field-delimiter": ";"}, "unknown option 'csv.field-delimiter' for the kafka connector"},
		{map[string]string{"properties.security.protocol": "SSL"}, "option 'properties.security.protocol' is not supported"},
		{map[string]string{"properties.isolation.level": "x"}, "want read_committed or read_uncommitted"},
		{map[string]string{"key.format": "json"}, "decoding the message key into columns is not supported yet"},
		{map[string]string{"sink.semantic": "x"}, "unknown option 'sink.semantic'"},
	} {
		spec := newSpec("127.0.0.1:1", "events", c.opts)
		_, err := Open(context.Background(), spec)
		wantFatal(t, err, c.want)
	}
	// Accepted: group settings (no-ops) and mapped fetch properties.
	cfg, err := parseOptions(newSpec("b:9092", "events", map[string]string{
		"properties.group.id": "g", "properties.fetch.max.bytes": "1048576", "properties.isolation.level": "read_committed",
		"properties.client.id": "me", "value.fields-include": "ALL", "json.ignore-parse-errors": "true"}))
	if err != nil || cfg.clientID != "me" || len(cfg.fetchOpts) != 2 || cfg.formatOpts["json.ignore-parse-errors"] != "true" {
		t.Fatalf("parseOptions = %+v, %v", cfg, err)
	}
}

func wantFatal(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) || errkind.Of(err) != errkind.Fatal {
		t.Errorf("got %v (%s), want a fatal error with %q", err, errkind.Of(err), want)
	}
}
