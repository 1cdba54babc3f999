package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// listAgg is LISTAGG(x, sep): the group's non-NULL values in input order,
// joined by sep; NULL for a group without one.
type listAgg struct {
	sep   []byte
	bufs  [][]byte
	has   []bool
	bytes int64
}

func (a *listAgg) grow(n int) { a.bufs, a.has = growTo(a.bufs, n), growTo(a.has, n) }

func (a *listAgg) update(r *aggRows, arg arrow.Array) {
	offs, data := varlen(arg)
	for k, n := 0, r.count(); k < n; k++ {
		i := r.at(k)
		g := r.group(i)
		old := cap(a.bufs[g])
		if a.has[g] {
			a.bufs[g] = append(a.bufs[g], a.sep...)
		}
		a.bufs[g] = append(a.bufs[g], data[offs[i]:offs[i+1]]...)
		a.has[g] = true
		a.bytes += int64(cap(a.bufs[g]) - old)
	}
}

func (a *listAgg) emit(alloc memory.Allocator, from, to int) arrow.Array {
	return varlenArray(alloc, arrow.BinaryTypes.String, a.bufs[from:to], a.has[from:to])
}

func (a *listAgg) size() int64 { return a.bytes + int64(25*cap(a.bufs)) }
