package expr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/wharfdata/wharf/engine/types"
)

// Casts follow Flink's explicit CAST rules (since 1.15): a value that cannot
// be converted fails the query (TRY_CAST gives NULL instead), except numeric
// overflow, which Flink handles like Java: integer narrowing wraps, floating
// point to integer saturates, and DECIMAL overflow gives NULL.

// NewCast checks that Flink allows CAST(e AS to) and returns the Cast node
// (or e itself when it already has type to).
func NewCast(e Expr, to arrow.DataType, try bool) (Expr, error) {
	if e == nil || to == nil {
		return nil, fmt.Errorf("BUG: NewCast with nil argument")
	}
	from := e.Type()
	if !castAllowed(from, to) {
		return nil, fmt.Errorf("cannot cast %s to %s", typeName(from), typeName(to))
	}
	if arrow.TypeEqual(from, to) {
		return e, nil
	}
	if l, ok := e.(*Literal); ok && !l.Value.IsValid() {
		return coerce(l, to), nil
	}
	return &Cast{Arg: e, To: to, Try: try}, nil
}

func castAllowed(from, to arrow.DataType) bool {
	if isNull(from) || arrow.TypeEqual(from, to) {
		return true
	}
	from, to = canonical(from), canonical(to)
	if arrow.TypeEqual(from, to) {
		return true
	}
	num := func(t arrow.DataType) bool { return isNumeric(t) }
	switch {
	case isString(to):
		return num(from) || isBool(from) || isDate(from) || isTS(from) || isTime(from) || isBinary(from) || isString(from)
	case isString(from):
		return num(to) || isBool(to) || isDate(to) || isTS(to) || isTime(to) || isBinary(to)
	case num(to):
		return num(from) || isBool(from)
	case isBool(to):
		return isInt(from) || isBool(from)
	case isDate(to):
		return isTS(from)
	case isTS(to):
		return isDate(from) || isTS(from)
	case isBinary(to):
		return isBinary(from)
	}
	return false
}

func castErr(v string, to arrow.DataType) error {
	return fmt.Errorf("cannot cast '%s' to %s; use TRY_CAST to get NULL instead", v, typeName(to))
}

// castDatum converts d (of type from) to an array of type to.
func castDatum(ctx *EvalContext, d Datum, from, to arrow.DataType, try bool, n int) (arrow.Array, error) {
	if isNull(from) || (d.Array == nil && !d.Scalar.IsValid()) {
		return nullArray(ctx, to, n), nil
	}
	if arrow.TypeEqual(from, to) {
		return toArray(ctx, retainDatum(d), n)
	}
	// Physical conversions Arrow does exactly (large/view strings, other
	// timestamp units, dictionary): normalise first, then ours.
	if c := canonical(from); !arrow.TypeEqual(c, from) && !(isTS(from) && isTS(to)) {
		a, err := callCompute(ctx, "cast", arrowCastOpts(c), []Datum{d}, n)
		if err != nil {
			return nil, err
		}
		defer a.Release()
		return castDatum(ctx, Datum{Array: a}, c, to, try, n)
	}
	if c := canonical(to); !arrow.TypeEqual(c, to) {
		mid, err := castDatum(ctx, d, from, c, try, n)
		if err != nil {
			return nil, err
		}
		defer mid.Release()
		return callCompute(ctx, "cast", arrowCastOpts(to), []Datum{{Array: mid}}, n)
	}
	onErr := func(v string) error {
		if try {
			return nil
		}
		return castErr(v, to)
	}
	switch {
	case isString(to):
		return castToString(ctx, d, from, n)
	case isString(from):
		return castFromString(ctx, d, to, n, onErr)
	case isBinary(to) && isBinary(from):
		return callCompute(ctx, "cast", arrowCastOpts(to), []Datum{d}, n)
	case isBool(to):
		return rowBool(true, func(r *rows, i int) (bool, bool, error) { return r.int(0, i) != 0, true, nil })(ctx, []Datum{d}, n)
	case isInt(to):
		return castToInt(ctx, d, from, to, n)
	case isFloat(to):
		return castToFloat(ctx, d, from, to, n)
	case isDec(to):
		return castToDecimal(ctx, d, from, to.(*arrow.Decimal128Type), n)
	case isDate(to) && isTS(from):
		loc := tsLocation(ctx, from)
		return rowFixed[int32](tDate, true, func(r *rows, i int) (int32, bool, error) {
			return int32(types.FloorDiv(wallMicros(tsMicros(r, 0, i, from), loc), usPerDay)), true, nil
		})(ctx, []Datum{d}, n)
	case isTS(to) && isDate(from):
		loc := tsLocation(ctx, to)
		return rowFixed[int64](to, true, func(r *rows, i int) (int64, bool, error) {
			return fromWallMicros(r.int(0, i)*usPerDay, loc), true, nil
		})(ctx, []Datum{d}, n)
	case isTS(to) && isTS(from):
		// TIMESTAMP <-> TIMESTAMP_LTZ keeps the wall clock in the session zone.
		floc, tloc := tsLocation(ctx, from), tsLocation(ctx, to)
		return rowFixed[int64](to, true, func(r *rows, i int) (int64, bool, error) {
			return fromWallMicros(wallMicros(tsMicros(r, 0, i, from), floc), tloc), true, nil
		})(ctx, []Datum{d}, n)
	}
	return nil, fmt.Errorf("cannot cast %s to %s", typeName(from), typeName(to))
}

func arrowCastOpts(to arrow.DataType) *compute.CastOptions {
	return compute.SafeCastOptions(to)
}

// tsMicros reads a timestamp of any unit as microseconds.
func tsMicros(r *rows, k, i int, dt arrow.DataType) int64 {
	return toMicros(r.int(k, i), dt.(*arrow.TimestampType).Unit)
}

func castToString(ctx *EvalContext, d Datum, from arrow.DataType, n int) (arrow.Array, error) {
	var f func(r *rows, i int, dst []byte) ([]byte, bool, error)
	switch {
	case isInt(from):
		f = func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return strconv.AppendInt(dst, r.int(0, i), 10), true, nil
		}
	case from.ID() == arrow.FLOAT32:
		f = func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return append(dst, javaFloat(r.args[0].f32.at(i))...), true, nil
		}
	case isFloat(from):
		f = func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return append(dst, javaDouble(r.f64(0, i))...), true, nil
		}
	case isDec(from):
		scale := from.(arrow.DecimalType).GetScale()
		f = func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return append(dst, r.dec(0, i).ToString(scale)...), true, nil
		}
	case isBool(from):
		f = func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			if r.bool(0, i) {
				return append(dst, "TRUE"...), true, nil
			}
			return append(dst, "FALSE"...), true, nil
		}
	case isDate(from):
		f = func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return appendDate(dst, int32(r.int(0, i))), true, nil
		}
	case isTS(from):
		loc := tsLocation(ctx, from)
		f = func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return appendTimestampPrec(dst, wallMicros(tsMicros(r, 0, i, from), loc), 6), true, nil
		}
	case isBinary(from):
		f = func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return append(dst, r.args[0].s.bytesAt(i)...), true, nil
		}
	default:
		return nil, fmt.Errorf("cannot cast %s to STRING", typeName(from))
	}
	return rowStr(true, f)(ctx, []Datum{d}, n)
}

func castFromString(ctx *EvalContext, d Datum, to arrow.DataType, n int, onErr func(string) error) (arrow.Array, error) {
	args := []Datum{d}
	switch {
	case isBool(to):
		return rowBool(true, func(r *rows, i int) (bool, bool, error) {
			s := r.str(0, i)
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "t", "true", "y", "yes", "1":
				return true, true, nil
			case "f", "false", "n", "no", "0":
				return false, true, nil
			}
			return false, false, onErr(s)
		})(ctx, args, n)
	case isInt(to):
		bits := 8 << (intRank(to) - 1)
		parse := func(r *rows, i int) (int64, bool, error) {
			s := r.str(0, i)
			v, ok := parseIntFlink(s, bits)
			if !ok {
				return 0, false, onErr(s)
			}
			return v, true, nil
		}
		switch to.ID() {
		case arrow.INT8:
			return rowFixed[int8](to, true, narrow[int8](parse))(ctx, args, n)
		case arrow.INT16:
			return rowFixed[int16](to, true, narrow[int16](parse))(ctx, args, n)
		case arrow.INT32:
			return rowFixed[int32](to, true, narrow[int32](parse))(ctx, args, n)
		}
		return rowFixed[int64](to, true, parse)(ctx, args, n)
	case isFloat(to):
		parse := func(r *rows, i int) (float64, bool, error) {
			s := r.str(0, i)
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil && !strings.Contains(err.Error(), "range") {
				return 0, false, onErr(s)
			}
			return v, true, nil
		}
		if to.ID() == arrow.FLOAT32 {
			return rowFixed[float32](to, true, func(r *rows, i int) (float32, bool, error) {
				v, ok, err := parse(r, i)
				return float32(v), ok, err
			})(ctx, args, n)
		}
		return rowFixed[float64](to, true, parse)(ctx, args, n)
	case isDec(to):
		dt := to.(*arrow.Decimal128Type)
		return rowFixed[decimal128.Num](to, true, func(r *rows, i int) (decimal128.Num, bool, error) {
			s := strings.TrimSpace(r.str(0, i))
			if _, err := strconv.ParseFloat(s, 64); err != nil && !strings.Contains(err.Error(), "range") {
				return decimal128.Num{}, false, onErr(s)
			}
			v, err := decimal128.FromString(s, dt.Precision, dt.Scale)
			if err != nil {
				return decimal128.Num{}, false, nil // overflow: NULL, as Flink
			}
			return v, true, nil
		})(ctx, args, n)
	case isDate(to):
		return rowFixed[int32](to, true, func(r *rows, i int) (int32, bool, error) {
			s := r.str(0, i)
			v, ok := parseDate(strings.TrimSpace(s))
			if !ok {
				return 0, false, onErr(s)
			}
			return v, true, nil
		})(ctx, args, n)
	case isTS(to):
		loc := tsLocation(ctx, to)
		return rowFixed[int64](to, true, func(r *rows, i int) (int64, bool, error) {
			s := r.str(0, i)
			v, ok := parseTimestamp(strings.TrimSpace(s))
			if !ok {
				return 0, false, onErr(s)
			}
			return fromWallMicros(v, loc), true, nil
		})(ctx, args, n)
	case isBinary(to):
		return rowBinary(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			return append(dst, r.str(0, i)...), true, nil
		})(ctx, args, n)
	}
	return nil, fmt.Errorf("cannot cast STRING to %s", typeName(to))
}

// parseIntFlink parses an integer as Flink does: surrounding whitespace is
// ignored and a fractional part is truncated ('1.9' is 1).
func parseIntFlink(s string, bits int) (int64, bool) {
	t := strings.TrimSpace(s)
	if v, err := strconv.ParseInt(t, 10, bits); err == nil {
		return v, true
	}
	whole, frac, ok := strings.Cut(t, ".")
	if !ok || (whole == "" || whole == "-" || whole == "+") && frac == "" {
		return 0, false
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	if whole == "" || whole == "-" || whole == "+" {
		return 0, true
	}
	v, err := strconv.ParseInt(whole, 10, bits)
	return v, err == nil
}

func narrow[T int8 | int16 | int32](f func(r *rows, i int) (int64, bool, error)) func(r *rows, i int) (T, bool, error) {
	return func(r *rows, i int) (T, bool, error) {
		v, ok, err := f(r, i)
		return T(v), ok, err
	}
}

// castToInt converts numbers to an integer type: integers wrap (Java
// narrowing), floating point truncates and saturates (Java's (long) d), and
// DECIMAL truncates toward zero then wraps.
func castToInt(ctx *EvalContext, d Datum, from, to arrow.DataType, n int) (arrow.Array, error) {
	var get func(r *rows, i int) (int64, bool, error)
	switch {
	case isInt(from):
		get = func(r *rows, i int) (int64, bool, error) { return r.int(0, i), true, nil }
	case isFloat(from):
		get = func(r *rows, i int) (int64, bool, error) {
			f := r.f64(0, i)
			if to.ID() != arrow.INT64 {
				return int64(javaF2I(f, math.MinInt32, math.MaxInt32)), true, nil
			}
			return javaF2I(f, math.MinInt64, math.MaxInt64), true, nil
		}
	case isDec(from):
		scale := from.(arrow.DecimalType).GetScale()
		get = func(r *rows, i int) (int64, bool, error) {
			v := r.dec(0, i)
			if scale > 0 {
				v, _ = v.Div(decimal128.GetScaleMultiplier(int(scale)))
			}
			return int64(v.LowBits()), true, nil
		}
	case isBool(from):
		get = func(r *rows, i int) (int64, bool, error) {
			if r.bool(0, i) {
				return 1, true, nil
			}
			return 0, true, nil
		}
	default:
		return nil, fmt.Errorf("cannot cast %s to %s", typeName(from), typeName(to))
	}
	args := []Datum{d}
	switch to.ID() {
	case arrow.INT8:
		return rowFixed[int8](to, true, narrow[int8](get))(ctx, args, n)
	case arrow.INT16:
		return rowFixed[int16](to, true, narrow[int16](get))(ctx, args, n)
	case arrow.INT32:
		return rowFixed[int32](to, true, narrow[int32](get))(ctx, args, n)
	}
	return rowFixed[int64](to, true, get)(ctx, args, n)
}

// javaF2I is Java's float-to-integer narrowing: NaN is 0, out of range
// saturates.
func javaF2I(f float64, lo, hi int64) int64 {
	switch {
	case f != f:
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int64(f)
}

func castToFloat(ctx *EvalContext, d Datum, from, to arrow.DataType, n int) (arrow.Array, error) {
	var get func(r *rows, i int) (float64, bool, error)
	switch {
	case isInt(from) || isFloat(from):
		get = func(r *rows, i int) (float64, bool, error) { return r.f64(0, i), true, nil }
	case isDec(from):
		scale := from.(arrow.DecimalType).GetScale()
		get = func(r *rows, i int) (float64, bool, error) { return r.dec(0, i).ToFloat64(scale), true, nil }
	case isBool(from):
		get = func(r *rows, i int) (float64, bool, error) {
			if r.bool(0, i) {
				return 1, true, nil
			}
			return 0, true, nil
		}
	default:
		return nil, fmt.Errorf("cannot cast %s to %s", typeName(from), typeName(to))
	}
	if to.ID() == arrow.FLOAT32 {
		return rowFixed[float32](to, true, func(r *rows, i int) (float32, bool, error) {
			v, ok, err := get(r, i)
			return float32(v), ok, err
		})(ctx, []Datum{d}, n)
	}
	return rowFixed[float64](to, true, get)(ctx, []Datum{d}, n)
}

// castToDecimal rounds HALF_UP to the target scale; a value that does not
// fit the precision is NULL (Flink's decimal overflow behaviour).
func castToDecimal(ctx *EvalContext, d Datum, from arrow.DataType, to *arrow.Decimal128Type, n int) (arrow.Array, error) {
	var get func(r *rows, i int) (decimal128.Num, bool, error)
	switch {
	case isInt(from) || isBool(from):
		get = func(r *rows, i int) (decimal128.Num, bool, error) {
			var v int64
			if isBool(from) {
				if r.bool(0, i) {
					v = 1
				}
			} else {
				v = r.int(0, i)
			}
			return fitDec(decimal128.FromI64(v), 0, to)
		}
	case isFloat(from):
		get = func(r *rows, i int) (decimal128.Num, bool, error) {
			f := r.f64(0, i)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return decimal128.Num{}, false, nil
			}
			v, err := decimal128.FromFloat64(f, to.Precision, to.Scale)
			return v, err == nil, nil
		}
	case isDec(from):
		scale := from.(arrow.DecimalType).GetScale()
		get = func(r *rows, i int) (decimal128.Num, bool, error) { return fitDec(r.dec(0, i), scale, to) }
	default:
		return nil, fmt.Errorf("cannot cast %s to %s", typeName(from), typeName(to))
	}
	return rowFixed[decimal128.Num](to, true, get)(ctx, []Datum{d}, n)
}

// fitDec rescales v (at scale) to `to`, HALF_UP; ok=false on overflow.
func fitDec(v decimal128.Num, scale int32, to *arrow.Decimal128Type) (decimal128.Num, bool, error) {
	v, ok := rescaleHalfUp(v, scale, to.Scale)
	if !ok || !v.FitsInPrecision(to.Precision) {
		return decimal128.Num{}, false, nil
	}
	return v, true, nil
}

func rescaleHalfUp(v decimal128.Num, from, to int32) (decimal128.Num, bool) {
	switch {
	case to == from:
		return v, true
	case to > from:
		if to-from > 38 {
			return v, false
		}
		m := decimal128.GetScaleMultiplier(int(to - from))
		if lim, _ := decimal128.GetMaxValue(38).Div(m); v.Abs().Greater(lim) {
			return v, false
		}
		return v.Mul(m), true
	}
	if from-to > 38 {
		return decimal128.Num{}, true
	}
	return v.ReduceScaleBy(from-to, true), true
}

// tsLocation is the zone whose wall clock a timestamp type shows: the session
// zone for TIMESTAMP_LTZ, none (UTC) for TIMESTAMP.
func tsLocation(ctx *EvalContext, dt arrow.DataType) *time.Location {
	if !isLTZ(dt) || ctx == nil || ctx.SessionTimeZone == "" || ctx.SessionTimeZone == "UTC" {
		return nil
	}
	loc, err := time.LoadLocation(ctx.SessionTimeZone)
	if err != nil {
		return nil
	}
	return loc
}

// wallMicros converts an instant to the wall clock in loc (nil: UTC).
func wallMicros(us int64, loc *time.Location) int64 {
	if loc == nil {
		return us
	}
	_, off := time.UnixMicro(us).In(loc).Zone()
	return us + int64(off)*1e6
}

// fromWallMicros converts a wall clock in loc to an instant.
func fromWallMicros(us int64, loc *time.Location) int64 {
	if loc == nil {
		return us
	}
	t := time.UnixMicro(us).UTC()
	w := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	return w.UnixMicro()
}
