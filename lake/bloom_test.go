package lake_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	pqgo "github.com/parquet-go/parquet-go"

	"github.com/wharfdata/wharf/lake"
)

// bloomSchema: id is the sort key; every other column is a permutation of
// the rows (so each row group's min/max covers about the whole range and
// prunes nothing), unique per row, NULL on every 13th row where nullable.
// nf has no bloom filter.
var bloomSchema = iceberg.NewSchema(0,
	iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 2, Name: "k", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 3, Name: "i", Type: iceberg.PrimitiveTypes.Int32},
	iceberg.NestedField{ID: 4, Name: "s", Type: iceberg.PrimitiveTypes.String},
	iceberg.NestedField{ID: 5, Name: "bin", Type: iceberg.PrimitiveTypes.Binary},
	iceberg.NestedField{ID: 6, Name: "fx", Type: iceberg.FixedTypeOf(8)},
	iceberg.NestedField{ID: 7, Name: "d", Type: iceberg.PrimitiveTypes.Date},
	iceberg.NestedField{ID: 8, Name: "ts", Type: iceberg.PrimitiveTypes.Timestamp},
	iceberg.NestedField{ID: 9, Name: "nf", Type: iceberg.PrimitiveTypes.Int64},
)

const (
	bloomRows     = 8000
	bloomGroupLen = 200 // rows per row group: 40 row groups in 2 files
)

// perm is a permutation of [0, bloomRows): 7919 is prime to 8000.
func perm(r int) int { return permOf(r, bloomRows) }

// permOf is a permutation of [0, n) for n prime to 7919.
func permOf(r, n int) int { return (r*7919 + 13) % n }

func bloomNull(r int) bool { return r%13 == 5 }

// bloomBatch returns rows [from, from+n) of a bloom table of total rows.
func bloomBatch(t testing.TB, from, n, total int) arrow.RecordBatch {
	t.Helper()
	sc, err := table.SchemaToArrowSchema(bloomSchema, nil, true, false)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for r := from; r < from+n; r++ {
		p := permOf(r, total)
		b.Field(0).(*array.Int64Builder).Append(int64(r))
		appendValue(b.Field(1), bloomValue("k", 2*p))
		if bloomNull(r) {
			for c := 2; c < 9; c++ {
				b.Field(c).AppendNull()
			}
			continue
		}
		for c, name := range []string{"i", "s", "bin", "fx", "d", "ts", "nf"} {
			appendValue(b.Field(c+2), bloomValue(name, 2*p))
		}
	}
	return b.NewRecordBatch()
}

// bloomValue is the value of column c for x: rows hold x = 2p for their
// permutation value p, so odd x are absent, between present values.
func bloomValue(c string, x int) any {
	switch c {
	case "k":
		return int64(x) * 1_000_003
	case "i":
		return int32(x) - 8000
	case "s":
		return fmt.Sprintf("key-%05d", x)
	case "bin":
		return []byte(fmt.Sprintf("b%d", x))
	case "fx":
		var fx [8]byte
		binary.BigEndian.PutUint64(fx[:], uint64(x)<<20)
		return fx[:]
	case "d":
		return iceberg.Date(10000 + x)
	case "ts":
		return iceberg.Timestamp(int64(x) * 1_000_000_007)
	case "nf":
		return int64(x)
	}
	panic("no column " + c)
}

func appendValue(b array.Builder, v any) {
	switch v := v.(type) {
	case int64:
		b.(*array.Int64Builder).Append(v)
	case int32:
		b.(*array.Int32Builder).Append(v)
	case string:
		b.(*array.StringBuilder).Append(v)
	case []byte:
		if fb, ok := b.(*array.FixedSizeBinaryBuilder); ok {
			fb.Append(v)
		} else {
			b.(*array.BinaryBuilder).Append(v)
		}
	case iceberg.Date:
		b.(*array.Date32Builder).Append(arrow.Date32(v))
	case iceberg.Timestamp:
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(v))
	}
}

func eq(c string, v any) iceberg.BooleanExpression {
	r := iceberg.Reference(c)
	switch v := v.(type) {
	case int64:
		return iceberg.EqualTo(r, v)
	case int32:
		return iceberg.EqualTo(r, v)
	case string:
		return iceberg.EqualTo(r, v)
	case []byte:
		return iceberg.EqualTo(r, v)
	case iceberg.Date:
		return iceberg.EqualTo(r, v)
	case iceberg.Timestamp:
		return iceberg.EqualTo(r, v)
	}
	panic(fmt.Sprintf("literal %T", v))
}

func in(c string, vs ...any) iceberg.BooleanExpression {
	var e iceberg.BooleanExpression = iceberg.AlwaysFalse{}
	for _, v := range vs {
		e = iceberg.NewOr(e, eq(c, v))
	}
	return e
}

// rowOf is the row whose permutation value is p.
func rowOf(p int) int {
	for r := range bloomRows {
		if perm(r) == p {
			return r
		}
	}
	panic("not a permutation")
}

// newBloomTable writes the bloom table of bloomRows rows.
func newBloomTable(t *testing.T, name string, withBloom bool) *table.Table {
	return writeBloomTable(t, name, withBloom, bloomRows, bloomGroupLen)
}

// writeBloomTable writes a bloom table of rows rows: bloom filters on every
// column but id and nf if asked, row groups of group rows, two data files.
func writeBloomTable(t testing.TB, name string, withBloom bool, rows, group int) *table.Table {
	t.Helper()
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	id, _ := lake.Ident(name)
	props := iceberg.Properties{"write.parquet.row-group-limit": fmt.Sprint(group)}
	if withBloom {
		for _, c := range []string{"k", "i", "s", "bin", "fx", "d", "ts"} {
			props["write.parquet.bloom-filter-enabled.column."+c] = "true"
		}
	}
	if _, err := wh.CreateTable(ctx, id, bloomSchema, lake.TableOptions{Properties: props}); err != nil {
		t.Fatal(err)
	}
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := table.SchemaToArrowSchema(bloomSchema, nil, true, false)
	appendBatches(t, tbl, sc, bloomBatch(t, 0, rows/2, rows), bloomBatch(t, rows/2, rows/2, rows))
	tbl, err = wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// ids returns the ids a filter-first scan finds, and the row groups its
// bloom filters skipped.
func ids(t *testing.T, tbl *table.Table, f iceberg.BooleanExpression) (string, int64) {
	t.Helper()
	before := lake.FilterFirstStats()
	got := readAll(t, tbl, lake.ScanOptions{Filter: f, Columns: []string{"id"}}, true)
	after := lake.FilterFirstStats()
	if after.BloomErrors != before.BloomErrors {
		t.Fatalf("%s: %d corrupt bloom filters", f, after.BloomErrors-before.BloomErrors)
	}
	return strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(got, "schema:\n  fields: 1\n    - id: type=int64"), "\n"), "\n", ","), after.RowGroupsBloomSkipped - before.RowGroupsBloomSkipped
}

// TestBloomPruning: for each type, a value present in exactly one row
// group of 40 is found and the others are skipped by their bloom filters;
// absent values find nothing; NULLs, OR with an unfiltered column and
// IN lists prune only what they may. Every answer equals iceberg-go's
// reader's (which reads the same filters with arrow-go).
func TestBloomPruning(t *testing.T) {
	tbl := newBloomTable(t, "bloom", true)
	const groups = bloomRows / bloomGroupLen
	p, q := 4321, 77 // two permutation values, in different row groups
	rp, rq := rowOf(p), rowOf(q)
	if bloomNull(rp) || bloomNull(rq) || rp/bloomGroupLen == rq/bloomGroupLen {
		t.Fatal("BUG: pick other values")
	}
	one, two := fmt.Sprintf("%d|", rp), fmt.Sprintf("%d|,%d|", min(rp, rq), max(rp, rq))
	const anyIDs = "*" // the rows are checked by count below
	type tc struct {
		name      string
		f         iceberg.BooleanExpression
		want      string // "" for no row
		minSkip   int64  // at least: bloom filters have false positives
		maxSkip   int64
		compareIG bool
	}
	var cases []tc
	for _, c := range []string{"k", "i", "s", "bin", "fx", "d", "ts"} {
		absent := bloomValue(c, 2*p+1) // within the row groups' min/max, in no row
		cases = append(cases,
			tc{c + " present", eq(c, bloomValue(c, 2*p)), one, groups - 4, groups - 1, true},
			tc{c + " absent", eq(c, absent), "", groups - 3, groups, true},
			tc{c + " IN", in(c, bloomValue(c, 2*p), absent, bloomValue(c, 2*q)), two, groups - 6, groups - 2, true},
		)
	}
	nulls := 0
	for r := range bloomRows {
		if bloomNull(r) {
			nulls++
		}
	}
	cases = append(cases,
		tc{"k IN list", iceberg.IsIn(iceberg.Reference("k"), bloomValue("k", 2*p).(int64), bloomValue("k", 2*p+1).(int64), bloomValue("k", 2*q).(int64)), two, groups - 6, groups - 2, true},
		tc{"s IN list", iceberg.IsIn(iceberg.Reference("s"), bloomValue("s", 2*p+1).(string), bloomValue("s", 2*q).(string)), fmt.Sprintf("%d|", rq), groups - 4, groups - 1, true},
		tc{"no filter on nf", eq("nf", bloomValue("nf", 2*p)), one, 0, 0, true},
		tc{"OR with nf", iceberg.NewOr(eq("s", bloomValue("s", 2*p)), eq("nf", bloomValue("nf", 2*q))), two, 0, 0, true},
		tc{"AND with nf", iceberg.NewAnd(eq("s", bloomValue("s", 2*p)), eq("nf", bloomValue("nf", 2*p))), one, groups - 4, groups - 1, true},
		tc{"AND contradicting", iceberg.NewAnd(eq("s", bloomValue("s", 2*p)), eq("k", bloomValue("k", 2*q))), "", groups - 3, groups, true},
		tc{"IS NULL", iceberg.IsNull(iceberg.Reference("s")), anyIDs, 0, 0, false},
		tc{"= OR IS NULL", iceberg.NewOr(eq("i", bloomValue("i", 2*p)), iceberg.IsNull(iceberg.Reference("i"))), anyIDs, 0, 0, true},
		tc{"NOT =", iceberg.NewNot(eq("s", bloomValue("s", 2*p))), anyIDs, 0, 0, true},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, skipped := ids(t, tbl, c.f)
			if c.want != anyIDs && got != c.want {
				t.Fatalf("ids %q, want %q", got, c.want)
			}
			if c.name == "IS NULL" && strings.Count(got, "|") != nulls {
				t.Fatalf("%d rows, want the %d NULLs", strings.Count(got, "|"), nulls)
			}
			if c.name == "= OR IS NULL" && strings.Count(got, "|") != nulls+1 {
				t.Fatalf("%d rows, want the %d NULLs and row %d", strings.Count(got, "|"), nulls, rp)
			}
			if c.name == "NOT =" && strings.Count(got, "|") != bloomRows-nulls-1 {
				t.Fatalf("%d rows, want %d", strings.Count(got, "|"), bloomRows-nulls-1)
			}
			if skipped < c.minSkip || skipped > c.maxSkip {
				t.Fatalf("bloom filters skipped %d row groups, want %d to %d", skipped, c.minSkip, c.maxSkip)
			}
			if c.compareIG {
				opts := lake.ScanOptions{Filter: c.f}
				if ff, ig := readAll(t, tbl, opts, true), readAll(t, tbl, opts, false); ff != ig {
					t.Fatalf("filter-first:\n%.400s\niceberg-go:\n%.400s", ff, ig)
				}
			}
		})
	}
	// Every key of a column is found, in its row group only: no false
	// negative anywhere.
	for r := 0; r < bloomRows; r += 37 {
		if got, _ := ids(t, tbl, eq("s", bloomValue("s", 2*perm(r)))); !bloomNull(r) && got != fmt.Sprintf("%d|", r) {
			t.Fatalf("row %d: ids %q", r, got)
		}
	}
}

// TestBloomCorrupt: a filter whose header is overwritten prunes nothing
// and is counted as an error; its rows are still found.
func TestBloomCorrupt(t *testing.T) {
	tbl := newBloomTable(t, "bloom_corrupt", true)
	tasks, err := lake.PlanFiles(context.Background(), tbl, lake.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		path := strings.TrimPrefix(task.File.FilePath(), "file://")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := pqgo.OpenFile(strings.NewReader(string(raw)), int64(len(raw)), pqgo.SkipBloomFilters(true))
		if err != nil {
			t.Fatal(err)
		}
		for _, rg := range pf.Metadata().RowGroups {
			off := rg.Columns[3].MetaData.BloomFilterOffset // s
			if off <= 0 {
				t.Fatal("no bloom filter on s")
			}
			copy(raw[off:], []byte{0x15, 0xff, 0xff, 0xff, 0xff, 0x0f}) // num_bytes -1
		}
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := rowOf(4321)
	before := lake.FilterFirstStats()
	got := readAll(t, tbl, lake.ScanOptions{Filter: eq("s", bloomValue("s", 2*4321)), Columns: []string{"id"}}, true)
	after := lake.FilterFirstStats()
	if !strings.HasSuffix(got, fmt.Sprintf("\n%d|", r)) {
		t.Fatalf("got %q, want row %d", got, r)
	}
	if after.BloomErrors-before.BloomErrors != bloomRows/bloomGroupLen || after.RowGroupsBloomSkipped != before.RowGroupsBloomSkipped {
		t.Fatalf("%d errors, %d skipped; want 40 errors and no skip", after.BloomErrors-before.BloomErrors, after.RowGroupsBloomSkipped-before.RowGroupsBloomSkipped)
	}
}
