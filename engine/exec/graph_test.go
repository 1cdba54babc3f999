package exec

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

// probe is a stateful test operator: it counts the rows it sees per input,
// logs the barriers it gets, and snapshots its counts.
type probe struct {
	name        string
	left, right int64
	log         *[]string
}

func (p *probe) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	p.left += b.NumRows()
	b.Retain()
	return out.Emit(ctx, b)
}

func (p *probe) ProcessRight(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	p.right += b.NumRows()
	b.Retain()
	return out.Emit(ctx, b)
}

func (p *probe) OnBarrier(_ context.Context, epoch uint64, _ Emitter) error {
	*p.log = append(*p.log, p.name)
	return nil
}

func (p *probe) SnapshotState(dst []byte) ([]byte, error) {
	return append(dst, byte(p.left), byte(p.right)), nil
}

func (p *probe) RestoreState(b []byte) error {
	if len(b) != 2 {
		return fmt.Errorf("probe state of %d bytes", len(b))
	}
	p.left, p.right = int64(b[0]), int64(b[1])
	return nil
}

func (p *probe) Finish(context.Context, Emitter) error { return nil }
func (p *probe) Close()                                {}

type countSink struct{ rows int64 }

func (s *countSink) Emit(_ context.Context, b arrow.RecordBatch) error {
	s.rows += b.NumRows()
	b.Release()
	return nil
}

func leaf(name string) *plan.SourceScan { return &plan.SourceScan{Ident: []string{"db", name}} }

// graphOf builds join(a → pa, b → pb) → top: the two chains meet at join.
func graphOf(log *[]string, sink Emitter) (*Graph, [4]*probe) {
	pa, pb := &probe{name: "a", log: log}, &probe{name: "b", log: log}
	join, top := &probe{name: "join", log: log}, &probe{name: "top", log: log}
	q := &Query{Stream: leaf("a"), Operators: []Operator{pa, join, top},
		Right: map[int]*Query{1: {Stream: leaf("b"), Operators: []Operator{pb}}}}
	return NewGraph(q, sink), [4]*probe{pa, pb, join, top}
}

func TestGraph(t *testing.T) {
	ctx := context.Background()
	var log []string
	sink := &countSink{}
	g, ps := graphOf(&log, sink)
	if len(g.Leaves) != 2 || g.Leaves[0].Ident[1] != "a" || g.Leaves[1].Ident[1] != "b" {
		t.Fatalf("leaves %v", g.Leaves)
	}
	rows := func(n int) arrow.RecordBatch {
		bld := array.NewInt64Builder(memory.DefaultAllocator)
		for i := range n {
			bld.Append(int64(i))
		}
		col := bld.NewArray()
		return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{col}, int64(n))
	}
	if err := g.Push(ctx, 0, rows(3)); err != nil {
		t.Fatal(err)
	}
	if err := g.Push(ctx, 1, rows(5)); err != nil {
		t.Fatal(err)
	}
	if ps[2].left != 3 || ps[2].right != 5 || sink.rows != 8 {
		t.Fatalf("join saw %d left, %d right; sink %d", ps[2].left, ps[2].right, sink.rows)
	}
	// A barrier reaches every operator after its inputs.
	if err := g.Barrier(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, ","); got != "a,b,join,top" {
		t.Fatalf("barrier order %s", got)
	}

	// The snapshot restores into the same graph, and is refused by another.
	snap, err := g.Snapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	again, qs := graphOf(&log, &countSink{})
	if err := again.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		if qs[i].left != ps[i].left || qs[i].right != ps[i].right {
			t.Fatalf("operator %d restored %d/%d, had %d/%d", i, qs[i].left, qs[i].right, ps[i].left, ps[i].right)
		}
	}
	other := NewGraph(&Query{Stream: leaf("a"), Operators: []Operator{&probe{log: &log}}}, &countSink{})
	if err := other.Restore(snap); err == nil || !strings.Contains(err.Error(), "plan") {
		t.Fatalf("a snapshot of another plan: %v", err)
	}
	for n := range len(snap) {
		if err := again.Restore(snap[:n]); err == nil {
			t.Fatalf("a snapshot cut to %d of %d bytes restored", n, len(snap))
		}
	}

	// An operator that takes no deltas writes its full state into a
	// delta, and restores the last one of a chain.
	if err := g.Push(ctx, 1, rows(2)); err != nil {
		t.Fatal(err)
	}
	delta, err := g.SnapshotDelta(nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Incremental() {
		t.Fatal("a graph of probes takes deltas")
	}
	latest, qs := graphOf(&log, &countSink{})
	if err := latest.Restore(snap, delta); err != nil {
		t.Fatal(err)
	}
	if qs[1].left != 7 || qs[2].right != 7 || qs[2].left != 3 {
		t.Fatalf("restored from a chain: join %d/%d, b %d", qs[2].left, qs[2].right, qs[1].left)
	}
	for n := range len(delta) {
		if err := again.Restore(snap, delta[:n]); err == nil || !strings.Contains(err.Error(), "delta 1") {
			t.Fatalf("a delta cut to %d of %d bytes: %v", n, len(delta), err)
		}
	}
}

// FuzzGraphRestore: operator state comes back from object storage; bytes
// that are not a snapshot of the graph fail, never panic.
func FuzzGraphRestore(f *testing.F) {
	var log []string
	g, _ := graphOf(&log, &countSink{})
	snap, err := g.Snapshot(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(snap)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		g, _ := graphOf(&log, &countSink{})
		if err := g.Restore(b); err == nil && !slices.Equal(b, snap) {
			// Only the probes' two count bytes may differ.
			if len(b) != len(snap) {
				t.Fatalf("%d bytes restored, the snapshot has %d", len(b), len(snap))
			}
		}
		log = log[:0]
	})
}

func TestProjectCarriesRowKinds(t *testing.T) {
	ctx := context.Background()
	mem := memory.DefaultAllocator
	in := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}, RowKindField}, nil)
	xb, kb := array.NewInt64Builder(mem), array.NewInt8Builder(mem)
	xb.AppendValues([]int64{1, 2, 3}, nil)
	kb.AppendValues([]int8{int8(Insert), int8(UpdateBefore), int8(UpdateAfter)}, nil)
	b := array.NewRecordBatch(in, []arrow.Array{xb.NewArray(), kb.NewArray()}, 3)
	out := arrow.NewSchema([]arrow.Field{{Name: "y", Type: arrow.PrimitiveTypes.Int64}}, nil)
	col, err := expr.Compile(&expr.Column{Index: 0, DataType: arrow.PrimitiveTypes.Int64})
	if err != nil {
		t.Fatal(err)
	}
	var got arrow.RecordBatch
	p := NewProject(out, []expr.Evaluator{col}, &expr.EvalContext{Ctx: ctx, Alloc: mem})
	if err := p.Process(ctx, b, emitFunc(func(r arrow.RecordBatch) { got = r })); err != nil {
		t.Fatal(err)
	}
	kinds := RowKinds(got)
	if got.NumCols() != 2 || kinds == nil || RowKind(kinds.Value(1)) != UpdateBefore || got.Schema().Field(0).Name != "y" {
		t.Fatalf("projected %v", got)
	}
	got.Release()
	b.Release()
}

// A filter keeps a BOOLEAN column's values and NULLs (arrow-go v18.8.0's
// filter kernel turns the values after a NULL into NULLs).
func TestFilterKeepsBooleanNulls(t *testing.T) {
	ctx := context.Background()
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}}, nil)
	kb, bb := array.NewInt64Builder(mem), array.NewBooleanBuilder(mem)
	kb.AppendValues([]int64{1, 2, 3, 4, 5}, nil)
	bb.AppendValues([]bool{true, false, true, false, true}, []bool{true, false, false, true, true}) // rows 2 (dropped) and 3 (kept) NULL
	b := array.NewRecordBatch(schema, []arrow.Array{kb.NewArray(), bb.NewArray()}, 5)
	defer b.Release()
	odd := func(*expr.EvalContext, arrow.RecordBatch) (arrow.Array, error) {
		m := array.NewBooleanBuilder(mem)
		m.AppendValues([]bool{true, false, true, false, true}, nil)
		return m.NewArray(), nil
	}
	var got string
	f := NewFilter(odd, &expr.EvalContext{Ctx: ctx, Alloc: mem})
	if err := f.Process(ctx, b, emitFunc(func(r arrow.RecordBatch) { got = fmt.Sprint(r.Column(0), r.Column(1)); r.Release() })); err != nil {
		t.Fatal(err)
	}
	if got != "[1 3 5] [true (null) true]" {
		t.Fatalf("kept %s", got)
	}
}
