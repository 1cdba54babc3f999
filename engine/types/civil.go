package types

// This file is calendar arithmetic on days since 1970-01-01 in the
// proleptic Gregorian calendar, as Flink's DateTimeUtils counts, without
// time.Time on hot paths. The algorithms are H. Hinnant's
// days_from_civil and civil_from_days: years start in March, so the leap
// day falls last.

// Civil converts days since 1970-01-01 to year, month (1-12) and day.
func Civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := FloorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// DaysFromCivil converts y-m-d to days since 1970-01-01: Civil's inverse.
func DaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := FloorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// IsLeap says whether year y has a February 29.
func IsLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// MonthDays is the number of days of month m (1-12) of year y.
func MonthDays(y, m int64) int64 {
	switch m {
	case 2:
		if IsLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
