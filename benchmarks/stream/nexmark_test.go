package stream

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/engine/runtime"
)

var nexmarkEvents = flag.Int64("stream.events", 3_000_000, "Nexmark events per op of BenchmarkNexmark")

const (
	bidColumns = `auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, dateTime TIMESTAMP(3), extra STRING`
	// The unbounded generators every job reads, as fast as they can; the
	// watermark is for the windowed queries.
	createBid     = `CREATE TABLE bid (` + bidColumns + watermark + `) WITH ('connector' = 'nexmark', 'table' = 'bid', 'seed' = '42')`
	createAuction = `CREATE TABLE auction (id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra STRING` + watermark + `) WITH ('connector' = 'nexmark', 'table' = 'auction', 'seed' = '42')`
	createPerson  = `CREATE TABLE person (id BIGINT, name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING, dateTime TIMESTAMP(3), extra STRING` + watermark + `) WITH ('connector' = 'nexmark', 'table' = 'person', 'seed' = '42')`
	watermark     = `, WATERMARK FOR dateTime AS dateTime - INTERVAL '0.5' SECOND`
)

// nexmarkQueries are the stateless Nexmark queries (projections and
// filters): their tables hold one row per row the job wrote.
var nexmarkQueries = []string{"q0", "q1", "q2"}

// nexmarkStateful are the Nexmark queries with state (aggregates, Top-N,
// session windows, joins) measured by BenchmarkNexmarkStateful.
var nexmarkStateful = []string{"q3", "q4", "q5", "q7", "q8", "q9", "q11", "q15", "q16", "q17", "q18", "q19", "q20"}

// nexmarkQuery reads a query file of the nexmark connector: its sink's
// name, the sink's CREATE TABLE, and the INSERT.
func nexmarkQuery(tb testing.TB, q string) (sink, create, insert string) {
	tb.Helper()
	b, err := os.ReadFile("../../engine/connector/nexmark/testdata/queries/" + q + ".sql")
	if err != nil {
		tb.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n-- sink: ")
	if !ok {
		tb.Fatalf("%s.sql has no '-- sink:' line", q)
	}
	cols, insert, _ := strings.Cut(rest, "\n")
	sink, _, _ = strings.Cut(cols, "(")
	return sink, "CREATE TABLE " + cols, strings.TrimSuffix(strings.TrimSpace(insert), ";")
}

// bidsIn is how many bids events [0, n) of one generator split hold: in
// every block of 50 events, offsets 4–49 are bids.
func bidsIn(n int64) int64 { return n/50*46 + max(0, n%50-4) }

// nexmarkJob is one op of BenchmarkNexmark/qN: the query as a job on a
// fresh sink table, stopped once it has consumed about events events. It
// checks that the table holds exactly the rows the job wrote, and for the
// queries with no filter, one per bid of the events it consumed.
func nexmarkJob(tb testing.TB, v *server, q string, events int64) (consumed int64, m measured) {
	tb.Helper()
	sink, create, insert := nexmarkQuery(tb, q)
	v.exec(tb, "DROP TABLE IF EXISTS "+sink).Release()
	v.exec(tb, create).Release()
	st, m := v.runJob(tb, insert, func(st runtime.Status) bool { return st.RowsIn >= bidsIn(events) })
	consumed = positions(tb, st, "gen:")
	rows, _ := v.value(tb, "SELECT COUNT(*) FROM "+sink)
	if rows != st.RowsOut {
		tb.Fatalf("%s: the table holds %d rows, the job wrote %d", q, rows, st.RowsOut)
	}
	if q != "q2" && rows != bidsIn(consumed) {
		tb.Fatalf("%s: %d rows from %d events, want one per bid: %d", q, rows, consumed, bidsIn(consumed))
	}
	if bidsIn(consumed) < bidsIn(events) {
		tb.Fatalf("%s: consumed %d events, asked for about %d", q, consumed, events)
	}
	return consumed, m
}

// nexmarkGenerate reads the source of q0's job (the unbounded generator,
// the same spec) with no job, for at least events events.
func nexmarkGenerate(tb testing.TB, v *server, events int64) (consumed, bids int64, m measured) {
	tb.Helper()
	_, create, insert := nexmarkQuery(tb, "q0")
	v.exec(tb, "DROP TABLE IF EXISTS nexmark_q0").Release()
	v.exec(tb, create).Release()
	src := v.openSource(tb, insert)
	defer src.Close()
	w := startWindow(tb)
	consumed, bids = readSource(tb, src, events)
	return consumed, bids, w.end(tb)
}

// BenchmarkNexmark measures the stateless Nexmark queries as continuous
// jobs. An op runs one job until it has consumed -stream.events events (all
// three kinds: the generator's positions count persons and auctions too)
// and stops it with a final commit; the figures cover submit to the end of
// that commit. /gen is the generator alone.
func BenchmarkNexmark(b *testing.B) {
	v := newServer(b, "")
	v.exec(b, createBid).Release()
	b.Run("gen", func(b *testing.B) {
		var events int64
		var total measured
		for range b.N {
			n, bids, m := nexmarkGenerate(b, v, *nexmarkEvents)
			if bids != bidsIn(n) {
				b.Fatalf("%d bids in %d events, want %d", bids, n, bidsIn(n))
			}
			events, total = events+n, total.add(m)
		}
		report(b, float64(events), "events", total)
	})
	for _, q := range nexmarkQueries {
		b.Run(q, func(b *testing.B) {
			var events int64
			var total measured
			for range b.N {
				n, m := nexmarkJob(b, v, q, *nexmarkEvents)
				events, total = events+n, total.add(m)
			}
			report(b, float64(events), "events", total)
		})
	}
}

// BenchmarkNexmarkStateful measures the stateful Nexmark queries as
// continuous jobs, as BenchmarkNexmark does the stateless ones; events are
// the least of the positions of the generators the job reads.
func BenchmarkNexmarkStateful(b *testing.B) {
	v := newServer(b, "")
	for _, c := range []string{createBid, createAuction, createPerson} {
		v.exec(b, c).Release()
	}
	for _, q := range nexmarkStateful {
		b.Run(q, func(b *testing.B) {
			var events int64
			var total measured
			for range b.N {
				n, m := nexmarkStatefulJob(b, v, q, *nexmarkEvents)
				events, total = events+n, total.add(m)
			}
			report(b, float64(events), "events", total)
		})
	}
}

// nexmarkStatefulJob is one op of BenchmarkNexmarkStateful/qN: the job on a
// fresh sink, stopped once every generator it reads has passed events.
func nexmarkStatefulJob(tb testing.TB, v *server, q string, events int64) (consumed int64, m measured) {
	tb.Helper()
	sink, create, insert := nexmarkQuery(tb, q)
	v.exec(tb, "DROP TABLE IF EXISTS "+sink).Release()
	v.exec(tb, create).Release()
	least := func(st runtime.Status) int64 {
		n := int64(-1)
		for _, p := range st.Positions {
			if n < 0 || p < n {
				n = p
			}
		}
		return n
	}
	st, m := v.runJob(tb, insert, func(st runtime.Status) bool { return least(st) >= events })
	return least(st), m
}

// TestNexmarkMeasures runs the measurements of BenchmarkNexmark at a small
// size: each checks its own counts (see nexmarkJob).
func TestNexmarkMeasures(t *testing.T) {
	v := newServer(t, "")
	v.exec(t, createBid).Release()
	const events = 60_000
	n, bids, _ := nexmarkGenerate(t, v, events)
	if n < events || bids != bidsIn(n) {
		t.Fatalf("generator: %d bids in %d events, want %d in at least %d", bids, n, bidsIn(n), events)
	}
	for _, q := range nexmarkQueries {
		n, _ := nexmarkJob(t, v, q, events)
		t.Logf("%s: %d events", q, n)
	}
	for _, c := range []string{createAuction, createPerson} {
		v.exec(t, c).Release()
	}
	for _, q := range nexmarkStateful {
		n, _ := nexmarkStatefulJob(t, v, q, events)
		t.Logf("%s: %d events", q, n)
	}
}
