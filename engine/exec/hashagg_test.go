package exec

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// aggSchema is the input of the HashAgg tests: k BIGINT, s STRING, v INT,
// f DOUBLE, b BOOLEAN.
var aggSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

// row is one input row; nil is NULL.
type row [5]any

func makeBatch(mem memory.Allocator, rows []row) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, aggSchema)
	defer b.Release()
	for _, r := range rows {
		for c, v := range r {
			if v == nil {
				b.Field(c).AppendNull()
				continue
			}
			switch fb := b.Field(c).(type) {
			case *array.Int64Builder:
				fb.Append(int64(v.(int)))
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.Int32Builder:
				fb.Append(int32(v.(int)))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			}
		}
	}
	return b.NewRecordBatch()
}

func col(i int) expr.Evaluator {
	return func(_ *expr.EvalContext, b arrow.RecordBatch) (arrow.Array, error) {
		c := b.Column(i)
		c.Retain()
		return c, nil
	}
}

// vOver is a hand-compiled FILTER (WHERE v > n).
func vOver(n int32) expr.Evaluator {
	return func(ev *expr.EvalContext, b arrow.RecordBatch) (arrow.Array, error) {
		v := b.Column(2).(*array.Int32)
		bb := array.NewBooleanBuilder(ev.Alloc)
		defer bb.Release()
		for i := range v.Len() {
			if v.IsNull(i) {
				bb.AppendNull()
			} else {
				bb.Append(v.Value(i) > n)
			}
		}
		return bb.NewArray(), nil
	}
}

// runAgg aggregates the batches and renders the result rows sorted.
func runAgg(t *testing.T, mem memory.Allocator, keys []int, aggs []AggSpec, batches ...[]row) []string {
	t.Helper()
	ctx := context.Background()
	ev := &expr.EvalContext{Ctx: ctx, Alloc: mem}
	var fields []arrow.Field
	var evs []expr.Evaluator
	var types []arrow.DataType
	for _, k := range keys {
		fields = append(fields, aggSchema.Field(k))
		evs = append(evs, col(k))
		types = append(types, aggSchema.Field(k).Type)
	}
	for i, a := range aggs {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("a%d", i), Type: a.Type, Nullable: true})
	}
	op, err := NewHashAgg(arrow.NewSchema(fields, nil), evs, types, aggs, ev)
	if err != nil {
		t.Fatal(err)
	}
	out := runRows(t, mem, op, nil, batches...)
	sort.Strings(out)
	return out
}

// runRows runs op over batches of rows and renders its output, one string
// per row ("a|b|NULL"), leaving out the columns skip names.
func runRows(t *testing.T, mem memory.Allocator, op Operator, skip func(col int) bool, batches ...[]row) []string {
	t.Helper()
	ctx := context.Background()
	src := BatchSource{Batches: func(yield func(arrow.RecordBatch, error) bool) {
		for _, rows := range batches {
			if !yield(makeBatch(mem, rows), nil) {
				return
			}
		}
	}}
	sink := &Collect{}
	if err := Run(ctx, src, []Operator{op}, sink); err != nil {
		t.Fatal(err)
	}
	defer sink.Release()
	var out []string
	for _, b := range sink.Batches {
		for i := range int(b.NumRows()) {
			var cells []string
			for j, c := range b.Columns() {
				switch {
				case skip != nil && skip(j):
				case c.IsNull(i):
					cells = append(cells, "NULL")
				default:
					cells = append(cells, c.ValueStr(i))
				}
			}
			out = append(out, strings.Join(cells, "|"))
		}
	}
	return out
}

func spec(fn string, argCol int, typ arrow.DataType) AggSpec {
	s := AggSpec{Func: fn, Type: typ, Sep: ","}
	if argCol >= 0 {
		s.Arg, s.ArgType = col(argCol), aggSchema.Field(argCol).Type
	}
	return s
}

var (
	i64 = arrow.PrimitiveTypes.Int64
	i32 = arrow.PrimitiveTypes.Int32
	f64 = arrow.PrimitiveTypes.Float64
	str = arrow.BinaryTypes.String
	bln = arrow.FixedWidthTypes.Boolean
)

func TestHashAgg(t *testing.T) {
	b1 := []row{{1, "a", 10, 1.5, true}, {2, "b", 20, nil, false}, {nil, "a", 5, 2.5, nil}, {1, nil, nil, math.Copysign(0, -1), true}}
	b2 := []row{{2, "b", 30, math.NaN(), true}, {nil, nil, 7, 0.0, false}, {3, "c", nil, nil, nil}}
	distinct := spec("COUNT", 1, i64)
	distinct.Distinct = true
	filtered := spec("SUM", 2, i32)
	filtered.Filter = vOver(9)
	f := func(name string, keys []int, aggs []AggSpec, batches [][]row, want ...string) {
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			got := runAgg(t, mem, keys, aggs, batches...)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %q\nwant %q", got, want)
			}
			mem.AssertSize(t, 0)
		})
	}
	all := [][]row{b1, b2}
	f("count, sum, avg by an int key across batches; NULL keys group", []int{0},
		[]AggSpec{spec("COUNT", -1, i64), spec("COUNT", 2, i64), spec("SUM", 2, i32), spec("AVG", 2, i32)}, all,
		"1|2|1|10|10", "2|2|2|50|25", "3|1|0|NULL|NULL", "NULL|2|2|12|6")
	f("string key, min/max/first/last, listagg", []int{1},
		[]AggSpec{spec("MIN", 2, i32), spec("MAX", 0, i64), spec("FIRST_VALUE", 2, i32), spec("LAST_VALUE", 2, i32), spec("LISTAGG", 1, str)}, all,
		"NULL|7|1|7|7|NULL", "a|5|1|10|5|a,a", "b|20|2|20|30|b,b", "c|NULL|3|NULL|NULL|c")
	f("two keys, DISTINCT and FILTER", []int{0, 1}, []AggSpec{distinct, filtered}, all,
		"1|NULL|0|NULL", "1|a|1|10", "2|b|1|50", "3|c|1|NULL", "NULL|NULL|0|NULL", "NULL|a|1|NULL")
	f("a DOUBLE key: -0.0 is 0.0 and NaN is NaN", []int{3}, []AggSpec{spec("COUNT", -1, i64)}, all,
		"0|2", "1.5|1", "2.5|1", "NULL|2", "NaN|1")
	f("a BOOLEAN key; MIN and MAX of BOOLEAN", []int{4}, []AggSpec{spec("COUNT", -1, i64), spec("MIN", 4, bln), spec("MAX", 4, bln)}, all,
		"NULL|2|NULL|NULL", "false|2|false|false", "true|3|true|true")
	f("global aggregates: one row", nil,
		[]AggSpec{spec("COUNT", -1, i64), spec("SUM", 3, f64), spec("STDDEV_POP", 2, i32), spec("VAR_SAMP", 3, f64), spec("APPROX_COUNT_DISTINCT", 1, i64)},
		[][]row{b1[:2], b1[2:]}, "4|4|6|1.5833333333333335|2")
	f("global aggregates over no rows", nil, []AggSpec{spec("COUNT", -1, i64), spec("SUM", 2, i32), spec("LISTAGG", 1, str), spec("APPROX_COUNT_DISTINCT", 1, i64)}, nil,
		"0|NULL|NULL|0")
	f("global aggregates over empty batches", nil, []AggSpec{spec("COUNT", 2, i64), spec("MAX", 1, str)}, [][]row{{}, {{nil, nil, nil, nil, nil}}},
		"0|NULL")
	f("grouped over no rows: no groups", []int{0}, []AggSpec{spec("COUNT", -1, i64)}, nil)
}

func TestHashAggManyGroups(t *testing.T) {
	// 100k groups over 25 batches: group ids and state grow across batches,
	// and the result comes in batches of at most 64Ki rows.
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	ev := &expr.EvalContext{Ctx: ctx, Alloc: mem}
	const groups, batches, size = 100_000, 25, 8_000
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: str}, {Name: "n", Type: i64}, {Name: "sum", Type: i64}}, nil)
	op, err := NewHashAgg(schema, []expr.Evaluator{col(1)}, []arrow.DataType{str},
		[]AggSpec{spec("COUNT", -1, i64), spec("SUM", 0, i64)}, ev)
	if err != nil {
		t.Fatal(err)
	}
	src := BatchSource{Batches: func(yield func(arrow.RecordBatch, error) bool) {
		for b := range batches {
			rows := make([]row, size)
			for i := range rows {
				k := (b*size + i) % groups
				rows[i] = row{k, fmt.Sprintf("g%d", k), nil, nil, nil}
			}
			if !yield(makeBatch(mem, rows), nil) {
				return
			}
		}
	}}
	sink := &Collect{}
	if err := Run(ctx, src, []Operator{op}, sink); err != nil {
		t.Fatal(err)
	}
	defer func() { sink.Release(); mem.AssertSize(t, 0) }()
	if len(sink.Batches) != 2 || sink.Rows != groups {
		t.Fatalf("%d rows in %d batches", sink.Rows, len(sink.Batches))
	}
	for _, b := range sink.Batches {
		keys, counts, sums := b.Column(0).(*array.String), b.Column(1).(*array.Int64), b.Column(2).(*array.Int64)
		for i := range keys.Len() {
			var k int64
			fmt.Sscanf(keys.Value(i), "g%d", &k)
			if counts.Value(i) != 2 || sums.Value(i) != 2*k {
				t.Fatalf("group %s: count %d sum %d", keys.Value(i), counts.Value(i), sums.Value(i))
			}
		}
	}
}

func TestHashAggMemoryLimit(t *testing.T) {
	// RELIABILITY Q3: groups beyond the budget stop the query with
	// *MemoryLimitError, and Close gives the charged memory back.
	ctx := context.Background()
	budget := NewBudget(memory.NewGoAllocator(), 1<<20)
	ev := &expr.EvalContext{Ctx: ctx, Alloc: budget}
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: i64}, {Name: "n", Type: i64}}, nil)
	op, err := NewHashAgg(schema, []expr.Evaluator{col(0)}, []arrow.DataType{i64}, []AggSpec{spec("COUNT", -1, i64)}, ev)
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	src := distinctKeys(budget, &read)
	sink := &Collect{}
	err = Run(ctx, src, []Operator{op}, sink)
	sink.Release()
	var mle *MemoryLimitError
	if !errors.As(err, &mle) {
		t.Fatalf("err = %v, want a memory limit error", err)
	}
	if read > 100 {
		t.Fatalf("read %d batches before stopping", read)
	}
	if budget.Used() != 0 {
		t.Fatalf("%d bytes still charged after Close", budget.Used())
	}
}

func TestHLL(t *testing.T) {
	for _, n := range []int{0, 1, 64, 65, 1000, 20_000, 300_000} {
		var s hllSketch
		for i := range n {
			s.add(mix64(uint64(i)))
			s.add(mix64(uint64(i))) // duplicates do not count
		}
		got := s.estimate()
		if n <= hllSmall && got != int64(n) {
			t.Fatalf("%d values: estimate %d, want exact", n, got)
		}
		if e := math.Abs(float64(got)-float64(n)) / max(float64(n), 1); e > 0.03 {
			t.Fatalf("%d values: estimate %d (%.1f%% off)", n, got, 100*e)
		}
	}
}

// distinctKeys is a source of 1000 batches of 1000 rows whose first column
// (of aggSchema) never repeats, counting the batches it yields in read.
func distinctKeys(mem memory.Allocator, read *int) BatchSource {
	return BatchSource{Batches: func(yield func(arrow.RecordBatch, error) bool) {
		for b := range 1000 {
			bb := array.NewRecordBuilder(mem, aggSchema)
			for i := range 1000 {
				bb.Field(0).(*array.Int64Builder).Append(int64(b*1000 + i))
				for c := 1; c < 5; c++ {
					bb.Field(c).AppendNull()
				}
			}
			rec := bb.NewRecordBatch()
			bb.Release()
			*read++
			if !yield(rec, nil) {
				return
			}
		}
	}}
}
