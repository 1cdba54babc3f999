package expr

import (
	"errors"
	"math"
	"math/big"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Arithmetic follows Flink (Java) semantics:
//   - Integer + - * wrap on overflow (two's complement), as Java int/long
//     arithmetic does in Flink's generated code; DuckDB would raise instead.
//   - Integer / truncates toward zero and keeps the integer type (INT / INT is
//     INT); integer / 0 and % 0 fail the query ("division by zero"), as Java's
//     ArithmeticException does. FLOAT/DOUBLE follow IEEE: x / 0 is ±Infinity
//     or NaN.
//   - % is MOD: the sign of the result is the dividend's (Java %).
//   - DECIMAL uses Flink's result types (LogicalTypeMerging): + -: scale
//     max(s1, s2), precision max(p1-s1, p2-s2)+scale+1; *: p1+p2, s1+s2;
//     /: scale max(6, s1+p2+1), precision p1-s1+s2+scale; %: scale max(s1,
//     s2), precision min(p1-s1, p2-s2)+scale; all capped at 38 keeping at
//     least min(scale, 6) digits. Rounding is HALF_UP; a result that does
//     not fit is NULL, as in Flink. Decimal / 0 fails the query.
//   - An exact type with FLOAT/DOUBLE computes in DOUBLE (FLOAT with
//     integers stays FLOAT).

var errDivZero = errors.New("division by zero")

func init() {
	for _, op := range []string{"+", "-", "*", "/", "%"} {
		register(&funcDef{name: op, min: 2, max: 2, resolve: arithResolve(op), hidden: true})
	}
	register(&funcDef{name: "NEG", min: 1, max: 1, resolve: negResolve, hidden: true})
	register(custom("MOD", 2, 2, arithResolve("%")))
}

var arrowArith = map[string]string{"+": "add_unchecked", "-": "subtract_unchecked", "*": "multiply_unchecked", "/": "divide_unchecked"}

func arithResolve(op string) func(args []Expr) (*Func, []Expr, error) {
	name := op
	return func(args []Expr) (*Func, []Expr, error) {
		a, b := args[0], args[1]
		ta, tb := a.Type(), b.Type()
		if isNull(ta) && isNull(tb) {
			ta, tb = tI32, tI32
		} else if isNull(ta) {
			ta = tb
		} else if isNull(tb) {
			tb = ta
		}
		ta, tb = canonical(ta), canonical(tb)
		mk := func(result arrow.DataType, pa, pb arrow.DataType, eval evalFn) (*Func, []Expr, error) {
			return binFunc(name, result, eval), []Expr{coerce(a, pa), coerce(b, pb)}, nil
		}
		switch {
		case isNumeric(ta) && isNumeric(tb):
			t, _ := CommonType(ta, tb)
			if isDec(t) {
				pa, pb := decOfType(ta), decOfType(tb)
				rt := decResultType(op, pa, pb)
				return mk(rt, pa, pb, decArith(op, pa, pb, rt))
			}
			if op == "%" {
				return mk(t, t, t, modEval(t))
			}
			return mk(t, t, t, arrowBinary(arrowArith[op]))
		case op == "+" || op == "-":
			return temporalArith(name, op, a, b, ta, tb)
		}
		return nil, nil, errArgTypes(name, args)
	}
}

func decOfType(t arrow.DataType) *arrow.Decimal128Type {
	p, s := decOf(t)
	return &arrow.Decimal128Type{Precision: p, Scale: s}
}

func decResultType(op string, a, b *arrow.Decimal128Type) *arrow.Decimal128Type {
	p1, s1, p2, s2 := a.Precision, a.Scale, b.Precision, b.Scale
	var p, s int32
	switch op {
	case "+", "-":
		s = max(s1, s2)
		p = max(p1-s1, p2-s2) + s + 1
	case "*":
		p, s = p1+p2, s1+s2
	case "/":
		s = max(6, s1+p2+1)
		p = p1 - s1 + s2 + s
	case "%":
		s = max(s1, s2)
		p = min(p1-s1, p2-s2) + s
	}
	p, s = adjustDec(p, s)
	return &arrow.Decimal128Type{Precision: max(p, 1), Scale: s}
}

var bigTen = big.NewInt(10)

func pow10(n int32) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil) }

// decArith computes exactly (in int64 when everything fits, with big
// integers otherwise), then rounds HALF_UP to the result scale; results
// beyond the precision are NULL.
func decArith(op string, ta, tb, rt *arrow.Decimal128Type) evalFn {
	s1, s2, rs := ta.Scale, tb.Scale, rt.Scale
	limit := pow10(rt.Precision)
	return rowFixed[decimal128.Num](rt, true, func(r *rows, i int) (decimal128.Num, bool, error) {
		x, y := r.dec(0, i), r.dec(1, i)
		// Fast path: int64 arithmetic.
		if v, ok := dec64(op, x, y, s1, s2, rs, rt.Precision); ok {
			return decimal128.FromI64(v), true, nil
		}
		return decBig(op, x, y, s1, s2, rs, limit)
	})
}

// decBig is decArith's slow path, with big integers; limit is 10^precision.
func decBig(op string, x, y decimal128.Num, s1, s2, rs int32, limit *big.Int) (decimal128.Num, bool, error) {
	a, b := x.BigInt(), y.BigInt()
	var v *big.Int
	var scale int32
	switch op {
	case "+", "-", "%":
		scale = max(s1, s2)
		a.Mul(a, pow10(scale-s1))
		b.Mul(b, pow10(scale-s2))
		switch op {
		case "+":
			v = a.Add(a, b)
		case "-":
			v = a.Sub(a, b)
		default:
			if b.Sign() == 0 {
				return decimal128.Num{}, false, errDivZero
			}
			v = a.Rem(a, b)
		}
	case "*":
		v, scale = a.Mul(a, b), s1+s2
	case "/":
		if b.Sign() == 0 {
			return decimal128.Num{}, false, errDivZero
		}
		// a/10^s1 / (b/10^s2) at scale rs+1, then round the extra digit.
		shift := rs + 1 - s1 + s2
		if shift >= 0 {
			a.Mul(a, pow10(shift))
		} else {
			b.Mul(b, pow10(-shift))
		}
		v, scale = a.Quo(a, b), rs+1
	}
	v = roundBig(v, scale, rs)
	if new(big.Int).Abs(v).Cmp(limit) >= 0 {
		return decimal128.Num{}, false, nil
	}
	return decimal128.FromBigInt(v), true, nil
}

// roundBig rescales v from scale to scale `to`, rounding HALF_UP.
func roundBig(v *big.Int, from, to int32) *big.Int {
	if to >= from {
		return v.Mul(v, pow10(to-from))
	}
	d := pow10(from - to)
	q, m := new(big.Int).QuoRem(v, d, new(big.Int))
	m.Abs(m).Mul(m, big.NewInt(2))
	if m.Cmp(d) >= 0 {
		if v.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// arrowBinary calls an arrow-go arithmetic kernel; integer division by zero
// is reported as Flink words it.
func arrowBinary(name string) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		a, err := callCompute(ctx, name, nil, args, n)
		if err != nil && strings.Contains(err.Error(), "divide by zero") {
			return nil, errDivZero
		}
		return a, err
	}
}

func modEval(t arrow.DataType) evalFn {
	switch t.ID() {
	case arrow.FLOAT32:
		return rowFixed[float32](t, true, func(r *rows, i int) (float32, bool, error) {
			return float32(math.Mod(r.f64(0, i), r.f64(1, i))), true, nil
		})
	case arrow.FLOAT64:
		return rowFixed[float64](t, true, func(r *rows, i int) (float64, bool, error) {
			return math.Mod(r.f64(0, i), r.f64(1, i)), true, nil
		})
	}
	mod := func(r *rows, i int) (int64, bool, error) {
		b := r.int(1, i)
		if b == 0 {
			return 0, false, errDivZero
		}
		if b == -1 {
			return 0, true, nil // MinInt % -1 is 0 in Java
		}
		return r.int(0, i) % b, true, nil
	}
	switch t.ID() {
	case arrow.INT8:
		return modByConst[int8](t, rowFixed[int8](t, true, narrow[int8](mod)))
	case arrow.INT16:
		return modByConst[int16](t, rowFixed[int16](t, true, narrow[int16](mod)))
	case arrow.INT32:
		return modByConst[int32](t, rowFixed[int32](t, true, narrow[int32](mod)))
	}
	return modByConst[int64](t, rowFixed[int64](t, true, mod))
}

// modByConst is integer MOD with a fast path for the common "col % k"
// (sampling, bucketing): a column without NULLs and a constant other than 0
// and -1 take one loop with no per-row calls; anything else goes to slow.
func modByConst[T int8 | int16 | int32 | int64](t arrow.DataType, slow evalFn) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		x, y := args[0], args[1]
		if x.Array == nil || x.Array.NullN() > 0 || y.Scalar == nil || !y.Scalar.IsValid() ||
			x.Array.DataType().ID() != t.ID() || y.Scalar.DataType().ID() != t.ID() {
			return slow(ctx, args, n)
		}
		a, b := rdFixed[T](x), rdFixed[T](y)
		if b.sv == 0 || b.sv == -1 || len(a.vals) < n {
			return slow(ctx, args, n)
		}
		out := newFixedOut[T](ctx, t, n)
		for i, v := range a.vals[:n] {
			out.vals[i] = v % b.sv
		}
		return out.finish(), nil
	}
}

func negResolve(args []Expr) (*Func, []Expr, error) {
	a := coerceCanonical(args[0])
	t := a.Type()
	f := &Func{Name: "NEG", Result: t, NullOnNull: true, Deterministic: true}
	switch {
	case isInt(t) || isFloat(t):
		f.Eval = arrowBinary("negate_unchecked")
	case isDec(t):
		f.Eval = rowFixed[decimal128.Num](t, true, func(r *rows, i int) (decimal128.Num, bool, error) {
			return r.dec(0, i).Negate(), true, nil
		})
	case t.ID() == arrow.DURATION:
		f.Eval = rowFixed[int64](t, true, func(r *rows, i int) (int64, bool, error) { return -r.int(0, i), true, nil })
	case t.ID() == arrow.INTERVAL_MONTHS:
		f.Eval = rowFixed[int32](t, true, func(r *rows, i int) (int32, bool, error) {
			return -r.args[0].i32.at(i), true, nil
		})
	case isNull(t):
		f.Result = tI32
		return f.withEval(func(ctx *EvalContext, _ []Datum, n int) (arrow.Array, error) {
			return nullArray(ctx, tI32, n), nil
		}), []Expr{coerce(a, tI32)}, nil
	default:
		return nil, nil, errArgTypes("-", args)
	}
	return f, []Expr{a}, nil
}

func (f *Func) withEval(e evalFn) *Func { f.Eval = e; return f }

// temporalArith handles TIMESTAMP/DATE ± INTERVAL and INTERVAL ± INTERVAL.
// Day-time intervals are Arrow durations, year-month intervals Arrow month
// intervals (the binder's mapping of INTERVAL literals).
func temporalArith(name, op string, a, b Expr, ta, tb arrow.DataType) (*Func, []Expr, error) {
	mk := func(result arrow.DataType, pa, pb arrow.DataType, eval evalFn) (*Func, []Expr, error) {
		return binFunc(name, result, eval), []Expr{coerce(a, pa), coerce(b, pb)}, nil
	}
	isDur := func(t arrow.DataType) bool { return t.ID() == arrow.DURATION }
	isMon := func(t arrow.DataType) bool { return t.ID() == arrow.INTERVAL_MONTHS }
	sign := int64(1)
	if op == "-" {
		sign = -1
	}
	// interval + temporal: swap so the temporal value comes first.
	if op == "+" && (isDur(ta) || isMon(ta)) && (isTS(tb) || isDate(tb)) {
		f, out, err := temporalArith(name, op, b, a, tb, ta)
		if err != nil {
			return nil, nil, err
		}
		f.Eval = swapArgs(f.Eval)
		return f, []Expr{out[1], out[0]}, nil
	}
	switch {
	case isTS(ta) && isDur(tb):
		return mk(ta, ta, tDur, rowFixed[int64](ta, true, func(r *rows, i int) (int64, bool, error) {
			return r.int(0, i) + sign*r.int(1, i), true, nil
		}))
	case isDate(ta) && isDur(tb):
		return mk(tDate, tDate, tDur, rowFixed[int32](tDate, true, func(r *rows, i int) (int32, bool, error) {
			return int32(r.int(0, i) + sign*(r.int(1, i)/usPerDay)), true, nil
		}))
	case isTS(ta) && isMon(tb):
		return mk(ta, ta, tMon, rowFixed[int64](ta, true, func(r *rows, i int) (int64, bool, error) {
			return addMonthsMicros(r.int(0, i), sign*int64(r.args[1].i32.at(i))), true, nil
		}))
	case isDate(ta) && isMon(tb):
		return mk(tDate, tDate, tMon, rowFixed[int32](tDate, true, func(r *rows, i int) (int32, bool, error) {
			return int32(addMonthsMicros(r.int(0, i)*usPerDay, sign*int64(r.args[1].i32.at(i))) / usPerDay), true, nil
		}))
	case isDur(ta) && isDur(tb):
		return mk(tDur, tDur, tDur, rowFixed[int64](tDur, true, func(r *rows, i int) (int64, bool, error) {
			return r.int(0, i) + sign*r.int(1, i), true, nil
		}))
	case isMon(ta) && isMon(tb):
		return mk(tMon, tMon, tMon, rowFixed[int32](tMon, true, func(r *rows, i int) (int32, bool, error) {
			return r.args[0].i32.at(i) + int32(sign)*r.args[1].i32.at(i), true, nil
		}))
	}
	return nil, nil, errArgTypes(name, []Expr{a, b})
}

func swapArgs(e evalFn) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		return e(ctx, []Datum{args[1], args[0]}, n)
	}
}

func binFunc(name string, result arrow.DataType, eval evalFn) *Func {
	return &Func{Name: name, Result: result, NullOnNull: true, Deterministic: true, Eval: eval}
}
