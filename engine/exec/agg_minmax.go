package exec

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// MIN, MAX, FIRST_VALUE and LAST_VALUE keep one value per group. FIRST and
// LAST follow the input order and skip NULLs, as Flink's do.

type pickKind uint8

const (
	pickMin pickKind = iota
	pickMax
	pickFirst
	pickLast
)

var pickKinds = map[string]pickKind{"MIN": pickMin, "MAX": pickMax, "FIRST_VALUE": pickFirst, "LAST_VALUE": pickLast}

func newPick(k pickKind, t arrow.DataType) (accumulator, error) {
	switch t.ID() {
	case arrow.INT8:
		return &orderedPick[int8]{kind: k, dt: t}, nil
	case arrow.INT16:
		return &orderedPick[int16]{kind: k, dt: t}, nil
	case arrow.INT32, arrow.DATE32:
		return &orderedPick[int32]{kind: k, dt: t}, nil
	case arrow.INT64, arrow.TIME64, arrow.TIMESTAMP:
		return &orderedPick[int64]{kind: k, dt: t}, nil
	case arrow.FLOAT32:
		return &orderedPick[float32]{kind: k, dt: t}, nil
	case arrow.FLOAT64:
		return &orderedPick[float64]{kind: k, dt: t}, nil
	case arrow.DECIMAL128:
		return &decPick{kind: k, dt: t}, nil
	case arrow.BOOL:
		return &boolPick{kind: k}, nil
	case arrow.STRING, arrow.BINARY:
		return &bytesPick{kind: k, dt: t}, nil
	}
	return nil, fmt.Errorf("BUG: no MIN/MAX for %s", t)
}

// orderedPick keeps a number, date, time or timestamp per group.
type orderedPick[T int8 | int16 | int32 | int64 | float32 | float64] struct {
	kind pickKind
	dt   arrow.DataType
	vals []T
	has  []bool
}

func (a *orderedPick[T]) grow(n int) { a.vals, a.has = growTo(a.vals, n), growTo(a.has, n) }

func (a *orderedPick[T]) update(r *aggRows, arg arrow.Array) {
	vals := arrow.GetValues[T](arg.Data(), 1)
	n := r.count()
	switch a.kind {
	case pickMin:
		for k := 0; k < n; k++ {
			i := r.at(k)
			g := r.group(i)
			if v := vals[i]; !a.has[g] || v < a.vals[g] {
				a.vals[g], a.has[g] = v, true
			}
		}
	case pickMax:
		for k := 0; k < n; k++ {
			i := r.at(k)
			g := r.group(i)
			if v := vals[i]; !a.has[g] || v > a.vals[g] {
				a.vals[g], a.has[g] = v, true
			}
		}
	case pickFirst:
		for k := 0; k < n; k++ {
			i := r.at(k)
			if g := r.group(i); !a.has[g] {
				a.vals[g], a.has[g] = vals[i], true
			}
		}
	case pickLast:
		for k := 0; k < n; k++ {
			i := r.at(k)
			g := r.group(i)
			a.vals[g], a.has[g] = vals[i], true
		}
	}
}

func (a *orderedPick[T]) emit(alloc memory.Allocator, from, to int) arrow.Array {
	return fixedArray(alloc, a.dt, a.vals[from:to], a.has[from:to])
}

func (a *orderedPick[T]) size() int64 {
	var z T
	return int64(cap(a.vals)*sizeOf(z) + cap(a.has))
}

// decPick keeps a DECIMAL per group.
type decPick struct {
	kind pickKind
	dt   arrow.DataType
	vals []decimal128.Num
	has  []bool
}

func (a *decPick) grow(n int) { a.vals, a.has = growTo(a.vals, n), growTo(a.has, n) }

func (a *decPick) update(r *aggRows, arg arrow.Array) {
	vals := arrow.GetValues[decimal128.Num](arg.Data(), 1)
	for k, n := 0, r.count(); k < n; k++ {
		i := r.at(k)
		g := r.group(i)
		v := vals[i]
		if !a.has[g] || a.kind == pickLast ||
			a.kind == pickMin && v.Less(a.vals[g]) || a.kind == pickMax && v.Greater(a.vals[g]) {
			a.vals[g], a.has[g] = v, true
		}
	}
}

func (a *decPick) emit(alloc memory.Allocator, from, to int) arrow.Array {
	return fixedArray(alloc, a.dt, a.vals[from:to], a.has[from:to])
}

func (a *decPick) size() int64 { return int64(17 * cap(a.vals)) }

// boolPick keeps a BOOLEAN per group: MIN is AND, MAX is OR.
type boolPick struct {
	kind pickKind
	vals []bool
	has  []bool
}

func (a *boolPick) grow(n int) { a.vals, a.has = growTo(a.vals, n), growTo(a.has, n) }

func (a *boolPick) update(r *aggRows, arg arrow.Array) {
	bits, off := arg.Data().Buffers()[1].Bytes(), arg.Data().Offset()
	for k, n := 0, r.count(); k < n; k++ {
		i := r.at(k)
		g := r.group(i)
		v := bitutil.BitIsSet(bits, off+i)
		switch {
		case !a.has[g], a.kind == pickLast, a.kind == pickMin && !v, a.kind == pickMax && v:
			a.vals[g], a.has[g] = v, true
		}
	}
}

func (a *boolPick) emit(alloc memory.Allocator, from, to int) arrow.Array {
	return boolArray(alloc, a.vals[from:to], a.has[from:to])
}

func (a *boolPick) size() int64 { return int64(2 * cap(a.vals)) }

// bytesPick keeps a STRING or BINARY per group, each in its own buffer
// (reused when a later value replaces it).
type bytesPick struct {
	kind  pickKind
	dt    arrow.DataType
	vals  [][]byte
	has   []bool
	bytes int64
}

func (a *bytesPick) grow(n int) { a.vals, a.has = growTo(a.vals, n), growTo(a.has, n) }

func (a *bytesPick) update(r *aggRows, arg arrow.Array) {
	offs, data := varlen(arg)
	for k, n := 0, r.count(); k < n; k++ {
		i := r.at(k)
		g := r.group(i)
		v := data[offs[i]:offs[i+1]]
		switch {
		case !a.has[g], a.kind == pickLast,
			a.kind == pickMin && bytes.Compare(v, a.vals[g]) < 0,
			a.kind == pickMax && bytes.Compare(v, a.vals[g]) > 0:
			old := cap(a.vals[g])
			a.vals[g] = append(a.vals[g][:0], v...)
			a.has[g] = true
			a.bytes += int64(cap(a.vals[g]) - old)
		}
	}
}

func (a *bytesPick) emit(alloc memory.Allocator, from, to int) arrow.Array {
	return varlenArray(alloc, a.dt, a.vals[from:to], a.has[from:to])
}

func (a *bytesPick) size() int64 { return a.bytes + int64(25*cap(a.vals)) }
