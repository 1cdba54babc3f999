package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/sql"
)

// Interval literals bind as the expression layer expects them: day-time
// intervals (DAY, HOUR, MINUTE, SECOND and their ranges) as Arrow durations
// in microseconds, year-month intervals (YEAR, MONTH, YEAR TO MONTH) as
// Arrow month intervals.

// dayTimeUnits are the fields of a day-time interval, largest first, with
// their size in microseconds and the bound a non-leading field stays under.
var dayTimeUnits = []struct {
	unit  sql.TimeUnit
	us    int64
	bound int64
	sep   byte // the separator before this field when it is not the first
}{
	{"DAY", 86_400_000_000, 0, 0},
	{"HOUR", 3_600_000_000, 24, ' '},
	{"MINUTE", 60_000_000, 60, ':'},
	{"SECOND", 1_000_000, 60, ':'},
}

// intervalLiteral parses INTERVAL 'value' qualifier.
func intervalLiteral(iv *sql.Interval) (scalar.Scalar, error) {
	q := iv.Unit
	text := strings.TrimSpace(iv.Value)
	neg := false
	if strings.HasPrefix(text, "-") {
		neg, text = true, strings.TrimSpace(text[1:])
	} else if strings.HasPrefix(text, "+") {
		text = strings.TrimSpace(text[1:])
	}
	bad := func() error {
		return fmt.Errorf("INTERVAL '%s' %s: the value does not match the qualifier", iv.Value, qualifierString(q))
	}
	end := q.End
	if end == "" {
		end = q.Start
	}
	switch q.Start {
	case "YEAR", "MONTH":
		var months int64
		switch {
		case q.Start == "YEAR" && end == "YEAR":
			y, err := parseField(text)
			if err != nil {
				return nil, bad()
			}
			months = y * 12
		case q.Start == "MONTH" && end == "MONTH":
			m, err := parseField(text)
			if err != nil {
				return nil, bad()
			}
			months = m
		case q.Start == "YEAR" && end == "MONTH":
			ys, ms, ok := strings.Cut(text, "-")
			y, err1 := parseField(ys)
			m, err2 := parseField(ms)
			if !ok || err1 != nil || err2 != nil || m >= 12 {
				return nil, bad()
			}
			months = y*12 + m
		default:
			return nil, fmt.Errorf("INTERVAL %s is not a valid interval qualifier", qualifierString(q))
		}
		if neg {
			months = -months
		}
		if months < -1<<31 || months >= 1<<31 {
			return nil, fmt.Errorf("INTERVAL '%s' %s is out of range", iv.Value, qualifierString(q))
		}
		return scalar.NewMonthIntervalScalar(arrow.MonthInterval(months)), nil
	}
	first, last := -1, -1
	for i, u := range dayTimeUnits {
		if u.unit == q.Start {
			first = i
		}
		if u.unit == end {
			last = i
		}
	}
	if first < 0 || last < first {
		return nil, fmt.Errorf("INTERVAL %s is not supported (use YEAR, MONTH, DAY, HOUR, MINUTE or SECOND, or a range of them)", qualifierString(q))
	}
	var us int64
	rest := text
	for i := first; i <= last; i++ {
		u := dayTimeUnits[i]
		var field string
		if i < last {
			sep := dayTimeUnits[i+1].sep
			var ok bool
			if field, rest, ok = strings.Cut(rest, string(sep)); !ok {
				return nil, bad()
			}
		} else {
			field = rest
		}
		field = strings.TrimSpace(field)
		if u.unit == "SECOND" {
			whole, frac, hasFrac := strings.Cut(field, ".")
			s, err := parseField(whole)
			if err != nil || (i > first && s >= u.bound) {
				return nil, bad()
			}
			us += s * u.us
			if hasFrac {
				if frac == "" || len(frac) > 9 {
					return nil, bad()
				}
				f, err := parseField((frac + "000000")[:6])
				if err != nil {
					return nil, bad()
				}
				us += f
			}
			continue
		}
		v, err := parseField(field)
		if err != nil || (i > first && v >= u.bound) {
			return nil, bad()
		}
		if v > (1<<62)/u.us {
			return nil, fmt.Errorf("INTERVAL '%s' %s is out of range", iv.Value, qualifierString(q))
		}
		us += v * u.us
	}
	if neg {
		us = -us
	}
	return scalar.NewDurationScalar(arrow.Duration(us), &arrow.DurationType{Unit: arrow.Microsecond}), nil
}

// parseField reads an unsigned decimal interval field.
func parseField(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "+-") {
		return 0, fmt.Errorf("bad field")
	}
	return strconv.ParseInt(s, 10, 64)
}

func qualifierString(q sql.IntervalQualifier) string {
	if q.End == "" {
		return string(q.Start)
	}
	return string(q.Start) + " TO " + string(q.End)
}
