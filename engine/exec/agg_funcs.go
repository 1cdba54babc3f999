package exec

import (
	"fmt"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// An accumulator holds one aggregate's state for every group, column-wise
// (a []int64 of counts indexed by group id, …). The hash aggregate calls it
// once per batch, never per row; its loops run over typed slices.
type accumulator interface {
	// grow makes room for groups 0..n-1; new groups are empty.
	grow(n int)
	// update folds the rows r selects into their groups. The rows have a
	// non-NULL argument that passed the call's FILTER (and are the first of
	// their value in their group for DISTINCT); arg is nil for COUNT(*).
	update(r *aggRows, arg arrow.Array)
	// emit builds the results of groups [from, to).
	emit(alloc memory.Allocator, from, to int) arrow.Array
	// size is the bytes of state held.
	size() int64
}

// aggRows is the part of a batch an accumulator folds.
type aggRows struct {
	groups []uint32 // each row's group; nil: every row is group 0
	sel    []int32  // the rows to fold, ascending; nil: all n
	n      int
}

// count is the number of rows to fold.
func (r *aggRows) count() int {
	if r.sel == nil {
		return r.n
	}
	return len(r.sel)
}

// at is the k-th row to fold.
func (r *aggRows) at(k int) int {
	if r.sel == nil {
		return k
	}
	return int(r.sel[k])
}

// group is row i's group.
func (r *aggRows) group(i int) uint32 {
	if r.groups == nil {
		return 0
	}
	return r.groups[i]
}

// newAccumulator returns the state of one aggregate call.
func newAccumulator(s *AggSpec) (accumulator, error) {
	t := s.ArgType
	switch s.Func {
	case "COUNT":
		return &countAcc{}, nil
	case "APPROX_COUNT_DISTINCT":
		return &hllAcc{}, nil
	case "SUM", "AVG":
		avg := s.Func == "AVG"
		switch t.ID() {
		case arrow.INT8:
			return &numSum[int8, int64]{dt: s.Type, avg: avg}, nil
		case arrow.INT16:
			return &numSum[int16, int64]{dt: s.Type, avg: avg}, nil
		case arrow.INT32:
			return &numSum[int32, int64]{dt: s.Type, avg: avg}, nil
		case arrow.INT64:
			return &numSum[int64, int64]{dt: s.Type, avg: avg}, nil
		case arrow.FLOAT32:
			return &numSum[float32, float64]{dt: s.Type, avg: avg}, nil
		case arrow.FLOAT64:
			return &numSum[float64, float64]{dt: s.Type, avg: avg}, nil
		case arrow.DECIMAL128:
			return &decSum{in: t.(*arrow.Decimal128Type), out: s.Type.(*arrow.Decimal128Type), avg: avg}, nil
		}
	case "MIN", "MAX", "FIRST_VALUE", "LAST_VALUE":
		return newPick(pickKinds[s.Func], t)
	case "STDDEV_POP", "STDDEV_SAMP", "VAR_POP", "VAR_SAMP":
		return newVarAcc(s.Func, t, s.Type)
	case "LISTAGG":
		if t.ID() == arrow.STRING {
			return &listAgg{sep: []byte(s.Sep)}, nil
		}
	}
	return nil, fmt.Errorf("BUG: no accumulator for %s(%s)", s.Func, t)
}

// countAcc is COUNT(*) and COUNT(x): the rows folded per group.
type countAcc struct{ counts []int64 }

func (a *countAcc) grow(n int) { a.counts = growTo(a.counts, n) }

func (a *countAcc) update(r *aggRows, _ arrow.Array) {
	if r.groups == nil {
		// Fast path: one group.
		a.counts[0] += int64(r.count())
		return
	}
	if r.sel == nil {
		for _, g := range r.groups[:r.n] {
			a.counts[g]++
		}
		return
	}
	for _, i := range r.sel {
		a.counts[r.groups[i]]++
	}
}

func (a *countAcc) emit(alloc memory.Allocator, from, to int) arrow.Array {
	return fixedArray(alloc, arrow.PrimitiveTypes.Int64, a.counts[from:to], nil)
}

func (a *countAcc) size() int64 { return int64(8 * cap(a.counts)) }

// numSum is SUM and AVG over a numeric type T, summed in A: BIGINT for
// integers, DOUBLE for FLOAT and DOUBLE. SUM returns T (integers wrap on
// overflow, as Flink's SUM of INT does); AVG returns T too, the sum divided
// by the count in A (Flink: AVG of integers is integer division).
type numSum[T int8 | int16 | int32 | int64 | float32 | float64, A int64 | float64] struct {
	dt     arrow.DataType
	avg    bool
	sums   []A
	counts []int64
}

func (a *numSum[T, A]) grow(n int) {
	a.sums, a.counts = growTo(a.sums, n), growTo(a.counts, n)
}

func (a *numSum[T, A]) update(r *aggRows, arg arrow.Array) {
	vals := arrow.GetValues[T](arg.Data(), 1)
	switch {
	case r.groups == nil:
		// Fast path: one group.
		var s A
		if r.sel == nil {
			for _, v := range vals {
				s += A(v)
			}
		} else {
			for _, i := range r.sel {
				s += A(vals[i])
			}
		}
		a.sums[0] += s
		a.counts[0] += int64(r.count())
	case r.sel == nil:
		groups := r.groups[:len(vals)]
		for i, v := range vals {
			g := groups[i]
			a.sums[g] += A(v)
			a.counts[g]++
		}
	default:
		for _, i := range r.sel {
			g := r.groups[i]
			a.sums[g] += A(vals[i])
			a.counts[g]++
		}
	}
}

func (a *numSum[T, A]) emit(alloc memory.Allocator, from, to int) arrow.Array {
	out := make([]T, to-from)
	valid := make([]bool, to-from)
	for i := range out {
		c := a.counts[from+i]
		if c == 0 {
			continue
		}
		valid[i] = true
		if a.avg {
			out[i] = T(a.sums[from+i] / A(c))
		} else {
			out[i] = T(a.sums[from+i])
		}
	}
	return fixedArray(alloc, a.dt, out, valid)
}

func (a *numSum[T, A]) size() int64 { return int64(8*cap(a.sums) + 8*cap(a.counts)) }

// decSum is SUM and AVG over DECIMAL(p, s): summed exactly in 128 bits at
// scale s. SUM returns DECIMAL(38, s); AVG returns DECIMAL(38, max(6, s)),
// rounded half up.
type decSum struct {
	in, out *arrow.Decimal128Type
	avg     bool
	sums    []decimal128.Num
	counts  []int64
}

func (a *decSum) grow(n int) {
	a.sums, a.counts = growTo(a.sums, n), growTo(a.counts, n)
}

func (a *decSum) update(r *aggRows, arg arrow.Array) {
	vals := arrow.GetValues[decimal128.Num](arg.Data(), 1)
	for k, n := 0, r.count(); k < n; k++ {
		i := r.at(k)
		g := r.group(i)
		a.sums[g] = a.sums[g].Add(vals[i])
		a.counts[g]++
	}
}

func (a *decSum) emit(alloc memory.Allocator, from, to int) arrow.Array {
	out := make([]decimal128.Num, to-from)
	valid := make([]bool, to-from)
	for i := range out {
		c := a.counts[from+i]
		if c == 0 {
			continue
		}
		valid[i] = true
		if !a.avg {
			out[i] = a.sums[from+i]
			continue
		}
		out[i] = decAvg(a.sums[from+i], c, a.out.Scale-a.in.Scale)
	}
	return fixedArray(alloc, a.out, out, valid)
}

// decAvg is sum / count at up more digits of scale, rounded half up.
func decAvg(sum decimal128.Num, count int64, up int32) decimal128.Num {
	n := sum.BigInt()
	n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(up)), nil))
	c := big.NewInt(count)
	q, m := new(big.Int).QuoRem(n, c, new(big.Int))
	m.Abs(m).Mul(m, big.NewInt(2))
	if m.Cmp(c) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return decimal128.FromBigInt(q)
}

func (a *decSum) size() int64 { return int64(16*cap(a.sums) + 8*cap(a.counts)) }

// growTo extends s with zero values to length n, doubling capacity.
func growTo[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	out := make([]T, n, max(n, 2*cap(s), 16))
	copy(out, s)
	return out
}
