package exec

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// runWindow windows the batches (partition by k, order by v NULLS FIRST)
// and renders k, s, v and the results in output order.
func runWindow(t *testing.T, mem memory.Allocator, part []int, order []SortKey, funcs []WindowFunc, batches ...[]row) []string {
	t.Helper()
	ctx := context.Background()
	ev := &expr.EvalContext{Ctx: ctx, Alloc: mem}
	fields := append([]arrow.Field(nil), aggSchema.Fields()...)
	for i, f := range funcs {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("w%d", i), Type: f.Type, Nullable: true})
	}
	op := NewWindow(arrow.NewSchema(fields, nil), part, order, funcs, ev)
	// Columns 3 and 4 of the input are left out of the rendering.
	return runRows(t, mem, op, func(j int) bool { return j >= 3 && j < 5 }, batches...)
}

func wf(fn string, argCol int, typ arrow.DataType, frame WindowFrame) WindowFunc {
	f := WindowFunc{Func: fn, Type: typ, Frame: frame, N: 1}
	if argCol >= 0 {
		f.Args, f.ArgTypes = []expr.Evaluator{col(argCol)}, []arrow.DataType{aggSchema.Field(argCol).Type}
	}
	return f
}

var (
	defaultFrame = WindowFrame{Start: UnboundedPreceding, End: CurrentRow}
	lastTwo      = WindowFrame{Rows: true, Start: Preceding, StartN: 1, End: CurrentRow}
	wholeFrame   = WindowFrame{Start: UnboundedPreceding, End: UnboundedFollowing}
)

func TestWindow(t *testing.T) {
	// Not a CheckedAllocator: arrow-go's SortIndicesRecordBatch keeps 64
	// bytes per call (the Sort operator shows the same).
	mem := memory.NewGoAllocator()
	b1 := []row{{1, "a", 10, nil, nil}, {2, "y", nil, nil, nil}, {1, "b", 10, nil, nil}}
	b2 := []row{{nil, "x", 5, nil, nil}, {1, "c", 20, nil, nil}, {1, nil, nil, nil, nil}, {2, "z", 3, nil, nil}}
	byKV := []SortKey{{Column: 2, NullsFirst: true}}
	ntile := wf("NTILE", -1, i32, WindowFrame{})
	ntile.N = 3
	lead := wf("LEAD", 2, i32, WindowFrame{})
	lead.N = 2
	nth := wf("NTH_VALUE", 1, str, wholeFrame)
	nth.N = 2
	cases := []struct {
		name  string
		funcs []WindowFunc
		want  []string
	}{
		{"ranking", []WindowFunc{wf("ROW_NUMBER", -1, i64, WindowFrame{}), wf("RANK", -1, i64, WindowFrame{}), wf("DENSE_RANK", -1, i64, WindowFrame{}),
			wf("PERCENT_RANK", -1, f64, WindowFrame{}), wf("CUME_DIST", -1, f64, WindowFrame{}), ntile},
			[]string{"NULL|x|5|1|1|1|0|1|1",
				"1|NULL|NULL|1|1|1|0|0.25|1", "1|a|10|2|2|2|0.3333333333333333|0.75|1", "1|b|10|3|2|2|0.3333333333333333|0.75|2", "1|c|20|4|4|3|1|1|3",
				"2|y|NULL|1|1|1|0|0.5|1", "2|z|3|2|2|2|1|1|2"}},
		{"aggregates over frames", []WindowFunc{wf("SUM", 2, i32, defaultFrame), wf("COUNT", -1, i64, lastTwo), wf("COUNT", 2, i64, wholeFrame), wf("MAX", 1, str, lastTwo), wf("MIN", 2, i32, defaultFrame)},
			[]string{"NULL|x|5|5|1|1|x|5",
				"1|NULL|NULL|NULL|1|3|NULL|NULL", "1|a|10|20|2|3|a|10", "1|b|10|20|2|3|b|10", "1|c|20|40|2|3|c|10",
				"2|y|NULL|NULL|1|1|y|NULL", "2|z|3|3|2|1|z|3"}},
		{"navigation", []WindowFunc{wf("LAG", 1, str, WindowFrame{}), lead, wf("FIRST_VALUE", 1, str, defaultFrame), wf("LAST_VALUE", 1, str, defaultFrame), nth},
			[]string{"NULL|x|5|NULL|NULL|x|x|NULL",
				"1|NULL|NULL|NULL|10|NULL|NULL|a", "1|a|10|NULL|20|NULL|b|a", "1|b|10|a|NULL|NULL|b|a", "1|c|20|b|NULL|NULL|c|a",
				"2|y|NULL|NULL|NULL|y|y|z", "2|z|3|y|NULL|y|z|z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runWindow(t, mem, []int{0}, byKV, c.funcs, b1, b2)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
	t.Run("no input", func(t *testing.T) {
		if got := runWindow(t, mem, []int{0}, byKV, []WindowFunc{wf("ROW_NUMBER", -1, i64, WindowFrame{})}); len(got) != 0 {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("no partition, no order", func(t *testing.T) {
		got := runWindow(t, mem, nil, nil, []WindowFunc{wf("SUM", 2, i32, defaultFrame), wf("ROW_NUMBER", -1, i64, WindowFrame{})}, b1)
		want := []string{"1|a|10|20|1", "2|y|NULL|20|2", "1|b|10|20|3"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
	})
}

func TestWindowMemoryLimit(t *testing.T) {
	ctx := context.Background()
	budget := NewBudget(memory.NewGoAllocator(), 1<<20)
	ev := &expr.EvalContext{Ctx: ctx, Alloc: budget}
	schema := arrow.NewSchema(append(aggSchema.Fields(), arrow.Field{Name: "rn", Type: i64}), nil)
	op := NewWindow(schema, []int{0}, nil, []WindowFunc{wf("ROW_NUMBER", -1, i64, WindowFrame{})}, ev)
	read := 0
	// The scan's memory is not the window's: the window copies what it
	// buffers into the budget.
	src := distinctKeys(memory.NewGoAllocator(), &read)
	sink := &Collect{}
	err := Run(ctx, src, []Operator{op}, sink)
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
