package datagen

import (
	"context"
	"errors"
	"io"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/gensrc/gensrctest"
	"github.com/wharfdata/wharf/internal/errkind"
)

// col declares a nullable column the way the planner maps Flink types.
func col(name, declared string) connector.Column {
	types := map[string]arrow.DataType{
		"TINYINT": arrow.PrimitiveTypes.Int8, "SMALLINT": arrow.PrimitiveTypes.Int16,
		"INT": arrow.PrimitiveTypes.Int32, "BIGINT": arrow.PrimitiveTypes.Int64,
		"FLOAT": arrow.PrimitiveTypes.Float32, "DOUBLE": arrow.PrimitiveTypes.Float64,
		"DECIMAL(5, 2)": &arrow.Decimal128Type{Precision: 5, Scale: 2}, "DECIMAL(38, 0)": &arrow.Decimal128Type{Precision: 38, Scale: 0},
		"BOOLEAN": arrow.FixedWidthTypes.Boolean, "STRING": arrow.BinaryTypes.String, "BYTES": arrow.BinaryTypes.Binary,
		"DATE": arrow.FixedWidthTypes.Date32, "TIME(0)": arrow.FixedWidthTypes.Time64us,
		"TIMESTAMP(3)": &arrow.TimestampType{Unit: arrow.Microsecond}, "TIMESTAMP_LTZ(6)": &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
		"ARRAY<INT>": arrow.ListOf(arrow.PrimitiveTypes.Int32),
	}
	t, ok := types[declared]
	if !ok {
		panic(declared)
	}
	return connector.Column{Name: name, Type: t, Declared: declared, Nullable: true}
}

type fixture struct {
	t     *testing.T
	alloc *memory.CheckedAllocator
}

func newFixture(t *testing.T) *fixture { return &fixture{t: t, alloc: gensrctest.Alloc(t)} }

func (f *fixture) spec(cols []connector.Column, opts map[string]string) *connector.TableSpec {
	o := map[string]string{"connector": "datagen", "rows-per-second": "1000000000"}
	maps.Copy(o, opts)
	return &connector.TableSpec{Name: "db.gen", Columns: cols, Options: o, BatchRows: 97, Alloc: f.alloc}
}

// drain reads a bounded table into row number → printed values, checking
// that each split's batches tile its positions and end at io.EOF.
func (f *fixture) drain(spec *connector.TableSpec, splits int64) map[int64][]string {
	f.t.Helper()
	src := gensrctest.Start(f.t, Open, spec, nil)
	out := map[int64][]string{}
	next := map[int32]int64{}
	for {
		b, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.t.Fatal(err)
		}
		if b.From != next[b.Split] || b.Rows.NumRows() != b.To-b.From {
			f.t.Fatalf("split %d: batch [%d, %d) of %d rows after position %d", b.Split, b.From, b.To, b.Rows.NumRows(), next[b.Split])
		}
		next[b.Split] = b.To
		for r := range int(b.Rows.NumRows()) {
			vals := make([]string, b.Rows.NumCols())
			for c := range vals {
				vals[c] = b.Rows.Column(c).ValueStr(r)
			}
			out[(b.From+int64(r))*splits+int64(b.Split)] = vals
		}
		b.Rows.Release()
	}
	return out
}

var allTypes = []connector.Column{
	col("i8", "TINYINT"), col("i16", "SMALLINT"), col("i32", "INT"), col("i64", "BIGINT"),
	col("f32", "FLOAT"), col("f64", "DOUBLE"), col("d", "DECIMAL(5, 2)"), col("dbig", "DECIMAL(38, 0)"),
	col("b", "BOOLEAN"), col("s", "STRING"), col("bin", "BYTES"), col("day", "DATE"), col("t", "TIME(0)"),
	col("ts", "TIMESTAMP(3)"), col("ltz", "TIMESTAMP_LTZ(6)"),
}

func TestEveryTypeDeterministicAcrossSplits(t *testing.T) {
	f := newFixture(t)
	opts := map[string]string{"number-of-rows": "1000", "seed": "5", "base-time": "1767225600000",
		"fields.i32.min": "-5", "fields.i32.max": "5", "fields.d.min": "-1.50", "fields.d.max": "2.25",
		"fields.f64.min": "10", "fields.f64.max": "20", "fields.s.length": "7", "fields.bin.length": "3",
		"fields.day.min": "2026-01-01", "fields.day.max": "2026-01-31", "fields.ts.max-past": "10 s",
		"fields.t.min": "08:00:00", "fields.t.max": "09:00:00", "fields.i64.null-rate": "0.3"}
	one := f.drain(f.spec(allTypes, opts), 1)
	if len(one) != 1000 {
		t.Fatalf("%d rows, want 1000", len(one))
	}
	opts["splits"] = "3"
	three := f.drain(f.spec(allTypes, opts), 3)
	if !maps.EqualFunc(one, three, func(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }) {
		for r, v := range one {
			if w := three[r]; strings.Join(v, "|") != strings.Join(w, "|") {
				t.Fatalf("row %d: 1 split %v, 3 splits %v", r, v, w)
			}
		}
	}
	nulls := 0
	for r, v := range one {
		if n, _ := strconv.Atoi(v[2]); n < -5 || n > 5 {
			t.Fatalf("row %d: i32 %s outside [-5, 5]", r, v[2])
		}
		if d, _ := strconv.ParseFloat(v[6], 64); d < -1.5 || d > 2.25 {
			t.Fatalf("row %d: d %s outside [-1.50, 2.25]", r, v[6])
		}
		if x, _ := strconv.ParseFloat(v[5], 64); x < 10 || x > 20 {
			t.Fatalf("row %d: f64 %s outside [10, 20]", r, v[5])
		}
		if len(v[9]) != 7 || !strings.HasPrefix(v[11], "2026-01-") || !strings.HasPrefix(v[12], "08:") {
			t.Fatalf("row %d: s %q, day %s, t %s", r, v[9], v[11], v[12])
		}
		if v[3] == "(null)" {
			nulls++
		}
	}
	if nulls < 200 || nulls > 400 {
		t.Errorf("%d nulls in 1000 rows at null-rate 0.3", nulls)
	}
}

func TestTimestampsMaxPast(t *testing.T) {
	f := newFixture(t)
	spec := f.spec([]connector.Column{col("ts", "TIMESTAMP(3)")}, map[string]string{"number-of-rows": "500", "base-time": "1767225600000", "fields.ts.max-past": "10 s"})
	src, err := Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	b, err := src.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rows.Release()
	hi := int64(1767225600000) * 1000
	for _, v := range b.Rows.Column(0).(*array.Timestamp).TimestampValues() {
		if us := int64(v); us < hi-10e6 || us > hi || us%1000 != 0 {
			t.Fatalf("timestamp %d µs: want a whole ms in [%d, %d]", us, hi-10e6, hi)
		}
	}
}

func TestSequencesBoundTheTable(t *testing.T) {
	f := newFixture(t)
	cols := []connector.Column{col("id", "BIGINT"), col("name", "STRING"), col("n", "INT")}
	opts := map[string]string{"fields.id.kind": "sequence", "fields.id.start": "10", "fields.id.end": "509",
		"fields.name.kind": "sequence", "fields.name.start": "1", "fields.name.end": "1000", "splits": "4"}
	rows := f.drain(f.spec(cols, opts), 4)
	if len(rows) != 500 {
		t.Fatalf("%d rows, want the 500 of the shorter sequence", len(rows))
	}
	for r, v := range rows {
		if v[0] != strconv.FormatInt(10+r, 10) || v[1] != strconv.FormatInt(1+r, 10) {
			t.Fatalf("row %d: %v", r, v)
		}
	}
	opts["number-of-rows"] = "123"
	if n := len(f.drain(f.spec(cols, opts), 4)); n != 123 {
		t.Errorf("number-of-rows 123 under a 500-row sequence: %d rows", n)
	}
}

func TestRowsPerSecondPaces(t *testing.T) {
	f := newFixture(t)
	// 300 rows at 1000/s: 300 ms by the wall clock.
	spec := f.spec([]connector.Column{col("x", "INT")}, map[string]string{"number-of-rows": "300", "rows-per-second": "1000", "splits": "3"})
	gensrctest.Paced(t, 300*time.Millisecond, "300 rows at 1000/s", func() {
		if n := len(f.drain(spec, 3)); n != 300 {
			t.Fatalf("%d rows", n)
		}
	})
}

func TestOptionErrors(t *testing.T) {
	f := newFixture(t)
	cols := []connector.Column{col("n", "INT"), col("s", "STRING"), col("t", "TIME(0)")}
	notNull := col("k", "BIGINT")
	notNull.Nullable = false
	for _, tc := range []struct {
		opts map[string]string
		cols []connector.Column
		want string
	}{
		{map[string]string{"rows-per-sec": "5"}, nil, "unknown option 'rows-per-sec'"},
		{map[string]string{"rows-per-second": "0"}, nil, "'rows-per-second'"},
		{map[string]string{"number-of-rows": "-3"}, nil, "'number-of-rows'"},
		{map[string]string{"fields.x.min": "1"}, nil, "'fields.x.min': the table has no column x"},
		{map[string]string{"fields.n.minimum": "1"}, nil, "'fields.n.minimum': unknown field option 'minimum'"},
		{map[string]string{"fields.n.length": "3"}, nil, "'fields.n.length': does not apply to a random INT column"},
		{map[string]string{"fields.n.start": "3"}, nil, "'fields.n.start': does not apply to a random INT column"},
		{map[string]string{"fields.n.kind": "sequence", "fields.n.start": "1"}, nil, "'fields.n.end': missing"},
		{map[string]string{"fields.n.kind": "sequence", "fields.n.start": "1", "fields.n.end": "3000000000"}, nil, "'fields.n.end': [1, 3000000000] does not fit INT"},
		{map[string]string{"fields.n.kind": "serial"}, nil, "'fields.n.kind'"},
		{map[string]string{"fields.n.min": "x"}, nil, "'fields.n.min'"},
		{map[string]string{"fields.n.min": "5", "fields.n.max": "4"}, nil, "'fields.n.max': \"4\" is not an integer in [5, 2147483647]"},
		{map[string]string{"fields.s.max": "4"}, nil, "'fields.s.max': does not apply to a random STRING column"},
		{map[string]string{"fields.t.max-past": "5 s"}, nil, "'fields.t.max-past': does not apply to TIME"},
		{map[string]string{"fields.t.min": "25:00:00", "fields.t.max": "26:00:00"}, nil, "'fields.t.min'"},
		{map[string]string{"fields.n.null-rate": "1.5"}, nil, "'fields.n.null-rate'"},
		{map[string]string{"fields.k.null-rate": "0.5"}, []connector.Column{notNull}, "column k is NOT NULL"},
		{nil, []connector.Column{col("a", "ARRAY<INT>")}, "column a has type ARRAY<INT>"},
		{map[string]string{"seed": "abc"}, nil, "'seed'"},
	} {
		c := cols
		if tc.cols != nil {
			c = tc.cols
		}
		_, err := Open(context.Background(), f.spec(c, tc.opts))
		if err == nil || !strings.Contains(err.Error(), tc.want) || errkind.Of(err) != errkind.Fatal {
			t.Errorf("%v: error %v, want one containing %q", tc.opts, err, tc.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"1500": 1500 * time.Millisecond, "10 s": 10 * time.Second, "5min": 5 * time.Minute, "2 d": 48 * time.Hour, "3 hours": 3 * time.Hour} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "s", "10 fortnights", "-5 s"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("parseDuration(%q) succeeded", bad)
		}
	}
}
