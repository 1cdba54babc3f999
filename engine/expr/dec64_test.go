package expr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// TestDec64MatchesBig checks the int64 fast path against the big.Int path:
// wherever it answers, the value is the same, over random operands near the
// edges of int64 and of the precision, every operator and scale mix.
func TestDec64MatchesBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	operand := func() decimal128.Num {
		switch rng.IntN(6) {
		case 0:
			return decimal128.FromI64(rng.Int64())
		case 1:
			return decimal128.FromI64(-rng.Int64())
		case 2:
			return decimal128.FromI64([]int64{0, 1, -1, 5, -5, math.MaxInt64, math.MinInt64, 50, -50}[rng.IntN(9)])
		case 3:
			return decimal128.New(rng.Int64N(3)-1, rng.Uint64()) // beyond int64 sometimes
		}
		return decimal128.FromI64(rng.Int64N(20_000_000) - 10_000_000)
	}
	var fast, total int
	for range 200_000 {
		op := []string{"+", "-", "*", "%"}[rng.IntN(4)]
		s1, s2 := int32(rng.IntN(8)), int32(rng.IntN(8))
		rs := max(s1, s2)
		if op == "*" {
			rs = s1 + s2 - int32(rng.IntN(3)) // a capped result scale rounds
		}
		prec := int32(rng.IntN(38) + 1)
		x, y := operand(), operand()
		total++
		v, ok := dec64(op, x, y, s1, s2, rs, prec)
		if !ok {
			continue
		}
		fast++
		want, valid, err := decBig(op, x, y, s1, s2, rs, pow10(prec))
		if err != nil || !valid || want != decimal128.FromI64(v) {
			t.Fatalf("%s %s %s (scales %d %d -> %d, precision %d): fast %d, big %s valid %v err %v",
				x.BigInt(), op, y.BigInt(), s1, s2, rs, prec, v, want.BigInt(), valid, err)
		}
	}
	if fast < total/4 {
		t.Fatalf("the fast path answered %d of %d", fast, total)
	}
}
