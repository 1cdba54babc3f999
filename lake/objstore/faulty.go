package objstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/wharfdata/wharf/internal/errkind"
)

// ErrInjected is wrapped by every error a Faulty store makes up.
var ErrInjected = errors.New("injected fault")

// Op names a Store operation.
type Op int

const (
	OpGet Op = iota
	OpPut
	OpCreateIfAbsent
	OpDelete
	OpList
	numOps
)

func (o Op) String() string {
	return [...]string{"get", "put", "create", "delete", "list"}[o]
}

// FaultRates are the probabilities, per call, of each kind of fault. Their
// sum must not exceed 1.
type FaultRates struct {
	// Retryable fails the call before it is applied, like a 503 SlowDown.
	Retryable float64
	// AmbiguousBefore fails the call before it is applied, with an error that
	// says the outcome is unknown (a timeout the server never saw).
	AmbiguousBefore float64
	// AmbiguousAfter applies the call, then loses the answer: the caller gets
	// an Ambiguous error although the write took effect.
	AmbiguousAfter float64
}

func (r FaultRates) sum() float64 { return r.Retryable + r.AmbiguousBefore + r.AmbiguousAfter }

// FaultConfig configures a Faulty store.
type FaultConfig struct {
	Seed                                   uint64
	Get, Put, CreateIfAbsent, Delete, List FaultRates
}

// FaultCounts counts calls and the faults injected into them.
type FaultCounts struct {
	Calls, Retryable, AmbiguousBefore, AmbiguousAfter int
}

// Faults is the number of injected faults.
func (c FaultCounts) Faults() int { return c.Retryable + c.AmbiguousBefore + c.AmbiguousAfter }

// Faulty wraps a Store and injects faults at seeded random: for a given seed
// and sequence of calls it injects the same faults. It is safe for concurrent
// use; concurrent calls draw in the order they arrive.
type Faulty struct {
	inner Store

	mu      sync.Mutex
	rng     *rand.Rand
	rates   [numOps]FaultRates
	enabled bool
	counts  [numOps]FaultCounts
}

// NewFaulty wraps inner. Faults are enabled from the start. It panics on rates
// outside [0, 1], which is a bug in the test that sets them.
func NewFaulty(inner Store, cfg FaultConfig) *Faulty {
	f := &Faulty{
		inner:   inner,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		rates:   [numOps]FaultRates{cfg.Get, cfg.Put, cfg.CreateIfAbsent, cfg.Delete, cfg.List},
		enabled: true,
	}
	for op, r := range f.rates {
		if r.Retryable < 0 || r.AmbiguousBefore < 0 || r.AmbiguousAfter < 0 || r.sum() > 1 {
			panic(fmt.Sprintf("BUG: objstore.NewFaulty: %v rates %+v: each must be >= 0 and their sum <= 1", Op(op), r))
		}
	}
	return f
}

// Enable turns fault injection on or off; calls are counted either way.
func (f *Faulty) Enable(on bool) {
	f.mu.Lock()
	f.enabled = on
	f.mu.Unlock()
}

// Counts returns the counts for one operation.
func (f *Faulty) Counts(op Op) FaultCounts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[op]
}

// Total returns the counts summed over all operations.
func (f *Faulty) Total() FaultCounts {
	f.mu.Lock()
	defer f.mu.Unlock()
	var t FaultCounts
	for _, c := range f.counts {
		t.Calls += c.Calls
		t.Retryable += c.Retryable
		t.AmbiguousBefore += c.AmbiguousBefore
		t.AmbiguousAfter += c.AmbiguousAfter
	}
	return t
}

type fault int

const (
	noFault fault = iota
	faultRetryable
	faultAmbiguousBefore
	faultAmbiguousAfter
)

// draw decides the fault for one call. It draws exactly one number per call
// while enabled, so the sequence depends only on the seed and the calls.
func (f *Faulty) draw(op Op) fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &f.counts[op]
	c.Calls++
	if !f.enabled {
		return noFault
	}
	x, r := f.rng.Float64(), f.rates[op]
	switch {
	case x < r.Retryable:
		c.Retryable++
		return faultRetryable
	case x < r.Retryable+r.AmbiguousBefore:
		c.AmbiguousBefore++
		return faultAmbiguousBefore
	case x < r.sum():
		c.AmbiguousAfter++
		return faultAmbiguousAfter
	}
	return noFault
}

func injected(fl fault, op Op, key string) error {
	switch fl {
	case faultRetryable:
		return errkind.Errorf(errkind.Retryable, "objstore: %v %q: 503 SlowDown: %w", op, key, ErrInjected)
	case faultAmbiguousBefore:
		return errkind.Errorf(errkind.Ambiguous, "objstore: %v %q: timeout before the server answered: %w", op, key, ErrInjected)
	default:
		return errkind.Errorf(errkind.Ambiguous, "objstore: %v %q: connection reset after the request was applied: %w", op, key, ErrInjected)
	}
}

// call runs apply under the fault drawn for op. An "after" fault replaces the
// call's result, whatever it was: the answer never reached the caller.
func (f *Faulty) call(op Op, key string, apply func() error) error {
	fl := f.draw(op)
	if fl == faultRetryable || fl == faultAmbiguousBefore {
		return injected(fl, op, key)
	}
	err := apply()
	if fl == faultAmbiguousAfter {
		return injected(fl, op, key)
	}
	return err
}

func (f *Faulty) Get(ctx context.Context, key string) (data []byte, err error) {
	err = f.call(OpGet, key, func() error {
		data, err = f.inner.Get(ctx, key)
		return err
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

func (f *Faulty) Put(ctx context.Context, key string, data []byte) error {
	return f.call(OpPut, key, func() error { return f.inner.Put(ctx, key, data) })
}

func (f *Faulty) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	return f.call(OpCreateIfAbsent, key, func() error { return f.inner.CreateIfAbsent(ctx, key, data) })
}

func (f *Faulty) Delete(ctx context.Context, key string) error {
	return f.call(OpDelete, key, func() error { return f.inner.Delete(ctx, key) })
}

func (f *Faulty) List(ctx context.Context, prefix string) (infos []ObjectInfo, err error) {
	err = f.call(OpList, prefix, func() error {
		infos, err = f.inner.List(ctx, prefix)
		return err
	})
	if err != nil {
		return nil, err
	}
	return infos, nil
}
