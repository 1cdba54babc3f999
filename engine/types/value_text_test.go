package types

import (
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		f                float64
		bits             int
		json, ch, chJSON string
	}{
		{0, 64, "0", "0", "0"},
		{math.Copysign(0, -1), 64, "-0", "-0", "-0"},
		{1.5, 64, "1.5", "1.5", "1.5"},
		{0.1, 32, "0.1", "0.1", "0.1"},
		{1e-6, 64, "0.000001", "0.000001", "0.000001"},
		{1e-7, 64, "1e-7", "1e-7", "1e-7"},
		{-2.5e-9, 64, "-2.5e-9", "-2.5e-9", "-2.5e-9"},
		{1e-10, 64, "1e-10", "1e-10", "1e-10"},
		{1e20, 64, "100000000000000000000", "100000000000000000000", "100000000000000000000"},
		{1e21, 64, "1e+21", "1e21", "1e21"},
		{-1.5e300, 64, "-1.5e+300", "-1.5e300", "-1.5e300"},
		{5e-324, 64, "5e-324", "5e-324", "5e-324"},
		{math.NaN(), 64, `"NaN"`, "nan", "null"},
		{math.Inf(1), 64, `"Infinity"`, "inf", "null"},
		{math.Inf(-1), 32, `"-Infinity"`, "-inf", "null"},
	}
	for _, tt := range tests {
		for s, want := range map[FloatStyle]string{FloatJSON: tt.json, FloatClickHouse: tt.ch, FloatClickHouseJSON: tt.chJSON} {
			if got := string(appendFloat([]byte("x"), tt.f, tt.bits, s)); got != "x"+want {
				t.Errorf("appendFloat(%v, %d, style %d) = %q, want %q", tt.f, tt.bits, s, got, "x"+want)
			}
		}
	}
}

func TestAppendDecimal(t *testing.T) {
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	tests := []struct {
		v           *big.Int
		scale       int32
		exact, trim string
	}{
		{big.NewInt(0), 0, "0", "0"},
		{big.NewInt(0), 2, "0.00", "0"},
		{big.NewInt(-150), 2, "-1.50", "-1.5"},
		{big.NewInt(100), 2, "1.00", "1"},
		{big.NewInt(7), 3, "0.007", "0.007"},
		{big.NewInt(-7), 0, "-7", "-7"},
		{big.NewInt(12), -2, "1200", "1200"},
		{big.NewInt(math.MinInt64), 4, "-922337203685477.5808", "-922337203685477.5808"},
		{huge, 10, "-12345678901234567890.1234567890", "-12345678901234567890.123456789"},
	}
	for _, tt := range tests {
		for trim, want := range map[bool]string{false: tt.exact, true: tt.trim} {
			got := []string{string(AppendDecimal128(nil, decimal128.FromBigInt(tt.v), tt.scale, trim)),
				string(AppendDecimal256(nil, decimal256.FromBigInt(tt.v), tt.scale, trim))}
			if tt.v.IsInt64() {
				got = append(got, string(AppendDecimal64(nil, tt.v.Int64(), tt.scale, trim)))
			}
			for _, g := range got {
				if g != want {
					t.Errorf("decimal %v scale %d trim %v = %q, want %q", tt.v, tt.scale, trim, g, want)
				}
			}
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct {
		in   string
		esc  JSONEscape
		want string
	}{
		{"", 0, `""`},
		{`a"b\c`, 0, `"a\"b\\c"`},
		{"t\tn\nr\r\b\x00\x1f\x7f", 0, `"t\tn\nr\r\u0008\u0000\u001f` + "\x7f\""},
		{"a/b", 0, `"a/b"`},
		{"a/b", EscapeSlash, `"a\/b"`},
		{"x\u2028\u2029y", 0, "\"x\u2028\u2029y\""},
		{"x\u2028\u2029y", EscapeLineSeparators, `"x\u2028\u2029y"`},
		{"é\xff\xe6\x97", 0, "\"é\\ufffd\\ufffd\\ufffd\""},
	}
	for _, tt := range tests {
		if got := string(AppendJSONString(nil, tt.in, tt.esc)); got != tt.want {
			t.Errorf("AppendJSONString(%q, %d) = %s, want %s", tt.in, tt.esc, got, tt.want)
		}
		if got := string(AppendJSONString(nil, []byte(tt.in), tt.esc)); got != tt.want {
			t.Errorf("AppendJSONString([]byte %q, %d) = %s, want %s", tt.in, tt.esc, got, tt.want)
		}
	}
}

// TestScalarText runs one column of each kind through two settings.
func TestScalarText(t *testing.T) {
	quoteStr := func(dst []byte, v string) []byte { return append(append(append(dst, '<'), v...), '>') }
	plain := ScalarText{Float: FloatClickHouse, TrimDecimal: true, String: quoteStr,
		Bytes: func(dst, v []byte) []byte { return append(dst, v...) }}
	js := ScalarText{Quote64: Quote64Unsafe, Float: FloatJSON, DecimalQuote: '"', TimeQuote: '"', String: quoteStr,
		Bytes: func(dst, v []byte) []byte { return append(dst, "b:"...) }}
	all := plain
	all.Quote64 = Quote64All
	ms := arrow.NewMetadata([]string{MetaPrecision}, []string{"2"})
	tests := []struct {
		dt                 arrow.DataType
		md                 arrow.Metadata
		json               string
		plain, all, jsText string
	}{
		{arrow.FixedWidthTypes.Boolean, arrow.Metadata{}, `[true,false]`, "true false", "true false", "true false"},
		{arrow.PrimitiveTypes.Int8, arrow.Metadata{}, `[-128,1]`, "-128 1", "-128 1", "-128 1"},
		{arrow.PrimitiveTypes.Int64, arrow.Metadata{}, `[9007199254740993,-5]`, "9007199254740993 -5", `"9007199254740993" "-5"`, `"9007199254740993" -5`},
		{arrow.PrimitiveTypes.Uint64, arrow.Metadata{}, `[18446744073709551615,5]`, "18446744073709551615 5", `"18446744073709551615" "5"`, `"18446744073709551615" 5`},
		{arrow.FixedWidthTypes.Duration_s, arrow.Metadata{}, `[-9007199254740993,5]`, "-9007199254740993 5", `"-9007199254740993" "5"`, `"-9007199254740993" 5`},
		{arrow.PrimitiveTypes.Float32, arrow.Metadata{}, `[0.25,1e22]`, "0.25 1e22", "0.25 1e22", "0.25 1e+22"},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, arrow.Metadata{}, `["1.20","-0.05"]`, "1.2 -0.05", "1.2 -0.05", `"1.20" "-0.05"`},
		{arrow.BinaryTypes.String, arrow.Metadata{}, `["a","b"]`, "<a> <b>", "<a> <b>", "<a> <b>"},
		{arrow.BinaryTypes.Binary, arrow.Metadata{}, `["YQ==",null]`, "a ", "a ", "b: b:"},
		{arrow.FixedWidthTypes.Date32, arrow.Metadata{}, `[0,-1]`, "1970-01-01 1969-12-31", "1970-01-01 1969-12-31", `"1970-01-01" "1969-12-31"`},
		{arrow.FixedWidthTypes.Timestamp_ms, ms, `[1234,-1]`, "1970-01-01 00:00:01.23 1969-12-31 23:59:59.99", "1970-01-01 00:00:01.23 1969-12-31 23:59:59.99", `"1970-01-01 00:00:01.23" "1969-12-31 23:59:59.99"`},
		{arrow.FixedWidthTypes.Time64us, arrow.Metadata{}, `[1,86399999999]`, "00:00:00.000001 23:59:59.999999", "00:00:00.000001 23:59:59.999999", `"00:00:00.000001" "23:59:59.999999"`},
	}
	for _, tt := range tests {
		arr, _, err := array.FromJSON(memory.DefaultAllocator, tt.dt, strings.NewReader(tt.json))
		if err != nil {
			t.Fatalf("%s: %v", tt.dt, err)
		}
		for name, c := range map[string]struct {
			st   ScalarText
			want string
		}{"plain": {plain, tt.plain}, "all": {all, tt.all}, "json": {js, tt.jsText}} {
			enc, ok := c.st.Encoder(arr, tt.md)
			if !ok {
				t.Fatalf("%s: no encoder", tt.dt)
			}
			got := enc(nil, 0)
			got = enc(append(got, ' '), 1)
			if string(got) != c.want {
				t.Errorf("%s %s: %s, want %s", tt.dt, name, got, c.want)
			}
		}
	}
	for _, dt := range []arrow.DataType{arrow.Null, arrow.ListOf(arrow.PrimitiveTypes.Int8), arrow.FixedWidthTypes.MonthInterval} {
		arr := array.MakeArrayOfNull(memory.DefaultAllocator, dt, 1)
		if _, ok := plain.Encoder(arr, arrow.Metadata{}); ok {
			t.Errorf("%s: an encoder for a type the front ends write", dt)
		}
	}
}

func TestWithNullsAndList(t *testing.T) {
	arr, _, err := array.FromJSON(memory.DefaultAllocator, arrow.ListOf(arrow.PrimitiveTypes.Int16), strings.NewReader(`[[1,null,3],[],null]`))
	if err != nil {
		t.Fatal(err)
	}
	list := arr.(*array.List)
	st := ScalarText{}
	elem, _ := st.Encoder(list.ListValues(), arrow.Metadata{})
	enc := WithNulls(arr, ListText(list, WithNulls(list.ListValues(), elem, "N")), "null")
	var got []byte
	for i := range arr.Len() {
		got = append(enc(got, i), ';')
	}
	if string(got) != "[1,N,3];[];null;" {
		t.Errorf("got %s", got)
	}
}
