package expr

import "testing"

func TestArith(t *testing.T) {
	runTable(t, []tc{
		{"+", a(1, 2), "3"},
		{"+", a(1, nil), "NULL"},
		{"+", a(2147483647, 1), "-2147483648"}, // Java int wraps
		{"+", a(i64(1), 2), "3"},
		{"+", a(1, 1.5), "2.5"},
		{"-", a(5, 7), "-2"},
		{"*", a(6, 7), "42"},
		{"/", a(7, 2), "3"},
		{"/", a(-7, 2), "-3"},
		{"/", a(7, 0), "ERR: division by zero"},
		{"/", a(7.0, 0.0), "Infinity"},
		{"%", a(-7, 3), "-1"},
		{"%", a(7, 0), "ERR: division by zero"},
		{"MOD", a(7, 3), "1"},
		{"%", a(-7, lit(3)), "-1"}, // column % constant: the one-loop path
		{"%", a(i64(-9223372036854775808), lit(i64(7))), "-1"},
		{"%", a(7, lit(-1)), "0"},
		{"%", a(7, lit(0)), "ERR: division by zero"},
		{"%", a(nil, lit(3)), "NULL"},
		{"+", a(decV("1.25"), decV("2.5")), "3.75"},
		{"*", a(decV("1.25"), decV("2.5")), "3.125"},
		{"/", a(decV("1.00"), 3), "0.3333333333333"}, // Flink: DECIMAL(3,2) / INT is DECIMAL(16,13)
		{"/", a(decV("1"), decV("0")), "ERR: division by zero"},
		{"+", a(decV("1.5"), 1), "2.5"},
		{"+", a(decV("1.5"), 1.0), "2.5"},
		{"+", a("a", 1), "ERR: cannot apply '+' to arguments of type STRING and INT"},
		{"NEG", a(5), "-5"},
		{"NEG", a(decV("5.5")), "-5.5"},
		{"+", a(tsV("2020-01-31 10:00:00"), durV(3600_000_000)), "2020-01-31 11:00:00"},
		{"+", a(tsV("2020-01-31 10:00:00"), monV(1)), "2020-02-29 10:00:00"},
		{"-", a(dateV("2020-03-01"), durV(86400_000_000)), "2020-02-29"},
		{"+", a(durV(86400_000_000), dateV("2020-03-01")), "2020-03-02"},
	})
}

func TestCompare(t *testing.T) {
	runTable(t, []tc{
		{"=", a(1, 1), "TRUE"},
		{"=", a(1, i64(2)), "FALSE"},
		{"<", a(1, 1.5), "TRUE"},
		{"<>", a(1, nil), "NULL"},
		{"<", a("a", "b"), "TRUE"},
		{"<", a("B", "a"), "TRUE"}, // byte order
		{">=", a(decV("1.50"), decV("1.5")), "TRUE"},
		{"=", a(dateV("2020-01-01"), unitV("2020-01-01")), "TRUE"},
		{"<", a(tsV("2020-01-01 00:00:00"), unitV("2020-01-01 00:00:01")), "TRUE"},
		{"=", a(dateV("2020-01-01"), tsV("2020-01-01 00:00:00")), "TRUE"},
		{"<", a(false, true), "TRUE"},
		{"=", a("a", 1), "ERR: cannot apply '=' to arguments of type STRING and INT"},
		{"IS DISTINCT FROM", a(1, nil), "TRUE"},
		{"IS DISTINCT FROM", a(nil, nil), "FALSE"},
		{"IS NOT DISTINCT FROM", a(1, 1), "TRUE"},
		{"IS NULL", a(nil), "TRUE"},
		{"IS NOT NULL", a(1), "TRUE"},
		{"IN", a(2, 1, 2, 3), "TRUE"},
		{"IN", a(4, 1, 2, 3), "FALSE"},
		{"IN", a(4, 1, nil), "NULL"},
		{"IN", a(nil, 1, 2), "NULL"},
		{"IN", a("b", "a", "b"), "TRUE"},
		{"IN", a(i64(2), 1, 2), "TRUE"},
	})
}

func TestLogic(t *testing.T) {
	runTable(t, []tc{
		{"AND", a(true, nil), "NULL"},
		{"AND", a(false, nil), "FALSE"},
		{"OR", a(true, nil), "TRUE"},
		{"OR", a(false, nil), "NULL"},
		{"NOT", a(nil), "NULL"},
		{"NOT", a(true), "FALSE"},
		{"IS TRUE", a(nil), "FALSE"},
		{"IS NOT TRUE", a(nil), "TRUE"},
		{"IS FALSE", a(false), "TRUE"},
		{"IS NOT FALSE", a(true), "TRUE"},
		{"AND", a(1, true), "ERR: cannot apply 'AND'"},
	})
}
