package exec

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

var joinSide = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// joinRows builds batches of (k, s) from "k:s" cells ("-" is a NULL k),
// one batch per group.
func joinRows(mem memory.Allocator, groups ...[]string) BatchSource {
	return BatchSource{Batches: func(yield func(arrow.RecordBatch, error) bool) {
		for _, g := range groups {
			b := array.NewRecordBuilder(mem, joinSide)
			for _, cell := range g {
				k, s, _ := strings.Cut(cell, ":")
				if k == "-" {
					b.Field(0).AppendNull()
				} else {
					var n int64
					fmt.Sscan(k, &n)
					b.Field(0).(*array.Int64Builder).Append(n)
				}
				b.Field(1).(*array.StringBuilder).Append(s)
			}
			rec := b.NewRecordBatch()
			b.Release()
			if !yield(rec, nil) {
				return
			}
		}
	}}
}

func joinCol(t *testing.T, i int, typ arrow.DataType) expr.Evaluator {
	t.Helper()
	e, err := expr.Compile(&expr.Column{Index: i, Name: fmt.Sprint("c", i), DataType: typ})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestHashJoin(t *testing.T) {
	probe := [][]string{{"1:p1", "2:p2", "-:pn"}, {"2:p2b", "5:p5"}, {}}
	build := [][]string{{"2:b2", "-:bn", "3:b3"}, {"2:b2b", "1:b1"}}
	cases := []struct {
		name     string
		kind     JoinKind
		probe    [][]string
		build    [][]string
		noKeys   bool
		residual bool // probe s < build s
		want     string
	}{
		{"inner", JoinInner, probe, build, false, false, "[1|p1|1|b1 2|p2b|2|b2 2|p2b|2|b2b 2|p2|2|b2 2|p2|2|b2b]"},
		{"probe outer", JoinProbeOuter, probe, build, false, false,
			"[1|p1|1|b1 2|p2b|2|b2 2|p2b|2|b2b 2|p2|2|b2 2|p2|2|b2b 5|p5|NULL|NULL NULL|pn|NULL|NULL]"},
		{"build outer", JoinBuildOuter, probe, build, false, false,
			"[1|p1|1|b1 2|p2b|2|b2 2|p2b|2|b2b 2|p2|2|b2 2|p2|2|b2b NULL|NULL|3|b3 NULL|NULL|NULL|bn]"},
		{"full outer", JoinFullOuter, probe, build, false, false,
			"[1|p1|1|b1 2|p2b|2|b2 2|p2b|2|b2b 2|p2|2|b2 2|p2|2|b2b 5|p5|NULL|NULL NULL|NULL|3|b3 NULL|NULL|NULL|bn NULL|pn|NULL|NULL]"},
		{"semi", JoinSemi, probe, build, false, false, "[1|p1 2|p2 2|p2b]"},
		{"anti", JoinAnti, probe, build, false, false, "[5|p5 NULL|pn]"},
		{"semi residual", JoinSemi, [][]string{{"2:b2a", "2:b2c", "1:a"}}, build, false, true, "[1|a 2|b2a]"},
		{"anti residual", JoinAnti, [][]string{{"2:b2a", "2:b2c", "1:a"}}, build, false, true, "[2|b2c]"},
		{"full residual", JoinFullOuter, [][]string{{"2:b2a", "1:zz"}}, build, false, true,
			"[1|zz|NULL|NULL 2|b2a|2|b2b NULL|NULL|1|b1 NULL|NULL|2|b2 NULL|NULL|3|b3 NULL|NULL|NULL|bn]"},
		{"cross", JoinInner, [][]string{{"1:x"}, {"-:y"}}, [][]string{{"7:a", "-:b"}}, true, false, "[1|x|7|a 1|x|NULL|b NULL|y|7|a NULL|y|NULL|b]"},
		{"empty build", JoinProbeOuter, probe, nil, false, false, "[1|p1|NULL|NULL 2|p2b|NULL|NULL 2|p2|NULL|NULL 5|p5|NULL|NULL NULL|pn|NULL|NULL]"},
		{"empty build inner", JoinInner, probe, nil, false, false, "[]"},
		{"empty probe", JoinBuildOuter, nil, build, false, false, "[NULL|NULL|1|b1 NULL|NULL|2|b2 NULL|NULL|2|b2b NULL|NULL|3|b3 NULL|NULL|NULL|bn]"},
		{"empty probe full", JoinFullOuter, [][]string{{}}, [][]string{{"1:a"}}, false, false, "[NULL|NULL|1|a]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			budget := NewBudget(mem, 1<<30)
			ev := &expr.EvalContext{Ctx: context.Background(), Alloc: budget}
			out := joinSide
			if c.kind != JoinSemi && c.kind != JoinAnti {
				out = arrow.NewSchema(append(joinSide.Fields(), joinSide.Fields()...), nil)
			}
			spec := HashJoinSpec{Kind: c.kind, Schema: out,
				Build: &Query{Source: joinRows(budget, c.build...), Schema: joinSide}}
			if !c.noKeys {
				spec.ProbeKeys = []expr.Evaluator{joinCol(t, 0, arrow.PrimitiveTypes.Int64)}
				spec.BuildKeys = []expr.Evaluator{joinCol(t, 0, arrow.PrimitiveTypes.Int64)}
				spec.KeyTypes = []arrow.DataType{arrow.PrimitiveTypes.Int64}
			}
			if c.residual {
				r, err := expr.Resolve("<", []expr.Expr{
					&expr.Column{Index: 1, Name: "ps", DataType: arrow.BinaryTypes.String},
					&expr.Column{Index: 3, Name: "bs", DataType: arrow.BinaryTypes.String}})
				if err != nil {
					t.Fatal(err)
				}
				if spec.Residual, err = expr.Compile(r); err != nil {
					t.Fatal(err)
				}
			}
			j, err := NewHashJoin(spec, ev)
			if err != nil {
				t.Fatal(err)
			}
			sink := &Collect{}
			if err := Run(context.Background(), joinRows(budget, c.probe...), []Operator{j}, sink); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range sink.Batches {
				for i := range int(b.NumRows()) {
					var cells []string
					for ci := range int(b.NumCols()) {
						if b.Column(ci).IsNull(i) {
							cells = append(cells, "NULL")
						} else {
							cells = append(cells, b.Column(ci).ValueStr(i))
						}
					}
					got = append(got, strings.Join(cells, "|"))
				}
			}
			sink.Release()
			slices.Sort(got)
			if fmt.Sprint(got) != c.want {
				t.Fatalf("got  %v\nwant %s", got, c.want)
			}
			if budget.Used() != 0 {
				t.Fatalf("budget still holds %d bytes", budget.Used())
			}
		})
	}
}

// TestHashJoinBigOutput: one key matching 300 × 300 rows emits 90,000
// pairs in batches of at most 64Ki rows; a small budget stops the build.
func TestHashJoinBigOutput(t *testing.T) {
	var side []string
	for i := range 300 {
		side = append(side, fmt.Sprintf("7:r%d", i))
	}
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	key := []expr.Evaluator{joinCol(t, 0, arrow.PrimitiveTypes.Int64)}
	out := arrow.NewSchema(append(joinSide.Fields(), joinSide.Fields()...), nil)
	j, err := NewHashJoin(HashJoinSpec{Kind: JoinInner, Schema: out, ProbeKeys: key, BuildKeys: key,
		KeyTypes: []arrow.DataType{arrow.PrimitiveTypes.Int64},
		Build:    &Query{Source: joinRows(memory.DefaultAllocator, side), Schema: joinSide}}, ev)
	if err != nil {
		t.Fatal(err)
	}
	sink := &Collect{}
	if err := Run(context.Background(), joinRows(memory.DefaultAllocator, side), []Operator{j}, sink); err != nil {
		t.Fatal(err)
	}
	defer sink.Release()
	if sink.Rows != 90000 || len(sink.Batches) != 2 || sink.Batches[0].NumRows() != maxJoinBatch {
		t.Fatalf("%d rows in %d batches", sink.Rows, len(sink.Batches))
	}

	budget := NewBudget(memory.DefaultAllocator, 4<<10)
	ev = &expr.EvalContext{Ctx: context.Background(), Alloc: budget}
	j, err = NewHashJoin(HashJoinSpec{Kind: JoinInner, Schema: out, ProbeKeys: key, BuildKeys: key,
		KeyTypes: []arrow.DataType{arrow.PrimitiveTypes.Int64},
		Build:    &Query{Source: joinRows(memory.DefaultAllocator, side, side, side), Schema: joinSide}}, ev)
	if err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), joinRows(memory.DefaultAllocator, side), []Operator{j}, &Collect{})
	if e := (*MemoryLimitError)(nil); !errors.As(err, &e) {
		t.Fatalf("err = %v, want a memory limit error", err)
	}
}
