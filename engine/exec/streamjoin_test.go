package exec_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/exec/exectest"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

// input is a plan leaf of a given schema: the join's inputs in these tests.
type input struct{ schema *arrow.Schema }

func (n input) Schema() *arrow.Schema { return n.schema }
func (input) Children() []plan.Node   { return nil }

var tsType = &arrow.TimestampType{Unit: arrow.Microsecond}

// Both sides: a key, a value and an event time.
var (
	leftSchema = arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "t", Type: tsType, Nullable: true},
	}, nil)
	rightSchema = arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "w", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "t", Type: tsType, Nullable: true},
	}, nil)
)

// row is one input row and its changelog kind.
type row struct {
	kind exec.RowKind
	k    *int64
	x    any // v (string) on the left, w (int64) on the right
	t    int64
}

// genRows draws n rows for a side: keys 0..keys-1 (some NULL), times
// rising with jitter; with changelog, some rows retract an earlier one.
func genRows(rng *rand.Rand, left bool, n, keys int, changelog bool) []row {
	var rows, live []row
	for i := range n {
		if changelog && len(live) > 0 && rng.IntN(4) == 0 {
			j := rng.IntN(len(live))
			r := live[j]
			live = append(live[:j], live[j+1:]...)
			r.kind = []exec.RowKind{exec.UpdateBefore, exec.Delete}[rng.IntN(2)]
			rows = append(rows, r)
			continue
		}
		r := row{kind: exec.Insert, t: int64(i)*1000 + rng.Int64N(500)}
		if changelog && rng.IntN(3) == 0 {
			r.kind = exec.UpdateAfter
		}
		if rng.IntN(10) != 0 {
			k := rng.Int64N(int64(keys))
			r.k = &k
		}
		if left {
			r.x = fmt.Sprintf("v%d", rng.IntN(3))
		} else {
			r.x = rng.Int64N(5)
		}
		rows, live = append(rows, r), append(live, r)
	}
	return rows
}

// toBatches cuts rows into batches of at most size rows, with the
// changelog column when changelog.
func toBatches(schema *arrow.Schema, rows []row, size int, changelog bool) []arrow.RecordBatch {
	if changelog {
		schema = arrow.NewSchema(append(schema.Fields(), exec.RowKindField), nil)
	}
	var out []arrow.RecordBatch
	for from := 0; from < len(rows); from += size {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for _, r := range rows[from:min(from+size, len(rows))] {
			if r.k == nil {
				b.Field(0).AppendNull()
			} else {
				b.Field(0).(*array.Int64Builder).Append(*r.k)
			}
			switch x := r.x.(type) {
			case string:
				b.Field(1).(*array.StringBuilder).Append(x)
			case int64:
				b.Field(1).(*array.Int64Builder).Append(x)
			}
			b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(r.t))
			if changelog {
				b.Field(3).(*array.Int8Builder).Append(int8(r.kind))
			}
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

// final is what a changelog leaves: its inserts minus its retractions.
func final(rows []row) []row {
	var out []row
	for _, r := range rows {
		if !r.kind.Retracts() {
			out = append(out, r)
			continue
		}
		for i, o := range out {
			if o.k == r.k && o.x == r.x && o.t == r.t {
				out = append(out[:i], out[i+1:]...)
				break
			}
		}
	}
	return out
}

var batchKinds = map[plan.JoinKind]exec.JoinKind{
	plan.JoinInner: exec.JoinInner, plan.JoinLeft: exec.JoinProbeOuter,
	plan.JoinRight: exec.JoinBuildOuter, plan.JoinFull: exec.JoinFullOuter,
}

// batchJoin runs j as a batch hash join over the rows of left and right
// and returns its result as a multiset.
func batchJoin(t *testing.T, j *plan.Join, left, right []arrow.RecordBatch) *exectest.Multiset {
	t.Helper()
	ev := &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator}
	seq := func(bs []arrow.RecordBatch) func(func(arrow.RecordBatch, error) bool) {
		return func(yield func(arrow.RecordBatch, error) bool) {
			for _, b := range bs {
				b.Retain()
				if !yield(b, nil) {
					return
				}
			}
		}
	}
	spec := exec.HashJoinSpec{Kind: batchKinds[j.Kind], Schema: j.Schema(),
		Build: &exec.Query{Source: exec.BatchSource{Batches: seq(right)}, Schema: j.Right.Schema()}}
	for i := range j.LeftKeys {
		spec.ProbeKeys = append(spec.ProbeKeys, must(expr.Compile(j.LeftKeys[i])))
		spec.BuildKeys = append(spec.BuildKeys, must(expr.Compile(j.RightKeys[i])))
		spec.KeyTypes = append(spec.KeyTypes, j.LeftKeys[i].Type())
	}
	if j.Residual != nil {
		spec.Residual = must(expr.Compile(j.Residual))
	}
	hj, err := exec.NewHashJoin(spec, ev)
	if err != nil {
		t.Fatal(err)
	}
	out := exectest.NewMultiset()
	if err := exec.Run(context.Background(), exec.BatchSource{Batches: seq(left)}, []exec.Operator{hj}, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func col(i int, t arrow.DataType) *expr.Column {
	return &expr.Column{Index: i, Name: fmt.Sprintf("c%d", i), DataType: t}
}

func call(name string, args ...expr.Expr) expr.Expr { return must(expr.Resolve(name, args)) }

// keyJoin is left.k = right.k (and the extra conjuncts).
func keyJoin(kind plan.JoinKind, extra ...expr.Expr) *plan.Join {
	cond := call("=", col(0, arrow.PrimitiveTypes.Int64), col(3, arrow.PrimitiveTypes.Int64))
	for _, e := range extra {
		cond = call("AND", cond, e)
	}
	return plan.NewJoin(input{leftSchema}, input{rightSchema}, kind, cond)
}

// TestStreamJoinMatchesBatch feeds random inputs (append-only and
// changelogs), interleaved at random with barriers and a snapshot/restore,
// and compares the applied changelog with the batch join of what the
// inputs leave.
func TestStreamJoinMatchesBatch(t *testing.T) {
	ctx := context.Background()
	residual := call("<=", col(2, tsType), col(5, tsType)) // left.t <= right.t
	for _, kind := range []plan.JoinKind{plan.JoinInner, plan.JoinLeft, plan.JoinRight, plan.JoinFull} {
		for _, withResidual := range []bool{false, true} {
			for _, changelog := range []bool{false, true} {
				name := fmt.Sprintf("%s/residual=%v/changelog=%v", kind, withResidual, changelog)
				t.Run(name, func(t *testing.T) {
					j := keyJoin(kind)
					if withResidual {
						j = keyJoin(kind, residual)
					}
					for seed := range uint64(20) {
						rng := rand.New(rand.NewPCG(seed, 7))
						lrows, rrows := genRows(rng, true, 60, 6, changelog), genRows(rng, false, 60, 6, changelog)
						left, right := toBatches(leftSchema, lrows, 1+rng.IntN(9), changelog), toBatches(rightSchema, rrows, 1+rng.IntN(9), changelog)
						want := batchJoin(t, j, toBatches(leftSchema, final(lrows), 16, false), toBatches(rightSchema, final(rrows), 16, false))
						var op *exec.StreamJoin
						got, err := exectest.Drive(ctx, func() (exec.TwoInput, error) {
							var err error
							op, err = exec.NewStreamJoin(j, exec.StreamJoinOptions{LeftUpdating: changelog, RightUpdating: changelog}, testEval())
							return op, err
						}, exectest.Input{Batches: left, TimeCol: -1}, exectest.Input{Batches: right, TimeCol: -1}, seed)
						if err != nil {
							t.Fatalf("seed %d: %v", seed, err)
						}
						if d := got.Diff(want); d != "" {
							t.Fatalf("seed %d: the streaming join differs from the batch join:\n%s", seed, d)
						}
						if wantUpd := changelog || kind != plan.JoinInner; op.Updating() != wantUpd {
							t.Fatalf("Updating() = %v, want %v", op.Updating(), wantUpd)
						}
					}
				})
			}
		}
	}
}

func testEval() *expr.EvalContext {
	return &expr.EvalContext{Ctx: context.Background(), Alloc: memory.DefaultAllocator, SessionTimeZone: "UTC"}
}

// TestStreamJoinTTL: rows untouched for the TTL leave the state at the
// next barrier, and then match nothing.
func TestStreamJoinTTL(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	op, err := exec.NewStreamJoin(keyJoin(plan.JoinInner), exec.StreamJoinOptions{TTL: time.Minute, Now: func() time.Time { return now }}, testEval())
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	out := exectest.NewMultiset()
	for _, b := range toBatches(leftSchema, genRows(rng, true, 100, 10, false), 10, false) {
		if err := op.Process(ctx, b, out); err != nil {
			t.Fatal(err)
		}
	}
	if op.StateBytes() == 0 {
		t.Fatal("no state after 100 rows")
	}
	now = now.Add(30 * time.Second)
	if err := op.OnBarrier(ctx, 1, out); err != nil {
		t.Fatal(err)
	}
	held := op.StateBytes()
	if held == 0 {
		t.Fatal("state dropped before its TTL")
	}
	now = now.Add(31 * time.Second)
	if err := op.OnBarrier(ctx, 2, out); err != nil {
		t.Fatal(err)
	}
	if b := op.StateBytes(); b != 0 {
		t.Fatalf("StateBytes = %d after the TTL, want 0 (was %d)", b, held)
	}
	for _, b := range toBatches(rightSchema, genRows(rng, false, 50, 10, false), 10, false) {
		if err := op.ProcessRight(ctx, b, out); err != nil {
			t.Fatal(err)
		}
	}
	if out.Len() != 0 {
		t.Fatalf("%d rows matched expired state", out.Len())
	}
}
