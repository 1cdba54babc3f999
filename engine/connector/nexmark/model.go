package nexmark

import (
	"math"

	"github.com/wharfdata/wharf/engine/connector/gensrc"
)

// kind is the type of an event.
type kind uint8

const (
	kindPerson kind = iota
	kindAuction
	kindBid
)

func (k kind) String() string { return [...]string{"person", "auction", "bid"}[k] }

// The shape of the stream (see the package doc).
const (
	blockSize        = 50 // events per block: 1 person, 3 auctions, 46 bids
	auctionsPerBlock = 3
	firstID          = 1000 // person and auction ids start here
	firstCategory    = 10
	numCategories    = 5
	hotSpacing       = 100  // hot ids are the latest multiple of this
	recentAuctions   = 100  // cold bids pick among this many latest auctions
	recentPeople     = 1000 // cold bidders and sellers: this many latest people
	// Average event sizes (8 bytes per number, string lengths) the extra
	// padding aims at.
	personSize  = 200
	auctionSize = 500
	bidSize     = 100
)

// kindAt is the kind of the event at offset off (0..49) of its block.
func kindAt(off int64) kind {
	switch {
	case off == 0:
		return kindPerson
	case off <= auctionsPerBlock:
		return kindAuction
	}
	return kindBid
}

// personsBefore counts the people among events 0..e-1.
func personsBefore(e int64) int64 { return (e + blockSize - 1) / blockSize }

// auctionsBefore counts the auctions among events 0..e-1.
func auctionsBefore(e int64) int64 {
	return auctionsPerBlock*(e/blockSize) + min(max(e%blockSize-1, 0), auctionsPerBlock)
}

// model holds what every event depends on besides its number.
type model struct {
	seed                                uint64
	baseMs, rate                        int64  // base time (epoch ms), events per second
	hotAuctions, hotBidders, hotSellers int64  // ratios: (r-1)/r of choices are hot
	pool                                []byte // letters that strings are cut from
}

// poolSize bounds the letter pool; extras and words are slices of it.
const poolSize = 4096

func newModel(seed uint64, baseMs, rate, hotAuctions, hotBidders, hotSellers int64) *model {
	m := &model{seed: seed, baseMs: baseMs, rate: rate, hotAuctions: hotAuctions, hotBidders: hotBidders, hotSellers: hotSellers}
	r := gensrc.NewRand(seed, math.MaxUint64)
	m.pool = make([]byte, poolSize)
	for i := range m.pool {
		m.pool[i] = 'a' + byte(r.Intn(26))
	}
	return m
}

// timeMs is the event time of event e.
func (m *model) timeMs(e int64) int64 { return m.baseMs + e*1000/m.rate }

// event is one generated event: numbers and byte ranges of buf, indexed by
// the kind's field number.
type event struct {
	ints [maxFields]int64
	strs [maxFields][2]int32
	buf  []byte
}

func (ev *event) str(f int) []byte { return ev.buf[ev.strs[f][0]:ev.strs[f][1]] }

// put appends b as field f's string.
func (ev *event) put(f int, parts ...[]byte) {
	start := int32(len(ev.buf))
	for _, p := range parts {
		ev.buf = append(ev.buf, p...)
	}
	ev.strs[f] = [2]int32{start, int32(len(ev.buf))}
}

// size is the event's size in bytes without field skip (its padding).
func (ev *event) size(fields []fieldDef, skip int) int64 {
	var n int64
	for f, d := range fields {
		switch {
		case f == skip:
		case d.typ == tString:
			n += int64(ev.strs[f][1] - ev.strs[f][0])
		default:
			n += 8
		}
	}
	return n
}

// word is a pool slice of n letters.
func (m *model) word(r *gensrc.Rand, n int64) []byte {
	off := r.Intn(poolSize - n)
	return m.pool[off : off+n]
}

// pad sets field f to the extra padding that brings the event to about
// target bytes: the shortfall, ±25%.
func (m *model) pad(ev *event, r *gensrc.Rand, f int, fields []fieldDef, target int64) {
	short := target - ev.size(fields, f)
	if short < 4 {
		ev.put(f)
		return
	}
	n := short*3/4 + r.Intn(short/2+1)
	ev.put(f, m.word(r, n))
}

// price is a bid or reserve in cents, log-uniform in [1, 10^6) dollars.
func price(r *gensrc.Rand) int64 { return int64(math.Round(math.Exp(r.Float64()*6*math.Ln10) * 100)) }

// pick chooses among the last+1 ids 0..last: with probability (ratio-1)/ratio
// the hot one (last rounded down to hotSpacing, shifted by hotOffset when
// that is still ≤ last), else uniform among the `recent` latest.
func pick(r *gensrc.Rand, last, ratio, recent, hotOffset int64) int64 {
	if r.Intn(ratio) > 0 {
		hot := last/hotSpacing*hotSpacing + hotOffset
		if hot > last {
			hot -= hotSpacing
		}
		return max(hot, 0)
	}
	return last - r.Intn(min(last+1, recent))
}

// Word lists, made up for wharf.
var (
	firstNames = words("Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Keiko", "Lars", "Mona", "Nils")
	lastNames  = words("Abara", "Brandt", "Castell", "Duarte", "Eklund", "Fournier", "Gallo", "Haas", "Ivers", "Jansen", "Kovac", "Lindqvist")
	domains    = words("mailbox", "postal", "letterkit", "inbox", "courier")
	cities     = words("Portland", "Boise", "Fresno", "Tucson", "Spokane", "Laramie", "Eugene", "Reno", "Ogden", "Salem")
	states     = words("OR", "ID", "CA", "AZ", "WA", "WY", "NV", "UT")
	channels   = words("Google", "Facebook", "Baidu", "Apple")
)

func words(ws ...string) [][]byte {
	out := make([][]byte, len(ws))
	for i, w := range ws {
		out[i] = []byte(w)
	}
	return out
}

func choose(r *gensrc.Rand, ws [][]byte) []byte { return ws[r.Intn(int64(len(ws)))] }

var (
	space      = []byte(" ")
	at         = []byte("@")
	dotCom     = []byte(".com")
	slash      = []byte("/")
	channelPfx = []byte("channel-")
	urlPrefix  = []byte("https://www.nexmark.com/")
	urlQuery   = []byte("/item.htm?query=1&channel_id=")
)

// digits appends n's decimal digits, zero padded to width.
func digits(dst []byte, n int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for n > 0 || len(tmp)-i < width {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, tmp[i:]...)
}

// person fills ev with the person at event e.
func (m *model) person(ev *event, e int64) {
	r := gensrc.NewRand(m.seed, uint64(e))
	ev.buf = ev.buf[:0]
	ev.ints[pID] = firstID + e/blockSize
	ev.put(pName, choose(&r, firstNames), space, choose(&r, lastNames))
	ev.put(pEmail, m.word(&r, 4+r.Intn(6)), at, choose(&r, domains), dotCom)
	var cc [19]byte
	b := cc[:0]
	for g := range 4 {
		if g > 0 {
			b = append(b, ' ')
		}
		b = digits(b, r.Intn(10000), 4)
	}
	ev.put(pCard, b)
	ev.put(pCity, choose(&r, cities))
	ev.put(pState, choose(&r, states))
	ev.ints[pTime] = m.timeMs(e)
	m.pad(ev, &r, pExtra, personFields, personSize)
}

// auction fills ev with the auction at event e.
func (m *model) auction(ev *event, e int64) {
	r := gensrc.NewRand(m.seed, uint64(e))
	ev.buf = ev.buf[:0]
	ev.ints[aID] = firstID + auctionsBefore(e)
	ev.put(aItem, m.word(&r, 5+r.Intn(10)))
	ev.put(aDesc, m.word(&r, 20+r.Intn(30)))
	initial := price(&r)
	ev.ints[aInitial] = initial
	ev.ints[aReserve] = initial + price(&r)
	t := m.timeMs(e)
	ev.ints[aTime] = t
	// An auction stays open about as long as it takes to open
	// recentAuctions more, ±50%: the span cold bids pick from.
	span := int64(recentAuctions * blockSize / auctionsPerBlock)
	ev.ints[aExpires] = t + max(1, (span/2+r.Intn(span))*1000/m.rate)
	ev.ints[aSeller] = firstID + pick(&r, personsBefore(e)-1, m.hotSellers, recentPeople, 0)
	ev.ints[aCategory] = firstCategory + r.Intn(numCategories)
	m.pad(ev, &r, aExtra, auctionFields, auctionSize)
}

// bid fills ev with the bid at event e.
func (m *model) bid(ev *event, e int64) {
	r := gensrc.NewRand(m.seed, uint64(e))
	ev.buf = ev.buf[:0]
	ev.ints[bAuction] = firstID + pick(&r, auctionsBefore(e)-1, m.hotAuctions, recentAuctions, 0)
	// Hot bidders sit half a spacing away from hot sellers.
	ev.ints[bBidder] = firstID + pick(&r, personsBefore(e)-1, m.hotBidders, recentPeople, hotSpacing/2)
	ev.ints[bPrice] = price(&r)
	id := r.Intn(10000)
	var num [8]byte
	if id < 9000 {
		ev.put(bChannel, channels[id%int64(len(channels))])
	} else {
		ev.put(bChannel, channelPfx, digits(num[:0], id, 1))
	}
	ev.put(bURL, urlPrefix, m.word(&r, 4+r.Intn(4)), slash, m.word(&r, 4+r.Intn(4)), urlQuery, digits(num[:0], id, 1))
	ev.ints[bTime] = m.timeMs(e)
	m.pad(ev, &r, bExtra, bidFields, bidSize)
}
