package expr

import (
	"encoding/hex"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// Math functions. DOUBLE functions follow java.lang.Math (NaN for a domain
// error such as LN(-1), no error); ABS, SIGN, CEIL, FLOOR, ROUND and
// TRUNCATE keep exact types exact. ABS(MIN_VALUE) wraps as Math.abs does.

func f64Func(f func(float64) float64) sig {
	return fn(tF64, rowFixed[float64](tF64, true, func(r *rows, i int) (float64, bool, error) {
		return f(r.f64(0, i)), true, nil
	}), tF64)
}

func f64Func2(f func(a, b float64) float64) sig {
	return fn(tF64, rowFixed[float64](tF64, true, func(r *rows, i int) (float64, bool, error) {
		return f(r.f64(0, i), r.f64(1, i)), true, nil
	}), tF64, tF64)
}

func init() {
	for name, f := range map[string]func(float64) float64{
		"SQRT": math.Sqrt, "EXP": math.Exp, "LN": math.Log, "LOG10": math.Log10, "LOG2": math.Log2,
		"SIN": math.Sin, "COS": math.Cos, "TAN": math.Tan, "ASIN": math.Asin, "ACOS": math.Acos,
		"ATAN": math.Atan, "SINH": math.Sinh, "COSH": math.Cosh, "TANH": math.Tanh,
		"COT":     func(x float64) float64 { return 1 / math.Tan(x) },
		"DEGREES": func(x float64) float64 { return x * 180 / math.Pi },
		"RADIANS": func(x float64) float64 { return x / 180 * math.Pi },
		"CBRT":    math.Cbrt,
	} {
		register(def(name, f64Func(f)))
	}
	register(def("POWER", f64Func2(math.Pow)), "POW")
	register(def("ATAN2", f64Func2(math.Atan2)))
	// LOG(x) is the natural log; LOG(base, x) = ln(x) / ln(base).
	register(def("LOG", f64Func2(func(b, x float64) float64 { return math.Log(x) / math.Log(b) }), f64Func(math.Log)))
	register(def("PI", fn(tF64, constF64(math.Pi))))
	register(def("E", fn(tF64, constF64(math.E))))
	register(def("RAND", fn(tF64, randEval).nonDet(), fn(tF64, randEval, tI32).nonDet()))
	register(def("RAND_INTEGER", fn(tI32, randIntEval, tI32).nonDet(), fn(tI32, randIntEval, tI32, tI32).nonDet()))
	register(custom("ABS", 1, 1, numResolve("ABS", absEval)))
	register(custom("SIGN", 1, 1, numResolve("SIGN", signEval)))
	register(custom("CEIL", 1, 2, roundingResolve("CEIL")), "CEILING")
	register(custom("FLOOR", 1, 2, roundingResolve("FLOOR")))
	register(custom("ROUND", 1, 2, roundingResolve("ROUND")))
	register(custom("TRUNCATE", 1, 2, roundingResolve("TRUNCATE")))
	register(def("BIN", fn(tStr, rowStr(true, func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		return strconv.AppendUint(dst, uint64(r.int(0, i)), 2), true, nil
	}), tI64)))
	register(def("HEX",
		fn(tStr, rowStr(true, func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return append(dst, strings.ToUpper(strconv.FormatUint(uint64(r.int(0, i)), 16))...), true, nil
		}), tI64),
		fn(tStr, rowStr(true, func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return append(dst, strings.ToUpper(hex.EncodeToString([]byte(r.str(0, i))))...), true, nil
		}), tStr)))
	register(def("UNHEX", fn(tBin, rowBinary(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		s := r.str(0, i)
		if len(s)%2 == 1 {
			s = "0" + s
		}
		b, err := hex.AppendDecode(dst, []byte(s))
		return b, err == nil, nil // invalid hex is NULL
	}), tStr)))
}

func constF64(v float64) evalFn {
	return func(ctx *EvalContext, _ []Datum, n int) (arrow.Array, error) {
		return toArray(ctx, Datum{Scalar: scalar.NewFloat64Scalar(v)}, n)
	}
}

// RAND(seed) repeats its sequence for the same seed within a batch, like
// Flink's seeded java.util.Random per call site (not bit-identical).
func randEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	if len(args) == 1 {
		r := newRows(args)
		if !r.null(0, 0) {
			rng = rand.New(rand.NewPCG(uint64(r.int(0, 0)), 0))
		}
	}
	return rowFixed[float64](tF64, false, func(*rows, int) (float64, bool, error) { return rng.Float64(), true, nil })(ctx, args, n)
}

func randIntEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	bound := 0
	if len(args) == 2 {
		r := newRows(args)
		if !r.null(0, 0) {
			rng = rand.New(rand.NewPCG(uint64(r.int(0, 0)), 0))
		}
		bound = 1
	}
	return rowFixed[int32](tI32, true, func(r *rows, i int) (int32, bool, error) {
		b := r.int(bound, i)
		if b <= 0 {
			return 0, false, nil
		}
		return int32(rng.Int64N(b)), true, nil
	})(ctx, args, n)
}

// numResolve types a one-argument numeric function that keeps its type.
func numResolve(name string, eval func(t arrow.DataType) evalFn) func(args []Expr) (*Func, []Expr, error) {
	return func(args []Expr) (*Func, []Expr, error) {
		a := args[0]
		t := canonical(a.Type())
		if isNull(t) {
			t = tI32
		}
		if !isNumeric(t) {
			return nil, nil, errArgTypes(name, args)
		}
		return &Func{Name: name, Result: t, NullOnNull: true, Deterministic: true, Eval: eval(t)}, []Expr{coerce(a, t)}, nil
	}
}

func absEval(t arrow.DataType) evalFn {
	if isDec(t) {
		return rowFixed[decimal128.Num](t, true, func(r *rows, i int) (decimal128.Num, bool, error) {
			return r.dec(0, i).Abs(), true, nil
		})
	}
	return arrowBinary("abs_unchecked")
}

func signEval(t arrow.DataType) evalFn {
	switch {
	case isDec(t):
		s := t.(*arrow.Decimal128Type).Scale
		one := decimal128.FromI64(1).IncreaseScaleBy(s)
		return rowFixed[decimal128.Num](t, true, func(r *rows, i int) (decimal128.Num, bool, error) {
			switch r.dec(0, i).Sign() {
			case 1:
				return one, true, nil
			case -1:
				return one.Negate(), true, nil
			}
			return decimal128.Num{}, true, nil
		})
	case isFloat(t):
		return arrowBinary("sign")
	}
	return intMap(t, func(v int64) int64 {
		switch {
		case v > 0:
			return 1
		case v < 0:
			return -1
		}
		return 0
	})
}

// intMap applies f to an integer column of type t.
func intMap(t arrow.DataType, f func(int64) int64) evalFn {
	g := func(r *rows, i int) (int64, bool, error) { return f(r.int(0, i)), true, nil }
	switch t.ID() {
	case arrow.INT8:
		return rowFixed[int8](t, true, narrow[int8](g))
	case arrow.INT16:
		return rowFixed[int16](t, true, narrow[int16](g))
	case arrow.INT32:
		return rowFixed[int32](t, true, narrow[int32](g))
	}
	return rowFixed[int64](t, true, g)
}

// roundingResolve covers CEIL/FLOOR (one argument, or a time unit as the
// second: FLOOR(ts TO DAY)), ROUND(x[, d]) and TRUNCATE(x[, d]).
func roundingResolve(name string) func(args []Expr) (*Func, []Expr, error) {
	return func(args []Expr) (*Func, []Expr, error) {
		if (name == "CEIL" || name == "FLOOR") && len(args) == 2 {
			return floorCeilTime(name, args)
		}
		x := args[0]
		t := canonical(x.Type())
		if isNull(t) {
			t = tI32
		}
		if !isNumeric(t) {
			return nil, nil, errArgTypes(name, args)
		}
		x = coerce(x, t)
		digits := int64(0)
		var dArg Expr
		if len(args) == 2 {
			if !implicitOK(args[1].Type(), tI32) {
				return nil, nil, errArgTypes(name, args)
			}
			dArg = coerce(args[1], tI32)
			if isDec(t) {
				l, ok := dArg.(*Literal)
				if !ok || !l.Value.IsValid() {
					return nil, nil, errArgTypesMsg(name, "the number of digits for a DECIMAL must be an integer literal")
				}
				digits = int64(l.Value.(*scalar.Int32).Value)
			}
		}
		mode := name
		f := &Func{Name: name, Result: t, NullOnNull: true, Deterministic: true}
		out := []Expr{x}
		if dArg != nil {
			out = append(out, dArg)
		}
		switch {
		case isFloat(t):
			f.Eval = roundFloat(t, mode)
		case isInt(t):
			f.Eval = roundInt(t, mode)
		default:
			dt := t.(*arrow.Decimal128Type)
			p, s := dt.Precision, dt.Scale
			d := int32(digits)
			var rt *arrow.Decimal128Type
			switch {
			case mode == "CEIL" || mode == "FLOOR":
				rt = &arrow.Decimal128Type{Precision: min(38, max(1, p-s+1)), Scale: 0}
				d = 0
			case d >= s:
				rt = dt
				d = s
			case d < 0:
				rt = &arrow.Decimal128Type{Precision: min(38, 1+p-s), Scale: 0}
			default:
				rt = &arrow.Decimal128Type{Precision: min(38, 1+p-s+d), Scale: d}
			}
			f.Result = rt
			f.Eval = roundDec(dt, rt, d, mode)
		}
		return f, out, nil
	}
}

func errArgTypesMsg(name, msg string) error {
	return &argError{name: name, msg: msg}
}

type argError struct{ name, msg string }

func (e *argError) Error() string { return e.name + ": " + e.msg }

// roundFloatTo rounds x to d decimal digits, ties away from zero. Flink
// computes ROUND and TRUNCATE on DOUBLE through BigDecimal.valueOf, which
// starts from the shortest decimal that reads back as x (2.675 is 2.675, not
// its binary expansion 2.67499999…), then rounds HALF_UP.
func roundFloatTo(x float64, d int64, mode string) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	switch mode {
	case "CEIL":
		return math.Ceil(x)
	case "FLOOR":
		return math.Floor(x)
	}
	v, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		return x
	}
	scale := new(big.Rat).SetInt(pow10(int32(min(max(d, -300), 300))))
	if d < 0 {
		scale = new(big.Rat).Inv(new(big.Rat).SetInt(pow10(int32(min(-d, 300)))))
	}
	v.Mul(v, scale)
	num, den := v.Num(), v.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if mode == "ROUND" {
		m.Abs(m).Mul(m, big.NewInt(2))
		if m.Cmp(den) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	res := new(big.Rat).SetInt(q)
	res.Quo(res, scale)
	f, _ := res.Float64()
	if f == 0 && math.Signbit(x) {
		return math.Copysign(0, -1)
	}
	return f
}

func roundFloat(t arrow.DataType, mode string) evalFn {
	get := func(r *rows, i int) (float64, bool, error) {
		d := int64(0)
		if len(r.args) > 1 {
			d = r.int(1, i)
		}
		return roundFloatTo(r.f64(0, i), d, mode), true, nil
	}
	if t.ID() == arrow.FLOAT32 {
		return rowFixed[float32](t, true, func(r *rows, i int) (float32, bool, error) {
			v, ok, err := get(r, i)
			return float32(v), ok, err
		})
	}
	return rowFixed[float64](t, true, get)
}

// roundInt: CEIL/FLOOR are the identity; ROUND/TRUNCATE with negative
// digits work on tens (ROUND(123, -1) = 120).
func roundInt(t arrow.DataType, mode string) evalFn {
	g := func(r *rows, i int) (int64, bool, error) {
		v := r.int(0, i)
		if len(r.args) < 2 || mode == "CEIL" || mode == "FLOOR" {
			return v, true, nil
		}
		d := r.int(1, i)
		if d >= 0 {
			return v, true, nil
		}
		if d < -18 {
			return 0, true, nil
		}
		p := int64(math.Pow10(int(-d)))
		q, rem := v/p, v%p
		if mode == "ROUND" && (rem >= p/2+p%2 || rem <= -(p/2+p%2)) {
			if v < 0 {
				q--
			} else {
				q++
			}
		}
		return q * p, true, nil
	}
	switch t.ID() {
	case arrow.INT8:
		return rowFixed[int8](t, true, narrow[int8](g))
	case arrow.INT16:
		return rowFixed[int16](t, true, narrow[int16](g))
	case arrow.INT32:
		return rowFixed[int32](t, true, narrow[int32](g))
	}
	return rowFixed[int64](t, true, g)
}

func roundDec(in, out *arrow.Decimal128Type, d int32, mode string) evalFn {
	return rowFixed[decimal128.Num](out, true, func(r *rows, i int) (decimal128.Num, bool, error) {
		v := r.dec(0, i).BigInt()
		drop := in.Scale - d // digits to remove
		if drop <= 0 {
			return fitDecBig(v, in.Scale, out)
		}
		p := pow10(drop)
		q, m := new(big.Int).QuoRem(v, p, new(big.Int))
		switch mode {
		case "ROUND":
			m2 := new(big.Int).Abs(m)
			if m2.Mul(m2, big.NewInt(2)).Cmp(p) >= 0 {
				q.Add(q, big.NewInt(int64(v.Sign())))
			}
		case "CEIL":
			if m.Sign() > 0 {
				q.Add(q, big.NewInt(1))
			}
		case "FLOOR":
			if m.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			}
		}
		// q has scale d; negative d means tens: scale back up to 0.
		if d < 0 {
			q.Mul(q, pow10(-d))
			return fitDecBig(q, 0, out)
		}
		return fitDecBig(q, d, out)
	})
}

func fitDecBig(v *big.Int, scale int32, out *arrow.Decimal128Type) (decimal128.Num, bool, error) {
	v = roundBig(v, scale, out.Scale)
	if new(big.Int).Abs(v).Cmp(pow10(out.Precision)) >= 0 {
		return decimal128.Num{}, false, nil
	}
	return decimal128.FromBigInt(v), true, nil
}
