package nexmark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/gensrc"
	"github.com/wharfdata/wharf/engine/connector/gensrc/gensrctest"
	"github.com/wharfdata/wharf/internal/errkind"
)

// columnsOf declares every field of a kind with the types the planner maps
// Flink's Nexmark DDL to.
func columnsOf(k kind) []connector.Column {
	var cols []connector.Column
	for _, f := range kindFields[k] {
		c := connector.Column{Name: f.name, Nullable: true}
		switch f.typ {
		case tBigint:
			c.Type, c.Declared = arrow.PrimitiveTypes.Int64, "BIGINT"
		case tString:
			c.Type, c.Declared = arrow.BinaryTypes.String, "STRING"
		case tTimestamp:
			c.Type, c.Declared = &arrow.TimestampType{Unit: arrow.Microsecond}, "TIMESTAMP(3)"
		}
		cols = append(cols, c)
	}
	return cols
}

type fixture struct {
	t     testing.TB
	alloc *memory.CheckedAllocator
}

func newFixture(t testing.TB) *fixture { return &fixture{t: t, alloc: gensrctest.Alloc(t)} }

func (f *fixture) spec(table string, rows int, opts map[string]string) *connector.TableSpec {
	k := map[string]kind{"person": kindPerson, "auction": kindAuction, "bid": kindBid}[table]
	o := map[string]string{"connector": "nexmark", "table": table}
	maps.Copy(o, opts)
	return &connector.TableSpec{Name: "db." + table, Columns: columnsOf(k), Options: o, BatchRows: rows, Alloc: f.alloc}
}

func (f *fixture) open(spec *connector.TableSpec, from map[int32]int64) connector.Source {
	f.t.Helper()
	return gensrctest.Start(f.t, Open, spec, from)
}

// row is one generated row: its event number and its values printed.
type row struct {
	event int64
	vals  []string
}

// readAll drains a bounded source, checking that each split's batches tile
// its positions from its start, and returns the rows per split in order.
func (f *fixture) readAll(src connector.Source, splits int64, start map[int32]int64) map[int32][]row {
	f.t.Helper()
	out := map[int32][]row{}
	next := maps.Clone(start)
	if next == nil {
		next = map[int32]int64{}
	}
	for {
		b, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.t.Fatal(err)
		}
		if b.From != next[b.Split] || b.To <= b.From {
			f.t.Fatalf("split %d: batch [%d, %d) after position %d", b.Split, b.From, b.To, next[b.Split])
		}
		next[b.Split] = b.To
		k := kindOfSchema(src.Schema())
		r := 0
		for i := b.From; i < b.To; i++ {
			if kindAt(i%blockSize) != k {
				continue
			}
			if r >= len(b.Pos) || b.Pos[r] != i {
				f.t.Fatalf("split %d [%d, %d): row %d is at position %d, says %v", b.Split, b.From, b.To, r, i, b.Pos)
			}
			e := ((i/blockSize)*splits+int64(b.Split))*blockSize + i%blockSize
			vals := make([]string, b.Rows.NumCols())
			for c := range vals {
				if ts, ok := b.Rows.Column(c).(*array.Timestamp); ok {
					vals[c] = strconv.FormatInt(int64(ts.Value(r)), 10) // microseconds
				} else {
					vals[c] = b.Rows.Column(c).ValueStr(r)
				}
			}
			out[b.Split] = append(out[b.Split], row{e, vals})
			r++
		}
		if int64(r) != b.Rows.NumRows() || r != len(b.Pos) {
			f.t.Fatalf("split %d [%d, %d): %d rows, %d events of the table's kind", b.Split, b.From, b.To, b.Rows.NumRows(), r)
		}
		b.Rows.Release()
	}
	if _, err := src.Next(context.Background()); !errors.Is(err, io.EOF) {
		f.t.Fatalf("Next after the end: %v, want io.EOF", err)
	}
	return out
}

func kindOfSchema(s *arrow.Schema) kind {
	switch {
	case s.HasField("bidder"):
		return kindBid
	case s.HasField("seller"):
		return kindAuction
	}
	return kindPerson
}

// stream reads a whole bounded table into event number → values.
func (f *fixture) stream(table string, opts map[string]string) map[int64][]string {
	f.t.Helper()
	splits := int64(1)
	if s, ok := opts["splits"]; ok {
		fmt.Sscan(s, &splits)
	}
	out := map[int64][]string{}
	for _, rows := range f.readAll(f.open(f.spec(table, 100, opts), nil), splits, nil) {
		last := int64(-1)
		for _, r := range rows {
			if r.event <= last {
				f.t.Fatalf("%s: event %d after %d in one split", table, r.event, last)
			}
			last = r.event
			out[r.event] = r.vals
		}
	}
	return out
}

func TestDeterministicAndSplitsUnion(t *testing.T) {
	f := newFixture(t)
	for _, table := range []string{"person", "auction", "bid"} {
		one := f.stream(table, map[string]string{"events.num": "5017", "seed": "7"})
		again := f.stream(table, map[string]string{"events.num": "5017", "seed": "7"})
		if !maps.EqualFunc(one, again, equalStrings) {
			t.Errorf("%s: same seed, different events", table)
		}
		for _, n := range []string{"2", "3", "7", "50"} {
			split := f.stream(table, map[string]string{"events.num": "5017", "seed": "7", "splits": n})
			if !maps.EqualFunc(one, split, equalStrings) {
				t.Errorf("%s: %s splits: the union differs from the single split (%d vs %d events)", table, n, len(split), len(one))
			}
		}
		other := f.stream(table, map[string]string{"events.num": "5017", "seed": "8"})
		if maps.EqualFunc(one, other, equalStrings) {
			t.Errorf("%s: seeds 7 and 8 give the same events", table)
		}
	}
}

func equalStrings(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func TestProportionsAndBoundedEnd(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		num, splits int64
	}{{50 * 40, 1}, {50 * 40, 3}, {50 * 41, 4}, {1234, 4}, {49, 2}, {1, 5}} {
		counts := map[string]int64{"person": 0, "auction": 0, "bid": 0}
		for _, table := range []string{"person", "auction", "bid"} {
			src := f.open(f.spec(table, 64, map[string]string{"events.num": fmt.Sprint(tc.num), "splits": fmt.Sprint(tc.splits)}), nil)
			var positions int64
			for _, rows := range f.readAll(src, tc.splits, nil) {
				counts[table] += int64(len(rows))
			}
			ends := splitEnds(tc.num, tc.splits)
			for _, e := range ends {
				positions += e
			}
			if positions != tc.num {
				t.Errorf("num %d, %d splits: split ends %v sum to %d", tc.num, tc.splits, ends, positions)
			}
		}
		want := map[string]int64{"person": personsBefore(tc.num), "auction": auctionsBefore(tc.num)}
		want["bid"] = tc.num - want["person"] - want["auction"]
		if tc.num%50 == 0 {
			k := tc.num / 50
			want = map[string]int64{"person": k, "auction": 3 * k, "bid": 46 * k}
		}
		if !maps.Equal(counts, want) {
			t.Errorf("num %d, %d splits: counts %v, want %v", tc.num, tc.splits, counts, want)
		}
	}
}

func TestReferencesPointBackAndSkew(t *testing.T) {
	f := newFixture(t)
	opts := map[string]string{"events.num": "50000", "splits": "3", "seed": "11"}
	people := map[string]int64{} // id → event number
	for e, v := range f.stream("person", opts) {
		people[v[pID]] = e
	}
	auctions := map[string]int64{}
	hotSellers := 0
	aucs := f.stream("auction", opts)
	for e, v := range aucs {
		auctions[v[aID]] = e
		if pe, ok := people[v[aSeller]]; !ok || pe >= e {
			t.Fatalf("auction at event %d: seller %s is not an earlier person", e, v[aSeller])
		}
		if strings.HasSuffix(v[aSeller], "00") {
			hotSellers++
		}
		if num(v[aReserve]) < num(v[aInitial]) || num(v[aCategory]) < firstCategory || num(v[aCategory]) >= firstCategory+numCategories {
			t.Fatalf("auction at event %d: reserve %s, initialBid %s, category %s", e, v[aReserve], v[aInitial], v[aCategory])
		}
		if v[aExpires] <= v[aTime] {
			t.Fatalf("auction at event %d: expires %s not after %s", e, v[aExpires], v[aTime])
		}
	}
	bids := f.stream("bid", opts)
	hotAuctions, hotBidders := 0, 0
	for e, v := range bids {
		if ae, ok := auctions[v[bAuction]]; !ok || ae >= e {
			t.Fatalf("bid at event %d: auction %s is not an earlier auction", e, v[bAuction])
		}
		if pe, ok := people[v[bBidder]]; !ok || pe >= e {
			t.Fatalf("bid at event %d: bidder %s is not an earlier person", e, v[bBidder])
		}
		if strings.HasSuffix(v[bAuction], "00") {
			hotAuctions++
		}
		if strings.HasSuffix(v[bBidder], "50") {
			hotBidders++
		}
	}
	// Uniform choices would hit a multiple of 100 about 1% of the time; the
	// default ratios send 1/2, 3/4 and 3/4 of choices to hot ids.
	for _, s := range []struct {
		what      string
		hot, all  int
		atLeastPc int
	}{{"bids to hot auctions", hotAuctions, len(bids), 40}, {"bids by hot bidders", hotBidders, len(bids), 65}, {"auctions by hot sellers", hotSellers, len(aucs), 65}} {
		if s.hot*100 < s.all*s.atLeastPc {
			t.Errorf("%s: %d of %d, want at least %d%%", s.what, s.hot, s.all, s.atLeastPc)
		}
	}
}

func TestEventTimeAndSizes(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		table string
		field int
		size  float64
	}{{"person", pTime, personSize}, {"auction", aTime, auctionSize}, {"bid", bTime, bidSize}} {
		src := f.open(f.spec(tc.table, 500, map[string]string{"events.num": "20000", "splits": "2", "first-event-rate": "4000", "base-time": "1000000000000"}), nil)
		var bytes, n float64
		for _, rows := range f.readAll(src, 2, nil) {
			for _, r := range rows {
				want := fmt.Sprint((1_000_000_000_000 + r.event*1000/4000) * 1000)
				if r.vals[tc.field] != want {
					t.Fatalf("%s event %d: dateTime %s, want %s", tc.table, r.event, r.vals[tc.field], want)
				}
				for i, d := range kindFields[kindOfName(tc.table)] {
					if d.typ == tString {
						bytes += float64(len(r.vals[i]))
					} else {
						bytes += 8
					}
				}
				n++
			}
		}
		if avg := bytes / n; avg < tc.size*0.9 || avg > tc.size*1.1 {
			t.Errorf("%s: average size %.0f bytes, want %.0f ±10%%", tc.table, avg, tc.size)
		}
	}
}

func num(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

func kindOfName(table string) kind {
	return map[string]kind{"person": kindPerson, "auction": kindAuction, "bid": kindBid}[table]
}

// TestResume starts splits mid-way, as after a checkpoint, and gets what
// an uninterrupted run produced from there on.
func TestResume(t *testing.T) {
	f := newFixture(t)
	opts := map[string]string{"events.num": "3000", "splits": "2", "seed": "3"}
	full := f.readAll(f.open(f.spec("bid", 100, opts), nil), 2, nil)
	from := map[int32]int64{0: 777, 1: 1500}
	resumed := f.readAll(f.open(f.spec("bid", 100, opts), from), 2, from)
	for split, rows := range full {
		var want []row
		for _, r := range rows {
			if r.event >= ((from[split]/50)*2+int64(split))*50+from[split]%50 {
				want = append(want, r)
			}
		}
		got := resumed[split]
		if len(got) != len(want) || (len(got) > 0 && (got[0].event != want[0].event || !equalStrings(got[0].vals, want[0].vals))) {
			t.Errorf("split %d resumed at %d: %d rows, want %d", split, from[split], len(got), len(want))
		}
	}
	src, err := Open(context.Background(), f.spec("bid", 100, opts))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Start(context.Background(), map[int32]int64{1: 1501}); err == nil || !strings.Contains(err.Error(), "split 1") || errkind.Of(err) != errkind.Fatal {
		t.Errorf("resume past the end: %v", err)
	}
}

func TestRateLimited(t *testing.T) {
	f := newFixture(t)
	// 600 events at 2000/s over 2 splits: 300 ms by the wall clock.
	src := f.open(f.spec("bid", 0, map[string]string{"events.num": "600", "splits": "2", "first-event-rate": "2000", "rate-limited": "true"}), nil)
	gensrctest.Paced(t, 300*time.Millisecond, "600 events at 2000/s", func() { f.readAll(src, 2, nil) })
}

func TestCloseUnblocksNext(t *testing.T) {
	f := newFixture(t)
	src := f.open(f.spec("person", 0, map[string]string{"first-event-rate": "1", "rate-limited": "true"}), nil)
	errc := make(chan error, 1)
	go func() {
		_, err := src.Next(context.Background())
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, gensrc.ErrClosed) {
			t.Errorf("Next after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Next")
	}
}

func TestColumnsSelectAndCast(t *testing.T) {
	f := newFixture(t)
	spec := f.spec("bid", 0, map[string]string{"events.num": "100"})
	spec.Columns = []connector.Column{
		{Name: "DATETIME", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Declared: "TIMESTAMP_LTZ(3)"},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 22, Scale: 2}, Declared: "DECIMAL(22, 2)"},
		{Name: "Auction", Type: arrow.PrimitiveTypes.Int64, Declared: "BIGINT"},
	}
	src := f.open(spec, nil)
	b, err := src.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rows.Release()
	if b.Rows.NumCols() != 3 || b.Rows.NumRows() != 92 {
		t.Fatalf("got %d columns, %d rows", b.Rows.NumCols(), b.Rows.NumRows())
	}
	ts := b.Rows.Column(0).(*array.Timestamp).Value(0)
	if want := arrow.Timestamp(defaultBaseTime); ts != want {
		t.Errorf("first bid at %d, want %d", ts, want)
	}
	// DECIMAL(22, 2) holds cents × 100 unscaled.
	if d := b.Rows.Column(1).(*array.Decimal128).Value(0); d.HighBits() != 0 || d.LowBits() == 0 || d.LowBits()%100 != 0 {
		t.Errorf("price as DECIMAL(22, 2): unscaled %v", d)
	}
}

func TestOptionErrors(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		table string
		opts  map[string]string
		cols  []connector.Column
		want  string
	}{
		{"", nil, nil, "'table': missing"},
		{"bids", nil, nil, `'table': "bids"`},
		{"bid", map[string]string{"splits": "0"}, nil, "'splits'"},
		{"bid", map[string]string{"events.num": "-1"}, nil, "'events.num'"},
		{"bid", map[string]string{"rate-limited": "yes"}, nil, "'rate-limited'"},
		{"bid", map[string]string{"first-event-rate": "fast"}, nil, "'first-event-rate'"},
		{"bid", map[string]string{"hot-auction-ratio": "0"}, nil, "'hot-auction-ratio'"},
		{"bid", map[string]string{"first-event.rate": "5"}, nil, "unknown option 'first-event.rate'"},
		{"bid", nil, []connector.Column{{Name: "bidderId", Type: arrow.PrimitiveTypes.Int64}}, "column bidderId is not a field of nexmark bid events (fields: auction, bidder, price, channel, url, dateTime, extra)"},
		{"bid", nil, []connector.Column{{Name: "price", Type: arrow.PrimitiveTypes.Int32, Declared: "INT"}}, "column price is declared INT but nexmark bid.price is BIGINT"},
		{"bid", nil, []connector.Column{{Name: "url", Type: arrow.BinaryTypes.Binary, Declared: "BYTES"}}, "column url is declared BYTES"},
		{"bid", nil, []connector.Column{{Name: "dateTime", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Declared: "TIMESTAMP(0)"}}, "column dateTime is declared TIMESTAMP(0)"},
		{"bid", nil, []connector.Column{{Name: "price", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Declared: "DECIMAL(10, 2)"}}, "does not fit"},
		{"bid", nil, []connector.Column{{Name: "price", Type: arrow.PrimitiveTypes.Int64, MetadataKey: "offset"}}, "no metadata"},
	} {
		spec := f.spec(tc.table, 0, tc.opts)
		if tc.table == "" {
			delete(spec.Options, "table")
		}
		if tc.cols != nil {
			spec.Columns = tc.cols
		}
		_, err := Open(context.Background(), spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) || errkind.Of(err) != errkind.Fatal {
			t.Errorf("%v %v: error %v, want one containing %q", tc.opts, tc.cols, err, tc.want)
		}
	}
}
