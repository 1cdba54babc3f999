package expr

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/types"
)

// String prints the column name (quoted with backticks when needed).
func (c *Column) String() string {
	if c.Name == "" {
		return "$" + strconv.Itoa(c.Index)
	}
	if plainIdent(c.Name) {
		return c.Name
	}
	return "`" + strings.ReplaceAll(c.Name, "`", "``") + "`"
}

func plainIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// String prints the literal as Flink SQL reads it back.
func (l *Literal) String() string {
	v := l.Value
	if v == nil || !v.IsValid() {
		if v == nil || isNull(v.DataType()) {
			return "NULL"
		}
		return "CAST(NULL AS " + typeName(v.DataType()) + ")"
	}
	switch s := v.(type) {
	case *scalar.String, *scalar.LargeString:
		return quote(string(s.(scalar.BinaryScalar).Data()))
	case *scalar.Binary:
		return "X'" + strings.ToUpper(hexString(s.Data())) + "'"
	case *scalar.Boolean:
		if s.Value {
			return "TRUE"
		}
		return "FALSE"
	case *scalar.Int8:
		return "CAST(" + strconv.Itoa(int(s.Value)) + " AS TINYINT)"
	case *scalar.Int16:
		return "CAST(" + strconv.Itoa(int(s.Value)) + " AS SMALLINT)"
	case *scalar.Int32:
		return strconv.Itoa(int(s.Value))
	case *scalar.Int64:
		if s.Value >= -1<<31 && s.Value < 1<<31 {
			return "CAST(" + strconv.FormatInt(s.Value, 10) + " AS BIGINT)"
		}
		return strconv.FormatInt(s.Value, 10)
	case *scalar.Float32:
		return "CAST(" + javaDouble(float64(s.Value)) + " AS FLOAT)"
	case *scalar.Float64:
		f := javaDouble(s.Value)
		if !strings.Contains(f, "E") {
			f += "E0"
		}
		return f
	case *scalar.Decimal128:
		t := s.Type.(*arrow.Decimal128Type)
		return s.Value.ToString(t.Scale)
	case *scalar.Date32:
		return "DATE '" + formatDate(int32(s.Value)) + "'"
	case *scalar.Timestamp:
		t := s.Type.(*arrow.TimestampType)
		us := toMicros(int64(s.Value), t.Unit)
		if t.TimeZone != "" {
			return "TO_TIMESTAMP_LTZ(" + strconv.FormatInt(us/1000, 10) + ", 3)"
		}
		return "TIMESTAMP '" + formatTimestamp(us) + "'"
	case *scalar.Duration:
		t := s.Type.(*arrow.DurationType)
		us := toMicros(int64(s.Value), t.Unit)
		return "INTERVAL '" + formatDayTime(us) + "' DAY TO SECOND"
	case *scalar.MonthInterval:
		m := int(s.Value)
		sign := ""
		if m < 0 {
			sign, m = "-", -m
		}
		return "INTERVAL '" + sign + strconv.Itoa(m/12) + "-" + strconv.Itoa(m%12) + "' YEAR TO MONTH"
	}
	return "CAST(" + quote(v.String()) + " AS " + typeName(v.DataType()) + ")"
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func toMicros(v int64, u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return v * 1e6
	case arrow.Millisecond:
		return v * 1e3
	case arrow.Nanosecond:
		return types.FloorDiv(v, 1e3)
	}
	return v
}

func formatDayTime(us int64) string {
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	d := time.Duration(us) * time.Microsecond
	days := int64(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	s := d % time.Minute
	frac := strconv.FormatFloat(s.Seconds(), 'f', 3, 64)
	if s < 10*time.Second {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(days, 10) + " " + pad2(h) + ":" + pad2(m) + ":" + frac
}

func pad2(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}

// String prints the call in Flink syntax: infix operators parenthesised,
// special forms (EXTRACT, TRIM, …) with their keywords.
func (c *Call) String() string {
	name := "?"
	if c.Func != nil {
		name = c.Func.Name
	}
	a := make([]string, len(c.Args))
	for i, e := range c.Args {
		a[i] = e.String()
	}
	unit := func(i int) string {
		if l, ok := c.Args[i].(*Literal); ok && l.Value.IsValid() && isString(l.Type()) {
			return string(l.Value.(scalar.BinaryScalar).Data())
		}
		return a[i]
	}
	switch name {
	case "+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">=", "AND", "OR",
		"IS DISTINCT FROM", "IS NOT DISTINCT FROM":
		if len(a) == 2 {
			return "(" + a[0] + " " + name + " " + a[1] + ")"
		}
	case "NEG":
		return "(-" + a[0] + ")"
	case "NOT":
		return "(NOT " + a[0] + ")"
	case "IS NULL", "IS NOT NULL", "IS TRUE", "IS NOT TRUE", "IS FALSE", "IS NOT FALSE":
		return "(" + a[0] + " " + name + ")"
	case "LIKE", "SIMILAR TO":
		s := "(" + a[0] + " " + name + " " + a[1]
		if len(a) > 2 {
			s += " ESCAPE " + a[2]
		}
		return s + ")"
	case "IN":
		return "(" + a[0] + " IN (" + strings.Join(a[1:], ", ") + "))"
	case "EXTRACT":
		return "EXTRACT(" + unit(0) + " FROM " + a[1] + ")"
	case "FLOOR", "CEIL":
		if len(a) == 2 {
			return name + "(" + a[0] + " TO " + unit(1) + ")"
		}
	case "TIMESTAMPADD", "TIMESTAMPDIFF":
		return name + "(" + unit(0) + ", " + strings.Join(a[1:], ", ") + ")"
	case "POSITION":
		return "POSITION(" + a[0] + " IN " + a[1] + ")"
	case "TRIM":
		return "TRIM(" + unit(0) + " " + a[1] + " FROM " + a[2] + ")"
	case "OVERLAY":
		s := "OVERLAY(" + a[0] + " PLACING " + a[1] + " FROM " + a[2]
		if len(a) > 3 {
			s += " FOR " + a[3]
		}
		return s + ")"
	}
	return name + "(" + strings.Join(a, ", ") + ")"
}

// String prints CAST(x AS T) or TRY_CAST(x AS T).
func (c *Cast) String() string {
	kw := "CAST("
	if c.Try {
		kw = "TRY_CAST("
	}
	return kw + c.Arg.String() + " AS " + typeName(c.To) + ")"
}

// String prints the searched CASE form.
func (c *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range c.Whens {
		b.WriteString(" WHEN ")
		b.WriteString(w.Cond.String())
		b.WriteString(" THEN ")
		b.WriteString(w.Then.String())
	}
	if c.Else != nil {
		if l, ok := c.Else.(*Literal); !ok || l.Value.IsValid() {
			b.WriteString(" ELSE ")
			b.WriteString(c.Else.String())
		}
	}
	b.WriteString(" END")
	return b.String()
}

const hexDigits = "0123456789abcdef"

func hexString(b []byte) string {
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = hexDigits[c>>4], hexDigits[c&15]
	}
	return string(out)
}

// javaDouble formats f as Java's Double.toString does (Flink prints DOUBLE
// that way): plain notation for 1e-3 <= |f| < 1e7 with at least one
// fractional digit, otherwise computerized scientific notation like 1.0E10.
func javaDouble(f float64) string {
	switch {
	case f != f:
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if 1/f < 0 {
			return "-0.0"
		}
		return "0.0"
	}
	abs := f
	if abs < 0 {
		abs = -abs
	}
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.5E+10
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if exp[0] == '+' {
		exp = exp[1:]
	}
	exp = strings.TrimLeft(exp, "0")
	if strings.HasPrefix(exp, "-") {
		exp = "-" + strings.TrimLeft(exp[1:], "0")
	}
	return mant + "E" + exp
}

// javaFloat is javaDouble for FLOAT values (shortest float32 digits).
func javaFloat(f float32) string {
	s := javaDouble(float64(f))
	g := strconv.FormatFloat(float64(f), 'f', -1, 32)
	if strings.Contains(s, "E") || strings.Contains(s, "N") || strings.Contains(s, "I") {
		e := strconv.FormatFloat(float64(f), 'E', -1, 32)
		mant, exp, _ := strings.Cut(e, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		if exp[0] == '+' {
			exp = exp[1:]
		}
		neg := strings.HasPrefix(exp, "-")
		exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
		if neg {
			exp = "-" + exp
		}
		if f != f || s == "Infinity" || s == "-Infinity" {
			return s
		}
		return mant + "E" + exp
	}
	if !strings.Contains(g, ".") {
		g += ".0"
	}
	return g
}
