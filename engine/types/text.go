package types

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// This file writes dates and times as SQL text (YYYY-MM-DD, HH:MM:SS.fff),
// the form Flink and ClickHouse share; every front end renders them here.

// unitsPerSecond is indexed by arrow.TimeUnit.
var unitsPerSecond = [...]int64{1, 1e3, 1e6, 1e9}

// UnitsPerSecond is how many ticks of unit make a second.
func UnitsPerSecond(unit arrow.TimeUnit) int64 { return unitsPerSecond[unit] }

// AppendTimestamp writes "YYYY-MM-DD HH:MM:SS" and p fractional digits for v
// ticks of unit since the epoch.
func AppendTimestamp(dst []byte, v int64, unit arrow.TimeUnit, p int) []byte {
	per := unitsPerSecond[unit]
	secs := FloorDiv(v, per)
	nanos := (v - secs*per) * (1e9 / per)
	days := FloorDiv(secs, 86400)
	dst = AppendDate(dst, days)
	dst = append(dst, ' ')
	return appendClock(dst, secs-days*86400, nanos, p)
}

// AppendTime writes "HH:MM:SS" and p fractional digits for a time of day.
func AppendTime(dst []byte, v int64, unit arrow.TimeUnit, p int) []byte {
	per := unitsPerSecond[unit]
	secs := FloorDiv(v, per)
	return appendClock(dst, secs, (v-secs*per)*(1e9/per), p)
}

func appendClock(dst []byte, secOfDay, nanos int64, p int) []byte {
	dst = append2(dst, secOfDay/3600)
	dst = append(dst, ':')
	dst = append2(dst, secOfDay/60%60)
	dst = append(dst, ':')
	dst = append2(dst, secOfDay%60)
	if p == 0 {
		return dst
	}
	// The first p digits of the nine-digit nanoseconds: truncation, as a
	// cast to a lower precision does.
	var frac [9]byte
	for k := 8; k >= 0; k-- {
		frac[k] = byte('0' + nanos%10)
		nanos /= 10
	}
	dst = append(dst, '.')
	return append(dst, frac[:p]...)
}

// AppendDate writes the proleptic Gregorian date of a day number (days since
// 1970-01-01) as YYYY-MM-DD.
func AppendDate(dst []byte, days int64) []byte {
	y, m, d := Civil(days)
	if y >= 0 && y < 10000 {
		dst = append2(dst, y/100)
		dst = append2(dst, y%100)
	} else {
		dst = strconv.AppendInt(dst, y, 10)
	}
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	return append2(dst, d)
}

// append2 writes 0 ≤ v < 100 as two digits.
func append2(dst []byte, v int64) []byte {
	if v < 0 || v > 99 {
		return strconv.AppendInt(dst, v, 10)
	}
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

// FloorDiv is a/b rounded toward negative infinity.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
