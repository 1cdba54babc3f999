package exec

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// varAcc is VAR_POP, VAR_SAMP, STDDEV_POP and STDDEV_SAMP: count, mean and
// sum of squared deviations per group, updated one value at a time
// (Welford's method, which does not cancel catastrophically as the sum of
// squares does). The result is computed in DOUBLE and converted to the
// result type: integers truncate toward zero, decimals round half up.
type varAcc struct {
	samp, sqrt bool
	in, out    arrow.DataType
	counts     []int64
	means, m2s []float64
}

func newVarAcc(fn string, in, out arrow.DataType) (accumulator, error) {
	switch in.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128:
	default:
		return nil, fmt.Errorf("BUG: no %s for %s", fn, in)
	}
	return &varAcc{
		samp: fn == "VAR_SAMP" || fn == "STDDEV_SAMP",
		sqrt: fn == "STDDEV_POP" || fn == "STDDEV_SAMP",
		in:   in, out: out,
	}, nil
}

func (a *varAcc) grow(n int) {
	a.counts, a.means, a.m2s = growTo(a.counts, n), growTo(a.means, n), growTo(a.m2s, n)
}

func (a *varAcc) update(r *aggRows, arg arrow.Array) {
	switch a.in.ID() {
	case arrow.INT8:
		welford(a, r, arrow.GetValues[int8](arg.Data(), 1))
	case arrow.INT16:
		welford(a, r, arrow.GetValues[int16](arg.Data(), 1))
	case arrow.INT32:
		welford(a, r, arrow.GetValues[int32](arg.Data(), 1))
	case arrow.INT64:
		welford(a, r, arrow.GetValues[int64](arg.Data(), 1))
	case arrow.FLOAT32:
		welford(a, r, arrow.GetValues[float32](arg.Data(), 1))
	case arrow.FLOAT64:
		welford(a, r, arrow.GetValues[float64](arg.Data(), 1))
	case arrow.DECIMAL128:
		scale := a.in.(*arrow.Decimal128Type).Scale
		vals := arrow.GetValues[decimal128.Num](arg.Data(), 1)
		for k, n := 0, r.count(); k < n; k++ {
			i := r.at(k)
			a.add(r.group(i), vals[i].ToFloat64(scale))
		}
	}
}

func welford[T int8 | int16 | int32 | int64 | float32 | float64](a *varAcc, r *aggRows, vals []T) {
	for k, n := 0, r.count(); k < n; k++ {
		i := r.at(k)
		a.add(r.group(i), float64(vals[i]))
	}
}

func (a *varAcc) add(g uint32, x float64) {
	a.counts[g]++
	d := x - a.means[g]
	a.means[g] += d / float64(a.counts[g])
	a.m2s[g] += d * (x - a.means[g])
}

func (a *varAcc) emit(alloc memory.Allocator, from, to int) arrow.Array {
	vals := make([]float64, to-from)
	valid := make([]bool, to-from)
	for i := range vals {
		c := a.counts[from+i]
		if c == 0 || a.samp && c == 1 {
			continue // Flink: NULL without values, and VAR_SAMP of one value
		}
		d := float64(c)
		if a.samp {
			d--
		}
		v := max(a.m2s[from+i]/d, 0)
		if a.sqrt {
			v = math.Sqrt(v)
		}
		vals[i], valid[i] = v, true
	}
	switch a.out.ID() {
	case arrow.INT8:
		return fixedArray(alloc, a.out, truncTo[int8](vals), valid)
	case arrow.INT16:
		return fixedArray(alloc, a.out, truncTo[int16](vals), valid)
	case arrow.INT32:
		return fixedArray(alloc, a.out, truncTo[int32](vals), valid)
	case arrow.INT64:
		return fixedArray(alloc, a.out, truncTo[int64](vals), valid)
	case arrow.FLOAT32:
		return fixedArray(alloc, a.out, truncTo[float32](vals), valid)
	case arrow.DECIMAL128:
		t := a.out.(*arrow.Decimal128Type)
		out := make([]decimal128.Num, len(vals))
		for i, v := range vals {
			if valid[i] {
				out[i], _ = decimal128.FromFloat64(v, t.Precision, t.Scale)
			}
		}
		return fixedArray(alloc, a.out, out, valid)
	}
	return fixedArray(alloc, a.out, vals, valid)
}

func truncTo[T int8 | int16 | int32 | int64 | float32](vals []float64) []T {
	out := make([]T, len(vals))
	for i, v := range vals {
		out[i] = T(v)
	}
	return out
}

func (a *varAcc) size() int64 { return int64(24 * cap(a.counts)) }
