package expr

import (
	"strconv"
	"strings"

	"github.com/wharfdata/wharf/engine/types"
)

// Calendar arithmetic on int64 microseconds and int32 days since the epoch,
// proleptic Gregorian like Flink's DateTimeUtils, without time.Time on the
// hot path.

const (
	usPerSec  = int64(1e6)
	usPerMin  = 60 * usPerSec
	usPerHour = 60 * usPerMin
	usPerDay  = 24 * usPerHour
)

func floorMod(a, b int64) int64 { return a - types.FloorDiv(a, b)*b }

// addMonthsMicros adds months to a timestamp, clamping the day to the
// target month's length (2020-01-31 + 1 month = 2020-02-29), as Flink does.
func addMonthsMicros(us, months int64) int64 {
	days := types.FloorDiv(us, usPerDay)
	tod := us - days*usPerDay
	y, m, d := types.Civil(days)
	total := y*12 + (m - 1) + months
	y, m = types.FloorDiv(total, 12), floorMod(total, 12)+1
	d = min(d, types.MonthDays(y, m))
	return types.DaysFromCivil(y, m, d)*usPerDay + tod
}

// fields splits a wall-clock timestamp in microseconds.
type tsFields struct {
	y, mo, d, h, mi, s, us int64
	days                   int64
}

func splitTS(us int64) tsFields {
	days := types.FloorDiv(us, usPerDay)
	tod := us - days*usPerDay
	y, m, d := types.Civil(days)
	return tsFields{y: y, mo: m, d: d, h: tod / usPerHour, mi: tod % usPerHour / usPerMin,
		s: tod % usPerMin / usPerSec, us: tod % usPerSec, days: days}
}

// dow is the ISO day of week, 1 = Monday … 7 = Sunday.
func dow(days int64) int64 { return floorMod(days+3, 7) + 1 }

// isoWeek is the ISO-8601 week number.
func isoWeek(days int64) int64 {
	// Thursday of this week decides the year.
	thu := days - dow(days) + 4
	ty, _, _ := types.Civil(thu)
	return (thu-types.DaysFromCivil(ty, 1, 1))/7 + 1
}

func appendPad(dst []byte, v int64, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

func appendDate(dst []byte, days int32) []byte {
	y, m, d := types.Civil(int64(days))
	dst = appendPad(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPad(dst, m, 2)
	dst = append(dst, '-')
	return appendPad(dst, d, 2)
}

// appendTimestamp prints yyyy-MM-dd HH:mm:ss with the fraction's trailing
// zeros trimmed (none when the fraction is zero).
func appendTimestamp(dst []byte, us int64) []byte { return appendTimestampPrec(dst, us, -1) }

// appendTimestampPrec prints the fraction with exactly prec digits (CAST to
// STRING pads to the type's precision, as Flink does), or trimmed of
// trailing zeros when prec < 0.
func appendTimestampPrec(dst []byte, us int64, prec int) []byte {
	f := splitTS(us)
	dst = appendDate(dst, int32(f.days))
	dst = append(dst, ' ')
	dst = appendPad(dst, f.h, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, f.mi, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, f.s, 2)
	switch {
	case prec > 0:
		dst = append(dst, '.')
		start := len(dst)
		dst = appendPad(dst, f.us, 6)
		dst = dst[:start+min(prec, 6)]
	case prec < 0 && f.us != 0:
		dst = append(dst, '.')
		start := len(dst)
		dst = appendPad(dst, f.us, 6)
		for len(dst) > start+1 && dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

func formatDate(days int32) string    { return string(appendDate(nil, days)) }
func formatTimestamp(us int64) string { return string(appendTimestamp(nil, us)) }

// digits reads an unsigned decimal number of 1..max digits at s[i:].
func digits(s string, i, maxN int) (v int64, j int, ok bool) {
	j = i
	for j < len(s) && j-i < maxN && s[j] >= '0' && s[j] <= '9' {
		v = v*10 + int64(s[j]-'0')
		j++
	}
	return v, j, j > i
}

// parseDate reads yyyy-[m]m-[d]d (Flink also accepts one-digit fields).
func parseDate(s string) (int32, bool) {
	days, i, ok := parseDatePrefix(s)
	if !ok || i != len(s) {
		return 0, false
	}
	return int32(days), true
}

func parseDatePrefix(s string) (int64, int, bool) {
	neg := false
	i := 0
	if strings.HasPrefix(s, "-") {
		neg, i = true, 1
	}
	y, i, ok := digits(s, i, 9)
	if !ok || i >= len(s) || s[i] != '-' {
		return 0, 0, false
	}
	m, i, ok := digits(s, i+1, 2)
	if !ok || i >= len(s) || s[i] != '-' {
		return 0, 0, false
	}
	d, i, ok := digits(s, i+1, 2)
	if !ok {
		return 0, 0, false
	}
	if neg {
		y = -y
	}
	if m < 1 || m > 12 || d < 1 || d > types.MonthDays(y, m) {
		return 0, 0, false
	}
	return types.DaysFromCivil(y, m, d), i, true
}

// parseTimestamp reads yyyy-MM-dd[( |T)HH:mm[:ss[.fffffffff]]], as Flink's
// CAST(STRING AS TIMESTAMP) does; the fraction beyond microseconds is
// truncated.
func parseTimestamp(s string) (int64, bool) {
	days, i, ok := parseDatePrefix(s)
	if !ok {
		return 0, false
	}
	us := days * usPerDay
	if i == len(s) {
		return us, true
	}
	if s[i] != ' ' && s[i] != 'T' {
		return 0, false
	}
	h, i, ok := digits(s, i+1, 2)
	if !ok || i >= len(s) || s[i] != ':' {
		return 0, false
	}
	mi, i, ok := digits(s, i+1, 2)
	if !ok || h > 23 || mi > 59 {
		return 0, false
	}
	var sec, frac int64
	if i < len(s) && s[i] == ':' {
		if sec, i, ok = digits(s, i+1, 2); !ok || sec > 59 {
			return 0, false
		}
		if i < len(s) && s[i] == '.' {
			start := i + 1
			var f int64
			if f, i, ok = digits(s, start, 9); !ok {
				return 0, false
			}
			frac = fracMicros(f, i-start)
		}
	}
	if i != len(s) {
		return 0, false
	}
	return us + h*usPerHour + mi*usPerMin + sec*usPerSec + frac, true
}

// Java date patterns (SimpleDateFormat / DateTimeFormatter letters) as used
// by DATE_FORMAT, TO_TIMESTAMP, FROM_UNIXTIME and friends.

type fmtTok struct {
	letter byte // 0: literal
	width  int
	lit    string
}

// compilePattern tokenises a Java date pattern; quoted text is literal, ”
// is a quote, and letters we do not know are kept as literal text.
func compilePattern(p string) []fmtTok {
	var toks []fmtTok
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				toks = append(toks, fmtTok{lit: "'"})
				i += 2
				continue
			}
			j := i + 1
			var b strings.Builder
			for j < len(p) {
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(p[j])
				j++
			}
			toks = append(toks, fmtTok{lit: b.String()})
			i = j + 1
		case strings.IndexByte("yMdHhkKmsSEaDuwZzXL", c) >= 0:
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			toks = append(toks, fmtTok{letter: c, width: j - i})
			i = j
		default:
			j := i
			for j < len(p) && p[j] != '\'' && strings.IndexByte("yMdHhkKmsSEaDuwZzXL", p[j]) < 0 {
				j++
			}
			toks = append(toks, fmtTok{lit: p[i:j]})
			i = j
		}
	}
	return toks
}

var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}
var dayNames = [...]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// appendFormatted formats the wall clock us with the pattern.
func appendFormatted(dst []byte, toks []fmtTok, us int64) []byte {
	f := splitTS(us)
	for _, t := range toks {
		switch t.letter {
		case 0:
			dst = append(dst, t.lit...)
		case 'y':
			if t.width == 2 {
				dst = appendPad(dst, floorMod(f.y, 100), 2)
			} else {
				dst = appendPad(dst, f.y, t.width)
			}
		case 'M', 'L':
			switch {
			case t.width >= 4:
				dst = append(dst, monthNames[f.mo-1]...)
			case t.width == 3:
				dst = append(dst, monthNames[f.mo-1][:3]...)
			default:
				dst = appendPad(dst, f.mo, t.width)
			}
		case 'd':
			dst = appendPad(dst, f.d, t.width)
		case 'D':
			dst = appendPad(dst, f.days-types.DaysFromCivil(f.y, 1, 1)+1, t.width)
		case 'H':
			dst = appendPad(dst, f.h, t.width)
		case 'k':
			h := f.h
			if h == 0 {
				h = 24
			}
			dst = appendPad(dst, h, t.width)
		case 'h':
			h := f.h % 12
			if h == 0 {
				h = 12
			}
			dst = appendPad(dst, h, t.width)
		case 'K':
			dst = appendPad(dst, f.h%12, t.width)
		case 'm':
			dst = appendPad(dst, f.mi, t.width)
		case 's':
			dst = appendPad(dst, f.s, t.width)
		case 'S':
			// Fraction digits: SSS is milliseconds, SSSSSS microseconds.
			var tmp [9]byte
			frac := appendPad(tmp[:0], f.us*1000, 9)
			for k := 0; k < t.width; k++ {
				if k < len(frac) {
					dst = append(dst, frac[k])
				} else {
					dst = append(dst, '0')
				}
			}
		case 'E':
			name := dayNames[dow(f.days)-1]
			if t.width < 4 {
				name = name[:3]
			}
			dst = append(dst, name...)
		case 'u':
			dst = appendPad(dst, dow(f.days), t.width)
		case 'w':
			dst = appendPad(dst, isoWeek(f.days), t.width)
		case 'a':
			if f.h < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'Z':
			dst = append(dst, "+0000"...)
		case 'X':
			dst = append(dst, 'Z')
		case 'z':
			dst = append(dst, "UTC"...)
		}
	}
	return dst
}

// parseFormatted parses s with the pattern into a wall-clock timestamp. A
// numeric field followed directly by another numeric field reads exactly its
// width (yyyyMMdd); otherwise it reads as many digits as are there.
func parseFormatted(toks []fmtTok, s string) (int64, bool) {
	y, mo, d := int64(1970), int64(1), int64(1)
	var h, mi, sec, frac int64
	pm, h12 := false, false
	i := 0
	for k, t := range toks {
		if t.letter == 0 {
			if !strings.HasPrefix(s[i:], t.lit) {
				return 0, false
			}
			i += len(t.lit)
			continue
		}
		if t.letter == 'a' {
			switch {
			case strings.HasPrefix(strings.ToUpper(s[i:]), "AM"):
			case strings.HasPrefix(strings.ToUpper(s[i:]), "PM"):
				pm = true
			default:
				return 0, false
			}
			i += 2
			continue
		}
		if (t.letter == 'M' || t.letter == 'L') && t.width >= 3 {
			mIdx, end, ok := matchName(s, i, monthNames[:])
			if !ok {
				return 0, false
			}
			mo, i = int64(mIdx+1), end
			continue
		}
		if t.letter == 'E' {
			_, end, ok := matchName(s, i, dayNames[:])
			if !ok {
				return 0, false
			}
			i = end
			continue
		}
		maxN := 9
		if k+1 < len(toks) && toks[k+1].letter != 0 {
			maxN = t.width
		}
		start := i
		v, j, ok := digits(s, i, maxN)
		if !ok {
			return 0, false
		}
		i = j
		switch t.letter {
		case 'y':
			y = v
			if t.width == 2 && j-start == 2 {
				y += 2000
			}
		case 'M', 'L':
			mo = v
		case 'd':
			d = v
		case 'H', 'k':
			h = v % 24
		case 'h', 'K':
			h, h12 = v%12, true
		case 'm':
			mi = v
		case 's':
			sec = v
		case 'S':
			frac = fracMicros(v, j-start)
		case 'D', 'u', 'w':
			// accepted and ignored
		default:
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	if pm && h12 {
		h += 12
	}
	if mo < 1 || mo > 12 || d < 1 || d > types.MonthDays(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	return types.DaysFromCivil(y, mo, d)*usPerDay + h*usPerHour + mi*usPerMin + sec*usPerSec + frac, true
}

// fracMicros turns a fraction of a second written in n digits into
// microseconds, truncating digits past the sixth.
func fracMicros(v int64, n int) int64 {
	for ; n < 6; n++ {
		v *= 10
	}
	for ; n > 6; n-- {
		v /= 10
	}
	return v
}

// matchName matches one of names, in full or by its first three letters,
// case-insensitively at s[i:], returning the name's index and where the
// match ends.
func matchName(s string, i int, names []string) (idx, end int, ok bool) {
	for idx, name := range names {
		for _, cand := range [...]string{name, name[:3]} {
			if len(s)-i >= len(cand) && strings.EqualFold(s[i:i+len(cand)], cand) {
				return idx, i + len(cand), true
			}
		}
	}
	return 0, i, false
}
