package runtime

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/plan"
)

// eventTime tracks a windowed job's event time and what a restart must
// replay.
//
// The watermark is the smallest, over the splits that have delivered rows
// (and, with an idle timeout, did so lately), of the largest event time each
// has delivered, minus the declared delay; it never goes back. A split the
// source has but that has not delivered a row since the job started holds
// the watermark where it is (until the idle timeout, if one is declared):
// otherwise the first splits to deliver would make the others' rows late.
//
// Window state is rebuilt after a restart by replaying input, not loaded
// from a snapshot: every batch whose rows may still belong to an open
// window (its largest event time plus the longest window is past the
// watermark) is remembered per split, and the epoch's state records, per
// split, the first position of the oldest such batch. A restart reads from
// there; rows of windows that closed before the restored watermark are
// late and dropped, which is exactly what the committed output already
// holds. The cost: a Kafka topic's retention must cover the longest window.
type eventTime struct {
	wm        *plan.Watermark
	maxWindow int64
	watermark int64           // micros; math.MinInt64 before any
	maxSeen   map[int32]int64 // per split: largest event time delivered
	active    map[int32]time.Time
	waiting   map[int32]time.Time // splits yet to deliver a row, since when
	live      map[int32][]liveBatch
	now       func() time.Time
}

type liveBatch struct{ from, maxT int64 }

func newEventTime(wm *plan.Watermark, maxWindow int64) *eventTime {
	return &eventTime{wm: wm, maxWindow: maxWindow, watermark: math.MinInt64, maxSeen: map[int32]int64{},
		active: map[int32]time.Time{}, waiting: map[int32]time.Time{}, live: map[int32][]liveBatch{}, now: time.Now}
}

// expect names the source's splits when the job starts.
func (e *eventTime) expect(splits []int32) {
	for _, s := range splits {
		e.waiting[s] = e.now()
	}
}

// restore sets the watermark of the last committed epoch (milliseconds).
func (e *eventTime) restore(ms *int64) {
	if ms != nil {
		e.watermark = *ms * 1000
	}
}

// observe notes a batch of split from position from.
func (e *eventTime) observe(split int32, from int64, b arrow.RecordBatch) {
	if e.wm == nil || b == nil || b.NumRows() == 0 {
		return
	}
	ts := b.Column(e.wm.Column).(*array.Timestamp)
	maxT, any := int64(math.MinInt64), false
	for i := range ts.Len() {
		if ts.IsValid(i) {
			maxT, any = max(maxT, int64(ts.Value(i))), true
		}
	}
	if !any {
		return
	}
	if prev, ok := e.maxSeen[split]; !ok || maxT > prev {
		e.maxSeen[split] = maxT
	}
	e.active[split] = e.now()
	delete(e.waiting, split)
	if e.maxWindow > 0 {
		e.live[split] = append(e.live[split], liveBatch{from: from, maxT: maxT})
	}
}

// advance computes the watermark and forgets batches no open window needs.
func (e *eventTime) advance() int64 {
	if e.wm == nil || len(e.maxSeen) == 0 {
		return e.watermark
	}
	for _, since := range e.waiting {
		if e.wm.IdleTimeout == 0 || e.now().Sub(since) < e.wm.IdleTimeout {
			return e.watermark
		}
	}
	// Splits idle past the timeout do not hold the watermark back, unless
	// every split is idle.
	low, lowAll := int64(math.MaxInt64), int64(math.MaxInt64)
	for split, t := range e.maxSeen {
		lowAll = min(lowAll, t)
		if e.wm.IdleTimeout == 0 || e.now().Sub(e.active[split]) < e.wm.IdleTimeout {
			low = min(low, t)
		}
	}
	if low == math.MaxInt64 {
		low = lowAll
	}
	e.watermark = max(e.watermark, low-e.wm.Delay)
	for split, bs := range e.live {
		i := 0
		for i < len(bs) && bs[i].maxT+e.maxWindow <= e.watermark {
			i++
		}
		e.live[split] = bs[i:]
	}
	return e.watermark
}

// millis is a watermark for the epoch record, nil before any.
func millis(micros int64) *int64 {
	if micros == math.MinInt64 {
		return nil
	}
	ms := micros / 1000
	return &ms
}
