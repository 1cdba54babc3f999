package runtime

import (
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wharfdata/wharf/engine/connector"
)

// TestReplayed: the rows of a batch before a position, with and without
// per-row positions; a batch that cannot say is a bug, not a guess.
func TestReplayed(t *testing.T) {
	for _, c := range []struct {
		name     string
		from, to int64
		n        int
		pos      []int64
		next     int64
		want     int
		err      string
	}{
		{name: "dense, all new", from: 10, to: 14, n: 4, next: 10, want: 0},
		{name: "dense, straddles", from: 10, to: 14, n: 4, next: 12, want: 2},
		{name: "dense, all replay", from: 10, to: 14, n: 4, next: 20, want: 4},
		{name: "sparse, straddles", from: 10, to: 20, n: 3, pos: []int64{11, 15, 19}, next: 15, want: 1},
		{name: "sparse, boundary on a gap", from: 10, to: 20, n: 3, pos: []int64{11, 15, 19}, next: 16, want: 2},
		{name: "sparse, all replay", from: 10, to: 20, n: 3, pos: []int64{11, 15, 19}, next: 20, want: 3},
		{name: "sparse without positions", from: 10, to: 20, n: 3, next: 15, err: "does not say which row is where"},
		{name: "positions miscounted", from: 10, to: 20, n: 3, pos: []int64{11}, next: 15, err: "gives 1 positions"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := connector.Batch{From: c.from, To: c.to, Rows: int64Rows(c.n), Pos: c.pos}
			defer b.Rows.Release()
			got, err := replayed(b, c.next)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("replayed = %d, %v; want %d", got, err, c.want)
			}
		})
	}
}

// TestCut: a batch split at a position keeps every row, position and bad
// record on its side.
func TestCut(t *testing.T) {
	b := connector.Batch{Split: 3, From: 10, To: 20, Rows: int64Rows(3), Pos: []int64{11, 15, 19},
		Bad: []connector.BadRecord{{Position: 12}, {Position: 16}}}
	before, after, err := cut(b, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer before.Rows.Release()
	defer after.Rows.Release()
	if before.From != 10 || before.To != 16 || before.Rows.NumRows() != 2 || !slices.Equal(before.Pos, []int64{11, 15}) || len(before.Bad) != 1 || before.Bad[0].Position != 12 {
		t.Errorf("before: %+v", before)
	}
	if after.From != 16 || after.To != 20 || after.Rows.NumRows() != 1 || !slices.Equal(after.Pos, []int64{19}) || len(after.Bad) != 1 || after.Bad[0].Position != 16 || after.Split != 3 {
		t.Errorf("after: %+v", after)
	}
	if v := after.Rows.Column(0).(*array.Int64).Value(0); v != 2 {
		t.Errorf("after's row is %d, want the third (2)", v)
	}
}

// int64Rows is a batch of one BIGINT column holding 0..n-1.
func int64Rows(n int) arrow.RecordBatch {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	for i := range n {
		b.Append(int64(i))
	}
	col := b.NewArray()
	defer col.Release()
	return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{col}, int64(n))
}
