package exec

import (
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// rangeOffsets says whether the frame is RANGE with an N PRECEDING or N
// FOLLOWING bound.
func (f *WindowFrame) rangeOffsets() bool {
	offset := func(k BoundKind) bool { return k == Preceding || k == Following }
	return !f.Rows && (offset(f.Start) || offset(f.End))
}

// rangeBounds resolves a RANGE frame with offsets over key, the window's
// one ORDER BY column (sorted within each partition [ps, pe), descending
// when desc, its NULLs together at one end), into per-row bounds: starts
// and ends replace the peer runs [qs, qe) and the returned frame's offset
// bounds become CURRENT ROW, so frameOf reads them. A non-NULL row's frame
// holds the rows whose key is within the offsets of its own (v − N for N
// PRECEDING ascending, v + N descending); a NULL row's offsets stop at its
// NULL peers.
func rangeBounds(key arrow.Array, desc bool, f WindowFrame, ps, pe, qs, qe []int) (WindowFrame, []int, []int) {
	switch k := key.(type) {
	case *array.Float32:
		return rangeBoundsOf(func(i int) float64 { return float64(k.Value(i)) }, addFloat, key, desc, f, ps, pe, qs, qe)
	case *array.Float64:
		return rangeBoundsOf(k.Value, addFloat, key, desc, f, ps, pe, qs, qe)
	}
	return rangeBoundsOf(intValues(key), addInt, key, desc, f, ps, pe, qs, qe)
}

// intValues reads an integer, DATE or TIMESTAMP column as int64 (dates
// in days, timestamps in their unit).
func intValues(a arrow.Array) func(int) int64 {
	switch a := a.(type) {
	case *array.Int8:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int16:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int32:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int64:
		return a.Value
	case *array.Date32:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Timestamp:
		return func(i int) int64 { return int64(a.Value(i)) }
	}
	panic("BUG: RANGE offsets over " + a.DataType().String() + " (the binder allows numbers, dates and timestamps)")
}

// addInt adds d to v, saturating instead of wrapping.
func addInt(v, d int64) int64 {
	if d > 0 && v > math.MaxInt64-d {
		return math.MaxInt64
	}
	if d < 0 && v < math.MinInt64-d {
		return math.MinInt64
	}
	return v + d
}

func addFloat(v float64, d int64) float64 { return v + float64(d) }

func rangeBoundsOf[T int64 | float64](at func(int) T, add func(T, int64) T, key arrow.Array, desc bool, f WindowFrame, ps, pe, qs, qe []int) (WindowFrame, []int, []int) {
	n := len(ps)
	starts, ends := append([]int(nil), qs...), append([]int(nil), qe...)
	// dir turns PRECEDING into −N and FOLLOWING into +N in sort order.
	dir := int64(1)
	if desc {
		dir = -1
	}
	offset := func(k BoundKind, n int64) int64 {
		if k == Preceding {
			return -dir * n
		}
		return dir * n
	}
	// before says whether a sorts before b.
	before := func(a, b T) bool {
		if desc {
			return a > b
		}
		return a < b
	}
	for p := 0; p < n; p = pe[p] {
		// The partition's non-NULL keys: one sorted run [ns, ne).
		ns, ne := ps[p], pe[p]
		for ns < ne && key.IsNull(ns) {
			ns++
		}
		for ne > ns && key.IsNull(ne-1) {
			ne--
		}
		for i := ps[p]; i < pe[p]; i++ {
			if key.IsNull(i) {
				continue // its NULL peers, already in starts and ends
			}
			v := at(i)
			if f.Start == Preceding || f.Start == Following {
				lo := add(v, offset(f.Start, f.StartN))
				starts[i] = ns + sort.Search(ne-ns, func(r int) bool { return !before(at(ns+r), lo) })
			}
			if f.End == Preceding || f.End == Following {
				hi := add(v, offset(f.End, f.EndN))
				ends[i] = ns + sort.Search(ne-ns, func(r int) bool { return before(hi, at(ns+r)) })
			}
		}
	}
	out := f
	if f.Start == Preceding || f.Start == Following {
		out.Start = CurrentRow
	}
	if f.End == Preceding || f.End == Following {
		out.End = CurrentRow
	}
	return out, starts, ends
}
