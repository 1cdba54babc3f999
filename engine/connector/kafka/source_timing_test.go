package kafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/engine/connector"
)

const benchRecords = 50_000

// benchTopic fills one partition with Nexmark-like bids and returns the
// payload bytes.
func benchTopic(b *testing.B) (*cluster, int64) {
	c := startCluster(b, 1)
	var recs []*kgo.Record
	var size int64
	for i := range benchRecords {
		v := fmt.Appendf(nil, `{"auction":%d,"bidder":%d,"price":%d,"channel":"Google","url":"https://www.nexmark.com/fmv/qx/item.htm?query=1&channel_id=1170210816","dateTime":"2026-11-21 10:00:00.123","extra":""}`, 1000+i%100, 2000+i, 100+i)
		size += int64(len(v))
		recs = append(recs, &kgo.Record{Topic: "bids", Partition: 0, Value: v})
		if len(recs) == 5000 {
			c.produce(b, recs...)
			recs = recs[:0]
		}
	}
	return c, size
}

// BenchmarkConsumeRaw is the ceiling: franz-go fetching the records from the
// in-process broker, no decoding.
func BenchmarkConsumeRaw(b *testing.B) {
	c, size := benchTopic(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.b.Addr()),
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"bids": {0: kgo.NewOffset().At(0)}}))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for n := 0; n < benchRecords; {
			fs := cl.PollFetches(ctx)
			if err := fs.Err(); err != nil {
				b.Fatal(err)
			}
			n += fs.NumRecords()
		}
		cancel()
		cl.Close()
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSourceJSON is the Kafka source end to end: fetch, JSON decode
// into Arrow batches of 8192 rows, offsets metadata column.
func BenchmarkSourceJSON(b *testing.B) {
	c, size := benchTopic(b)
	cols := []connector.Column{
		{Name: "auction", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Declared: "BIGINT"},
		{Name: "bidder", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Declared: "BIGINT"},
		{Name: "price", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Declared: "BIGINT"},
		{Name: "channel", Type: arrow.BinaryTypes.String, Nullable: true, Declared: "STRING"},
		{Name: "url", Type: arrow.BinaryTypes.String, Nullable: true, Declared: "STRING"},
		{Name: "dateTime", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true, Declared: "TIMESTAMP(3)"},
		{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true, Declared: "STRING"},
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		spec := &connector.TableSpec{Name: "bench.bids", Columns: cols, DefaultBrokers: c.b.Addr(),
			Options: map[string]string{"connector": "kafka", "topic": "bids", "format": "json"}}
		src := open(b, spec, nil)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for n := 0; n < benchRecords; {
			bt, err := src.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(bt.Bad) > 0 {
				b.Fatal(bt.Bad[0].Err)
			}
			n += int(bt.Rows.NumRows())
			bt.Rows.Release()
		}
		cancel()
		src.Close()
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "rows/s")
}
