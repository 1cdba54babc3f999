package exec

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// MemoryLimitError is how a query learns it went over its memory budget.
type MemoryLimitError struct {
	Limit, Requested, Used int64
}

func (e *MemoryLimitError) Error() string {
	if e.Requested == 0 { // found over the limit between batches (see Budget.Check)
		return fmt.Sprintf("query exceeded its memory limit of %d MiB (had %d MiB); it was stopped. Narrow the query, or raise the limit",
			e.Limit>>20, e.Used>>20)
	}
	return fmt.Sprintf("query exceeded its memory limit of %d MiB (had %d MiB, asked for %d KiB more); it was stopped. Narrow the query, or raise the limit",
		e.Limit>>20, e.Used>>20, e.Requested>>10)
}

// Budget is an allocator that accounts a query's Arrow memory and stops the
// query when it would go over its limit. Arrow's allocator interface cannot
// return an error, so an allocation over the limit panics with a
// *MemoryLimitError, which Run turns back into an error: no other panic is
// recovered. Table scans, which decode on goroutines of their own, are
// charged through Unchecked instead, and checked between batches (Check).
// Spilling to disk instead of failing comes later.
type Budget struct {
	inner memory.Allocator
	limit int64
	used  atomic.Int64
	peak  atomic.Int64
}

// NewBudget returns a budget of limit bytes over inner.
func NewBudget(inner memory.Allocator, limit int64) *Budget {
	return &Budget{inner: inner, limit: limit}
}

func (b *Budget) charge(n int64) {
	used := b.used.Add(n)
	if n > 0 && used > b.limit {
		b.used.Add(-n)
		panic(&MemoryLimitError{Limit: b.limit, Requested: n, Used: used - n})
	}
	b.raisePeak(used)
}

func (b *Budget) raisePeak(used int64) {
	for {
		p := b.peak.Load()
		if used <= p || b.peak.CompareAndSwap(p, used) {
			return
		}
	}
}

func (b *Budget) Allocate(size int) []byte {
	b.charge(int64(size))
	return b.inner.Allocate(size)
}

func (b *Budget) Reallocate(size int, buf []byte) []byte {
	b.charge(int64(size - len(buf)))
	return b.inner.Reallocate(size, buf)
}

func (b *Budget) Free(buf []byte) {
	b.used.Add(-int64(len(buf)))
	b.inner.Free(buf)
}

// Unchecked is a view of b for allocations made on goroutines where a
// panic could not be recovered (a table scan's or a connector's readers
// decode on their own): it charges b's counter, and lets it go over the
// limit, never panicking. Whoever consumes what it allocated calls Check
// between batches. Buffers remember their allocator, so what the view
// allocated is given back to b's counter whoever frees it. A nil b (a
// query without a budget) gives the default allocator.
func (b *Budget) Unchecked() memory.Allocator {
	if b == nil {
		return memory.DefaultAllocator
	}
	return unchecked{b}
}

// Check returns a *MemoryLimitError when b holds more than its limit;
// nil for a nil b (a query without a budget).
func (b *Budget) Check() error {
	if b == nil {
		return nil
	}
	if used := b.used.Load(); used > b.limit {
		return &MemoryLimitError{Limit: b.limit, Used: used}
	}
	return nil
}

type unchecked struct{ b *Budget }

func (u unchecked) Allocate(size int) []byte {
	u.b.raisePeak(u.b.used.Add(int64(size)))
	return u.b.inner.Allocate(size)
}

func (u unchecked) Reallocate(size int, buf []byte) []byte {
	u.b.raisePeak(u.b.used.Add(int64(size - len(buf))))
	return u.b.inner.Reallocate(size, buf)
}

func (u unchecked) Free(buf []byte) { u.b.Free(buf) }

// Used is the memory held now; Peak the most held at once.
func (b *Budget) Used() int64 { return b.used.Load() }
func (b *Budget) Peak() int64 { return b.peak.Load() }
