// Package nexmark is the 'connector'='nexmark' source: the event stream of
// the Nexmark benchmark (an online auction: people register, open auctions
// and bid), generated from the benchmark's published model as three flat
// tables, person, auction and bid, chosen with the 'table' option.
//
// # The stream
//
// Events are numbered 0, 1, 2… and grouped in blocks of 50: offset 0 of a
// block is a person, offsets 1–3 are auctions, 4–49 are bids, so the
// proportions are exactly 1:3:46. Every event is a pure function of (seed,
// event number): it seeds its own splitmix64 stream, so any event can be
// generated alone and a seed always gives the same stream. The i-th person
// (i-th auction) ever generated has id 1000+i. Event time is
// base-time + event number × 1000 / first-event-rate milliseconds, whatever
// the wall clock says.
//
//   - Person: a name (first + last from made-up lists), an email, a
//     16-digit credit card in groups of four, a city and a state (OR, ID,
//     CA… from a short list).
//   - Auction: item name and description cut from a letter pool, initialBid
//     log-uniform in [1, 10^6) dollars in cents, reserve = initialBid plus
//     another such price, category in 10..14, expires = dateTime plus the
//     time it takes to open 100 more auctions (±50%), and a seller.
//   - Bid: an auction, a bidder, a log-uniform price, a channel (90%
//     Google/Facebook/Baidu/Apple, else channel-N) and a URL naming its
//     channel id.
//   - extra pads each event to the benchmark's average size (8 bytes per
//     number plus string lengths; person 200, auction 500, bid 100): the
//     shortfall ±25%, cut from a letter pool derived from the seed.
//
// Skew: references only point back in time, so every bid's auction and
// bidder, and every auction's seller, were generated at an earlier event
// number. A choice with hot ratio r goes to the current hot id with
// probability (r-1)/r and otherwise is uniform among the recent ids (the
// latest 100 auctions, the latest 1000 people). The hot auction is the
// latest auction whose index is a multiple of 100, the hot seller likewise
// among people, the hot bidder the latest person whose index is 50 modulo
// 100: one hot id of each kind at a time, moving on every 100 ids. The
// ratios default to the benchmark's 2 (auctions), 4 (bidders), 4 (sellers).
//
// # Splits and positions
//
// Split k of n generates the blocks whose number is k modulo n, so every
// split sees the 1:3:46 mix (striding single events instead would leave
// the person table with no rows at all on most splits whenever n shares a
// factor with 50, and an empty split stalls watermarks). A position is the
// split-local event index i; its event number is
// ((i/50)·n + k)·50 + i%50. A Batch's [From, To) counts every event of the
// split in that range, the ones of other tables included: a person batch
// covering positions [0, 50) holds one row. Positions, and the event times
// within a split, only grow.
//
// # Options
//
//	'table'              person | auction | bid (required)
//	'events.num'         total events over all splits; the source ends (io.EOF)
//	                     after event events.num-1; 0 or absent: unbounded
//	'seed'               int64, default 0
//	'splits'             default 1
//	'first-event-rate'   events per second, default 10000
//	'base-time'          epoch milliseconds of event 0, default 1767225600000
//	                     (2026-01-01 00:00:00 UTC)
//	'rate-limited'       'false' (default): as fast as possible; 'true': pace by
//	                     the wall clock at first-event-rate
//	'hot-auction-ratio', 'hot-bidder-ratio', 'hot-seller-ratio'  ≥ 1, see above
//
// The declared columns select and order the fields (names in any case);
// a BIGINT field also fits a DECIMAL with 19 or more integer digits,
// STRING any string type, TIMESTAMP(3) a TIMESTAMP or TIMESTAMP_LTZ of
// precision 3 or more.
package nexmark

import (
	"context"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/gensrc"
	"github.com/wharfdata/wharf/internal/errkind"
)

const (
	defaultRate     = 10000
	defaultBaseTime = 1767225600000 // 2026-01-01 00:00:00 UTC
	defaultRows     = 8192
	optionList      = "'table', 'events.num', 'seed', 'splits', 'first-event-rate', 'base-time', 'rate-limited', 'hot-auction-ratio', 'hot-bidder-ratio', 'hot-seller-ratio'"
)

var _ connector.OpenFunc = Open

// Open validates the options and columns of a nexmark table.
func Open(_ context.Context, spec *connector.TableSpec) (connector.Source, error) {
	o := gensrc.NewOptions(spec.Name, spec.Options)
	name, ok := o.Lookup("table")
	var k kind
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "person":
		k = kindPerson
	case "auction":
		k = kindAuction
	case "bid":
		k = kindBid
	default:
		if !ok {
			return nil, o.Errorf("table", "missing: say which events the table reads, 'person', 'auction' or 'bid'")
		}
		return nil, o.Errorf("table", "%q is not 'person', 'auction' or 'bid'", name)
	}
	var num, seed, splits, rate, base, hotAuctions, hotBidders, hotSellers int64
	for _, n := range []struct {
		dst         *int64
		key         string
		def, lo, hi int64
	}{
		{&num, "events.num", 0, 0, math.MaxInt64 / 2},
		{&seed, "seed", 0, math.MinInt64, math.MaxInt64},
		{&splits, "splits", 1, 1, 1 << 16},
		{&rate, "first-event-rate", defaultRate, 1, 1e9},
		{&base, "base-time", defaultBaseTime, 0, 1 << 50},
		{&hotAuctions, "hot-auction-ratio", 2, 1, 1 << 30},
		{&hotBidders, "hot-bidder-ratio", 4, 1, 1 << 30},
		{&hotSellers, "hot-seller-ratio", 4, 1, 1 << 30},
	} {
		var err error
		if *n.dst, err = o.Int(n.key, n.def, n.lo, n.hi); err != nil {
			return nil, err
		}
	}
	limited, err := o.Bool("rate-limited", false)
	if err != nil {
		return nil, err
	}
	if err := o.Unknown(optionList); err != nil {
		return nil, err
	}
	cols, err := bindColumns(spec.Name, k, spec.Columns)
	if err != nil {
		return nil, errkind.Wrap(errkind.Fatal, err)
	}
	alloc := spec.Alloc
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	rows := int64(spec.BatchRows)
	if rows <= 0 {
		rows = defaultRows
	}
	g := &generator{
		kind:   k,
		model:  newModel(uint64(seed), base, rate, hotAuctions, hotBidders, hotSellers),
		splits: splits,
		schema: spec.Schema(),
	}
	g.fill = [...]func(*event, int64){kindPerson: g.model.person, kindAuction: g.model.auction, kindBid: g.model.bid}[k]
	g.rb = array.NewRecordBuilder(alloc, g.schema)
	g.app = newAppender(cols, g.rb)
	g.ev.buf = make([]byte, 0, 2*auctionSize)
	cfg := gensrc.Config{
		Table:          spec.Name,
		Gen:            g,
		Ends:           splitEnds(num, splits),
		BatchPositions: rows * blockSize / kindBefore(k, blockSize),
	}
	if limited {
		cfg.Rate = float64(rate)
	}
	return gensrc.New(cfg), nil
}

// splitEnds is each split's event count: unbounded when num is 0, else the
// events below num among the split's blocks.
func splitEnds(num, splits int64) []int64 {
	ends := make([]int64, splits)
	for k := range ends {
		if num == 0 {
			ends[k] = gensrc.Unbounded
			continue
		}
		full := num / blockSize // blocks 0..full-1 are whole
		mine := (full - int64(k) + splits - 1) / splits
		ends[k] = max(mine, 0) * blockSize
		if full%splits == int64(k) {
			ends[k] += num % blockSize
		}
	}
	return ends
}

// kindBefore counts the events of kind k among split-local positions
// 0..i-1 (a split's blocks are whole blocks, so this is the global count
// over event numbers too).
func kindBefore(k kind, i int64) int64 {
	switch k {
	case kindPerson:
		return personsBefore(i)
	case kindAuction:
		return auctionsBefore(i)
	}
	return i - personsBefore(i) - auctionsBefore(i)
}

// generator makes one table's rows.
type generator struct {
	kind   kind
	model  *model
	fill   func(*event, int64) // the model's method for kind
	splits int64
	schema *arrow.Schema
	rb     *array.RecordBuilder
	app    *appender
	ev     event
}

func (g *generator) Schema() *arrow.Schema { return g.schema }

// eventNumber maps split-local position i of split k to its event number.
func (g *generator) eventNumber(k int, i int64) int64 {
	return ((i/blockSize)*g.splits+int64(k))*blockSize + i%blockSize
}

// Generate appends the events of g's kind among positions [from, to): a
// table holds some of the positions, the other kinds the rest.
func (g *generator) Generate(split int, from, to int64) (arrow.RecordBatch, []int64) {
	n := int(kindBefore(g.kind, to) - kindBefore(g.kind, from))
	g.app.reserve(n)
	pos := make([]int64, 0, n)
	for i := from; i < to; i++ {
		if kindAt(i%blockSize) != g.kind {
			continue
		}
		g.fill(&g.ev, g.eventNumber(split, i))
		g.app.add(&g.ev)
		pos = append(pos, i)
	}
	return g.rb.NewRecordBatch(), pos
}

func (g *generator) Release() { g.rb.Release() }

// Bounded says whether a table with these options ends: with 'events.num'.
func Bounded(opts map[string]string) bool {
	n, err := strconv.ParseInt(strings.TrimSpace(opts["events.num"]), 10, 64)
	return err == nil && n > 0
}
