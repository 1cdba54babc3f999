package oracle

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The generated tables. Every generator is deterministic for a given seed and
// row count; batches are handed out one at a time so that a million rows
// never sit in memory as Go values.
const (
	seed      = 20261121
	batchRows = 65_536
)

// dataset is one table: its DDL (Flink SQL, run through wharf's session),
// the Arrow schema its batches have, and the generator.
type dataset struct {
	name   string
	ddl    string
	schema *arrow.Schema
	rows   int
	// batches calls yield with consecutive batches of rows (the caller
	// releases them); a false return stops it.
	batches func(yield func(arrow.RecordBatch) bool)
}

var (
	tsType  = &arrow.TimestampType{Unit: arrow.Microsecond}
	dec12_2 = &arrow.Decimal128Type{Precision: 12, Scale: 2}
	dec15_2 = &arrow.Decimal128Type{Precision: 15, Scale: 2}
)

// ---- hits ----------------------------------------------------------------

const hitsDDL = `CREATE TABLE hits (
  id BIGINT NOT NULL,
  ts TIMESTAMP(6) NOT NULL,
  event_date DATE NOT NULL,
  user_id BIGINT NOT NULL,
  url STRING NOT NULL,
  referer STRING,
  title STRING,
  search_phrase STRING NOT NULL,
  region STRING NOT NULL,
  status INT NOT NULL,
  duration_ms INT,
  bytes BIGINT NOT NULL,
  revenue DOUBLE,
  price DECIMAL(12, 2),
  score FLOAT,
  is_mobile BOOLEAN
) PARTITIONED BY (region)`

var hitsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "ts", Type: tsType},
	{Name: "event_date", Type: arrow.FixedWidthTypes.Date32},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "url", Type: arrow.BinaryTypes.String},
	{Name: "referer", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "title", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "search_phrase", Type: arrow.BinaryTypes.String},
	{Name: "region", Type: arrow.BinaryTypes.String},
	{Name: "status", Type: arrow.PrimitiveTypes.Int32},
	{Name: "duration_ms", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64},
	{Name: "revenue", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "price", Type: dec12_2, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "is_mobile", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

// hitsStart is 2026-10-01T00:00:00 (no zone); the rows span October 2026.
var hitsStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

const hitsSpan = 31 * 24 * time.Hour

var (
	// regions, most traffic first: the partition column is skewed too.
	regions       = []string{"eu-west", "us-east", "us-west", "ap-south", "eu-central", "sa-east", "af-south", "me-central"}
	regionWeights = []int{34, 27, 14, 9, 7, 5, 3, 1}
	titles        = []string{
		"Shop item %d", "Café Müller — Größe %d", "東京 ラーメン ランキング %d", "naïve résumé tips #%d",
		"ΑΘΗΝΑ news %d", "Ünïcödé 🚀 deals %d", "  padded title %d  ", "Straße und Maß %d",
		"купить телефон %d", "BIG SALE %d%% OFF", "mixed Case Title %d", "emoji 😀 %d 🎉",
	}
	phrases = []string{
		"best laptop 2026", "купить телефон", "ÉCOLE primaire", "50% off_sale", "cheap flights",
		"東京 ホテル", "wharf streaming", "a_b%c", "Größe 42 schuhe", "weather tomorrow",
	}
	referers = []string{
		"https://www.google.com/", "https://duckduckgo.com/", "https://news.example.org/today",
		"https://t.co/abc", "https://блог.example.ru/статья", "android-app://com.example",
		"https://www.bing.com/search?q=wharf", "",
	}
)

// hitsURL is url number k: a few hundred product and category pages with
// some unicode paths and query strings, ranked by popularity (k=0 first).
func hitsURL(k uint64) string {
	switch k % 7 {
	case 0:
		return fmt.Sprintf("https://shop.example.com/c/%d/p/%d?ref=%s", k%97, k, [...]string{"home", "search", "ad", "mail"}[k%4])
	case 1:
		return fmt.Sprintf("http://блог.example.ru/статья/%d", k)
	case 2:
		return fmt.Sprintf("https://example.com/search?q=item+%d&page=%d", k, k%5+1)
	case 3:
		return fmt.Sprintf("https://shop.example.com/Café/%d", k)
	default:
		return fmt.Sprintf("https://www.example.com/%d/index.html", k)
	}
}

func weighted(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

func hitsData(rows int) dataset {
	return dataset{name: "hits", ddl: hitsDDL, schema: hitsSchema, rows: rows, batches: func(yield func(arrow.RecordBatch) bool) {
		rng := rand.New(rand.NewPCG(seed, 1))
		users := rand.NewZipf(rng, 1.1, 1, 199_999)
		urls := rand.NewZipf(rng, 1.05, 1, 4_999)
		refs := rand.NewZipf(rng, 1.3, 1, uint64(len(referers)-1))
		b := array.NewRecordBuilder(memory.DefaultAllocator, hitsSchema)
		defer b.Release()
		step := float64(hitsSpan.Microseconds()) / float64(rows)
		start := hitsStart.UnixMicro()
		for lo := 0; lo < rows; lo += batchRows {
			hi := min(lo+batchRows, rows)
			for i := lo; i < hi; i++ {
				// Roughly in id order, with up to ±30 minutes of jitter, clamped to October.
				ts := start + int64(float64(i)*step) + rng.Int64N(3_600_000_000) - 1_800_000_000
				ts = min(max(ts, start), start+hitsSpan.Microseconds()-1)
				b.Field(0).(*array.Int64Builder).Append(int64(i))
				b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(ts))
				b.Field(2).(*array.Date32Builder).Append(arrow.Date32(ts / 86_400_000_000))
				b.Field(3).(*array.Int64Builder).Append(int64(users.Uint64()) + 1000)
				b.Field(4).(*array.StringBuilder).Append(hitsURL(urls.Uint64()))
				appendStr(b.Field(5), rng.IntN(10) < 4, referers[refs.Uint64()])
				title := fmt.Sprintf(titles[rng.IntN(len(titles))], rng.IntN(1000))
				appendStr(b.Field(6), rng.IntN(20) == 0, title)
				phrase := ""
				if rng.IntN(5) == 0 {
					phrase = phrases[rng.IntN(len(phrases))]
				}
				b.Field(7).(*array.StringBuilder).Append(phrase)
				b.Field(8).(*array.StringBuilder).Append(regions[weighted(rng, regionWeights)])
				status := int32(200)
				switch r := rng.IntN(100); {
				case r < 3:
					status = 404
				case r < 5:
					status = 301
				case r < 6:
					status = 500
				case r < 7:
					status = 304
				}
				b.Field(9).(*array.Int32Builder).Append(status)
				if rng.IntN(10) == 0 {
					b.Field(10).AppendNull()
				} else {
					b.Field(10).(*array.Int32Builder).Append(int32(rng.ExpFloat64() * 180))
				}
				b.Field(11).(*array.Int64Builder).Append(int64(math.Exp(rng.NormFloat64()*1.2 + 9)))
				switch r := rng.IntN(100); {
				case r < 4:
					b.Field(12).(*array.Float64Builder).Append(float64(rng.IntN(20000)) / 100 * 1.07)
				case r < 5:
					b.Field(12).(*array.Float64Builder).Append(-float64(rng.IntN(5000)) / 7)
				default:
					b.Field(12).AppendNull()
				}
				if rng.IntN(4) == 0 {
					b.Field(13).AppendNull()
				} else {
					b.Field(13).(*array.Decimal128Builder).Append(decimal128.FromI64(rng.Int64N(10_000_000) - 50_000))
				}
				if rng.IntN(8) == 0 {
					b.Field(14).AppendNull()
				} else {
					b.Field(14).(*array.Float32Builder).Append(float32(rng.IntN(1000)) / 8)
				}
				switch rng.IntN(10) {
				case 0:
					b.Field(15).AppendNull()
				case 1, 2, 3, 4:
					b.Field(15).(*array.BooleanBuilder).Append(true)
				default:
					b.Field(15).(*array.BooleanBuilder).Append(false)
				}
			}
			rec := b.NewRecordBatch()
			if !yield(rec) {
				return
			}
		}
	}}
}

func appendStr(b array.Builder, null bool, s string) {
	if null {
		b.AppendNull()
		return
	}
	b.(*array.StringBuilder).Append(s)
}

// ---- TPC-H-like orders and lineitem (SF 0.01) -----------------------------

const ordersDDL = `CREATE TABLE orders (
  o_orderkey BIGINT NOT NULL,
  o_custkey BIGINT NOT NULL,
  o_orderstatus STRING NOT NULL,
  o_totalprice DECIMAL(15, 2) NOT NULL,
  o_orderdate DATE NOT NULL,
  o_orderpriority STRING NOT NULL,
  o_clerk STRING NOT NULL,
  o_shippriority INT NOT NULL,
  o_comment STRING NOT NULL
)`

var ordersSchema = arrow.NewSchema([]arrow.Field{
	{Name: "o_orderkey", Type: arrow.PrimitiveTypes.Int64},
	{Name: "o_custkey", Type: arrow.PrimitiveTypes.Int64},
	{Name: "o_orderstatus", Type: arrow.BinaryTypes.String},
	{Name: "o_totalprice", Type: dec15_2},
	{Name: "o_orderdate", Type: arrow.FixedWidthTypes.Date32},
	{Name: "o_orderpriority", Type: arrow.BinaryTypes.String},
	{Name: "o_clerk", Type: arrow.BinaryTypes.String},
	{Name: "o_shippriority", Type: arrow.PrimitiveTypes.Int32},
	{Name: "o_comment", Type: arrow.BinaryTypes.String},
}, nil)

const lineitemDDL = `CREATE TABLE lineitem (
  l_orderkey BIGINT NOT NULL,
  l_partkey BIGINT NOT NULL,
  l_suppkey BIGINT NOT NULL,
  l_linenumber INT NOT NULL,
  l_quantity DECIMAL(15, 2) NOT NULL,
  l_extendedprice DECIMAL(15, 2) NOT NULL,
  l_discount DECIMAL(15, 2) NOT NULL,
  l_tax DECIMAL(15, 2) NOT NULL,
  l_returnflag STRING NOT NULL,
  l_linestatus STRING NOT NULL,
  l_shipdate DATE NOT NULL,
  l_commitdate DATE NOT NULL,
  l_receiptdate DATE NOT NULL,
  l_shipinstruct STRING NOT NULL,
  l_shipmode STRING NOT NULL,
  l_comment STRING NOT NULL
)`

var lineitemSchema = arrow.NewSchema([]arrow.Field{
	{Name: "l_orderkey", Type: arrow.PrimitiveTypes.Int64},
	{Name: "l_partkey", Type: arrow.PrimitiveTypes.Int64},
	{Name: "l_suppkey", Type: arrow.PrimitiveTypes.Int64},
	{Name: "l_linenumber", Type: arrow.PrimitiveTypes.Int32},
	{Name: "l_quantity", Type: dec15_2},
	{Name: "l_extendedprice", Type: dec15_2},
	{Name: "l_discount", Type: dec15_2},
	{Name: "l_tax", Type: dec15_2},
	{Name: "l_returnflag", Type: arrow.BinaryTypes.String},
	{Name: "l_linestatus", Type: arrow.BinaryTypes.String},
	{Name: "l_shipdate", Type: arrow.FixedWidthTypes.Date32},
	{Name: "l_commitdate", Type: arrow.FixedWidthTypes.Date32},
	{Name: "l_receiptdate", Type: arrow.FixedWidthTypes.Date32},
	{Name: "l_shipinstruct", Type: arrow.BinaryTypes.String},
	{Name: "l_shipmode", Type: arrow.BinaryTypes.String},
	{Name: "l_comment", Type: arrow.BinaryTypes.String},
}, nil)

// TPC-H's scale: 1,500,000 orders per unit of scale factor, 1–7 lines each.
const (
	scaleFactor = 0.01
	numOrders   = int(1_500_000 * scaleFactor)
)

var (
	priorities = []string{"1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"}
	instructs  = []string{"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"}
	shipModes  = []string{"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"}
	words      = []string{"furiously", "quickly", "carefully", "blithely", "special", "pending", "final",
		"ironic", "regular", "express", "deposits", "requests", "packages", "accounts", "theodolites", "pinto beans"}
)

// tpchEpoch is 1992-01-01, TPC-H's first order date, in days since 1970.
var tpchEpoch = int32(time.Date(1992, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)

// cutoff is 1995-06-17, the "current date" TPC-H derives statuses from.
var tpchCutoff = int32(time.Date(1995, 6, 17, 0, 0, 0, 0, time.UTC).Unix() / 86400)

func comment(rng *rand.Rand) string {
	n := 2 + rng.IntN(5)
	s := words[rng.IntN(len(words))]
	for range n {
		s += " " + words[rng.IntN(len(words))]
	}
	return s
}

// tpch generates both tables in one pass so that every lineitem belongs to an
// order and o_totalprice and o_orderstatus follow from the lines.
func tpch() (orders, lineitem dataset) {
	type line struct {
		part, supp      int64
		qty, price      int64 // cents
		disc, tax       int64 // cents (0.00–0.10, 0.00–0.08)
		ship, com, rcpt int32
		flag, status    string
		instr, mode     string
		comment         string
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	ob := array.NewRecordBuilder(memory.DefaultAllocator, ordersSchema)
	lb := array.NewRecordBuilder(memory.DefaultAllocator, lineitemSchema)
	nLines := 0
	for o := 0; o < numOrders; o++ {
		// TPC-H order keys are sparse: 8 of every 32 are used.
		key := int64(o/8*32 + o%8 + 1)
		date := tpchEpoch + int32(rng.IntN(2405))
		lines := make([]line, 1+rng.IntN(7))
		var total int64
		nF, nO := 0, 0
		for i := range lines {
			l := &lines[i]
			l.part = 1 + rng.Int64N(2000)
			l.supp = 1 + rng.Int64N(100)
			l.qty = (1 + rng.Int64N(50)) * 100
			l.price = l.qty / 100 * (90000 + l.part%20001*10 + l.part%1000)
			l.disc = rng.Int64N(11)
			l.tax = rng.Int64N(9)
			l.ship = date + 1 + int32(rng.IntN(121))
			l.com = date + 30 + int32(rng.IntN(61))
			l.rcpt = l.ship + 1 + int32(rng.IntN(30))
			if l.rcpt <= tpchCutoff {
				l.flag = [...]string{"R", "A"}[rng.IntN(2)]
			} else {
				l.flag = "N"
			}
			if l.ship > tpchCutoff {
				l.status = "O"
				nO++
			} else {
				l.status = "F"
				nF++
			}
			l.instr = instructs[rng.IntN(len(instructs))]
			l.mode = shipModes[rng.IntN(len(shipModes))]
			l.comment = comment(rng)
			// price * (1 + tax) * (1 - discount), in cents, rounded down.
			total += l.price * (100 + l.tax) * (100 - l.disc) / 10000
		}
		status := "P"
		switch {
		case nF == len(lines):
			status = "F"
		case nO == len(lines):
			status = "O"
		}
		ob.Field(0).(*array.Int64Builder).Append(key)
		ob.Field(1).(*array.Int64Builder).Append(1 + rng.Int64N(1500))
		ob.Field(2).(*array.StringBuilder).Append(status)
		ob.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(total))
		ob.Field(4).(*array.Date32Builder).Append(arrow.Date32(date))
		ob.Field(5).(*array.StringBuilder).Append(priorities[rng.IntN(len(priorities))])
		ob.Field(6).(*array.StringBuilder).Append(fmt.Sprintf("Clerk#%09d", 1+rng.IntN(10)))
		ob.Field(7).(*array.Int32Builder).Append(0)
		ob.Field(8).(*array.StringBuilder).Append(comment(rng))
		for i, l := range lines {
			lb.Field(0).(*array.Int64Builder).Append(key)
			lb.Field(1).(*array.Int64Builder).Append(l.part)
			lb.Field(2).(*array.Int64Builder).Append(l.supp)
			lb.Field(3).(*array.Int32Builder).Append(int32(i + 1))
			lb.Field(4).(*array.Decimal128Builder).Append(decimal128.FromI64(l.qty))
			lb.Field(5).(*array.Decimal128Builder).Append(decimal128.FromI64(l.price))
			lb.Field(6).(*array.Decimal128Builder).Append(decimal128.FromI64(l.disc))
			lb.Field(7).(*array.Decimal128Builder).Append(decimal128.FromI64(l.tax))
			lb.Field(8).(*array.StringBuilder).Append(l.flag)
			lb.Field(9).(*array.StringBuilder).Append(l.status)
			lb.Field(10).(*array.Date32Builder).Append(arrow.Date32(l.ship))
			lb.Field(11).(*array.Date32Builder).Append(arrow.Date32(l.com))
			lb.Field(12).(*array.Date32Builder).Append(arrow.Date32(l.rcpt))
			lb.Field(13).(*array.StringBuilder).Append(l.instr)
			lb.Field(14).(*array.StringBuilder).Append(l.mode)
			lb.Field(15).(*array.StringBuilder).Append(l.comment)
			nLines++
		}
	}
	orec, lrec := ob.NewRecordBatch(), lb.NewRecordBatch()
	ob.Release()
	lb.Release()
	one := func(rec arrow.RecordBatch) func(func(arrow.RecordBatch) bool) {
		return func(yield func(arrow.RecordBatch) bool) {
			if !yield(rec) {
				rec.Release()
			}
		}
	}
	return dataset{name: "orders", ddl: ordersDDL, schema: ordersSchema, rows: numOrders, batches: one(orec)},
		dataset{name: "lineitem", ddl: lineitemDDL, schema: lineitemSchema, rows: nLines, batches: one(lrec)}
}
