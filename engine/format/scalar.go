package format

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/wharfdata/wharf/engine/types"
)

// fromText converts the text of a scalar value (a JSON string's content or
// number literal, a CSV field) into a cell for n. iso selects ISO-8601
// timestamps ('T' separator) over SQL ones (' ').
func (n *node) fromText(t *tape, s []byte, iso bool) (cell, error) {
	switch n.kind {
	case kBool:
		switch {
		case equalFold(trim(s), "true"):
			return cell{i: 1}, nil
		case equalFold(trim(s), "false"):
			return cell{}, nil
		}
		return cell{}, errors.New("not a BOOLEAN (want true or false)")
	case kInt8:
		return intCell(s, math.MinInt8, math.MaxInt8, n.sqlType)
	case kInt16:
		return intCell(s, math.MinInt16, math.MaxInt16, n.sqlType)
	case kInt32:
		return intCell(s, math.MinInt32, math.MaxInt32, n.sqlType)
	case kInt64:
		return intCell(s, math.MinInt64, math.MaxInt64, n.sqlType)
	case kFloat32, kFloat64:
		size := 64
		if n.kind == kFloat32 {
			size = 32
		}
		f, err := strconv.ParseFloat(unsafeString(trim(s)), size)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return cell{}, fmt.Errorf("%s out of range for %s", quote(s), n.sqlType)
			}
			return cell{}, fmt.Errorf("%s is not a number", quote(s))
		}
		return cell{i: int64(math.Float64bits(f))}, nil
	case kDecimal:
		v, err := parseDecimal(trim(s), n.prec, n.scale)
		if err != nil {
			return cell{}, fmt.Errorf("%s: %v for %s", quote(s), err, n.sqlType)
		}
		return cell{i: int64(v.LowBits()), hi: v.HighBits()}, nil
	case kString:
		if !utf8.Valid(s) {
			return cell{}, errors.New("invalid UTF-8")
		}
		return cell{b: s}, nil
	case kBytes:
		return t.base64(s)
	case kDate:
		days, ok := parseDate(s)
		if !ok {
			return cell{}, fmt.Errorf("%s is not a DATE (want yyyy-MM-dd)", quote(s))
		}
		return cell{i: days}, nil
	case kTime32, kTime64:
		nanos, rest, ok := parseTime(s, iso)
		if !ok || len(rest) != 0 {
			return cell{}, fmt.Errorf("%s is not a TIME (want HH:mm:ss[.fraction])", quote(s))
		}
		return cell{i: truncNanos(nanos, n.prec) / n.div}, nil
	case kTimestamp:
		v, ok := n.parseTimestamp(s, iso)
		if !ok {
			return cell{}, fmt.Errorf("%s is not a %s (want %s)", quote(s), n.sqlType, n.timestampLayout(iso))
		}
		return cell{i: v}, nil
	}
	return cell{}, fmt.Errorf("a %s value cannot be written as text", n.sqlType)
}

func intCell(s []byte, lo, hi int64, typ string) (cell, error) {
	v, err := parseInt(trim(s), lo, hi)
	if err != nil {
		return cell{}, fmt.Errorf("%s %v for %s", quote(s), err, typ)
	}
	return cell{i: v}, nil
}

var (
	errNotInt   = errors.New("is not an integer")
	errIntRange = errors.New("is out of range")
)

// parseInt reads an optionally signed decimal integer within [lo, hi].
func parseInt(s []byte, lo, hi int64) (int64, error) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, errNotInt
	}
	var u uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errNotInt
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, errIntRange
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > uint64(-lo) {
			return 0, errIntRange
		}
		return -int64(u), nil
	}
	if u > uint64(hi) {
		return 0, errIntRange
	}
	return int64(u), nil
}

// parseDecimal reads a decimal number (optionally with a fraction and an
// exponent) exactly into precision and scale, rounding extra fraction
// digits half up as Flink's DecimalData.fromBigDecimal does.
func parseDecimal(s []byte, prec, scale int) (decimal128.Num, error) {
	errSyntax := errors.New("not a number")
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	// digits holds the significant digits (leading zeros dropped) and
	// exp10 the power of ten of the last one.
	var digits [80]byte
	nd, exp10, seen, dot := 0, 0, false, false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			seen = true
			if dot {
				exp10--
			}
			if nd == 0 && c == '0' {
				continue
			}
			if nd == len(digits) {
				return decimal128.Num{}, errors.New("too many digits")
			}
			digits[nd] = c - '0'
			nd++
		case c == '.' && !dot:
			dot = true
		default:
			goto exponent
		}
	}
exponent:
	if !seen {
		return decimal128.Num{}, errSyntax
	}
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return decimal128.Num{}, errSyntax
		}
		e, err := parseInt(s[i+1:], -1e6, 1e6)
		if err != nil {
			return decimal128.Num{}, errSyntax
		}
		exp10 += int(e)
	}
	if nd == 0 {
		return decimal128.Num{}, nil
	}
	// Shift the digits to the target scale: pad with zeros or round away
	// the extra fraction digits.
	shift := exp10 + scale
	roundUp := false
	if shift < 0 {
		keep := nd + shift
		if keep < 0 {
			return decimal128.Num{}, nil // far below the last kept digit
		}
		roundUp = digits[keep] >= 5
		nd, shift = keep, 0
	}
	// Checked before accumulating: 38 digits always fit 128 bits.
	if nd+shift > prec {
		return decimal128.Num{}, errors.New("out of range")
	}
	var v decimal128.Num
	var acc uint64
	accN := 0
	flush := func() {
		v = v.Mul(decimal128.FromU64(pow10u[accN])).Add(decimal128.FromU64(acc))
		acc, accN = 0, 0
	}
	for _, d := range digits[:nd] {
		acc = acc*10 + uint64(d)
		if accN++; accN == 19 {
			flush()
		}
	}
	flush()
	for ; shift > 0; shift-- {
		v = v.Mul(decimal128.FromU64(10))
	}
	if roundUp {
		v = v.Add(decimal128.FromU64(1))
	}
	if !v.FitsInPrecision(int32(prec)) {
		return decimal128.Num{}, errors.New("out of range")
	}
	if neg {
		v = v.Negate()
	}
	return v, nil
}

var pow10u = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// parseDate reads yyyy-MM-dd into days since 1970-01-01.
func parseDate(s []byte) (int64, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := num(s[0:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > types.MonthDays(y, m) {
		return 0, false
	}
	return types.DaysFromCivil(y, m, d), true
}

// parseTime reads HH:mm:ss[.fraction] (seconds optional when iso) into
// nanoseconds of the day, returning what follows.
func parseTime(s []byte, iso bool) (int64, []byte, bool) {
	if len(s) < 5 || s[2] != ':' {
		return 0, nil, false
	}
	h, ok1 := num(s[0:2])
	m, ok2 := num(s[3:5])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, nil, false
	}
	nanos := (h*3600 + m*60) * 1e9
	s = s[5:]
	if len(s) == 0 || s[0] != ':' {
		return nanos, s, iso
	}
	if len(s) < 3 {
		return 0, nil, false
	}
	sec, ok := num(s[1:3])
	if !ok || sec > 59 {
		return 0, nil, false
	}
	nanos += sec * 1e9
	s = s[3:]
	if len(s) > 0 && s[0] == '.' {
		s = s[1:]
		var frac int64
		nd := 0
		for nd < len(s) && s[nd] >= '0' && s[nd] <= '9' {
			if nd == 9 {
				return 0, nil, false
			}
			frac = frac*10 + int64(s[nd]-'0')
			nd++
		}
		if nd == 0 {
			return 0, nil, false
		}
		nanos += frac * int64(pow10u[9-nd])
		s = s[nd:]
	}
	return nanos, s, true
}

// parseTimestamp reads a date and a time joined by ' ' (SQL) or 'T'
// (ISO-8601), with an optional trailing 'Z' for ISO-8601 or TIMESTAMP_LTZ,
// into Arrow ticks truncated to the column's precision.
func (n *node) parseTimestamp(s []byte, iso bool) (int64, bool) {
	sep := byte(' ')
	if iso {
		sep = 'T'
	}
	if len(s) < 16 || s[10] != sep {
		return 0, false
	}
	days, ok := parseDate(s[:10])
	if !ok {
		return 0, false
	}
	nanos, rest, ok := parseTime(s[11:], iso)
	if !ok {
		return 0, false
	}
	if len(rest) == 1 && rest[0] == 'Z' && (iso || n.ltz) {
		rest = rest[1:]
	}
	if len(rest) != 0 {
		return 0, false
	}
	nanos = truncNanos(nanos, n.prec)
	secs := days*86400 + nanos/1e9
	if n.div == 1 && (secs > math.MaxInt64/int64(1e9)-1 || secs < math.MinInt64/int64(1e9)+1) {
		return 0, false // nanosecond timestamps span 1677..2262
	}
	return secs*(1e9/n.div) + nanos%1e9/n.div, true
}

func (n *node) timestampLayout(iso bool) string {
	l := "yyyy-MM-dd HH:mm:ss[.fraction]"
	if iso {
		l = "yyyy-MM-ddTHH:mm:ss[.fraction][Z]"
	} else if n.ltz {
		l += "[Z]"
	}
	return l
}

func truncNanos(nanos int64, prec int) int64 {
	q := int64(pow10u[9-prec])
	return nanos - nanos%q
}

func num(s []byte) (int64, bool) {
	var v int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// base64 decodes standard base64 (padding optional) into the arena.
func (t *tape) base64(s []byte) (cell, error) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	start := len(t.arena)
	t.arena = append(t.arena, make([]byte, enc.DecodedLen(len(s)))...)
	n, err := enc.Decode(t.arena[start:], s)
	if err != nil {
		t.arena = t.arena[:start]
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return cell{}, fmt.Errorf("invalid base64 at character %d", int64(ce))
		}
		return cell{}, errors.New("invalid base64")
	}
	t.arena = t.arena[:start+n]
	return cell{b: t.arena[start : start+n : start+n]}, nil
}

func trim(s []byte) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func equalFold(s []byte, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i, c := range s {
		if c|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// quote shows a value in a message, cut to a readable length.
func quote(s []byte) string {
	if len(s) > 40 {
		return strconv.Quote(string(s[:40])) + "…"
	}
	return strconv.Quote(string(s))
}

// unsafeString views b as a string for a parse call that does not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func f64frombits(i int64) float64 { return math.Float64frombits(uint64(i)) }
