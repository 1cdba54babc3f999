package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// topN passes on the rows of a batch window whose last column, the row
// number, is at most n: the batch form of a Top-N.
type topN struct {
	n    int64
	next Emitter
}

func (f topN) Emit(ctx context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	rn := b.Column(int(b.NumCols()) - 1).(*array.Int64)
	var keep []int32
	for i := range rn.Len() {
		if rn.Value(i) <= f.n {
			keep = append(keep, int32(i))
		}
	}
	cols, err := takeColumns(ctx, memory.DefaultAllocator, b.Columns(), keep)
	if err != nil {
		return err
	}
	defer releaseAll(cols)
	return f.next.Emit(ctx, array.NewRecordBatch(b.Schema(), cols, int64(len(keep))))
}

var rankSchema = arrow.NewSchema(append(clSchema.Fields(), arrow.Field{Name: "rn", Type: arrow.PrimitiveTypes.Int64}), nil)

func TestRankEqualsBatch(t *testing.T) {
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	cases := []struct {
		part  []int
		order []SortKey
		n     int
	}{
		{[]int{0}, []SortKey{{Column: 2, Descending: true}}, 3},
		{[]int{0}, []SortKey{{Column: 2, NullsFirst: true}, {Column: 6, Descending: true}}, 2},
		{[]int{0, 1}, []SortKey{{Column: 6}}, 1},
		{[]int{1}, []SortKey{{Column: 3, Descending: true, NullsFirst: true}}, 5},
		{nil, []SortKey{{Column: 1}, {Column: 4}}, 4},
	}
	for ci, c := range cases {
		for seed := range uint64(5) {
			t.Run(fmt.Sprintf("case%d/seed=%d", ci, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 11))
				newOps := func() []Operator {
					op, err := NewRank(rankSchema, c.part, c.order, c.n, false, ev)
					if err != nil {
						t.Fatal(err)
					}
					return []Operator{op}
				}
				steps, all := randomChangelog(r, 500+r.IntN(500), false)
				got := newMaterialized(t)
				runStream(t, newOps, steps, randomBarrier(r, steps), got)
				want := newMaterialized(t)
				w := NewWindow(rankSchema, c.part, c.order, []WindowFunc{{Func: "ROW_NUMBER", Type: arrow.PrimitiveTypes.Int64}}, ev)
				p := NewPipeline([]Operator{w}, topN{n: int64(c.n), next: want})
				defer p.Close()
				if err := p.Push(context.Background(), batchOf(all, nil)); err != nil {
					t.Fatal(err)
				}
				if err := p.Finish(context.Background()); err != nil {
					t.Fatal(err)
				}
				if len(want.rows) == 0 {
					t.Fatal("no rows to compare")
				}
				sameMultiset(t, got.rows, want.rows)
			})
		}
	}
}

// TestRankTies checks which of two rows with equal order keys a Top-N
// keeps: the earlier one, except for deduplication keeping the last row.
func TestRankTies(t *testing.T) {
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	one, two := int64(1), int64(2)
	first, second := testRow{k: &one, v: &one, ts: 5}, testRow{k: &one, v: &two, ts: 5}
	for _, c := range []struct {
		desc, keepLast bool
		want           string
	}{
		{false, false, "+I1|s|1"},
		{true, false, "+I1|s|1"},
		{true, true, "+I1|s|2"},
	} {
		op, err := NewRank(rankSchema, []int{0}, []SortKey{{Column: 6, Descending: c.desc}}, 1, c.keepLast, ev)
		if err != nil {
			t.Fatal(err)
		}
		var log []string
		sink := emitFunc(func(rec arrow.RecordBatch) {
			kinds := RowKinds(rec)
			for i := range int(rec.NumRows()) {
				log = append(log, RowKind(kinds.Value(i)).String()+renderRow(rec, 3, i))
			}
			rec.Release()
		})
		ctx := context.Background()
		for _, row := range []testRow{first, second} {
			if err := op.Process(ctx, batchOf([]testRow{row}, nil), nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := op.OnBarrier(ctx, 1, sink); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(log, " "); got != strings.ReplaceAll(c.want, "|s|", "|NULL|") {
			t.Errorf("desc=%v keepLast=%v: got %q, want %q", c.desc, c.keepLast, got, c.want)
		}
	}
}
