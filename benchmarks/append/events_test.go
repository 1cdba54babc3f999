package appendbench

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
)

// The workload: rowsPerOp web events per op, in batches of batchRows, as a
// stream source would hand them to the writer.
const (
	rowsPerOp = 500_000
	batchRows = 50_000
	seed      = 20261121
	distinct  = 10_000    // distinct URLs
	users     = 1_000_000 // user_id range
)

var eventsArrow = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}}, // TIMESTAMP(us), no zone
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "url", Type: arrow.BinaryTypes.String},
	{Name: "status", Type: arrow.PrimitiveTypes.Int32},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
}, nil)

var eventsIceberg = iceberg.NewSchema(0,
	iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 2, Name: "ts", Type: iceberg.PrimitiveTypes.Timestamp, Required: true},
	iceberg.NestedField{ID: 3, Name: "user_id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 4, Name: "url", Type: iceberg.PrimitiveTypes.String, Required: true},
	iceberg.NestedField{ID: 5, Name: "status", Type: iceberg.PrimitiveTypes.Int32, Required: true},
	iceberg.NestedField{ID: 6, Name: "bytes", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 7, Name: "amount", Type: iceberg.PrimitiveTypes.Float64, Required: true},
)

// event is one row as parquet-go's GenericWriter takes it. The tags give the
// same physical and logical types as pqarrow writes for eventsArrow, and
// dictionary-encode the columns that pqarrow keeps dictionary-encoded under
// iceberg-go's cost-based fallback (TestSameFiles checks that).
type event struct {
	ID     int64   `parquet:"id"`
	TS     int64   `parquet:"ts,timestamp(microsecond:local)"`
	UserID int64   `parquet:"user_id,dict"`
	URL    string  `parquet:"url,dict"`
	Status int32   `parquet:"status,dict"`
	Bytes  int64   `parquet:"bytes,dict"`
	Amount float64 `parquet:"amount,dict"`
}

// genEvents makes rowsPerOp events deterministically from seed: ids in order,
// timestamps about 1 ms apart with jitter, Zipf-skewed users and URLs, mostly
// 200 statuses, log-normal response sizes, and an amount on ~5% of rows.
func genEvents() []event {
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	urls := make([]string, distinct)
	for i := range urls {
		urls[i] = fmt.Sprintf("https://shop.example.com/c/%d/p/%d?ref=%s", i%97, i, [...]string{"home", "search", "ad", "mail"}[i%4])
	}
	userZipf := rand.NewZipf(rng, 1.1, 1, users-1)
	urlZipf := rand.NewZipf(rng, 1.05, 1, distinct-1)
	const t0 = 1795219200_000_000 // 2026-11-21T00:00:00Z in µs
	out := make([]event, rowsPerOp)
	for i := range out {
		e := &out[i]
		e.ID = int64(i)
		e.TS = t0 + int64(i)*1000 + rng.Int64N(2000) - 1000
		e.UserID = int64(userZipf.Uint64())
		e.URL = urls[urlZipf.Uint64()]
		switch r := rng.IntN(100); {
		case r < 90:
			e.Status = 200
		case r < 94:
			e.Status = 304
		case r < 96:
			e.Status = 301
		case r < 99:
			e.Status = 404
		default:
			e.Status = 500
		}
		e.Bytes = int64(math.Exp(8 + 1.5*rng.NormFloat64()))
		if rng.IntN(20) == 0 {
			e.Amount = float64(100+rng.IntN(50_000)) / 100
		}
	}
	return out
}

// toArrow builds the Arrow batches of evs, batchRows rows each.
func toArrow(evs []event) []arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, eventsArrow)
	defer b.Release()
	var out []arrow.RecordBatch
	for start := 0; start < len(evs); start += batchRows {
		part := evs[start:min(start+batchRows, len(evs))]
		b.Reserve(len(part))
		id := b.Field(0).(*array.Int64Builder)
		ts := b.Field(1).(*array.TimestampBuilder)
		user := b.Field(2).(*array.Int64Builder)
		url := b.Field(3).(*array.StringBuilder)
		status := b.Field(4).(*array.Int32Builder)
		size := b.Field(5).(*array.Int64Builder)
		amount := b.Field(6).(*array.Float64Builder)
		for _, e := range part {
			id.Append(e.ID)
			ts.Append(arrow.Timestamp(e.TS))
			user.Append(e.UserID)
			url.Append(e.URL)
			status.Append(e.Status)
			size.Append(e.Bytes)
			amount.Append(e.Amount)
		}
		out = append(out, b.NewRecordBatch())
	}
	return out
}

// fromArrow converts batches back into rows, reusing dst: the conversion a
// parquet-go writer would need on wharf's path, where data arrives as Arrow.
func fromArrow(dst []event, batches []arrow.RecordBatch) []event {
	dst = dst[:0]
	for _, rec := range batches {
		id := rec.Column(0).(*array.Int64).Int64Values()
		ts := rec.Column(1).(*array.Timestamp).TimestampValues()
		user := rec.Column(2).(*array.Int64).Int64Values()
		url := rec.Column(3).(*array.String)
		status := rec.Column(4).(*array.Int32).Int32Values()
		size := rec.Column(5).(*array.Int64).Int64Values()
		amount := rec.Column(6).(*array.Float64).Float64Values()
		for i := range id {
			dst = append(dst, event{
				ID: id[i], TS: int64(ts[i]), UserID: user[i], URL: url.Value(i),
				Status: status[i], Bytes: size[i], Amount: amount[i],
			})
		}
	}
	return dst
}

// arrowBytes is the size of the batches' Arrow buffers: what b.SetBytes
// reports, so MB/s is input bytes per second for every benchmark.
func arrowBytes(batches []arrow.RecordBatch) int64 {
	var n int64
	for _, rec := range batches {
		for _, col := range rec.Columns() {
			for _, buf := range col.Data().Buffers() {
				if buf != nil {
					n += int64(buf.Len())
				}
			}
		}
	}
	return n
}
