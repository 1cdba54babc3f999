package datagen

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/gensrc"
)

// class groups the column types that generate alike.
type class uint8

const (
	cInt       class = iota // TINYINT…BIGINT: an int64 in [lo, hi]
	cDate                   // days since the epoch
	cTime                   // time of day in the column's unit
	cTimestamp              // since the epoch in the column's unit
	cFloat
	cDecimal
	cBool
	cString // STRING, VARCHAR, CHAR
	cBytes  // BYTES, BINARY, VARBINARY
)

// field is how one column is generated.
type field struct {
	col      int
	name     string
	class    class
	sequence bool
	nullRate float64
	salt     uint64 // mixed into the seed so columns draw independent streams

	// Integer-like classes: random in [lo, hi], or start+row for sequences.
	lo, hi int64
	// cDate and cTimestamp without min/max: anchor minus [0, past] units,
	// the anchor being base-time or the wall clock when generated.
	anchored bool
	past     int64
	trunc    int64 // cTime, cTimestamp: values are multiples (declared precision)
	perMs    int64 // units per millisecond (cTimestamp, cTime), 0 below ms

	flo, fhi float64        // cFloat
	dlo      decimal128.Num // cDecimal: lo, and span = hi-lo+1 as 128 bits
	dspan    [2]uint64      // hi, lo words
	start    int64          // sequences
	length   int64          // cString, cBytes
	varLen   bool
}

// classify maps a column type to its class, with its natural bounds.
func classify(c connector.Column) (class, int64, int64, bool) {
	switch t := c.Type.(type) {
	case *arrow.Int8Type:
		return cInt, math.MinInt8, math.MaxInt8, true
	case *arrow.Int16Type:
		return cInt, math.MinInt16, math.MaxInt16, true
	case *arrow.Int32Type:
		return cInt, math.MinInt32, math.MaxInt32, true
	case *arrow.Int64Type:
		return cInt, math.MinInt64, math.MaxInt64, true
	case *arrow.Float32Type, *arrow.Float64Type:
		return cFloat, 0, 0, true
	case *arrow.Decimal128Type:
		return cDecimal, 0, 0, true
	case *arrow.BooleanType:
		return cBool, 0, 1, true
	case *arrow.StringType, *arrow.LargeStringType:
		return cString, 0, 0, true
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return cBytes, 0, 0, true
	case *arrow.Date32Type:
		return cDate, 0, 0, true
	case *arrow.Time32Type:
		return cTime, 0, 86400*unitsPerSecond(t.Unit) - 1, true
	case *arrow.Time64Type:
		return cTime, 0, 86400*unitsPerSecond(t.Unit) - 1, true
	case *arrow.TimestampType:
		return cTimestamp, 0, 0, true
	}
	return 0, 0, 0, false
}

func unitsPerSecond(u arrow.TimeUnit) int64 { return [...]int64{1, 1e3, 1e6, 1e9}[u] }

func unitOf(t arrow.DataType) arrow.TimeUnit {
	switch t := t.(type) {
	case *arrow.Time32Type:
		return t.Unit
	case *arrow.Time64Type:
		return t.Unit
	case *arrow.TimestampType:
		return t.Unit
	}
	return arrow.Second
}

// fieldOptions are the per-field option names, for messages.
const fieldOptions = "kind, min, max, max-past, length, var-len, start, end, null-rate"

// parseField reads the 'fields.<name>.*' options of column i. It returns
// the field and, for a sequence, how many rows it has.
func parseField(o *gensrc.Options, i int, c connector.Column) (*field, int64, error) {
	key := func(opt string) string { return "fields." + c.Name + "." + opt }
	if c.MetadataKey != "" {
		return nil, 0, o.Errorf(key("kind"), "column %s is a METADATA column; datagen has no metadata", c.Name)
	}
	cl, lo, hi, ok := classify(c)
	if !ok {
		return nil, 0, o.Errorf(key("kind"), "column %s has type %s, which datagen does not generate (scalar types only)", c.Name, declared(c))
	}
	f := &field{col: i, name: c.Name, class: cl, lo: lo, hi: hi, salt: gensrc.Mix(uint64(i) + 1), length: 100}
	kind, _ := o.Lookup(key("kind"))
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "", "random":
	case "sequence":
		f.sequence = true
	default:
		return nil, 0, o.Errorf(key("kind"), "%q is neither 'random' nor 'sequence'", kind)
	}
	var err error
	if f.nullRate, err = o.Float(key("null-rate"), 0, 0, 1); err != nil {
		return nil, 0, err
	}
	if f.sequence {
		n, err := f.parseSequence(o, c, key)
		return f, n, err
	}
	return f, -1, f.parseRandom(o, c, key)
}

// parseSequence reads start and end (both required): the field counts
// start, start+1, … end, one per row.
func (f *field) parseSequence(o *gensrc.Options, c connector.Column, key func(string) string) (int64, error) {
	switch f.class {
	case cInt, cFloat, cDecimal, cString:
	default:
		return 0, o.Errorf(key("kind"), "a sequence needs a numeric or string column; %s is %s", c.Name, declared(c))
	}
	var bounds [2]int64
	for j, opt := range []string{"start", "end"} {
		v, ok := o.Lookup(key(opt))
		if !ok {
			return 0, o.Errorf(key(opt), "missing: a sequence field needs 'start' and 'end'")
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, o.Errorf(key(opt), "%q is not an integer", v)
		}
		bounds[j] = n
	}
	start, end := bounds[0], bounds[1]
	if end < start || end-start == math.MaxInt64 {
		return 0, o.Errorf(key("end"), "%d is before 'start' %d (or the range is too large)", end, start)
	}
	if f.class == cInt && (start < f.lo || end > f.hi) {
		return 0, o.Errorf(key("end"), "[%d, %d] does not fit %s", start, end, declared(c))
	}
	if f.class == cDecimal {
		t := c.Type.(*arrow.Decimal128Type)
		if !decimal128.FromI64(end).FitsInPrecision(t.Precision-t.Scale) || !decimal128.FromI64(start).FitsInPrecision(t.Precision-t.Scale) {
			return 0, o.Errorf(key("end"), "[%d, %d] does not fit %s", start, end, declared(c))
		}
	}
	f.start = start
	return end - start + 1, nil
}

// parseRandom reads the bounds of a random field.
func (f *field) parseRandom(o *gensrc.Options, c connector.Column, key func(string) string) error {
	switch f.class {
	case cString, cBytes:
		var err error
		if f.length, err = o.Int(key("length"), 100, 0, 1<<20); err != nil {
			return err
		}
		if f.varLen, err = o.Bool(key("var-len"), false); err != nil {
			return err
		}
		return nil
	case cBool:
		return nil
	case cInt:
		minV, hasMin := o.Lookup(key("min"))
		maxV, hasMax := o.Lookup(key("max"))
		for _, b := range []struct {
			set bool
			v   string
			dst *int64
			opt string
		}{{hasMin, minV, &f.lo, "min"}, {hasMax, maxV, &f.hi, "max"}} {
			if !b.set {
				continue
			}
			n, err := strconv.ParseInt(strings.TrimSpace(b.v), 10, 64)
			if err != nil || n < f.lo || n > f.hi {
				return o.Errorf(key(b.opt), "%q is not an integer in [%d, %d] (%s)", b.v, f.lo, f.hi, declared(c))
			}
			*b.dst = n
		}
	case cFloat:
		f.flo, f.fhi = -math.MaxFloat64, math.MaxFloat64
		if _, ok := c.Type.(*arrow.Float32Type); ok {
			f.flo, f.fhi = -math.MaxFloat32, math.MaxFloat32
		}
		var err error
		if f.flo, err = o.Float(key("min"), f.flo, f.flo, f.fhi); err != nil {
			return err
		}
		if f.fhi, err = o.Float(key("max"), f.fhi, f.flo, f.fhi); err != nil {
			return err
		}
	case cDecimal:
		return f.parseDecimal(o, c, key)
	case cDate, cTime, cTimestamp:
		if err := f.parseTemporal(o, c, key); err != nil {
			return err
		}
	}
	if f.class != cDecimal && f.class != cFloat && f.lo > f.hi || f.class == cFloat && f.flo > f.fhi {
		return o.Errorf(key("max"), "below 'min'")
	}
	return nil
}

func (f *field) parseDecimal(o *gensrc.Options, c connector.Column, key func(string) string) error {
	minV, hasMin := o.Lookup(key("min"))
	maxV, hasMax := o.Lookup(key("max"))
	t := c.Type.(*arrow.Decimal128Type)
	top := decimal128.GetScaleMultiplier(int(t.Precision)).Sub(decimal128.FromI64(1))
	lo, hi := top.Negate(), top
	for _, b := range []struct {
		set bool
		v   string
		dst *decimal128.Num
		opt string
	}{{hasMin, minV, &lo, "min"}, {hasMax, maxV, &hi, "max"}} {
		if !b.set {
			continue
		}
		n, err := decimal128.FromString(strings.TrimSpace(b.v), t.Precision, t.Scale)
		if err != nil || !n.FitsInPrecision(t.Precision) {
			return o.Errorf(key(b.opt), "%q is not a %s", b.v, declared(c))
		}
		*b.dst = n
	}
	if hi.Less(lo) {
		return o.Errorf(key("max"), "below 'min'")
	}
	span := hi.Sub(lo).Add(decimal128.FromI64(1))
	f.dlo, f.dspan = lo, [2]uint64{uint64(span.HighBits()), span.LowBits()}
	return nil
}

func (f *field) parseTemporal(o *gensrc.Options, c connector.Column, key func(string) string) error {
	minV, hasMin := o.Lookup(key("min"))
	maxV, hasMax := o.Lookup(key("max"))
	past, hasPast := o.Lookup(key("max-past"))
	unit := unitOf(c.Type)
	if f.class != cDate {
		digits := [...]int{0, 3, 6, 9}[unit]
		p := min(gensrc.DeclaredPrecision(c.Declared, digits), digits)
		f.trunc = int64(math.Pow10(digits - p))
		if unit > arrow.Second {
			f.perMs = unitsPerSecond(unit) / 1000
		}
	}
	if hasPast && (hasMin || hasMax) {
		return o.Errorf(key("max-past"), "set either 'max-past' or 'min'/'max'")
	}
	if hasPast && f.class == cTime {
		return o.Errorf(key("max-past"), "does not apply to TIME column %s; use 'min'/'max'", c.Name)
	}
	if !hasMin && !hasMax {
		if f.class == cTime {
			return nil // the whole day
		}
		f.anchored = true
		if hasPast {
			d, err := parseDuration(past)
			if err != nil {
				return o.Errorf(key("max-past"), "%v", err)
			}
			if f.class == cDate {
				f.past = int64(d / (24 * time.Hour))
			} else {
				f.past = int64(d) / (1e9 / unitsPerSecond(unit))
			}
		}
		return nil
	}
	if !hasMin || !hasMax {
		return o.Errorf(key("min"), "give both 'min' and 'max' for %s", declared(c))
	}
	for _, b := range []struct {
		v   string
		dst *int64
		opt string
	}{{minV, &f.lo, "min"}, {maxV, &f.hi, "max"}} {
		t, err := parseTemporal(f.class, b.v)
		if err != nil {
			return o.Errorf(key(b.opt), "%v", err)
		}
		switch f.class {
		case cDate:
			*b.dst = t.Unix() / 86400
		case cTime:
			*b.dst = t.Sub(t.Truncate(24*time.Hour)).Nanoseconds() / (1e9 / unitsPerSecond(unit))
		default:
			*b.dst = t.UnixNano() / (1e9 / unitsPerSecond(unit))
		}
	}
	return nil
}

// parseTemporal reads a DATE ('2026-11-21'), TIME ('10:00:00.5') or
// TIMESTAMP ('2026-11-21 10:00:00') literal, in UTC.
func parseTemporal(cl class, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	layouts := map[class][]string{
		cDate:      {"2006-01-02"},
		cTime:      {"15:04:05.999999999", "15:04"},
		cTimestamp: {"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"},
	}[cl]
	for _, l := range layouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a %s literal like '%s'", v, map[class]string{cDate: "DATE", cTime: "TIME", cTimestamp: "TIMESTAMP"}[cl], layouts[0])
}

// parseDuration reads Flink's duration syntax: a number and an optional
// unit (ns, us, ms, s, min, h, d and their long forms), milliseconds when
// none.
func parseDuration(v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like '10 s' or '5 min'", v)
	}
	unit := map[string]time.Duration{
		"": time.Millisecond, "ns": time.Nanosecond, "nano": time.Nanosecond, "nanos": time.Nanosecond,
		"us": time.Microsecond, "µs": time.Microsecond, "micro": time.Microsecond, "micros": time.Microsecond,
		"ms": time.Millisecond, "milli": time.Millisecond, "millis": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
		"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
		"min": time.Minute, "m": time.Minute, "minute": time.Minute, "minutes": time.Minute,
		"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
		"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	}
	u, ok := unit[strings.ToLower(strings.TrimSpace(s[i:]))]
	if !ok || n > int64(math.MaxInt64/u) {
		return 0, fmt.Errorf("%q is not a duration like '10 s' or '5 min'", v)
	}
	return time.Duration(n) * u, nil
}

func declared(c connector.Column) string {
	if c.Declared != "" {
		return c.Declared
	}
	return c.Type.String()
}
