package lake

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	pqgo "github.com/parquet-go/parquet-go"
)

// TestSelectRows: for every type the reader builds, with NULLs, selectRows
// keeps exactly the rows its selection keeps, in order, with their values
// (booleans included, which arrow-go's FilterArray loses) and validity,
// from whole arrays and from slices, for no, all and some rows kept; it
// frees what it does not return, and refuses a selection of another length.
func TestSelectRows(t *testing.T) {
	cases := []struct {
		typ  arrow.DataType
		json string
	}{
		{arrow.FixedWidthTypes.Boolean, `[true, null, false, true, true, null, false, false, true, true]`},
		{arrow.PrimitiveTypes.Int32, `[1, null, -3, 4, 5, null, 7, 8, 9, 10]`},
		{arrow.PrimitiveTypes.Int64, `[1, null, -3, 4, 5, null, 7, 8, 9, 10]`},
		{arrow.PrimitiveTypes.Float32, `[1.5, null, -3, 4, 5, null, 7, 8, 9, 10]`},
		{arrow.PrimitiveTypes.Float64, `[1.5, null, -3, 4, 5, null, 7, 8, 9, 10]`},
		{arrow.FixedWidthTypes.Date32, `["2024-01-01", null, "2024-01-03", "2024-01-04", "2024-01-05", null, "2024-01-07", "2024-01-08", "2024-01-09", "2024-01-10"]`},
		{arrow.FixedWidthTypes.Time64us, `[1, null, 3, 4, 5, null, 7, 8, 9, 10]`},
		{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, `[1, null, 3, 4, 5, null, 7, 8, 9, 10]`},
		{arrow.BinaryTypes.String, `["a", null, "", "dd", "ßeta", null, "日本", "h", "i", "j"]`},
		{arrow.BinaryTypes.LargeString, `["a", null, "", "dd", "ßeta", null, "日本", "h", "i", "j"]`},
		{arrow.BinaryTypes.Binary, `["YQ==", null, "", "ZGQ=", "ZQ==", null, "Zg==", "aA==", "aQ==", "ag=="]`},
		{arrow.BinaryTypes.LargeBinary, `["YQ==", null, "", "ZGQ=", "ZQ==", null, "Zg==", "aA==", "aQ==", "ag=="]`},
		{&arrow.FixedSizeBinaryType{ByteWidth: 2}, `["YWE=", null, "YmI=", "Y2M=", "ZGQ=", null, "ZWU=", "ZmY=", "Z2c=", "aGg="]`},
		{&arrow.Decimal128Type{Precision: 12, Scale: 2}, `["1.50", null, "-3.00", "4.00", "5.25", null, "7.00", "8.00", "9.00", "10.00"]`},
	}
	masks := map[string]func(i int) bool{
		"none":  func(int) bool { return false },
		"all":   func(int) bool { return true },
		"some":  func(i int) bool { return i%3 != 1 },
		"edges": func(i int) bool { return i == 0 || i >= 8 },
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	for _, c := range cases {
		whole, _, err := array.FromJSON(mem, c.typ, strings.NewReader(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		for _, a := range []arrow.Array{whole, array.NewSlice(whole, 3, 9)} {
			for name, keepOf := range masks {
				keep, kept := make([]bool, a.Len()), 0
				var want []string
				for i := range keep {
					if keep[i] = keepOf(i); keep[i] {
						kept++
						want = append(want, a.ValueStr(i))
					}
				}
				got, err := selectRows(mem, a, keep, kept)
				if err != nil {
					t.Fatalf("%s, %d rows at %d, %s: %v", c.typ, a.Len(), a.Data().Offset(), name, err)
				}
				var rows []string
				for i := range got.Len() {
					rows = append(rows, got.ValueStr(i))
				}
				if !arrow.TypeEqual(got.DataType(), c.typ) || fmt.Sprint(rows) != fmt.Sprint(want) {
					t.Fatalf("%s, %d rows at %d, %s: got %s %v, want %v", c.typ, a.Len(), a.Data().Offset(), name, got.DataType(), rows, want)
				}
				got.Release()
			}
			if _, err := selectRows(mem, a, make([]bool, a.Len()+1), 0); err == nil {
				t.Fatalf("%s: a selection of another length accepted", c.typ)
			}
			a.Release()
		}
	}
	mem.AssertSize(t, 0)
}

// TestProjectedFilterColumnDecodedOnce: a projected filter column's pages
// are each read once, not once to filter and again for the kept rows,
// with pages streamed and through the page cache, and its rows are those
// the filter keeps.
func TestProjectedFilterColumnDecodedOnce(t *testing.T) {
	file := fuzzRows(t, 0, 300)
	pf, err := pqgo.OpenFile(strings.NewReader(string(file)), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	var bPages int64 // every page of b holds a row where b is true
	for _, rg := range pf.RowGroups() {
		oi, err := rg.ColumnChunks()[2].OffsetIndex()
		if err != nil {
			t.Fatal(err)
		}
		bPages += int64(oi.NumPages())
	}
	if bPages < 5 {
		t.Fatalf("%d pages of b, want several", bPages)
	}
	fio := &memFS{files: map[string][]byte{"f": file}}
	proj := iceberg.NewSchema(0, fuzzSchema.Field(2))
	filter := iceberg.EqualTo(iceberg.Reference("b"), true)
	mem := newCheckedPoisoning()
	for _, pages := range []*PageCache{nil, NewPageCache(1<<20, memory.DefaultAllocator)} {
		r, ok, err := newFirstReader(fio, NewFooterCache(1<<20), fuzzSchema, proj, filter, nil, memory.DefaultAllocator)
		if err != nil || !ok {
			t.Fatalf("reader: %v %v", ok, err)
		}
		r.mem, r.pages = mem, pages
		before := FilterFirstStats().Pages
		got := render(t, func(yield func(arrow.RecordBatch, error) bool) {
			if err := r.readFile(context.Background(), "f", int64(len(file)), yield); err != nil {
				yield(nil, err)
			}
		})
		if read := FilterFirstStats().Pages - before; read != bPages {
			t.Fatalf("page cache %v: read %d pages, b has %d", pages != nil, read, bPages)
		}
		if want := strings.Repeat("true|\n", 150); got != want {
			t.Fatalf("page cache %v: got %.200q, want 150 rows of true", pages != nil, got)
		}
		mem.AssertSize(t, 0)
	}
}
