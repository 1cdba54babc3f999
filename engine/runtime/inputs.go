package runtime

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake/commit"
)

// input is one unbounded source of a job. A source read twice by the query
// (a self-join, or a table read both directly and through a window) is
// opened once and each batch goes to all its leaves. Rows read again to
// rebuild windows go only to the windowed leaves: the others' operators
// restored them from their snapshots.
type input struct {
	ident      string // the connector table, db.name
	spec       connector.TableSpec
	open       connector.OpenFunc
	src        connector.Source
	kind, name string // the ledger's name for its positions
	leaves     []int  // the graph's leaves it feeds
	replays    []bool // per leaf: it rebuilds windows by replay
	et         *eventTime
	pending    map[int32]commit.Range // per split: what the epochs since the last commit read
	replaying  map[int32]bool         // splits still reading rows committed epochs read
}

// key names the input in the job's state.
func (in *input) key() string { return in.kind + ":" + in.name }

// inputs groups g's leaves by the connector table they read.
func inputs(g *exec.Graph, maxWindow int64) ([]*input, error) {
	var out []*input
	byIdent := map[string]*input{}
	byKey := map[string]string{}
	for i, leaf := range g.Leaves {
		ident := strings.Join(leaf.Ident, ".")
		in := byIdent[ident]
		if in == nil {
			in = &input{ident: ident, spec: *leaf.Source.Spec, open: leaf.Source.Open, pending: map[int32]commit.Range{}, replaying: map[int32]bool{}}
			in.spec.Alloc = memory.DefaultAllocator
			in.kind, in.name = sourceKey(&in.spec)
			if other, ok := byKey[in.key()]; ok {
				return nil, errkind.Errorf(errkind.Fatal, "%s and %s both read %s %s: a job reads a source through one table", other, ident, in.kind, in.name)
			}
			byKey[in.key()] = ident
			in.et = newEventTime(leaf.Source.Watermark, 0)
			byIdent[ident] = in
			out = append(out, in)
		}
		in.leaves = append(in.leaves, i)
		in.replays = append(in.replays, g.Windowed(i))
		if g.Windowed(i) {
			in.et.maxWindow = maxWindow // how far back a restart reads
		}
	}
	return out, nil
}

// cut splits b, which covers position at, into the rows before at and the
// rest; it takes b's reference and gives one to each part.
func cut(b connector.Batch, at int64) (before, after connector.Batch, err error) {
	i, err := replayed(b, at)
	if err != nil {
		b.Rows.Release()
		return before, after, err
	}
	n := b.Rows.NumRows()
	before = connector.Batch{Split: b.Split, From: b.From, To: at, Rows: b.Rows.NewSlice(0, int64(i))}
	after = connector.Batch{Split: b.Split, From: at, To: b.To, Rows: b.Rows.NewSlice(int64(i), n)}
	b.Rows.Release()
	if b.Pos != nil {
		before.Pos, after.Pos = b.Pos[:i], b.Pos[i:]
	}
	for _, x := range b.Bad {
		if x.Position < at {
			before.Bad = append(before.Bad, x)
		} else {
			after.Bad = append(after.Bad, x)
		}
	}
	return before, after, nil
}

// replayed is how many of b's rows come before position next: rows the
// committed epochs read, fed again only to rebuild windows.
func replayed(b connector.Batch, next int64) (int, error) {
	n := int(b.Rows.NumRows())
	if b.From >= next {
		return 0, nil
	}
	if b.Pos == nil {
		if b.To-b.From != int64(n) {
			return 0, errkind.Errorf(errkind.Fatal, "BUG: split %d: a batch of %d rows covers positions [%d, %d) and does not say which row is where", b.Split, n, b.From, b.To)
		}
		return int(min(next-b.From, int64(n))), nil
	}
	if len(b.Pos) != n {
		return 0, errkind.Errorf(errkind.Fatal, "BUG: split %d: a batch of %d rows gives %d positions", b.Split, n, len(b.Pos))
	}
	i, _ := slices.BinarySearch(b.Pos, next)
	return i, nil
}

// watermark is the job's event time: the least over the inputs that
// declare one; math.MinInt64 when none has any.
func watermark(ins []*input) int64 {
	wm, any := int64(math.MaxInt64), false
	for _, in := range ins {
		if in.et.wm != nil {
			wm, any = min(wm, in.et.advance()), true
		}
	}
	if !any {
		return math.MinInt64
	}
	return wm
}

// read is one batch (or error) of one input.
type read struct {
	in  *input
	b   connector.Batch
	err error
}

// readAll reads every input on a goroutine of its own until ctx ends or a
// source fails, sending each batch to out. The returned wait blocks until
// the readers have returned; batches they read but could not send are
// released.
func readAll(ctx context.Context, ins []*input, out chan<- read) (wait func()) {
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b, err := in.src.Next(ctx)
				select {
				case out <- read{in: in, b: b, err: err}:
				case <-ctx.Done():
					if b.Rows != nil {
						b.Rows.Release()
					}
					return
				}
				if err != nil {
					return
				}
			}
		}()
	}
	return wg.Wait
}

// start opens each input and starts it from the committed positions (or
// the earlier ones a replay needs).
func start(ctx context.Context, ins []*input, positions commit.Positions, st jobState) error {
	for _, in := range ins {
		from := map[int32]int64{}
		for k, next := range positions {
			if k.Kind == in.kind && k.Name == in.name {
				from[k.Partition] = next
				in.pending[k.Partition] = commit.Range{Kind: in.kind, Name: in.name, Partition: k.Partition, From: next, To: next}
			}
		}
		// Windows are rebuilt by reading again from where their rows
		// began; what was read before the committed positions is replay only.
		for split, pos := range st.Replay[in.key()] {
			if next, ok := from[split]; ok && pos < next {
				from[split], in.replaying[split] = pos, true
			}
		}
		src, err := in.open(ctx, &in.spec)
		if err != nil {
			return err
		}
		in.src = src
		if err := src.Start(ctx, from); err != nil {
			return fmt.Errorf("%s: %w", in.ident, err)
		}
		splits, err := src.Splits(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", in.ident, err)
		}
		in.et.expect(splits)
	}
	return nil
}

// buildGraph builds p's operators ending in sink, and groups the graph's
// leaves into the sources the job reads.
func buildGraph(ctx context.Context, p *Plan, sink exec.Emitter) (*exec.Graph, []*input, error) {
	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, NowMicros: time.Now().UnixMicro(), SessionTimeZone: "UTC"}
	q, err := exec.BuildStreamWith(ctx, p.Node, ev, p.Stream)
	if err != nil {
		return nil, nil, errkind.Wrap(errkind.Fatal, err)
	}
	g := exec.NewGraph(q, sink)
	ins, err := inputs(g, p.MaxWindow)
	if err != nil {
		g.Close()
		return nil, nil, err
	}
	return g, ins, nil
}

// Check builds p's operators as a job would and reports what would stop
// the job as it starts (two tables over one source), so that submitting it
// fails instead.
func Check(ctx context.Context, p *Plan) error {
	g, _, err := buildGraph(ctx, p, discard{})
	if err == nil {
		g.Close()
	}
	return err
}

// discard is a sink for graphs that are never run.
type discard struct{}

func (discard) Emit(_ context.Context, b arrow.RecordBatch) error {
	b.Release()
	return nil
}
