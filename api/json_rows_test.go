package api

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// encodeAll returns the JSON of every value of arr.
func encodeAll(arr arrow.Array, md arrow.Metadata) []string {
	enc := newValueEncoder(arr, md)
	out := make([]string, arr.Len())
	for i := range out {
		out[i] = string(enc(nil, i))
	}
	return out
}

// build makes an array of dt by appending values with fill.
func build(t *testing.T, dt arrow.DataType, fill func(b array.Builder)) arrow.Array {
	t.Helper()
	b := array.NewBuilder(memory.DefaultAllocator, dt)
	defer b.Release()
	fill(b)
	return b.NewArray()
}

func precisionMeta(p string) arrow.Metadata {
	return arrow.NewMetadata([]string{"wharf.precision"}, []string{p})
}

func TestEncodeValues(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tsArr := func(unit arrow.TimeUnit, tz string, vals ...time.Time) func(*testing.T) arrow.Array {
		return func(t *testing.T) arrow.Array {
			return build(t, &arrow.TimestampType{Unit: unit, TimeZone: tz}, func(b array.Builder) {
				for _, v := range vals {
					n, err := arrow.TimestampFromTime(v, unit)
					if err != nil {
						t.Fatal(err)
					}
					b.(*array.TimestampBuilder).Append(n)
				}
			})
		}
	}
	tests := []struct {
		name string
		arr  func(*testing.T) arrow.Array
		md   arrow.Metadata
		want []string
	}{
		{"bool", func(t *testing.T) arrow.Array {
			return build(t, arrow.FixedWidthTypes.Boolean, func(b array.Builder) {
				b.(*array.BooleanBuilder).AppendValues([]bool{true, false}, nil)
				b.AppendNull()
			})
		}, arrow.Metadata{}, []string{"true", "false", "null"}},
		{"int8", func(t *testing.T) arrow.Array {
			return build(t, arrow.PrimitiveTypes.Int8, func(b array.Builder) {
				b.(*array.Int8Builder).AppendValues([]int8{-128, 127}, nil)
			})
		}, arrow.Metadata{}, []string{"-128", "127"}},
		{"int32", func(t *testing.T) arrow.Array {
			return build(t, arrow.PrimitiveTypes.Int32, func(b array.Builder) {
				b.(*array.Int32Builder).AppendValues([]int32{math.MinInt32, 0, 42}, nil)
			})
		}, arrow.Metadata{}, []string{"-2147483648", "0", "42"}},
		{"int64 beyond 2^53 as strings", func(t *testing.T) arrow.Array {
			return build(t, arrow.PrimitiveTypes.Int64, func(b array.Builder) {
				b.(*array.Int64Builder).AppendValues([]int64{1 << 53, 1<<53 + 1, -(1 << 53), -(1<<53 + 1), math.MinInt64, math.MaxInt64}, nil)
			})
		}, arrow.Metadata{}, []string{"9007199254740992", `"9007199254740993"`, "-9007199254740992", `"-9007199254740993"`,
			`"-9223372036854775808"`, `"9223372036854775807"`}},
		{"uint64", func(t *testing.T) arrow.Array {
			return build(t, arrow.PrimitiveTypes.Uint64, func(b array.Builder) {
				b.(*array.Uint64Builder).AppendValues([]uint64{7, math.MaxUint64}, nil)
			})
		}, arrow.Metadata{}, []string{"7", `"18446744073709551615"`}},
		{"float64", func(t *testing.T) arrow.Array {
			return build(t, arrow.PrimitiveTypes.Float64, func(b array.Builder) {
				b.(*array.Float64Builder).AppendValues([]float64{1.5, -0.1, 1e21, 1e-7, 100, math.NaN(), math.Inf(1), math.Inf(-1)}, nil)
			})
		}, arrow.Metadata{}, []string{"1.5", "-0.1", "1e+21", "1e-7", "100", `"NaN"`, `"Infinity"`, `"-Infinity"`}},
		{"float32 shortest", func(t *testing.T) arrow.Array {
			return build(t, arrow.PrimitiveTypes.Float32, func(b array.Builder) {
				b.(*array.Float32Builder).AppendValues([]float32{0.1, 3.25}, nil)
			})
		}, arrow.Metadata{}, []string{"0.1", "3.25"}},
		{"float16", func(t *testing.T) arrow.Array {
			return build(t, arrow.FixedWidthTypes.Float16, func(b array.Builder) {
				b.(*array.Float16Builder).Append(float16.New(2.5))
			})
		}, arrow.Metadata{}, []string{"2.5"}},
		{"decimal128", func(t *testing.T) arrow.Array {
			return build(t, &arrow.Decimal128Type{Precision: 38, Scale: 2}, func(b array.Builder) {
				db := b.(*array.Decimal128Builder)
				db.Append(decimal128.FromI64(12345))
				db.Append(decimal128.FromI64(-5))
				db.Append(decimal128.FromI64(0))
				big, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
				db.Append(decimal128.FromBigInt(big))
				db.Append(decimal128.FromI64(math.MinInt64))
			})
		}, arrow.Metadata{}, []string{`"123.45"`, `"-0.05"`, `"0.00"`, `"-1234567890123456789012345678.90"`, `"-92233720368547758.08"`}},
		{"decimal128 scale 0", func(t *testing.T) arrow.Array {
			return build(t, &arrow.Decimal128Type{Precision: 10, Scale: 0}, func(b array.Builder) {
				b.(*array.Decimal128Builder).Append(decimal128.FromI64(-42))
			})
		}, arrow.Metadata{}, []string{`"-42"`}},
		{"decimal256", func(t *testing.T) arrow.Array {
			return build(t, &arrow.Decimal256Type{Precision: 76, Scale: 3}, func(b array.Builder) {
				db := b.(*array.Decimal256Builder)
				db.Append(decimal256.FromI64(1))
				big, _ := new(big.Int).SetString("1000000000000000000000000000000000000000001", 10)
				db.Append(decimal256.FromBigInt(big))
			})
		}, arrow.Metadata{}, []string{`"0.001"`, `"1000000000000000000000000000000000000000.001"`}},
		{"string", func(t *testing.T) arrow.Array {
			return build(t, arrow.BinaryTypes.String, func(b array.Builder) {
				b.(*array.StringBuilder).AppendValues([]string{"plain", "q\"b\\n\n\t\x01", "héllo ✓", "bad\xffutf8", "\u2028"}, nil)
			})
		}, arrow.Metadata{}, []string{`"plain"`, `"q\"b\\n\n\t\u0001"`, `"héllo ✓"`, `"bad\ufffdutf8"`, `"\u2028"`}},
		{"binary base64", func(t *testing.T) arrow.Array {
			return build(t, arrow.BinaryTypes.Binary, func(b array.Builder) {
				b.(*array.BinaryBuilder).AppendValues([][]byte{{0, 1, 2, 0xff}, {}}, nil)
			})
		}, arrow.Metadata{}, []string{`"AAEC/w=="`, `""`}},
		{"date32", func(t *testing.T) arrow.Array {
			return build(t, arrow.FixedWidthTypes.Date32, func(b array.Builder) {
				b.(*array.Date32Builder).AppendValues([]arrow.Date32{0, 19782, -1, -719528, 2932896}, nil)
			})
		}, arrow.Metadata{}, []string{`"1970-01-01"`, `"2024-02-29"`, `"1969-12-31"`, `"0000-01-01"`, `"9999-12-31"`}},
		{"date64", func(t *testing.T) arrow.Array {
			return build(t, arrow.FixedWidthTypes.Date64, func(b array.Builder) {
				b.(*array.Date64Builder).Append(arrow.Date64(19782 * 86_400_000))
			})
		}, arrow.Metadata{}, []string{`"2024-02-29"`}},
		{"timestamp us", tsArr(arrow.Microsecond, "", ts("2024-03-01T12:34:56.123456Z"), ts("1969-12-31T23:59:59.5Z")),
			arrow.Metadata{}, []string{`"2024-03-01 12:34:56.123456"`, `"1969-12-31 23:59:59.500000"`}},
		{"timestamp s has no point", tsArr(arrow.Second, "", ts("2024-03-01T12:34:56Z")),
			arrow.Metadata{}, []string{`"2024-03-01 12:34:56"`}},
		{"timestamp ns", tsArr(arrow.Nanosecond, "", ts("2001-02-03T04:05:06.000000007Z")),
			arrow.Metadata{}, []string{`"2001-02-03 04:05:06.000000007"`}},
		{"timestamp precision from metadata", tsArr(arrow.Microsecond, "", ts("2024-03-01T12:34:56.123456Z")),
			precisionMeta("3"), []string{`"2024-03-01 12:34:56.123"`}},
		{"timestamp precision 0 from metadata", tsArr(arrow.Microsecond, "", ts("2024-03-01T12:34:56.999999Z")),
			precisionMeta("0"), []string{`"2024-03-01 12:34:56"`}},
		{"timestamp_ltz in UTC", tsArr(arrow.Millisecond, "Europe/Berlin", ts("2024-03-01T12:00:00.5+01:00")),
			arrow.Metadata{}, []string{`"2024-03-01 11:00:00.500"`}},
		{"time32 ms", func(t *testing.T) arrow.Array {
			return build(t, arrow.FixedWidthTypes.Time32ms, func(b array.Builder) {
				b.(*array.Time32Builder).Append(arrow.Time32((13*3600+5*60+9)*1000 + 7))
			})
		}, arrow.Metadata{}, []string{`"13:05:09.007"`}},
		{"time64 us precision 0", func(t *testing.T) arrow.Array {
			return build(t, arrow.FixedWidthTypes.Time64us, func(b array.Builder) {
				b.(*array.Time64Builder).Append(arrow.Time64(int64(23*3600+59*60+59)*1e6 + 999999))
			})
		}, precisionMeta("0"), []string{`"23:59:59"`}},
		{"list", func(t *testing.T) arrow.Array {
			return build(t, arrow.ListOf(arrow.PrimitiveTypes.Int32), func(b array.Builder) {
				lb := b.(*array.ListBuilder)
				vb := lb.ValueBuilder().(*array.Int32Builder)
				lb.Append(true)
				vb.AppendValues([]int32{1, 2}, nil)
				vb.AppendNull()
				lb.Append(true)
				lb.AppendNull()
			})
		}, arrow.Metadata{}, []string{"[1,2,null]", "[]", "null"}},
		{"map with int keys", func(t *testing.T) arrow.Array {
			return build(t, arrow.MapOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String), func(b array.Builder) {
				mb := b.(*array.MapBuilder)
				kb, ib := mb.KeyBuilder().(*array.Int32Builder), mb.ItemBuilder().(*array.StringBuilder)
				mb.Append(true)
				kb.AppendValues([]int32{1, -2}, nil)
				ib.Append("a")
				ib.AppendNull()
				mb.AppendNull()
			})
		}, arrow.Metadata{}, []string{`{"1":"a","-2":null}`, "null"}},
		{"map with string keys", func(t *testing.T) arrow.Array {
			return build(t, arrow.MapOf(arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean), func(b array.Builder) {
				mb := b.(*array.MapBuilder)
				mb.Append(true)
				mb.KeyBuilder().(*array.StringBuilder).Append("k\"")
				mb.ItemBuilder().(*array.BooleanBuilder).Append(true)
			})
		}, arrow.Metadata{}, []string{`{"k\"":true}`}},
		{"struct", func(t *testing.T) arrow.Array {
			st := arrow.StructOf(
				arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
				arrow.Field{Name: "b", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
			)
			return build(t, st, func(b array.Builder) {
				sb := b.(*array.StructBuilder)
				sb.Append(true)
				sb.FieldBuilder(0).(*array.Int64Builder).Append(1)
				lb := sb.FieldBuilder(1).(*array.ListBuilder)
				lb.Append(true)
				lb.ValueBuilder().(*array.StringBuilder).Append("x")
				sb.AppendNull()
			})
		}, arrow.Metadata{}, []string{`{"a":1,"b":["x"]}`, "null"}},
		{"dictionary", func(t *testing.T) arrow.Array {
			dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
			return build(t, dt, func(b array.Builder) {
				db := b.(*array.BinaryDictionaryBuilder)
				_ = db.AppendString("red")
				_ = db.AppendString("blue")
				_ = db.AppendString("red")
				db.AppendNull()
			})
		}, arrow.Metadata{}, []string{`"red"`, `"blue"`, `"red"`, "null"}},
		{"null type", func(t *testing.T) arrow.Array {
			return array.NewNull(2)
		}, arrow.Metadata{}, []string{"null", "null"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arr := tt.arr(t)
			defer arr.Release()
			got := encodeAll(arr, tt.md)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("got  %v\nwant %v", got, tt.want)
			}
			for _, g := range got {
				if !json.Valid([]byte(g)) {
					t.Errorf("invalid JSON %s", g)
				}
			}
		})
	}
}

func TestEncodeSlicedArray(t *testing.T) {
	arr := build(t, arrow.ListOf(arrow.PrimitiveTypes.Int64), func(b array.Builder) {
		lb := b.(*array.ListBuilder)
		vb := lb.ValueBuilder().(*array.Int64Builder)
		for i := range 4 {
			lb.Append(true)
			vb.AppendValues([]int64{int64(i), int64(i * 10)}, nil)
		}
	})
	defer arr.Release()
	sl := array.NewSlice(arr, 2, 4)
	defer sl.Release()
	if got := strings.Join(encodeAll(sl, arrow.Metadata{}), " "); got != "[2,20] [3,30]" {
		t.Fatalf("got %s", got)
	}
}

// TestEncodeRandomRoundTrip is an f-test: random values of each scalar type
// encode to valid JSON that decodes back to the same value.
func TestEncodeRandomRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	f := func(name string, dt arrow.DataType, fill func(b array.Builder, i int) any) {
		t.Run(name, func(t *testing.T) {
			want := make([]any, n)
			arr := build(t, dt, func(b array.Builder) {
				for i := range n {
					want[i] = fill(b, i)
				}
			})
			defer arr.Release()
			for i, js := range encodeAll(arr, arrow.Metadata{}) {
				var got any
				dec := json.NewDecoder(strings.NewReader(js))
				dec.UseNumber()
				if err := dec.Decode(&got); err != nil {
					t.Fatalf("value %d: %v: %s", i, err, js)
				}
				if !sameValue(got, want[i]) {
					t.Fatalf("value %d: %s decodes to %#v, want %#v", i, js, got, want[i])
				}
			}
		})
	}
	f("int64", arrow.PrimitiveTypes.Int64, func(b array.Builder, _ int) any {
		v := int64(rng.Uint64())
		if rng.IntN(2) == 0 {
			v >>= rng.IntN(64)
		}
		b.(*array.Int64Builder).Append(v)
		return v
	})
	f("float64", arrow.PrimitiveTypes.Float64, func(b array.Builder, _ int) any {
		v := math.Float64frombits(rng.Uint64())
		b.(*array.Float64Builder).Append(v)
		return v
	})
	f("float32", arrow.PrimitiveTypes.Float32, func(b array.Builder, _ int) any {
		v := math.Float32frombits(rng.Uint32())
		b.(*array.Float32Builder).Append(v)
		return v
	})
	f("string", arrow.BinaryTypes.String, func(b array.Builder, _ int) any {
		raw := make([]byte, rng.IntN(12))
		for k := range raw {
			raw[k] = byte(rng.UintN(256))
		}
		b.(*array.StringBuilder).Append(string(raw))
		return perByteValid(string(raw))
	})
	f("decimal128", &arrow.Decimal128Type{Precision: 38, Scale: 4}, func(b array.Builder, _ int) any {
		v := new(big.Int).SetUint64(rng.Uint64())
		v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(rng.Uint64()))
		v.Mod(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil))
		v.Rsh(v, rng.UintN(127))
		if rng.IntN(2) == 0 {
			v.Neg(v)
		}
		b.(*array.Decimal128Builder).Append(decimal128.FromBigInt(v))
		return new(big.Rat).SetFrac(v, big.NewInt(10000))
	})
	f("timestamp", &arrow.TimestampType{Unit: arrow.Nanosecond}, func(b array.Builder, _ int) any {
		v := int64(rng.Uint64())
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(v))
		return time.Unix(0, v).UTC().Format("2006-01-02 15:04:05.000000000")
	})
	f("date32", arrow.FixedWidthTypes.Date32, func(b array.Builder, _ int) any {
		v := int32(rng.IntN(3_000_000)) - 719528
		b.(*array.Date32Builder).Append(arrow.Date32(v))
		return time.Unix(int64(v)*86400, 0).UTC().Format("2006-01-02")
	})
}

// perByteValid replaces each invalid byte with U+FFFD, as encoding/json does.
func perByteValid(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // range yields U+FFFD once per invalid byte
	}
	return b.String()
}

func sameValue(got, want any) bool {
	switch w := want.(type) {
	case int64:
		if s, ok := got.(string); ok {
			return (w > 1<<53 || w < -1<<53) && s == big.NewInt(w).String() // beyond float64's exact integers
		}
		return got.(json.Number).String() == big.NewInt(w).String()
	case float64:
		switch {
		case math.IsNaN(w):
			return got == "NaN"
		case math.IsInf(w, 0):
			return got == map[bool]string{true: "Infinity", false: "-Infinity"}[w > 0]
		}
		f, err := got.(json.Number).Float64()
		return err == nil && f == w
	case float32:
		switch {
		case math.IsNaN(float64(w)):
			return got == "NaN"
		case math.IsInf(float64(w), 0):
			return got == map[bool]string{true: "Infinity", false: "-Infinity"}[w > 0]
		}
		f, err := got.(json.Number).Float64()
		return err == nil && float32(f) == w
	case *big.Rat:
		s, ok := got.(string)
		if !ok || !strings.Contains(s, ".") || len(s)-strings.IndexByte(s, '.')-1 != 4 {
			return false
		}
		r, ok := new(big.Rat).SetString(s)
		return ok && r.Cmp(w) == 0
	case string:
		s, ok := got.(string)
		return ok && utf8.ValidString(s) && s == w
	}
	return false
}

func BenchmarkEncodeRows(b *testing.B) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	const rows = 4096
	for i := range rows {
		rb.Field(0).(*array.Int64Builder).Append(int64(i))
		rb.Field(1).(*array.StringBuilder).Append("customer name")
		rb.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i * 199)))
		rb.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(i)))
		rb.Field(4).(*array.Float64Builder).Append(float64(i) / 7)
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	encs := columnEncoders(rec, nil)
	buf := make([]byte, 0, 1<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf = buf[:0]
		for i := range rows {
			buf = appendRow(buf, encs, i)
		}
	}
	b.SetBytes(int64(len(buf)))
}
