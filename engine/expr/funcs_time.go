package expr

import (
	"fmt"
	"time"
	_ "time/tzdata" // CONVERT_TZ and session zones must not depend on the host's zoneinfo

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/types"
)

// Date and time functions. TIMESTAMP values are wall clocks (microseconds
// since the epoch as if UTC); TIMESTAMP_LTZ values are instants shown in the
// session time zone (EvalContext.SessionTimeZone). Parsing functions return
// NULL for input that does not match (TO_DATE, TO_TIMESTAMP, UNIX_TIMESTAMP:
// Flink's DateTimeUtils do the same, except UNIX_TIMESTAMP, which returns
// Long.MIN_VALUE there; NULL is the usable answer).

func init() {
	register(def("CURRENT_DATE", fn(tDate, nowEval(tDate)).nonDet()))
	register(def("CURRENT_TIMESTAMP", fn(tLTZ, nowEval(tLTZ)).nonDet()), "NOW")
	register(def("LOCALTIMESTAMP", fn(tTS, nowEval(tTS)).nonDet()))
	register(def("DATE_FORMAT",
		fn(tStr, dateFormatEval(tTS), tTS, tStr),
		fn(tStr, dateFormatEval(tLTZ), tLTZ, tStr),
		fn(tStr, dateFormatEval(tStr), tStr, tStr)))
	register(def("TO_DATE", fn(tDate, toDateEval, tStr, tStr).opt(1)))
	register(def("TO_TIMESTAMP", fn(tTS, toTimestampEval, tStr, tStr).opt(1)))
	// Without arguments it is the query's start time: not deterministic.
	register(def("UNIX_TIMESTAMP", fn(tI64, unixTimestampEval).nonDet(), fn(tI64, unixTimestampEval, tStr, tStr).opt(1)))
	register(def("FROM_UNIXTIME", fn(tStr, fromUnixtimeEval, tI64, tStr).opt(1)))
	register(def("CONVERT_TZ", fn(tStr, convertTZEval, tStr, tStr, tStr)))
	register(custom("TO_TIMESTAMP_LTZ", 1, 2, toTimestampLTZResolve))
	register(custom("EXTRACT", 2, 2, extractResolve))
	register(custom("TIMESTAMPADD", 3, 3, timestampAddResolve))
	register(custom("TIMESTAMPDIFF", 3, 3, timestampDiffResolve))
	for name, unit := range map[string]string{
		"YEAR": "YEAR", "QUARTER": "QUARTER", "MONTH": "MONTH", "WEEK": "WEEK", "DAYOFYEAR": "DOY",
		"DAYOFMONTH": "DAY", "DAYOFWEEK": "DOW", "HOUR": "HOUR", "MINUTE": "MINUTE", "SECOND": "SECOND",
	} {
		unit := unit
		register(custom(name, 1, 1, func(args []Expr) (*Func, []Expr, error) {
			f, out, err := extractResolve([]Expr{strLit(unit), args[0]})
			if err != nil {
				return nil, nil, errArgTypes(name, args)
			}
			inner, u := f.Eval, Datum{Scalar: scalar.NewStringScalar(unit)}
			f.Name = name
			f.Eval = func(ctx *EvalContext, a []Datum, n int) (arrow.Array, error) {
				return inner(ctx, []Datum{u, a[0]}, n)
			}
			return f, out[1:], nil
		}))
	}
}

// The extract-style functions registered above take the unit from a
// closure; EXTRACT itself keeps it as its first argument.

func nowEval(dt arrow.DataType) evalFn {
	return func(ctx *EvalContext, _ []Datum, n int) (arrow.Array, error) {
		now := ctx.NowMicros
		if now == 0 {
			now = time.Now().UnixMicro()
		}
		var s scalar.Scalar
		switch {
		case isDate(dt):
			s = scalar.NewDate32Scalar(arrow.Date32(types.FloorDiv(wallMicros(now, tsLocation(ctx, tLTZ)), usPerDay)))
		case isLTZ(dt):
			s = scalar.NewTimestampScalar(arrow.Timestamp(now), dt)
		default:
			s = scalar.NewTimestampScalar(arrow.Timestamp(wallMicros(now, tsLocation(ctx, tLTZ))), dt)
		}
		return toArray(ctx, Datum{Scalar: s}, n)
	}
}

// patternCache keeps the last compiled pattern: patterns are nearly always
// constant, so a column of them compiles once per distinct run.
type patternCache struct {
	src  string
	toks []fmtTok
	ok   bool
}

func (c *patternCache) get(p string) []fmtTok {
	if !c.ok || c.src != p {
		c.src, c.toks, c.ok = p, compilePattern(p), true
	}
	return c.toks
}

func dateFormatEval(in arrow.DataType) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		var pc patternCache
		loc := tsLocation(ctx, in)
		return rowStr(true, func(r *rows, i int, dst []byte) ([]byte, bool, error) {
			var us int64
			if isString(in) {
				v, ok := parseTimestamp(r.str(0, i))
				if !ok {
					return nil, false, nil
				}
				us = v
			} else {
				us = wallMicros(r.int(0, i), loc)
			}
			return appendFormatted(dst, pc.get(r.str(1, i)), us), true, nil
		})(ctx, args, n)
	}
}

func parseWith(r *rows, i int, pc *patternCache, def string) (int64, bool) {
	s := r.str(0, i)
	if len(r.args) < 2 {
		if def == "yyyy-MM-dd" {
			d, ok := parseDate(s)
			return int64(d) * usPerDay, ok
		}
		return parseTimestamp(s)
	}
	return parseFormatted(pc.get(r.str(1, i)), s)
}

func toDateEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	var pc patternCache
	return rowFixed[int32](tDate, true, func(r *rows, i int) (int32, bool, error) {
		us, ok := parseWith(r, i, &pc, "yyyy-MM-dd")
		return int32(types.FloorDiv(us, usPerDay)), ok, nil
	})(ctx, args, n)
}

func toTimestampEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	var pc patternCache
	return rowFixed[int64](tTS, true, func(r *rows, i int) (int64, bool, error) {
		us, ok := parseWith(r, i, &pc, "yyyy-MM-dd HH:mm:ss")
		return us, ok, nil
	})(ctx, args, n)
}

func unixTimestampEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	if len(args) == 0 {
		now := ctx.NowMicros
		if now == 0 {
			now = time.Now().UnixMicro()
		}
		return toArray(ctx, Datum{Scalar: scalar.NewInt64Scalar(types.FloorDiv(now, usPerSec))}, n)
	}
	var pc patternCache
	loc := tsLocation(ctx, tLTZ)
	return rowFixed[int64](tI64, true, func(r *rows, i int) (int64, bool, error) {
		us, ok := parseWith(r, i, &pc, "yyyy-MM-dd HH:mm:ss")
		return types.FloorDiv(fromWallMicros(us, loc), usPerSec), ok, nil
	})(ctx, args, n)
}

var defaultTSPattern = compilePattern("yyyy-MM-dd HH:mm:ss")

func fromUnixtimeEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	var pc patternCache
	loc := tsLocation(ctx, tLTZ)
	return rowStr(true, func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		toks := defaultTSPattern
		if len(r.args) > 1 {
			toks = pc.get(r.str(1, i))
		}
		return appendFormatted(dst, toks, wallMicros(r.int(0, i)*usPerSec, loc)), true, nil
	})(ctx, args, n)
}

// CONVERT_TZ('2020-01-01 00:00:00', 'UTC', 'Asia/Shanghai'); an unknown zone
// fails the query, an unparsable timestamp is NULL.
func convertTZEval(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
	zones := map[string]*time.Location{}
	zone := func(name string) (*time.Location, error) {
		if l, ok := zones[name]; ok {
			return l, nil
		}
		l, err := time.LoadLocation(name)
		if err != nil {
			return nil, fmt.Errorf("CONVERT_TZ: unknown time zone %q", name)
		}
		zones[name] = l
		return l, nil
	}
	return rowStr(true, func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		us, ok := parseTimestamp(r.str(0, i))
		if !ok {
			return nil, false, nil
		}
		from, err := zone(r.str(1, i))
		if err != nil {
			return nil, false, err
		}
		to, err := zone(r.str(2, i))
		if err != nil {
			return nil, false, err
		}
		inst := fromWallMicros(us, from)
		return appendFormatted(dst, defaultTSPattern, wallMicros(inst, to)), true, nil
	})(ctx, args, n)
}

// TO_TIMESTAMP_LTZ(n, precision): n seconds (precision 0) or milliseconds
// (precision 3, the default) since the epoch.
func toTimestampLTZResolve(args []Expr) (*Func, []Expr, error) {
	n := args[0]
	if !isNumeric(canonical(n.Type())) && !isNull(n.Type()) {
		return nil, nil, errArgTypes("TO_TIMESTAMP_LTZ", args)
	}
	prec := int64(3)
	if len(args) == 2 {
		l, ok := args[1].(*Literal)
		if !ok || !l.Value.IsValid() || !isInt(l.Type()) {
			return nil, nil, errArgTypesMsg("TO_TIMESTAMP_LTZ", "precision must be the integer literal 0 or 3")
		}
		r := newRows([]Datum{{Scalar: l.Value}})
		prec = r.int(0, 0)
	}
	var mult float64
	switch prec {
	case 0:
		mult = 1e6
	case 3:
		mult = 1e3
	case 6:
		mult = 1
	default:
		return nil, nil, errArgTypesMsg("TO_TIMESTAMP_LTZ", fmt.Sprintf("unsupported precision %d; use 0 or 3", prec))
	}
	x := coerce(n, tF64)
	if isInt(canonical(n.Type())) {
		x = coerce(n, tI64)
	}
	eval := rowFixed[int64](tLTZ, true, func(r *rows, i int) (int64, bool, error) {
		if r.args[0].id == arrow.INT64 {
			return r.int(0, i) * int64(mult), true, nil
		}
		return int64(r.f64(0, i) * mult), true, nil
	})
	return &Func{Name: "TO_TIMESTAMP_LTZ", Result: tLTZ, NullOnNull: true, Deterministic: true, Eval: eval},
		append([]Expr{x}, args[1:]...), nil
}

// temporalArg coerces x to DATE or TIMESTAMP (keeping LTZ) for the time
// functions.
func temporalArg(x Expr) (Expr, bool) {
	t := canonical(x.Type())
	if isDate(t) || isTS(t) {
		return coerce(x, t), true
	}
	if isNull(t) {
		return coerce(x, tTS), true
	}
	return nil, false
}

// wallFn reads row i of a DATE or TIMESTAMP(_LTZ) argument k as wall-clock
// microseconds.
func wallFn(ctx *EvalContext, dt arrow.DataType) func(r *rows, k, i int) int64 {
	if isDate(dt) {
		return func(r *rows, k, i int) int64 { return r.int(k, i) * usPerDay }
	}
	loc := tsLocation(ctx, dt)
	return func(r *rows, k, i int) int64 { return wallMicros(r.int(k, i), loc) }
}

// extractField computes one EXTRACT unit from a wall clock.
func extractField(unit string, us int64) (int64, bool) {
	f := splitTS(us)
	switch unit {
	case "YEAR":
		return f.y, true
	case "QUARTER":
		return (f.mo-1)/3 + 1, true
	case "MONTH":
		return f.mo, true
	case "WEEK":
		return isoWeek(f.days), true
	case "DAY":
		return f.d, true
	case "DOY":
		return f.days - types.DaysFromCivil(f.y, 1, 1) + 1, true
	case "DOW": // 1 = Sunday … 7 = Saturday, as Flink
		return dow(f.days)%7 + 1, true
	case "ISODOW":
		return dow(f.days), true
	case "HOUR":
		return f.h, true
	case "MINUTE":
		return f.mi, true
	case "SECOND":
		return f.s, true
	case "MILLISECOND":
		return f.s*1000 + f.us/1000, true
	case "MICROSECOND":
		return f.s*1_000_000 + f.us, true
	case "EPOCH":
		return types.FloorDiv(us, usPerSec), true
	case "DECADE":
		return types.FloorDiv(f.y, 10), true
	case "CENTURY":
		if f.y > 0 {
			return (f.y + 99) / 100, true
		}
		return -((-f.y + 99) / 100), true
	case "MILLENNIUM":
		if f.y > 0 {
			return (f.y + 999) / 1000, true
		}
		return -((-f.y + 999) / 1000), true
	}
	return 0, false
}

func extractResolve(args []Expr) (*Func, []Expr, error) {
	unit, err := unitArg(args[0], "EXTRACT unit")
	if err != nil {
		return nil, nil, err
	}
	if _, ok := extractField(unit, 0); !ok {
		return nil, nil, fmt.Errorf("EXTRACT: unknown unit %s", unit)
	}
	x, ok := temporalArg(args[1])
	if !ok {
		return nil, nil, errArgTypes("EXTRACT", args)
	}
	dt := x.Type()
	if isDate(dt) {
		switch unit {
		case "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND":
			return nil, nil, fmt.Errorf("EXTRACT: cannot extract %s from DATE", unit)
		}
	}
	eval := func(ctx *EvalContext, a []Datum, n int) (arrow.Array, error) {
		wall := wallFn(ctx, dt)
		return rowFixed[int64](tI64, true, func(r *rows, i int) (int64, bool, error) {
			v, _ := extractField(unit, wall(r, 1, i))
			return v, true, nil
		})(ctx, a, n)
	}
	return &Func{Name: "EXTRACT", Result: tI64, NullOnNull: true, Deterministic: true, Eval: eval},
		[]Expr{strLit(unit), x}, nil
}

// truncUnit floors a wall clock to unit (WEEK starts on Monday, ISO).
func truncUnit(unit string, us int64) (int64, bool) {
	days := types.FloorDiv(us, usPerDay)
	switch unit {
	case "MICROSECOND":
		return us, true
	case "MILLISECOND":
		return types.FloorDiv(us, 1000) * 1000, true
	case "SECOND":
		return types.FloorDiv(us, usPerSec) * usPerSec, true
	case "MINUTE":
		return types.FloorDiv(us, usPerMin) * usPerMin, true
	case "HOUR":
		return types.FloorDiv(us, usPerHour) * usPerHour, true
	case "DAY":
		return days * usPerDay, true
	case "WEEK":
		return (days - dow(days) + 1) * usPerDay, true
	}
	y, m, _ := types.Civil(days)
	switch unit {
	case "MONTH":
		return types.DaysFromCivil(y, m, 1) * usPerDay, true
	case "QUARTER":
		return types.DaysFromCivil(y, (m-1)/3*3+1, 1) * usPerDay, true
	case "YEAR":
		return types.DaysFromCivil(y, 1, 1) * usPerDay, true
	case "DECADE":
		return types.DaysFromCivil(types.FloorDiv(y, 10)*10, 1, 1) * usPerDay, true
	}
	return 0, false
}

// ceilUnit is the smallest unit boundary at or after us.
func ceilUnit(unit string, us int64) int64 {
	f, _ := truncUnit(unit, us)
	if f == us {
		return us
	}
	switch unit {
	case "MONTH":
		return addMonthsMicros(f, 1)
	case "QUARTER":
		return addMonthsMicros(f, 3)
	case "YEAR":
		return addMonthsMicros(f, 12)
	case "DECADE":
		return addMonthsMicros(f, 120)
	case "WEEK":
		return f + 7*usPerDay
	case "DAY":
		return f + usPerDay
	case "HOUR":
		return f + usPerHour
	case "MINUTE":
		return f + usPerMin
	case "SECOND":
		return f + usPerSec
	case "MILLISECOND":
		return f + 1000
	}
	return us
}

// floorCeilTime: FLOOR(x TO unit), CEIL(x TO unit); DATE stays DATE.
func floorCeilTime(name string, args []Expr) (*Func, []Expr, error) {
	unit, err := unitArg(args[1], name+" unit")
	if err != nil {
		return nil, nil, err
	}
	if _, ok := truncUnit(unit, 0); !ok {
		return nil, nil, fmt.Errorf("%s: unknown unit %s", name, unit)
	}
	x, ok := temporalArg(args[0])
	if !ok {
		return nil, nil, errArgTypes(name, args)
	}
	dt := x.Type()
	round := func(us int64) int64 {
		if name == "CEIL" {
			return ceilUnit(unit, us)
		}
		v, _ := truncUnit(unit, us)
		return v
	}
	var eval evalFn
	if isDate(dt) {
		eval = rowFixed[int32](tDate, true, func(r *rows, i int) (int32, bool, error) {
			return int32(types.FloorDiv(round(r.int(0, i)*usPerDay), usPerDay)), true, nil
		})
	} else {
		eval = func(ctx *EvalContext, a []Datum, n int) (arrow.Array, error) {
			loc := tsLocation(ctx, dt)
			return rowFixed[int64](dt, true, func(r *rows, i int) (int64, bool, error) {
				return fromWallMicros(round(wallMicros(r.int(0, i), loc)), loc), true, nil
			})(ctx, a, n)
		}
	}
	return &Func{Name: name, Result: dt, NullOnNull: true, Deterministic: true, Eval: eval},
		[]Expr{x, strLit(unit)}, nil
}

var unitMicros = map[string]int64{
	"MICROSECOND": 1, "MILLISECOND": 1000, "SECOND": usPerSec, "MINUTE": usPerMin,
	"HOUR": usPerHour, "DAY": usPerDay, "WEEK": 7 * usPerDay,
}
var unitMonths = map[string]int64{"MONTH": 1, "QUARTER": 3, "YEAR": 12}

func timeUnit(e Expr, fn string) (string, error) {
	unit, err := unitArg(e, fn+" unit")
	if err != nil {
		return "", err
	}
	if u, ok := map[string]string{"FRAC_SECOND": "MICROSECOND", "SQL_TSI_DAY": "DAY"}[unit]; ok {
		unit = u
	}
	if _, ok := unitMicros[unit]; !ok {
		if _, ok := unitMonths[unit]; !ok {
			return "", fmt.Errorf("%s: unknown unit %s", fn, unit)
		}
	}
	return unit, nil
}

// TIMESTAMPADD(unit, n, x): month units clamp the day; a DATE plus a date
// unit stays a DATE, plus a time unit becomes a TIMESTAMP.
func timestampAddResolve(args []Expr) (*Func, []Expr, error) {
	unit, err := timeUnit(args[0], "TIMESTAMPADD")
	if err != nil {
		return nil, nil, err
	}
	if !implicitOK(args[1].Type(), tI64) {
		return nil, nil, errArgTypes("TIMESTAMPADD", args)
	}
	x, ok := temporalArg(args[2])
	if !ok {
		return nil, nil, errArgTypes("TIMESTAMPADD", args)
	}
	dt := x.Type()
	step, months := unitMicros[unit], unitMonths[unit]
	add := func(us, k int64) int64 {
		if months != 0 {
			return addMonthsMicros(us, k*months)
		}
		return us + k*step
	}
	var eval evalFn
	rt := dt
	switch {
	case isDate(dt) && (months != 0 || step >= usPerDay):
		eval = rowFixed[int32](tDate, true, func(r *rows, i int) (int32, bool, error) {
			return int32(types.FloorDiv(add(r.int(2, i)*usPerDay, r.int(1, i)), usPerDay)), true, nil
		})
	case isDate(dt):
		x, rt = coerce(x, tTS), tTS
		fallthrough
	default:
		eval = rowFixed[int64](rt, true, func(r *rows, i int) (int64, bool, error) {
			return add(r.int(2, i), r.int(1, i)), true, nil
		})
	}
	return &Func{Name: "TIMESTAMPADD", Result: rt, NullOnNull: true, Deterministic: true, Eval: eval},
		[]Expr{strLit(unit), coerce(args[1], tI64), x}, nil
}

// TIMESTAMPDIFF(unit, a, b) is the number of whole units from a to b (INT).
func timestampDiffResolve(args []Expr) (*Func, []Expr, error) {
	unit, err := timeUnit(args[0], "TIMESTAMPDIFF")
	if err != nil {
		return nil, nil, err
	}
	a, ok1 := temporalArg(args[1])
	b, ok2 := temporalArg(args[2])
	if !ok1 || !ok2 {
		return nil, nil, errArgTypes("TIMESTAMPDIFF", args)
	}
	t, _ := CommonType(a.Type(), b.Type())
	if isDate(t) {
		t = tTS
	}
	a, b = coerce(a, t), coerce(b, t)
	step, months := unitMicros[unit], unitMonths[unit]
	eval := rowFixed[int32](tI32, true, func(r *rows, i int) (int32, bool, error) {
		x, y := r.int(1, i), r.int(2, i)
		if months == 0 {
			return int32((y - x) / step), true, nil
		}
		fx, fy := splitTS(x), splitTS(y)
		m := (fy.y*12 + fy.mo) - (fx.y*12 + fx.mo)
		// a partial month does not count
		restX, restY := x-types.DaysFromCivil(fx.y, fx.mo, 1)*usPerDay, y-types.DaysFromCivil(fy.y, fy.mo, 1)*usPerDay
		if m > 0 && restY < restX {
			m--
		} else if m < 0 && restY > restX {
			m++
		}
		return int32(m / months), true, nil
	})
	return &Func{Name: "TIMESTAMPDIFF", Result: tI32, NullOnNull: true, Deterministic: true, Eval: eval},
		[]Expr{strLit(unit), a, b}, nil
}
