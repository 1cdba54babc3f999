// Package gensrc runs the splits of a generator connector (nexmark,
// datagen) as a connector.Source, so each generator only says what the rows
// of a position range are.
//
// A generator split's positions are its split-local record indexes 0, 1, 2…
// How a position maps to a global record number is the generator's business;
// it must be a pure function of the split and the position, so a split
// resumed at position p produces exactly what an uninterrupted run would
// have produced from p on. Batches of one split tile its positions: each
// covers [From, From+BatchPositions) or less (at the split's end, or when
// pacing hands out what is due). Splits are served round robin.
//
// With a rate, the source paces by the wall clock: over all splits it
// produces Rate positions per second, each split Rate/Splits of them, counted
// from Start. A paced batch holds what is due, at least a tick's worth
// (1/50 s) when the split has that many left, so batches do not shrink to a
// row each when the consumer is fast.
package gensrc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/internal/errkind"
)

// Unbounded is the End of a split that never ends.
const Unbounded = int64(math.MaxInt64)

// tick is the wall-clock granularity of paced batches.
const tick = 20 * time.Millisecond

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("source closed")

// Generator makes the rows of position ranges. Generate is called from one
// goroutine at a time, never concurrently with Release.
type Generator interface {
	Schema() *arrow.Schema
	// Generate returns the rows of positions [from, to) of split, which the
	// caller owns, and each row's position (nil when every position holds
	// exactly one row; see connector.Batch.Pos).
	Generate(split int, from, to int64) (arrow.RecordBatch, []int64)
	// Release frees the generator's builders.
	Release()
}

// Config describes a generator source.
type Config struct {
	Table string // for messages
	Gen   Generator
	// Ends holds each split's position count (Unbounded: endless); its
	// length is the number of splits.
	Ends []int64
	// BatchPositions bounds the positions one batch covers.
	BatchPositions int64
	// Rate is positions per second over all splits; 0 is unpaced.
	Rate float64
}

// Source is a connector.Source over a Generator.
type Source struct {
	cfg    Config
	pos    []int64
	first  []int64 // position at Start, the origin of pacing
	next   int     // round-robin cursor
	start  time.Time
	timer  *time.Timer
	closed chan struct{}
	once   sync.Once
	mu     sync.Mutex // held while generating, so Close never frees builders in use
	state  int        // 0 new, 1 started, 2 closed
}

var _ connector.Source = (*Source)(nil)

// New makes a source; it generates nothing until Start.
func New(cfg Config) *Source {
	if cfg.BatchPositions < 1 {
		cfg.BatchPositions = 1
	}
	return &Source{cfg: cfg, closed: make(chan struct{})}
}

// Schema is the generator's schema.
func (s *Source) Schema() *arrow.Schema { return s.cfg.Gen.Schema() }

// Splits lists 0..n-1.
func (s *Source) Splits(context.Context) ([]int32, error) {
	ids := make([]int32, len(s.cfg.Ends))
	for i := range ids {
		ids[i] = int32(i)
	}
	return ids, nil
}

// Start positions every split: at from[split] when given, else at 0.
func (s *Source) Start(_ context.Context, from map[int32]int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case 1:
		return errkind.Errorf(errkind.Fatal, "%s: Start called twice", s.cfg.Table)
	case 2:
		return errkind.Wrap(errkind.Fatal, fmt.Errorf("%s: %w", s.cfg.Table, ErrClosed))
	}
	n := len(s.cfg.Ends)
	for split, p := range from {
		if split < 0 || int(split) >= n {
			return errkind.Errorf(errkind.Fatal, "%s: checkpoint names split %d but the table has splits 0..%d (was 'splits' changed?)", s.cfg.Table, split, n-1)
		}
		if end := s.cfg.Ends[split]; p < 0 || p > end {
			return errkind.Errorf(errkind.Fatal, "%s: checkpoint position %d of split %d is outside [0, %d] (were 'events.num' or 'splits' changed?)", s.cfg.Table, p, split, end)
		}
	}
	s.pos = make([]int64, n)
	for i := range s.pos {
		s.pos[i] = from[int32(i)]
	}
	s.first = append([]int64(nil), s.pos...)
	s.start = time.Now()
	s.state = 1
	return nil
}

// Next returns the next batch of the next split that has positions left, or
// io.EOF once every split is exhausted.
func (s *Source) Next(ctx context.Context) (connector.Batch, error) {
	if err := s.check(ctx); err != nil {
		return connector.Batch{}, err
	}
	split := s.pick()
	if split < 0 {
		return connector.Batch{}, io.EOF
	}
	from, end := s.pos[split], s.cfg.Ends[split]
	to := from + min(s.cfg.BatchPositions, end-from)
	if s.cfg.Rate > 0 {
		var err error
		if to, err = s.pace(ctx, split, from, to); err != nil {
			return connector.Batch{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == 2 {
		return connector.Batch{}, s.closedErr()
	}
	rows, pos := s.cfg.Gen.Generate(split, from, to)
	s.pos[split] = to
	s.next = split + 1
	return connector.Batch{Split: int32(split), From: from, To: to, Rows: rows, Pos: pos}, nil
}

func (s *Source) check(ctx context.Context) error {
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	switch state {
	case 0:
		return errkind.Errorf(errkind.Fatal, "%s: Next before Start", s.cfg.Table)
	case 2:
		return s.closedErr()
	}
	return ctx.Err()
}

func (s *Source) closedErr() error {
	return errkind.Wrap(errkind.Fatal, fmt.Errorf("%s: %w", s.cfg.Table, ErrClosed))
}

// pick returns the next split round robin that has positions left, -1 if
// none has.
func (s *Source) pick() int {
	n := len(s.pos)
	for i := range n {
		k := (s.next + i) % n
		if s.pos[k] < s.cfg.Ends[k] {
			return k
		}
	}
	return -1
}

// pace waits until at least a tick's worth of positions from `from` is due
// (or the split's rest, or the batch limit) and returns the end of what is
// due, at most to.
func (s *Source) pace(ctx context.Context, split int, from, to int64) (int64, error) {
	perSplit := s.cfg.Rate / float64(len(s.pos))
	want := from + max(1, int64(perSplit*tick.Seconds()))
	want = min(want, to)
	// Position p is due once (p - first + 1) / perSplit seconds have passed.
	dueAt := func(p int64) time.Time {
		return s.start.Add(time.Duration(float64(p-s.first[split]+1) / perSplit * float64(time.Second)))
	}
	if wait := time.Until(dueAt(want - 1)); wait > 0 {
		if s.timer == nil {
			s.timer = time.NewTimer(wait)
		} else {
			s.timer.Reset(wait)
		}
		select {
		case <-s.timer.C:
		case <-ctx.Done():
			s.timer.Stop()
			return 0, ctx.Err()
		case <-s.closed:
			s.timer.Stop()
			return 0, s.closedErr()
		}
	}
	due := s.first[split] + int64(time.Since(s.start).Seconds()*perSplit)
	return max(want, min(due, to)), nil
}

// Close makes a blocked Next return and frees the generator's builders.
func (s *Source) Close() error {
	s.once.Do(func() {
		close(s.closed)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.state = 2
		s.cfg.Gen.Release()
	})
	return nil
}
