package expr

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// pow10i64[n] is 10^n for the n whose power fits in an int64.
var pow10i64 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// dec64 is decArith's fast path, for + - * % when both operands, every
// intermediate value and the result fit in an int64 (nearly always for
// table data): the same HALF_UP result as the big.Int path without its
// allocations. ok is false when the slow path must decide (overflow, a
// result over the precision, % by zero).
func dec64(op string, x, y decimal128.Num, s1, s2, rs, precision int32) (v int64, ok bool) {
	a, okA := num64(x)
	b, okB := num64(y)
	if !okA || !okB {
		return 0, false
	}
	var scale int32
	switch op {
	case "+", "-", "%":
		scale = max(s1, s2)
		if a, ok = mul64(a, scale-s1); !ok {
			return 0, false
		}
		if b, ok = mul64(b, scale-s2); !ok {
			return 0, false
		}
		switch op {
		case "+":
			v = a + b
			if (v > a) != (b > 0) {
				return 0, false
			}
		case "-":
			v = a - b
			if (v < a) != (b > 0) {
				return 0, false
			}
		default:
			if b == 0 {
				return 0, false
			}
			v = a % b // truncated, like big.Int.Rem; MinInt64 % -1 is 0 in Go
		}
	case "*":
		if a != 0 && b != 0 {
			v = a * b
			if v/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
				return 0, false
			}
		}
		scale = s1 + s2
	default:
		return 0, false
	}
	if v, ok = rescale64(v, scale, rs); !ok {
		return 0, false
	}
	if precision < 19 && (v >= pow10i64[precision] || v <= -pow10i64[precision]) {
		return 0, false
	}
	return v, true
}

// num64 is n as an int64, if it fits.
func num64(n decimal128.Num) (int64, bool) {
	lo := int64(n.LowBits())
	return lo, n.HighBits() == lo>>63
}

// mul64 multiplies v by 10^k, reporting overflow.
func mul64(v int64, k int32) (int64, bool) {
	if k == 0 || v == 0 {
		return v, true
	}
	if k < 0 || k >= int32(len(pow10i64)) {
		return 0, false
	}
	p := pow10i64[k]
	r := v * p
	return r, r/p == v
}

// rescale64 is roundBig on an int64: from scale `from` to `to`, HALF_UP.
func rescale64(v int64, from, to int32) (int64, bool) {
	if to >= from {
		return mul64(v, to-from)
	}
	if from-to >= int32(len(pow10i64)) || v == math.MinInt64 {
		return 0, false
	}
	d := pow10i64[from-to]
	q, m := v/d, v%d
	if m < 0 {
		m = -m
	}
	if m >= d-m { // 2|m| >= d without overflow
		if v < 0 {
			q--
		} else {
			q++
		}
	}
	return q, true
}
