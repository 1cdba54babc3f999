package olap

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/wharfdata/wharf/engine/session"
)

// Lane is an admission lane. Small and heavy statements queue separately,
// each lane with its own concurrency limit, so a burst of heavy queries
// fills the heavy lane and small ones keep flowing.
type Lane uint8

const (
	LaneSmall Lane = iota
	LaneHeavy
)

func (l Lane) String() string {
	if l == LaneHeavy {
		return "heavy"
	}
	return "small"
}

// LaneLimits bound one lane.
type LaneLimits struct {
	Concurrency int           // statements running at once
	Queue       int           // statements waiting beyond those; one more is refused
	MaxWait     time.Duration // longest wait in the queue before refusal (0 = only the statement's own deadline)
	Timeout     time.Duration // time limit of a statement once admitted (0 = none)
}

// lane is a counting semaphore with a bounded wait queue. A buffered
// channel is the semaphore: Go queues blocked senders in order, so waiting
// statements are admitted first come, first served.
type lane struct {
	id      Lane
	limits  LaneLimits
	slots   chan struct{}
	waiting atomic.Int64
	m       *laneMetrics
}

func newLane(id Lane, l LaneLimits, m *laneMetrics) *lane {
	return &lane{id: id, limits: l, slots: make(chan struct{}, max(1, l.Concurrency)), m: m}
}

// admit waits for a slot. The caller calls release exactly once when the
// statement is done.
func (l *lane) admit(ctx context.Context) (release func(), err error) {
	select {
	case l.slots <- struct{}{}: // Fast path: a free slot.
		return l.admitted(), nil
	default:
	}
	// Slow path: join the queue if it has room.
	if n := l.waiting.Add(1); n > int64(l.limits.Queue) {
		l.waiting.Add(-1)
		l.m.rejectedFull.Inc()
		return nil, &session.Error{Code: session.CodeOverloaded,
			Msg: fmt.Sprintf("the %s-query lane is full (%d running, %d waiting); retry later", l.id, cap(l.slots), l.limits.Queue)}
	}
	l.m.queued.Inc()
	defer func() {
		l.waiting.Add(-1)
		l.m.queued.Dec()
	}()
	var timeout <-chan time.Time
	if l.limits.MaxWait > 0 {
		t := time.NewTimer(l.limits.MaxWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case l.slots <- struct{}{}:
		return l.admitted(), nil
	case <-timeout:
		l.m.rejectedWait.Inc()
		return nil, &session.Error{Code: session.CodeOverloaded,
			Msg: fmt.Sprintf("waited %s in the %s-query lane without a free slot; retry later", l.limits.MaxWait, l.id)}
	case <-ctx.Done():
		l.m.cancelled.Inc()
		return nil, ctx.Err()
	}
}

func (l *lane) admitted() func() {
	l.m.admitted.Inc()
	l.m.running.Inc()
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			l.m.running.Dec()
			<-l.slots
		}
	}
}
