package exec

import (
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// APPROX_COUNT_DISTINCT estimates distinct values with a HyperLogLog
// sketch per group (Flajolet, Fusy, Gandouet, Meunier 2007) of 2^14
// registers (about 0.8% standard error), with two refinements from
// HyperLogLog++ (Heule, Nunkesser, Hall 2013): a group's first hllSmall
// distinct hashes are kept exactly (so small groups are counted exactly
// and cost a few bytes, not 16 KiB), and small estimates use linear
// counting. The 64-bit hash is deterministic, so estimates repeat.

const (
	hllP     = 14
	hllM     = 1 << hllP
	hllSmall = 64
)

// hllSketch is one group's sketch: exact hashes until hllSmall, then
// registers.
type hllSketch struct {
	small []uint64
	regs  []uint8 // nil until dense
}

func (s *hllSketch) add(h uint64) (grown int64) {
	if s.regs != nil {
		s.addDense(h)
		return 0
	}
	for _, x := range s.small {
		if x == h {
			return 0
		}
	}
	if len(s.small) < hllSmall {
		old := cap(s.small)
		s.small = append(s.small, h)
		return int64(8 * (cap(s.small) - old))
	}
	s.regs = make([]uint8, hllM)
	for _, x := range s.small {
		s.addDense(x)
	}
	s.addDense(h)
	freed := int64(8 * cap(s.small))
	s.small = nil
	return hllM - freed
}

func (s *hllSketch) addDense(h uint64) {
	idx := h >> (64 - hllP)
	// The rank of the first 1 bit after the index bits; the sentinel bit
	// caps it at 64-p+1.
	rho := uint8(bits.LeadingZeros64(h<<hllP|1<<(hllP-1)) + 1)
	if rho > s.regs[idx] {
		s.regs[idx] = rho
	}
}

func (s *hllSketch) estimate() int64 {
	if s.regs == nil {
		return int64(len(s.small))
	}
	sum, zeros := 0.0, 0
	for _, r := range s.regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	m := float64(hllM)
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros)) // linear counting
	}
	return int64(math.Round(e))
}

// hllAcc is APPROX_COUNT_DISTINCT: BIGINT, never NULL (0 without values).
type hllAcc struct {
	sketches []hllSketch
	enc      rowEncoder
	bytes    int64
}

func (a *hllAcc) grow(n int) { a.sketches = growTo(a.sketches, n) }

func (a *hllAcc) update(r *aggRows, arg arrow.Array) {
	a.enc.encode([]arrow.Array{arg}, r.n)
	for k, n := 0, r.count(); k < n; k++ {
		i := r.at(k)
		a.bytes += a.sketches[r.group(i)].add(hashBytes(a.enc.row(i)))
	}
}

func (a *hllAcc) emit(alloc memory.Allocator, from, to int) arrow.Array {
	out := make([]int64, to-from)
	for i := range out {
		out[i] = a.sketches[from+i].estimate()
	}
	return fixedArray(alloc, arrow.PrimitiveTypes.Int64, out, nil)
}

func (a *hllAcc) size() int64 { return a.bytes + int64(48*cap(a.sketches)) + a.enc.size() }
