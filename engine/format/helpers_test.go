package format

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
)

func col(name string, dt arrow.DataType, declared string) connector.Column {
	return connector.Column{Name: name, Type: dt, Nullable: true, Declared: declared}
}

var (
	tsMicro  = &arrow.TimestampType{Unit: arrow.Microsecond}
	ltzMicro = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

// bidColumns is the Nexmark bid: the benchmark's record shape.
var bidColumns = []connector.Column{
	col("auction", arrow.PrimitiveTypes.Int64, "BIGINT"),
	col("bidder", arrow.PrimitiveTypes.Int64, "BIGINT"),
	col("price", arrow.PrimitiveTypes.Int64, "BIGINT"),
	col("channel", arrow.BinaryTypes.String, "STRING"),
	col("url", arrow.BinaryTypes.String, "STRING"),
	col("dateTime", tsMicro, "TIMESTAMP(3)"),
	col("extra", arrow.BinaryTypes.String, "STRING"),
}

const bidJSON = `{"auction":1000,"bidder":2001,"price":123456,"channel":"Google","url":"https://www.nexmark.com/fmv/qx/item.htm?query=1&channel_id=1170210816","dateTime":"2026-11-21 10:00:00.123","extra":""}`

type harness struct {
	rb *array.RecordBuilder
	d  Decoder
}

func newHarness(t testing.TB, format string, cols []connector.Column, opts map[string]string) *harness {
	t.Helper()
	spec := connector.TableSpec{Columns: cols}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, spec.Schema())
	t.Cleanup(rb.Release)
	d, err := New(format, cols, rb.Fields(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{rb: rb, d: d}
}

// lens is the length of every builder, to check a failed Decode appended
// nothing anywhere.
func (h *harness) lens() []int {
	var out []int
	for _, b := range h.rb.Fields() {
		out = append(out, b.Len())
	}
	return out
}

// rows finishes the batch and renders each row as "v1|v2|…".
func (h *harness) rows() []string {
	rec := h.rb.NewRecordBatch()
	defer rec.Release()
	out := make([]string, rec.NumRows())
	for i := range out {
		var parts []string
		for _, c := range rec.Columns() {
			if c.IsNull(i) {
				parts = append(parts, "NULL")
			} else {
				parts = append(parts, c.ValueStr(i))
			}
		}
		out[i] = strings.Join(parts, "|")
	}
	return out
}

// decodeOne decodes rec and returns its row or its error text.
func decodeOne(t *testing.T, h *harness, rec []byte) (row, errText string) {
	t.Helper()
	before := h.lens()
	if err := h.d.Decode(rec); err != nil {
		if after := h.lens(); !equalInts(before, after) {
			t.Fatalf("failed Decode(%q) left values behind: builder lengths %v → %v", rec, before, after)
		}
		return "", err.Error()
	}
	rows := h.rows()
	if len(rows) != 1 {
		t.Fatalf("Decode(%q) made %d rows", rec, len(rows))
	}
	return rows[0], ""
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// check runs decode cases: want is the row, or the error text's substring
// when it starts with "error: ".
func check(t *testing.T, h *harness, cases []struct{ in, want string }) {
	t.Helper()
	for _, c := range cases {
		var rec []byte
		if c.in != "<nil>" {
			rec = []byte(c.in)
		}
		row, errText := decodeOne(t, h, rec)
		if wantErr, ok := strings.CutPrefix(c.want, "error: "); ok {
			if errText == "" || !strings.Contains(errText, wantErr) {
				t.Errorf("Decode(%s): got row %q / error %q, want an error with %q", c.in, row, errText, wantErr)
			}
			continue
		}
		if errText != "" || row != c.want {
			t.Errorf("Decode(%s):\n got %q (error %q)\nwant %q", c.in, row, errText, c.want)
		}
	}
}
