package lake_test

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
)

var pruneSchema = iceberg.NewSchema(0,
	iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 2, Name: "n", Type: iceberg.PrimitiveTypes.Int32},
	iceberg.NestedField{ID: 3, Name: "s", Type: iceberg.PrimitiveTypes.String},
	iceberg.NestedField{ID: 4, Name: "d", Type: iceberg.PrimitiveTypes.Date},
	iceberg.NestedField{ID: 5, Name: "ts", Type: iceberg.PrimitiveTypes.Timestamp},
	iceberg.NestedField{ID: 6, Name: "f", Type: iceberg.PrimitiveTypes.Float64},
)

var pruneArrow = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// pruneBase is the first row's timestamp; rows are an hour apart.
var pruneBase = time.Date(2025, 12, 30, 0, 0, 0, 0, time.UTC)

var pruneWords = []string{"", "a", "ab", "abc", "b", "ba", "bz", "héllo", "zz", "zzz"}

// pruneBatch is rows [lo, lo+n): ids, timestamps and dates rising with the
// row (so files have narrow ranges), the other columns cycling, NULLs in
// every nullable column.
func pruneBatch(lo, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, pruneArrow)
	defer b.Release()
	for i := lo; i < lo+n; i++ {
		ts := pruneBase.Add(time.Duration(i) * time.Hour)
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		null := i%11 == 0
		if null {
			for c := 1; c < 6; c++ {
				b.Field(c).AppendNull()
			}
			continue
		}
		b.Field(1).(*array.Int32Builder).Append(int32(i % 7))
		b.Field(2).(*array.StringBuilder).Append(pruneWords[i%len(pruneWords)])
		b.Field(3).(*array.Date32Builder).Append(arrow.Date32FromTime(ts))
		b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMicro()))
		b.Field(5).(*array.Float64Builder).Append(float64(i%13) - 6.5)
	}
	return b.NewRecordBatch()
}

// pruneFilter is a random filter over pruneSchema, depth at most depth.
func pruneFilter(r *rand.Rand, depth int) iceberg.BooleanExpression {
	if depth > 0 && r.IntN(3) > 0 {
		l, rt := pruneFilter(r, depth-1), pruneFilter(r, depth-1)
		switch r.IntN(3) {
		case 0:
			return iceberg.NewAnd(l, rt)
		case 1:
			return iceberg.NewOr(l, rt)
		}
		return iceberg.NewNot(l)
	}
	col := []string{"id", "n", "s", "d", "ts", "f"}[r.IntN(6)]
	ref := iceberg.Reference(col)
	switch r.IntN(8) {
	case 0:
		return iceberg.IsNull(ref)
	case 1:
		return iceberg.NotNull(ref)
	}
	var lits []iceberg.Literal
	for range 1 + r.IntN(3) {
		lits = append(lits, pruneLiteral(r, col))
	}
	if col == "s" && r.IntN(4) == 0 {
		w := string(lits[0].(iceberg.StringLiteral))
		if r.IntN(2) == 0 {
			return iceberg.StartsWith(ref, w)
		}
		return iceberg.NotStartsWith(ref, w)
	}
	switch r.IntN(8) {
	case 0:
		return iceberg.LiteralPredicate(iceberg.OpLT, ref, lits[0])
	case 1:
		return iceberg.LiteralPredicate(iceberg.OpLTEQ, ref, lits[0])
	case 2:
		return iceberg.LiteralPredicate(iceberg.OpGT, ref, lits[0])
	case 3:
		return iceberg.LiteralPredicate(iceberg.OpGTEQ, ref, lits[0])
	case 4:
		return iceberg.LiteralPredicate(iceberg.OpNEQ, ref, lits[0])
	case 5:
		return iceberg.SetPredicate(iceberg.OpIn, ref, lits)
	case 6:
		return iceberg.SetPredicate(iceberg.OpNotIn, ref, lits)
	}
	return iceberg.LiteralPredicate(iceberg.OpEQ, ref, lits[0])
}

// pruneLiteral is a value of col's type in and around the data's range.
func pruneLiteral(r *rand.Rand, col string) iceberg.Literal {
	i := r.IntN(pruneRows+200) - 100
	ts := pruneBase.Add(time.Duration(i) * time.Hour)
	switch col {
	case "id":
		return iceberg.NewLiteral(int64(i))
	case "n":
		return iceberg.NewLiteral(int32(r.IntN(9) - 1))
	case "s":
		w := pruneWords[r.IntN(len(pruneWords))]
		if r.IntN(3) == 0 {
			w += "b"
		}
		return iceberg.NewLiteral(w)
	case "d":
		return iceberg.NewLiteral(iceberg.Date(ts.Unix() / 86400))
	case "ts":
		return iceberg.NewLiteral(iceberg.Timestamp(ts.UnixMicro() + int64(r.IntN(3)-1)))
	}
	return iceberg.NewLiteral(float64(r.IntN(16)) - 7.5)
}

const pruneRows = 1200

// TestCachedPruningKeepsIcebergGosFiles: for random filters over tables
// partitioned by every transform (and one whose spec evolves), the files
// planned from the manifest cache are a superset of iceberg-go's planner's,
// in the same order; it logs how often they are the same.
func TestCachedPruningKeepsIcebergGosFiles(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	field := func(src, id int, name string, tr iceberg.Transform) iceberg.PartitionField {
		return iceberg.PartitionField{SourceIDs: []int{src}, FieldID: id, Name: name, Transform: tr}
	}
	type evolve struct {
		col, name string
		tr        iceberg.Transform
	}
	tables := []struct {
		name   string
		rows   int // 0: pruneRows
		spec   *iceberg.PartitionSpec
		evolve []evolve // added half-way through the commits
	}{
		{name: "unpartitioned"},
		{name: "identity_bucket", spec: ptr(iceberg.NewPartitionSpec(
			field(2, 1000, "n", iceberg.IdentityTransform{}), field(1, 1001, "id_bucket", iceberg.BucketTransform{NumBuckets: 3})))},
		{name: "truncate_day", spec: ptr(iceberg.NewPartitionSpec(
			field(3, 1000, "s_trunc", iceberg.TruncateTransform{Width: 1}), field(5, 1001, "ts_day", iceberg.DayTransform{}),
			field(1, 1002, "id_trunc", iceberg.TruncateTransform{Width: 500})))},
		{name: "year_month", spec: ptr(iceberg.NewPartitionSpec(
			field(4, 1000, "d_year", iceberg.YearTransform{}), field(5, 1001, "ts_month", iceberg.MonthTransform{})))},
		// One file per row: few rows.
		{name: "hour", rows: 240, spec: ptr(iceberg.NewPartitionSpec(field(5, 1000, "ts_hour", iceberg.HourTransform{})))},
		{name: "evolved", spec: ptr(iceberg.NewPartitionSpec(field(2, 1000, "n", iceberg.IdentityTransform{}))),
			evolve: []evolve{{"d", "d_day", iceberg.DayTransform{}}, {"s", "s_bucket", iceberg.BucketTransform{NumBuckets: 2}}}},
	}
	r := rand.New(rand.NewPCG(6, 6))
	const filters = 120
	var same, total int
	for _, tc := range tables {
		id, _ := lake.Ident("prune_" + tc.name)
		tbl, err := wh.CreateTable(ctx, id, pruneSchema, lake.TableOptions{Spec: tc.spec})
		if err != nil {
			t.Fatal(err)
		}
		const commits = 6
		for c := range commits {
			if c == commits/2 && len(tc.evolve) > 0 {
				tx := tbl.NewTransaction()
				us := tx.UpdateSpec(true)
				for _, e := range tc.evolve {
					us = us.AddField(e.col, e.tr, e.name)
				}
				if err := us.Commit(); err != nil {
					t.Fatal(err)
				}
				if tbl, err = tx.Commit(ctx); err != nil {
					t.Fatal(err)
				}
			}
			n := cmp.Or(tc.rows, pruneRows) / commits
			tbl = appendBatches(t, tbl, pruneArrow, pruneBatch(c*n, n))
		}
		mc := lake.NewManifestCache(64 << 20)
		sameHere := 0
		for range filters {
			f := pruneFilter(r, 3)
			opts := lake.ScanOptions{Filter: f}
			ref, err := lake.PlanFiles(ctx, tbl, opts)
			if err != nil {
				t.Fatalf("%s: iceberg-go plans %s: %v", tc.name, f, err)
			}
			got, err := lake.PlanScanWith(ctx, tbl, opts, mc)
			if err != nil {
				t.Fatalf("%s: cached planning of %s: %v", tc.name, f, err)
			}
			want, have := taskKeys(ref), taskKeys(got.Tasks())
			if !isSubsequence(want, have) {
				t.Fatalf("%s: filter %s: cached planning dropped files iceberg-go keeps (or reordered them): %q",
					tc.name, f, slices.DeleteFunc(want, func(k string) bool { return slices.Contains(have, k) }))
			}
			if len(want) == len(have) {
				sameHere++
			} else if testing.Verbose() {
				t.Logf("%s: %d files, iceberg-go %d: %s", tc.name, len(have), len(want), f)
			}
		}
		t.Logf("%s: %d files in %d specs; same files as iceberg-go for %d of %d filters",
			tc.name, fileCount(t, tbl), len(tbl.Metadata().PartitionSpecs()), sameHere, filters)
		same += sameHere
		total += filters
	}
	t.Logf("same files as iceberg-go for %d of %d filters (%.1f%%)", same, total, 100*float64(same)/float64(total))
}

func taskKeys(ts []table.FileScanTask) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = taskKey(t)
	}
	return out
}

// isSubsequence says whether sub's elements appear in s in the same order.
func isSubsequence(sub, s []string) bool {
	i := 0
	for _, v := range s {
		if i < len(sub) && sub[i] == v {
			i++
		}
	}
	return i == len(sub)
}

func fileCount(t *testing.T, tbl *table.Table) int {
	ps, err := lake.PlanScan(context.Background(), tbl, lake.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(slices.Compact(taskKeys(ps.Tasks())))
}
