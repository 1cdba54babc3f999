package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// maxJoinBatch bounds the rows of each batch a HashJoin emits.
const maxJoinBatch = 64 << 10

// JoinKind says which rows a HashJoin passes, in terms of its probe input
// (the pipeline it sits in) and its build input (run first, held).
type JoinKind uint8

const (
	JoinInner      JoinKind = iota // matching pairs
	JoinProbeOuter                 // pairs, plus probe rows without a match (build side NULL)
	JoinBuildOuter                 // pairs, plus build rows without a match (probe side NULL)
	JoinFullOuter                  // both
	JoinSemi                       // probe rows with a match, once each; probe columns only
	JoinAnti                       // probe rows without a match; probe columns only
)

// HashJoinSpec describes a HashJoin.
type HashJoinSpec struct {
	Kind JoinKind
	// Schema is the output: the probe and build columns (build first when
	// BuildFirst), or only the probe's for semi and anti joins.
	Schema     *arrow.Schema
	BuildFirst bool
	// Build is the build input's pipeline; HashJoin runs it to its end
	// before the first probe batch and holds its rows.
	Build *Query
	// ProbeKeys and BuildKeys are the equi-join keys, pairwise of KeyTypes
	// (identical on both sides). No keys: every pair matches (a cross join,
	// bounded by the budget).
	ProbeKeys, BuildKeys []expr.Evaluator
	KeyTypes             []arrow.DataType
	// Residual is the rest of the join condition, over the joined row in
	// output order (probe and build columns, build first when BuildFirst);
	// a pair matches when it is TRUE. nil: keys only.
	Residual expr.Evaluator
}

// HashJoin joins its probe input, batch by batch, with the rows of its
// build input, which it collects first and indexes by the build keys with
// the aggregation's grouper (so the key encoding and hash tables are
// HashAgg's): each distinct build key is a group, and each group chains
// its build rows. A probe batch is looked up over whole key columns, the
// matching (probe, build) row pairs gathered column by column into output
// batches of at most 64Ki rows, and filtered by the residual condition.
// NULL keys never match. The build rows and the table are charged to the
// query's Budget.
type HashJoin struct {
	spec HashJoinSpec
	ev   *expr.EvalContext

	built      bool
	buildCols  []arrow.Array // the build input, one array per column
	buildRows  int
	group      grouper
	head, next []int32 // per group: first build row; per build row: the next of its group (-1 ends)
	buildHit   []bool  // per build row, for build-outer joins
	charged    int64

	// Scratch reused across batches.
	gids         []int32
	probeIdx     []int32
	buildIdx     []int32
	probeHit     []bool
	keyCols      []arrow.Array
	probeColumns int
}

// NewHashJoin returns a hash join; see HashJoinSpec.
func NewHashJoin(spec HashJoinSpec, ev *expr.EvalContext) (*HashJoin, error) {
	if len(spec.ProbeKeys) != len(spec.BuildKeys) || len(spec.ProbeKeys) != len(spec.KeyTypes) {
		return nil, fmt.Errorf("BUG: hash join with %d probe keys, %d build keys, %d types", len(spec.ProbeKeys), len(spec.BuildKeys), len(spec.KeyTypes))
	}
	g, err := newGrouper(spec.KeyTypes)
	if err != nil {
		return nil, err
	}
	return &HashJoin{spec: spec, ev: ev, group: g}, nil
}

// buildTable runs the build pipeline, concatenates its rows, and chains
// them by key.
func (h *HashJoin) buildTable(ctx context.Context) error {
	if h.built {
		return nil
	}
	h.built = true
	sink := &Collect{}
	defer sink.Release()
	if err := Run(ctx, h.spec.Build.Source, h.spec.Build.Operators, sink); err != nil {
		return err
	}
	schema := h.spec.Build.Schema
	h.buildRows = int(sink.Rows)
	h.buildCols = make([]arrow.Array, schema.NumFields())
	for c := range h.buildCols {
		parts := make([]arrow.Array, 0, len(sink.Batches))
		for _, b := range sink.Batches {
			parts = append(parts, b.Column(c))
		}
		if len(parts) == 0 {
			h.buildCols[c] = array.MakeArrayOfNull(h.ev.Alloc, schema.Field(c).Type, 0)
			continue
		}
		col, err := array.Concatenate(parts, h.ev.Alloc)
		if err != nil {
			return err
		}
		h.buildCols[c] = col
	}
	n := h.buildRows
	h.next = resize(h.next, n)
	var gids []uint32
	var valid []bool
	if len(h.spec.BuildKeys) > 0 && n > 0 {
		rec := array.NewRecordBatch(schema, h.buildCols, int64(n))
		defer rec.Release()
		keys, err := evalAll(h.spec.BuildKeys, h.ev, rec)
		if err != nil {
			return err
		}
		defer releaseAll(keys)
		gids = h.group.assign(keys, n, nil)
		valid = nonNullRows(keys, n)
	}
	h.head = resize(h.head, max(h.group.len(), 1))
	for i := range h.head {
		h.head[i] = -1
	}
	// Chain backwards so that each group lists its rows in input order.
	for r := n - 1; r >= 0; r-- {
		if valid != nil && !valid[r] {
			h.next[r] = -1
			continue // NULL keys never match
		}
		g := uint32(0)
		if gids != nil {
			g = gids[r]
		}
		h.next[r], h.head[g] = h.head[g], int32(r)
	}
	if h.spec.Kind == JoinBuildOuter || h.spec.Kind == JoinFullOuter {
		h.buildHit = make([]bool, n)
	}
	h.account(int64(4 * n)) // gids, freed above but held at the peak
	return nil
}

// account charges the table (beyond its Arrow columns, which the budget
// allocated) plus extra bytes to the query budget.
func (h *HashJoin) account(extra int64) {
	total := h.group.size() + int64(4*cap(h.head)+4*cap(h.next)+cap(h.buildHit)) +
		int64(4*cap(h.gids)+4*cap(h.probeIdx)+4*cap(h.buildIdx)+cap(h.probeHit)) + extra
	if d := total - h.charged; d != 0 {
		reserve(h.ev.Alloc, d)
		h.charged = total
	}
}

func (h *HashJoin) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	if err := h.buildTable(ctx); err != nil {
		return err
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	h.probeColumns = int(b.NumCols())
	var gids []int32
	if len(h.spec.ProbeKeys) > 0 {
		keys, err := evalAll(h.spec.ProbeKeys, h.ev, b)
		if err != nil {
			return err
		}
		h.keyCols = keys
		defer func() { releaseAll(h.keyCols); h.keyCols = nil }()
		gids = h.group.lookup(keys, n, h.gids)
		h.gids = gids
		if valid := nonNullRows(keys, n); valid != nil {
			for i, ok := range valid {
				if !ok {
					gids[i] = -1
				}
			}
		}
	}
	trackProbe := h.spec.Kind == JoinProbeOuter || h.spec.Kind == JoinFullOuter || h.spec.Kind == JoinSemi || h.spec.Kind == JoinAnti
	if trackProbe {
		h.probeHit = resize(h.probeHit, n)
		clear(h.probeHit)
	}
	pi, bi := h.probeIdx[:0], h.buildIdx[:0]
	for i := range n {
		g := int32(0)
		if gids != nil {
			if g = gids[i]; g < 0 {
				continue
			}
		}
		for r := h.head[g]; r >= 0; r = h.next[r] {
			pi, bi = append(pi, int32(i)), append(bi, r)
			if len(pi) == maxJoinBatch {
				if err := h.emitPairs(ctx, b, pi, bi, out); err != nil {
					return err
				}
				pi, bi = pi[:0], bi[:0]
			}
		}
	}
	if len(pi) > 0 {
		if err := h.emitPairs(ctx, b, pi, bi, out); err != nil {
			return err
		}
	}
	h.probeIdx, h.buildIdx = pi[:0], bi[:0]
	h.account(0)
	if !trackProbe || h.spec.Kind == JoinInner {
		return nil
	}
	// Probe rows by whether they matched: the unmatched ones for outer and
	// anti joins, the matched ones for semi joins.
	want := h.spec.Kind == JoinSemi
	sel := h.probeIdx[:0]
	for i, hit := range h.probeHit[:n] {
		if hit == want {
			sel = append(sel, int32(i))
		}
	}
	h.probeIdx = sel[:0]
	if len(sel) == 0 {
		return nil
	}
	probe, err := takeColumns(ctx, h.ev.Alloc, batchColumns(b), sel)
	if err != nil {
		return err
	}
	if h.spec.Kind == JoinSemi || h.spec.Kind == JoinAnti {
		return h.emit(ctx, probe, nil, len(sel), out)
	}
	return h.emit(ctx, probe, h.nullColumns(h.spec.Build.Schema, len(sel)), len(sel), out)
}

// emitPairs gathers the pairs (pi[k], bi[k]), keeps those the residual
// accepts, records which rows matched, and emits the pairs unless the join
// is a semi or anti join.
func (h *HashJoin) emitPairs(ctx context.Context, b arrow.RecordBatch, pi, bi []int32, out Emitter) error {
	semi := h.spec.Kind == JoinSemi || h.spec.Kind == JoinAnti
	if semi && h.spec.Residual == nil {
		// Fast path: a key match is a match; nothing to gather.
		for _, i := range pi {
			h.probeHit[i] = true
		}
		return nil
	}
	probe, err := takeColumns(ctx, h.ev.Alloc, batchColumns(b), pi)
	if err != nil {
		return err
	}
	build, err := takeColumns(ctx, h.ev.Alloc, h.buildCols, bi)
	if err != nil {
		releaseAll(probe)
		return err
	}
	rec := h.record(probe, build, len(pi))
	releaseAll(probe)
	releaseAll(build)
	if h.spec.Residual != nil {
		kept, keep, err := h.residual(ctx, rec, len(pi))
		if err != nil {
			rec.Release()
			return err
		}
		if keep != nil {
			rec.Release()
			rec = kept
			pi, bi = selectPairs(pi, bi, keep)
		}
	}
	if h.probeHit != nil {
		for _, i := range pi {
			h.probeHit[i] = true
		}
	}
	if h.buildHit != nil {
		for _, r := range bi {
			h.buildHit[r] = true
		}
	}
	if semi || rec.NumRows() == 0 {
		rec.Release()
		return nil
	}
	return out.Emit(ctx, rec)
}

// residual evaluates the residual condition over candidate pairs. keep is
// nil when every pair passes; else kept holds the passing rows and keep
// their positions.
func (h *HashJoin) residual(ctx context.Context, rec arrow.RecordBatch, n int) (arrow.RecordBatch, []bool, error) {
	cond, err := h.spec.Residual(h.ev, rec)
	if err != nil {
		return nil, nil, err
	}
	defer cond.Release()
	vals := cond.Data().Buffers()[1].Bytes()
	off := cond.Data().Offset()
	var bm []byte
	if cond.NullN() > 0 {
		bm = cond.NullBitmapBytes()
	}
	keep := make([]bool, n)
	all := true
	for i := range keep {
		keep[i] = (bm == nil || bitutil.BitIsSet(bm, off+i)) && bitutil.BitIsSet(vals, off+i)
		all = all && keep[i]
	}
	if all {
		return nil, nil, nil
	}
	bools, ok := cond.(*array.Boolean)
	if !ok {
		return nil, nil, fmt.Errorf("BUG: join condition produced %s, not BOOLEAN", cond.DataType())
	}
	kept, err := filterBatch(ctx, h.ev.Alloc, rec, bools)
	if err != nil {
		return nil, nil, err
	}
	return kept, keep, nil
}

func selectPairs(pi, bi []int32, keep []bool) ([]int32, []int32) {
	var p, b []int32
	for k, ok := range keep {
		if ok {
			p, b = append(p, pi[k]), append(b, bi[k])
		}
	}
	return p, b
}

// record assembles probe and build columns in output order (retaining
// them).
func (h *HashJoin) record(probe, build []arrow.Array, n int) arrow.RecordBatch {
	cols := make([]arrow.Array, 0, len(probe)+len(build))
	if h.spec.BuildFirst {
		cols = append(append(cols, build...), probe...)
	} else {
		cols = append(append(cols, probe...), build...)
	}
	schema := h.spec.Schema
	if h.spec.Kind == JoinSemi || h.spec.Kind == JoinAnti {
		schema = joinedSchema(probe, build, h.spec.BuildFirst)
	}
	return array.NewRecordBatch(schema, cols, int64(n))
}

// emit sends probe and build columns (build nil for semi and anti joins)
// as one batch, releasing them.
func (h *HashJoin) emit(ctx context.Context, probe, build []arrow.Array, n int, out Emitter) error {
	var rec arrow.RecordBatch
	if build == nil {
		rec = array.NewRecordBatch(h.spec.Schema, probe, int64(n))
	} else {
		rec = h.record(probe, build, n)
	}
	releaseAll(probe)
	releaseAll(build)
	return out.Emit(ctx, rec)
}

func (h *HashJoin) nullColumns(schema *arrow.Schema, n int) []arrow.Array {
	cols := make([]arrow.Array, schema.NumFields())
	for i := range cols {
		cols[i] = array.MakeArrayOfNull(h.ev.Alloc, schema.Field(i).Type, n)
	}
	return cols
}

// Finish emits the build rows that matched no probe row, for build-outer
// and full joins, in batches of at most 64Ki rows.
func (h *HashJoin) Finish(ctx context.Context, out Emitter) error {
	if err := h.buildTable(ctx); err != nil {
		return err
	}
	if h.buildHit == nil {
		return nil
	}
	probeSchema := h.probeSchema()
	sel := h.buildIdx[:0]
	flush := func() error {
		if len(sel) == 0 {
			return nil
		}
		build, err := takeColumns(ctx, h.ev.Alloc, h.buildCols, sel)
		if err != nil {
			return err
		}
		n := len(sel)
		sel = sel[:0]
		return h.emit(ctx, h.nullColumns(probeSchema, n), build, n, out)
	}
	for r, hit := range h.buildHit {
		if hit {
			continue
		}
		sel = append(sel, int32(r))
		if len(sel) == maxJoinBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// probeSchema is the output's probe columns.
func (h *HashJoin) probeSchema() *arrow.Schema {
	fields := h.spec.Schema.Fields()
	nb := h.spec.Build.Schema.NumFields()
	if h.spec.BuildFirst {
		return arrow.NewSchema(fields[nb:], nil)
	}
	return arrow.NewSchema(fields[:len(fields)-nb], nil)
}

// Close drops the build rows and the table and returns their memory.
func (h *HashJoin) Close() {
	if !h.built {
		// The build pipeline never ran: close its operators still.
		h.built = true
		for _, op := range h.spec.Build.Operators {
			op.Close()
		}
	}
	releaseAll(h.buildCols)
	h.buildCols, h.group, h.head, h.next, h.buildHit = nil, singleGroup{}, nil, nil, nil
	if h.charged != 0 {
		reserve(h.ev.Alloc, -h.charged)
		h.charged = 0
	}
}

// joinedSchema names columns positionally: the residual of a semi or anti
// join reads them by index.
func joinedSchema(probe, build []arrow.Array, buildFirst bool) *arrow.Schema {
	cols := append(append([]arrow.Array(nil), probe...), build...)
	if buildFirst {
		cols = append(append([]arrow.Array(nil), build...), probe...)
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: c.DataType(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

func batchColumns(b arrow.RecordBatch) []arrow.Array {
	cols := make([]arrow.Array, b.NumCols())
	for i := range cols {
		cols[i] = b.Column(i)
	}
	return cols
}

// takeColumns gathers rows idx of each column.
func takeColumns(ctx context.Context, alloc memory.Allocator, cols []arrow.Array, idx []int32) ([]arrow.Array, error) {
	ind := array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, len(idx),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(idx))}, nil, 0, 0))
	defer ind.Release()
	ctx = compute.WithAllocator(ctx, alloc)
	out := make([]arrow.Array, 0, len(cols))
	for _, c := range cols {
		t, err := compute.TakeArray(ctx, c, ind)
		if err != nil {
			releaseAll(out)
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func evalAll(evs []expr.Evaluator, ev *expr.EvalContext, b arrow.RecordBatch) ([]arrow.Array, error) {
	out := make([]arrow.Array, 0, len(evs))
	for _, e := range evs {
		c, err := e(ev, b)
		if err != nil {
			releaseAll(out)
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func releaseAll(cols []arrow.Array) {
	for _, c := range cols {
		if c != nil {
			c.Release()
		}
	}
}

// nonNullRows says per row whether every key is non-NULL; nil when all
// are.
func nonNullRows(keys []arrow.Array, n int) []bool {
	var valid []bool
	for _, k := range keys {
		if k.NullN() == 0 {
			continue
		}
		if valid == nil {
			valid = make([]bool, n)
			for i := range valid {
				valid[i] = true
			}
		}
		if k.NullN() == n || k.DataType().ID() == arrow.NULL {
			clear(valid)
			continue
		}
		bm, off := k.NullBitmapBytes(), k.Data().Offset()
		for i := range valid {
			valid[i] = valid[i] && bitutil.BitIsSet(bm, off+i)
		}
	}
	return valid
}
