package session_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/exec/exectest"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

// firstJoin finds the first join of a plan, depth first.
func firstJoin(n plan.Node) *plan.Join {
	if j, ok := n.(*plan.Join); ok {
		return j
	}
	for _, c := range n.Children() {
		if j := firstJoin(c); j != nil {
			return j
		}
	}
	return nil
}

// runBatches runs a plan as a batch query and returns its batches.
func runBatches(t *testing.T, n plan.Node) []arrow.RecordBatch {
	t.Helper()
	ctx := context.Background()
	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, SessionTimeZone: "UTC"}
	q, err := exec.Build(ctx, n, ev)
	if err != nil {
		t.Fatal(err)
	}
	var sink exec.Collect
	if err := exec.Run(ctx, q.Source, q.Operators, &sink); err != nil {
		t.Fatal(err)
	}
	// Cut into slices of 1 to 300 rows, for many interleavings.
	var out []arrow.RecordBatch
	for i, b := range sink.Batches {
		for from := int64(0); from < b.NumRows(); {
			to := min(b.NumRows(), from+1+int64((i*7919+int(from)*31)%300))
			out = append(out, b.NewSlice(from, to))
			from = to
		}
	}
	return out
}

// TestNexmarkStreamJoins takes the join of Nexmark queries (q3 and q20
// regular joins, q4 and q9 joins with a residual, q5 and q8 window joins,
// q7 an interval join with a window aggregate) and two interval joins, runs its two
// inputs as batch queries, feeds their batches to a StreamJoin interleaved
// at random with watermarks, barriers and a snapshot/restore, and compares
// the changelog, applied, with the batch join of the same plan.
func TestNexmarkStreamJoins(t *testing.T) {
	s, _ := newSession(t)
	gen := `WITH ('connector' = 'nexmark', 'seed' = '5', 'events.num' = '10000', 'table' = '%s')`
	wm := `, WATERMARK FOR dateTime AS dateTime - INTERVAL '1' SECOND) `
	for tbl, cols := range nexmarkColumns {
		mustExec(t, s, `CREATE TABLE `+tbl+` (`+cols+wm+fmt.Sprintf(gen, tbl))
	}
	queries := map[string]string{
		"interval":      `INSERT INTO x SELECT * FROM bid AS B JOIN auction AS A ON B.auction = A.id AND B.dateTime BETWEEN A.dateTime - INTERVAL '1' SECOND AND A.dateTime + INTERVAL '2' SECOND`,
		"interval-left": `INSERT INTO x SELECT * FROM auction AS A LEFT JOIN bid AS B ON B.auction = A.id AND B.dateTime > A.dateTime AND B.dateTime < A.dateTime + INTERVAL '3' SECOND`,
	}
	for _, q := range []string{"q3", "q4", "q5", "q7", "q8", "q9", "q20"} {
		_, queries[q] = nexmarkQuery(t, q)
	}
	windowed := map[string]bool{"q5": true, "q7": true, "q8": true, "interval": true, "interval-left": true}
	for name, text := range queries {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			root, err := s.PlanInsertQuery(ctx, text)
			if err != nil {
				t.Fatal(err)
			}
			j := firstJoin(root)
			bounds, ok := exec.JoinTimeBounds(j)
			if ok != windowed[name] {
				t.Fatalf("JoinTimeBounds ok = %v, want %v (%+v)", ok, windowed[name], bounds)
			}
			if strings.HasPrefix(name, "interval") || name == "q7" {
				t.Logf("bounds %+v", bounds)
			}
			left, right := runBatches(t, j.Left), runBatches(t, j.Right)
			want := exectest.NewMultiset()
			for _, b := range runBatches(t, j) {
				if err := want.Apply(b); err != nil {
					t.Fatal(err)
				}
			}
			opt := exec.StreamJoinOptions{}
			in := [2]exectest.Input{{Batches: left, TimeCol: -1}, {Batches: right, TimeCol: -1}}
			if ok {
				opt.Bounds = &bounds
				in[0].TimeCol, in[1].TimeCol = bounds.LeftCol, bounds.RightCol
			}
			for seed := range uint64(3) {
				got, err := exectest.Drive(ctx, func() (exec.TwoInput, error) {
					return exec.NewStreamJoin(j, opt, &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, SessionTimeZone: "UTC"})
				}, in[0], in[1], seed)
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				if d := got.Diff(want); d != "" {
					t.Fatalf("seed %d: %d rows streamed, %d by the batch join:\n%.2000s", seed, got.Len(), want.Len(), d)
				}
				if ok && got.Retracted != 0 {
					t.Fatalf("seed %d: %d retractions from a bounded join", seed, got.Retracted)
				}
			}
			t.Logf("%d + %d input batches, %d rows joined", len(left), len(right), want.Len())
		})
	}
}

// TestStreamJoinJobsEqualBatch plans joins of two unbounded Nexmark
// tables as continuous jobs (BuildStream, so the join is the one
// Query.addStreamJoin builds), pushes the generator's events into the
// graph's leaves interleaved at random, with watermarks and barriers (and,
// without window aggregations, whose open windows are rebuilt by replay
// rather than snapshotted, a snapshot/restore), and compares the applied
// changelog with the same SELECT run as a batch over the same events.
func TestStreamJoinJobsEqualBatch(t *testing.T) {
	s, _ := newSession(t)
	ctx := context.Background()
	wm := `, WATERMARK FOR dateTime AS dateTime - INTERVAL '1' SECOND) `
	events := map[string][]arrow.RecordBatch{}
	for name, c := range nexmarkColumns {
		mustExec(t, s, `CREATE TABLE `+name+` (`+c+wm+fmt.Sprintf(`WITH ('connector' = 'nexmark', 'seed' = '7', 'table' = '%s')`, name))
		mustExec(t, s, `CREATE TABLE `+name+`_b (`+c+wm+fmt.Sprintf(`WITH ('connector' = 'nexmark', 'seed' = '7', 'events.num' = '20000', 'table' = '%s')`, name))
		root, err := s.PlanInsertQuery(ctx, `INSERT INTO x SELECT * FROM `+name+`_b`)
		if err != nil {
			t.Fatal(err)
		}
		events[name] = runBatches(t, root)
	}
	_, q20 := nexmarkQuery(t, "q20")
	_, q3 := nexmarkQuery(t, "q3")
	_, q8 := nexmarkQuery(t, "q8")
	jobs := map[string]string{
		"q20":      q20,
		"q3":       q3,
		"q8":       q8,
		"left":     `INSERT INTO x SELECT A.id, A.seller, P.name FROM auction AS A LEFT JOIN person AS P ON A.seller = P.id`,
		"interval": `INSERT INTO x SELECT A.id, B.price, B.dateTime FROM auction AS A FULL JOIN bid AS B ON B.auction = A.id AND B.dateTime BETWEEN A.dateTime AND A.dateTime + INTERVAL '2' SECOND`,
	}
	for name, text := range jobs {
		t.Run(name, func(t *testing.T) {
			root, err := s.PlanInsertQuery(ctx, text)
			if err != nil {
				t.Fatal(err)
			}
			batch := text
			for table := range nexmarkColumns {
				batch = strings.NewReplacer(" "+table+" ", " "+table+"_b ", "TABLE "+table+",", "TABLE "+table+"_b,").Replace(batch)
			}
			broot, err := s.PlanInsertQuery(ctx, batch)
			if err != nil {
				t.Fatal(err)
			}
			want := exectest.NewMultiset()
			for _, b := range runBatches(t, broot) {
				if err := want.Apply(b); err != nil {
					t.Fatal(err)
				}
			}
			ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, SessionTimeZone: "UTC"}
			got := exectest.NewMultiset()
			newGraph := func() *exec.Graph {
				q, err := exec.BuildStream(ctx, root, ev)
				if err != nil {
					t.Fatal(err)
				}
				return exec.NewGraph(q, got)
			}
			g := newGraph()
			windowed := false
			next := make([]int, len(g.Leaves))
			inputs := make([][]arrow.RecordBatch, len(g.Leaves))
			for i, leaf := range g.Leaves {
				inputs[i] = events[leaf.Ident[len(leaf.Ident)-1]]
				windowed = windowed || g.Windowed(i)
			}
			// The watermark: the earliest event time still to come, less one.
			watermark := func() int64 {
				least := int64(math.MaxInt64)
				for i, in := range inputs {
					col := g.Leaves[i].Source.Watermark.Column
					for _, b := range in[next[i]:] {
						ts := b.Column(col).(*array.Timestamp)
						for r := range ts.Len() {
							least = min(least, int64(ts.Value(r))-1)
						}
					}
				}
				return least
			}
			rng := rand.New(rand.NewPCG(7, uint64(len(name))))
			var epoch uint64
			restoreAt := uint64(1 + rng.IntN(3))
			for {
				var open []int
				for i := range inputs {
					if next[i] < len(inputs[i]) {
						open = append(open, i)
					}
				}
				if len(open) == 0 {
					break
				}
				i := open[rng.IntN(len(open))]
				b := inputs[i][next[i]]
				b.Retain()
				next[i]++
				if err := g.Push(ctx, i, b); err != nil {
					t.Fatal(err)
				}
				if rng.IntN(4) == 0 {
					if err := g.Watermark(ctx, watermark()); err != nil {
						t.Fatal(err)
					}
				}
				if rng.IntN(3) != 0 {
					continue
				}
				if epoch++; epoch == restoreAt && !windowed {
					g = restored(t, g, newGraph())
				} else if err := g.Barrier(ctx, epoch); err != nil {
					t.Fatal(err)
				}
			}
			if err := g.Watermark(ctx, math.MaxInt64); err != nil {
				t.Fatal(err)
			}
			if err := g.Barrier(ctx, epoch+1); err != nil {
				t.Fatal(err)
			}
			state := g.StateBytes()
			g.Close()
			if want.Len() == 0 {
				t.Fatal("no rows")
			}
			if d := got.Diff(want); d != "" {
				t.Fatalf("%d rows streamed, %d by the batch query:\n%.2000s", got.Len(), want.Len(), d)
			}
			t.Logf("%d rows, %d retractions, after %d epochs (restored at %d: %v); state at the end %v", want.Len(), got.Retracted, epoch, restoreAt, !windowed, state)
		})
	}
}
