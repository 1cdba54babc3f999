package format

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/connector"
)

var fuzzColumns = []connector.Column{
	col("a", arrow.PrimitiveTypes.Int64, "BIGINT"),
	col("b", arrow.PrimitiveTypes.Int8, "TINYINT"),
	col("c", arrow.PrimitiveTypes.Float64, "DOUBLE"),
	col("d", &arrow.Decimal128Type{Precision: 10, Scale: 2}, "DECIMAL(10, 2)"),
	col("e", arrow.BinaryTypes.String, "STRING"),
	col("f", arrow.FixedWidthTypes.Boolean, "BOOLEAN"),
	col("g", tsMicro, "TIMESTAMP(3)"),
	col("h", arrow.BinaryTypes.Binary, "BYTES"),
	col("i", arrow.ListOf(arrow.PrimitiveTypes.Int32), "ARRAY<INT>"),
	col("j", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), "MAP<STRING, BIGINT>"),
	col("k", arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true}), "ROW<x INT, y STRING>"),
	col("l", arrow.FixedWidthTypes.Date32, "DATE"),
	col("m", arrow.FixedWidthTypes.Time64us, "TIME(6)"),
}

// fuzzDecode checks what holds for any input: no panic, a failed Decode
// appends nothing, a good one exactly one value per column. It returns the
// decoded row when there is one.
func fuzzDecode(t *testing.T, h *harness, in []byte) arrow.RecordBatch {
	before := h.lens()
	err := h.d.Decode(in)
	after := h.lens()
	for i := range after {
		want := before[i]
		if err == nil {
			want++
		}
		if after[i] != want {
			t.Fatalf("Decode(%q) (error %v): column %d went from %d to %d values", in, err, i, before[i], after[i])
		}
	}
	if err != nil {
		return nil
	}
	return h.rb.NewRecordBatch()
}

// FuzzDecodeJSON: random bytes never panic or half-append, and every row
// decoded re-encodes to JSON that decodes to the same row.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":-2,"c":1.5e3,"d":"12.345","e":"x\u00e9\n","f":true,"g":"2026-11-21 10:00:00.1","h":"aGk=","i":[1,null],"j":{"k":1},"k":{"x":1,"y":"z"},"l":"2026-01-31","m":"10:11:12.5"}`))
	f.Add([]byte(`{"e":{"nested":[1,2,{"q":null}]},"k":null,"zz":[true,false]}`))
	f.Add([]byte(`{"a":"9223372036854775807","b":"300","d":1e-7}`))
	f.Add([]byte(bidJSON))
	f.Fuzz(func(t *testing.T, in []byte) {
		h := newHarness(t, "json", fuzzColumns, nil)
		rec := fuzzDecode(t, h, in)
		if rec == nil {
			return
		}
		defer rec.Release()
		first := renderRow(rec, 0)
		enc := encodeRowJSON(rec, 0)
		again := fuzzDecode(t, h, enc)
		if again == nil {
			t.Fatalf("re-encoded row %s of %q does not decode", enc, in)
		}
		defer again.Release()
		if second := renderRow(again, 0); second != first {
			t.Fatalf("round trip of %q through %s:\n got %s\nwant %s", in, enc, second, first)
		}
	})
}

func FuzzDecodeCSV(f *testing.F) {
	f.Add([]byte("1,ann,12.5,2026-11-21 10:00:00.123,a;b\n"))
	f.Add([]byte(`2,"x, ""y""",,,`))
	f.Add([]byte(`# c`))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, opts := range []map[string]string{nil, {"csv.escape-character": `\`, "csv.allow-comments": "true", "csv.ignore-parse-errors": "true"}} {
			h := newHarness(t, "csv", csvColumns, opts)
			if rec := fuzzDecode(t, h, in); rec != nil {
				rec.Release()
			}
		}
	})
}

func FuzzDecodeRaw(f *testing.F) {
	f.Add([]byte("hello"))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h := newHarness(t, "raw", []connector.Column{col("s", arrow.BinaryTypes.String, "STRING")}, nil)
		if rec := fuzzDecode(t, h, in); rec != nil {
			if got := rec.Column(0).(*array.String).Value(0); got != string(in) {
				t.Fatalf("raw %q came back as %q", in, got)
			}
			rec.Release()
		}
	})
}

func renderRow(rec arrow.RecordBatch, i int) string {
	var s string
	for _, c := range rec.Columns() {
		if c.IsNull(i) {
			s += "NULL|"
		} else {
			s += c.ValueStr(i) + "|"
		}
	}
	return s
}

// encodeRowJSON writes row i as the JSON the decoder reads.
func encodeRowJSON(rec arrow.RecordBatch, i int) []byte {
	out := []byte{'{'}
	for j, c := range rec.Columns() {
		if j > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendQuote(out, rec.ColumnName(j))
		out = append(out, ':')
		out = appendJSON(out, c, i)
	}
	return append(out, '}')
}

func appendJSON(out []byte, a arrow.Array, i int) []byte {
	if a.IsNull(i) {
		return append(out, "null"...)
	}
	jsonString := func(s string) []byte {
		b, _ := json.Marshal(s)
		return append(out, b...)
	}
	switch a := a.(type) {
	case *array.Int8:
		return strconv.AppendInt(out, int64(a.Value(i)), 10)
	case *array.Int32:
		return strconv.AppendInt(out, int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.AppendInt(out, a.Value(i), 10)
	case *array.Float64:
		v := a.Value(i)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return jsonString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		return strconv.AppendFloat(out, v, 'g', -1, 64)
	case *array.Decimal128, *array.Boolean:
		return append(out, a.ValueStr(i)...)
	case *array.String:
		return jsonString(a.Value(i))
	case *array.Binary:
		return jsonString(base64.StdEncoding.EncodeToString(a.Value(i)))
	case *array.Timestamp:
		return jsonString(time.UnixMicro(int64(a.Value(i))).UTC().Format("2006-01-02 15:04:05.999999"))
	case *array.Date32:
		return jsonString(a.Value(i).ToTime().Format("2006-01-02"))
	case *array.Time64:
		return jsonString(a.Value(i).ToTime(arrow.Microsecond).Format("15:04:05.999999"))
	case *array.Map:
		keys, items := a.Keys(), a.Items()
		lo, hi := a.ValueOffsets(i)
		out = append(out, '{')
		for k := lo; k < hi; k++ {
			if k > lo {
				out = append(out, ',')
			}
			out = appendJSON(out, keys, int(k))
			out = append(out, ':')
			out = appendJSON(out, items, int(k))
		}
		return append(out, '}')
	case *array.List:
		lo, hi := a.ValueOffsets(i)
		out = append(out, '[')
		for k := lo; k < hi; k++ {
			if k > lo {
				out = append(out, ',')
			}
			out = appendJSON(out, a.ListValues(), int(k))
		}
		return append(out, ']')
	case *array.Struct:
		out = append(out, '{')
		for k := range a.NumField() {
			if k > 0 {
				out = append(out, ',')
			}
			out = strconv.AppendQuote(out, a.DataType().(*arrow.StructType).Field(k).Name)
			out = append(out, ':')
			out = appendJSON(out, a.Field(k), i)
		}
		return append(out, '}')
	}
	panic("encodeRowJSON: add " + a.DataType().String())
}
