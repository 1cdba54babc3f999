package exec

import (
	"bytes"
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// GroupAgg is a continuous GROUP BY that is not grouped by a window: its
// results change as rows arrive, so it emits a changelog (see
// changelog.go). It folds every row into its group's retractable
// accumulators (agg_retract.go) as it arrives; an input changelog's -U and
// -D rows fold with a negative sign. At each barrier (and at Finish, for a
// bounded input) it emits, per group changed since the last one, the net
// change: +I for a new group, -U old and +U new for a changed result, -D
// for a group left without rows; a group whose result came back to what
// was emitted gives nothing. This is mini-batch aggregation: at most one
// change per group per epoch.
//
// Groups are numbered by a rowGrouper (key rows encoded to bytes), so any
// group's key can be decoded again for output and snapshots. A group left
// without rows keeps its number (and its few bytes) for when it returns.
//
// In a two-phase aggregation (see Exchange) GroupAgg plays either phase:
// a local one folds each batch it gets into accumulators, emits one
// partial row per group (key, signed row count, each accumulator's state
// as columns, see mergeAcc) and forgets them; a global one adds partial
// rows instead of folding input rows. Its state and changelog are then
// those of the one-phase GroupAgg over the same rows.
type GroupAgg struct {
	phase    aggPhase
	partial  *arrow.Schema // the partial rows of a local or global phase
	schema   *arrow.Schema // the plan's columns, then RowKindField
	keys     []expr.Evaluator
	keyTypes []arrow.DataType
	aggTypes []arrow.DataType
	calls    []groupAggCall
	group    rowGrouper
	live     []int64   // per group: its rows (inserts minus retractions)
	emitted  [][]byte  // per group: its aggregates as last emitted, encoded; nil: not emitted
	touched  changeSet // groups changed since the last emission
	changed  changeSet // groups changed since the last snapshot (SnapshotDelta)
	ev       *expr.EvalContext

	// Scratch reused across batches.
	groups  []uint32
	signs   []int8
	rows    []int32
	vals    rowEncoder
	out     rowEncoder
	keyRows [][]byte // groups' encoded keys, for keyColumns
}

type groupAggCall struct {
	arg, filter expr.Evaluator // nil: COUNT(*), no FILTER
	acc         retractAcc
	distinct    *distinctRefs // nil without DISTINCT
	merge       mergeAcc      // acc, in a local or global phase
	width       int           // merge's partial columns
}

// aggPhase is the part a GroupAgg plays in an aggregation.
type aggPhase int8

const (
	onePhase    aggPhase = iota // input rows in, changelog out
	localPhase                  // input rows in, a partial row per group and batch out
	globalPhase                 // partial rows in, changelog out
)

// groupAggVersion is the first byte of GroupAgg's snapshots. Version 1:
// the number of groups; per group its key, row count and last emitted
// result (a flag, then the encoding); then per aggregate every group's
// accumulator, then every group's DISTINCT values.
const groupAggVersion = 1

// groupAggDeltaVersion is the first byte of GroupAgg's deltas. Version 1:
// the number of changed groups; per group, by number, the number, what
// version 1 holds for it, then per aggregate its accumulator and DISTINCT
// values. Groups are never removed, and a new group's number is the next.
const groupAggDeltaVersion = 1

// NewGroupAgg returns a continuous GROUP BY producing schema's columns (the
// keys of keyTypes, then one per aggregate) plus the row kind. changelog
// says whether its input carries retractions. An aggregate whose results
// cannot be updated is refused with an error naming it.
func NewGroupAgg(schema *arrow.Schema, keys []expr.Evaluator, keyTypes []arrow.DataType, aggs []AggSpec, changelog bool, ev *expr.EvalContext) (*GroupAgg, error) {
	return newGroupAgg(schema, keys, keyTypes, aggs, changelog, onePhase, ev)
}

// newGroupAgg is NewGroupAgg playing phase; a local or global phase needs
// aggregates that merge (partialBlocker, checked by the planner).
func newGroupAgg(schema *arrow.Schema, keys []expr.Evaluator, keyTypes []arrow.DataType, aggs []AggSpec, changelog bool, phase aggPhase, ev *expr.EvalContext) (*GroupAgg, error) {
	for _, t := range keyTypes {
		if !keyType(t) {
			return nil, fmt.Errorf("a continuous GROUP BY cannot group by %s", t)
		}
	}
	fields := append(append([]arrow.Field(nil), schema.Fields()...), RowKindField)
	g := &GroupAgg{phase: phase, schema: arrow.NewSchema(fields, nil), keys: keys, keyTypes: keyTypes, group: rowGrouper{types: keyTypes}, ev: ev}
	partial := append([]arrow.Field(nil), schema.Fields()[:len(keyTypes)]...)
	partial = append(partial, arrow.Field{Name: "_rows", Type: arrow.PrimitiveTypes.Int64})
	for i := range aggs {
		s := &aggs[i]
		acc, err := newRetractAcc(s, changelog)
		if err != nil {
			return nil, err
		}
		c := groupAggCall{arg: s.Arg, filter: s.Filter, acc: acc}
		if s.Distinct {
			c.distinct = &distinctRefs{}
		}
		if phase != onePhase {
			m, ok := acc.(mergeAcc)
			if why := partialBlocker(s, changelog); !ok || why != "" {
				return nil, fmt.Errorf("BUG: aggregate %d (%s) in two phases: %s", i, s.Func, why)
			}
			types := m.partialTypes()
			c.merge, c.width = m, len(types)
			for j, t := range types {
				partial = append(partial, arrow.Field{Name: fmt.Sprintf("_a%d_%d", i, j), Type: t, Nullable: true})
			}
		}
		g.calls = append(g.calls, c)
		g.aggTypes = append(g.aggTypes, s.Type)
	}
	g.partial = arrow.NewSchema(partial, nil)
	return g, nil
}

func (g *GroupAgg) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if g.phase == globalPhase {
		return g.mergePartials(b, n)
	}
	signs, err := g.signsOf(b)
	if err != nil {
		return err
	}
	keyCols, err := evalAll(g.keys, g.ev, b)
	if err != nil {
		return err
	}
	groups := g.group.assign(keyCols, n, g.groups)
	releaseAll(keyCols)
	g.groups = groups
	g.grow(g.group.len())
	if g.phase == localPhase {
		// A slice of the input may retract rows another slice or an
		// earlier batch inserted: the global phase checks the sums.
		for i, id := range groups {
			g.live[id] += signOf(signs, int32(i))
		}
	} else {
		for i, id := range groups {
			if g.live[id] += signOf(signs, int32(i)); g.live[id] < 0 {
				return fmt.Errorf("continuous GROUP BY: row %d retracts (-U/-D) a row its group never received", i)
			}
			g.touched.add(id)
			g.changed.add(id)
		}
	}
	for i := range g.calls {
		if err := g.fold(&g.calls[i], b, groups, signs, n); err != nil {
			return err
		}
	}
	if g.phase == localPhase {
		return g.emitPartials(ctx, out)
	}
	return nil
}

// keyColumns decodes the keys of groups ids into columns.
func (g *GroupAgg) keyColumns(ids []uint32) []arrow.Array {
	g.keyRows = resize(g.keyRows, len(ids))
	for k, id := range ids {
		g.keyRows[k] = g.group.t.key(int(id))
	}
	return decodeRows(g.ev.Alloc, g.keyTypes, g.keyRows)
}

// emitPartials emits, as a local phase, one partial row per group of the
// batch just folded, then forgets the groups: nothing is kept across
// batches, so a barrier finds nothing to emit or snapshot.
func (g *GroupAgg) emitPartials(ctx context.Context, out Emitter) error {
	n := g.group.len()
	alloc := g.ev.Alloc
	ids := resize(g.groups, n)
	g.groups = ids
	for id := range n {
		ids[id] = uint32(id)
	}
	cols := g.keyColumns(ids)
	cols = append(cols, fixedArray(alloc, arrow.PrimitiveTypes.Int64, g.live[:n], nil))
	for _, c := range g.calls {
		cols = append(cols, c.merge.partial(alloc, ids)...)
		c.merge.reset()
	}
	rec := array.NewRecordBatch(g.partial, cols, int64(n))
	releaseAll(cols)
	g.group.t.reset()
	g.live = clearLen(g.live)
	return out.Emit(ctx, rec)
}

// mergePartials adds, as a global phase, a batch of partial rows (see
// emitPartials) into the groups' state.
func (g *GroupAgg) mergePartials(b arrow.RecordBatch, n int) error {
	if !b.Schema().Equal(g.partial) {
		return fmt.Errorf("BUG: continuous GROUP BY got %s, not partial rows %s", b.Schema(), g.partial)
	}
	cols := b.Columns()
	k := len(g.keyTypes)
	groups := g.group.assign(cols[:k], n, g.groups)
	g.groups = groups
	g.grow(g.group.len())
	for i, rows := range arrow.GetValues[int64](cols[k].Data(), 1) {
		id := groups[i]
		g.live[id] += rows
		g.touched.add(id)
		g.changed.add(id)
	}
	at := k + 1
	for _, c := range g.calls {
		if c.acc.encoded() {
			g.vals.encode(cols[at:at+1], n)
		}
		c.merge.merge(groups, cols[at:at+c.width], &g.vals)
		at += c.width
	}
	return nil
}

// signsOf returns each row's sign, -1 for -U and -D; nil when b is all
// inserts.
func (g *GroupAgg) signsOf(b arrow.RecordBatch) ([]int8, error) {
	kinds := RowKinds(b)
	if kinds == nil {
		return nil, nil
	}
	signs := resize(g.signs, kinds.Len())
	g.signs = signs
	retracts := false
	for i, k := range kinds.Int8Values() {
		switch RowKind(k) {
		case Insert, UpdateAfter:
			signs[i] = 1
		case UpdateBefore, Delete:
			signs[i], retracts = -1, true
		default:
			return nil, fmt.Errorf("continuous GROUP BY: row %d has row kind %d, not one of +I, -U, +U, -D", i, k)
		}
	}
	if !retracts {
		// Fast path: no retractions.
		return nil, nil
	}
	return signs, nil
}

func (g *GroupAgg) grow(n int) {
	g.live, g.emitted = growTo(g.live, n), growTo(g.emitted, n)
	g.touched.grow(n)
	g.changed.grow(n)
	for _, c := range g.calls {
		c.acc.grow(n)
		if c.distinct != nil {
			c.distinct.grow(n)
		}
	}
}

// fold updates one aggregate with the rows whose argument is not NULL and
// whose FILTER is TRUE.
func (g *GroupAgg) fold(c *groupAggCall, b arrow.RecordBatch, groups []uint32, signs []int8, n int) error {
	var arg arrow.Array
	if c.arg != nil {
		a, err := c.arg(g.ev, b)
		if err != nil {
			return err
		}
		defer a.Release()
		arg = a
	}
	var filter *array.Boolean
	if c.filter != nil {
		f, err := c.filter(g.ev, b)
		if err != nil {
			return err
		}
		defer f.Release()
		if filter, _ = f.(*array.Boolean); filter == nil {
			return fmt.Errorf("BUG: FILTER produced %s, not BOOLEAN", f.DataType())
		}
	}
	rows := resize(g.rows, n)[:0]
	for i := range n {
		if arg != nil && arg.IsNull(i) || filter != nil && (filter.IsNull(i) || !filter.Value(i)) {
			continue
		}
		rows = append(rows, int32(i))
	}
	g.rows = rows
	if len(rows) == 0 {
		return nil
	}
	if c.acc.encoded() || c.distinct != nil {
		g.vals.encode([]arrow.Array{arg}, n)
	}
	if c.distinct != nil {
		var err error
		if rows, err = c.distinct.filter(rows, groups, signs, &g.vals); err != nil || len(rows) == 0 {
			return err
		}
	}
	return c.acc.update(rows, groups, signs, arg, &g.vals)
}

// OnBarrier emits the epoch's net changes.
func (g *GroupAgg) OnBarrier(ctx context.Context, _ uint64, out Emitter) error {
	return g.emitChanges(ctx, out)
}

// Finish emits the last changes of a bounded input.
func (g *GroupAgg) Finish(ctx context.Context, out Emitter) error { return g.emitChanges(ctx, out) }

func (g *GroupAgg) Close() {}

// emitChanges emits the net change of every touched group: first one
// batch of retractions (-U, -D), then one of additions (+I, +U), so every
// -U precedes its +U.
func (g *GroupAgg) emitChanges(ctx context.Context, out Emitter) error {
	touched := g.touched.ids
	if len(touched) == 0 {
		return nil
	}
	alloc := g.ev.Alloc
	for _, id := range touched {
		if g.live[id] < 0 {
			// Partials add up in any order, so a global phase checks the
			// group only once the epoch is complete.
			return fmt.Errorf("continuous GROUP BY: a group received %d more retractions (-U/-D) than rows", -g.live[id])
		}
	}
	cols := g.keyColumns(touched)
	for _, c := range g.calls {
		cols = append(cols, c.acc.emit(alloc, touched))
	}
	defer releaseAll(cols)
	aggCols := cols[len(g.keyTypes):]
	g.out.encode(aggCols, len(touched))
	var retract, add []int32
	var retractKinds, addKinds []int8
	var old [][]byte
	for k, id := range touched {
		prev, alive, now := g.emitted[id], g.live[id] > 0, g.out.row(k)
		switch {
		case prev == nil && alive:
			add, addKinds = append(add, int32(k)), append(addKinds, int8(Insert))
			g.emitted[id] = append([]byte(nil), now...)
		case prev != nil && !alive:
			retract, retractKinds, old = append(retract, int32(k)), append(retractKinds, int8(Delete)), append(old, prev)
			g.emitted[id] = nil
		case prev != nil && alive && !bytes.Equal(prev, now):
			retract, retractKinds, old = append(retract, int32(k)), append(retractKinds, int8(UpdateBefore)), append(old, prev)
			add, addKinds = append(add, int32(k)), append(addKinds, int8(UpdateAfter))
			g.emitted[id] = append([]byte(nil), now...)
		}
	}
	g.touched.reset()
	if len(retract) > 0 {
		keys, err := takeColumns(ctx, alloc, cols[:len(g.keyTypes)], retract)
		if err != nil {
			return err
		}
		if err := g.emitRows(ctx, out, append(keys, decodeRows(alloc, g.aggTypes, old)...), retractKinds); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		rows, err := takeColumns(ctx, alloc, cols, add)
		if err != nil {
			return err
		}
		return g.emitRows(ctx, out, rows, addKinds)
	}
	return nil
}

// emitRows emits cols (which it releases) with kinds as the row kind.
func (g *GroupAgg) emitRows(ctx context.Context, out Emitter, cols []arrow.Array, kinds []int8) error {
	rec := withKinds(g.schema, cols, kinds, g.ev.Alloc)
	releaseAll(cols)
	return out.Emit(ctx, rec)
}

// withKinds builds a changelog batch of schema from cols and a row kind
// per row; it does not take over cols.
func withKinds(schema *arrow.Schema, cols []arrow.Array, kinds []int8, alloc memory.Allocator) arrow.RecordBatch {
	k := fixedArray(alloc, arrow.PrimitiveTypes.Int8, kinds, nil)
	defer k.Release()
	return array.NewRecordBatch(schema, append(cols[:len(cols):len(cols)], k), int64(len(kinds)))
}

// SnapshotState appends every group's key, row count, last emitted result
// and accumulators. It is taken after OnBarrier, when nothing is pending.
func (g *GroupAgg) SnapshotState(dst []byte) ([]byte, error) {
	if len(g.touched.ids) > 0 {
		return nil, fmt.Errorf("BUG: continuous GROUP BY snapshot with changes not yet emitted")
	}
	g.changed.reset()
	w := stateWriter{b: append(dst, groupAggVersion)}
	n := g.group.len()
	w.uvarint(uint64(n))
	for id := range n {
		g.saveGroup(&w, id)
	}
	for _, c := range g.calls {
		for id := range n {
			c.acc.saveGroup(&w, id)
		}
		if c.distinct != nil {
			for id := range n {
				c.distinct.saveGroup(&w, id)
			}
		}
	}
	return w.b, nil
}

// SnapshotDelta appends the groups changed since the last snapshot.
func (g *GroupAgg) SnapshotDelta(dst []byte) ([]byte, error) {
	if len(g.touched.ids) > 0 {
		return nil, fmt.Errorf("BUG: continuous GROUP BY snapshot with changes not yet emitted")
	}
	return g.changed.appendDelta(dst, groupAggDeltaVersion, func(w *stateWriter, id int) {
		g.saveGroup(w, id)
		for _, c := range g.calls {
			c.acc.saveGroup(w, id)
			if c.distinct != nil {
				c.distinct.saveGroup(w, id)
			}
		}
	}), nil
}

// saveGroup writes group id's key, row count and last emitted result.
func (g *GroupAgg) saveGroup(w *stateWriter, id int) {
	w.bytes(g.group.t.key(id))
	w.varint(g.live[id])
	if g.emitted[id] == nil {
		w.uvarint(0)
		return
	}
	w.uvarint(1)
	w.bytes(g.emitted[id])
}

// RestoreState loads a snapshot into an operator that has seen no rows.
func (g *GroupAgg) RestoreState(state []byte) error {
	if g.group.len() != 0 {
		return fmt.Errorf("BUG: continuous GROUP BY restored after it received rows")
	}
	r := &stateReader{what: "continuous GROUP BY", b: state}
	r.header(groupAggVersion)
	n := r.count(3)
	for id := range n {
		if g.readGroup(r, id); r.err != nil {
			return r.err
		}
	}
	for _, c := range g.calls {
		for id := range n {
			c.acc.loadGroup(r, id)
		}
		if c.distinct != nil {
			for id := range n {
				c.distinct.loadGroup(r, id)
			}
		}
	}
	return r.done()
}

// ApplyDelta applies a delta taken after the state restored.
func (g *GroupAgg) ApplyDelta(delta []byte) error {
	r := &stateReader{what: "continuous GROUP BY delta", b: delta}
	r.header(groupAggDeltaVersion)
	for range r.count(4) { // a group: its number, key, row count and flag
		id := r.deltaID(g.group.len(), "group")
		if g.readGroup(r, id); r.err != nil {
			return r.err
		}
		for _, c := range g.calls {
			c.acc.loadGroup(r, id)
			if c.distinct != nil {
				c.distinct.loadGroup(r, id)
			}
		}
	}
	return r.done()
}

// readGroup reads what saveGroup wrote of group id: an existing group
// must have the same key, and a new one (id is the number of groups) must
// have a new key.
func (g *GroupAgg) readGroup(r *stateReader, id int) {
	key := r.bytes()
	if rest, ok := encodedLen(key, g.keyTypes); r.err == nil && (!ok || rest != 0) {
		r.fail("group %d: a malformed key", id)
	}
	live := r.varint()
	if r.err == nil && live < 0 {
		r.fail("group %d has %d rows", id, live)
	}
	var emitted []byte
	switch r.uvarint() {
	case 0:
	case 1:
		emitted = r.bytes()
		if rest, ok := encodedLen(emitted, g.aggTypes); r.err == nil && (!ok || rest != 0) {
			r.fail("group %d: a malformed result", id)
		}
	default:
		r.fail("group %d: a bad result flag", id)
	}
	if r.err != nil {
		return
	}
	if id < g.group.len() {
		if !bytes.Equal(g.group.t.key(id), key) {
			r.fail("group %d changed its key", id)
			return
		}
	} else if got := g.group.t.findOrAdd(key, hashBytes(key)); got != uint32(id) {
		r.fail("group %d repeats group %d's key", id, got)
		return
	}
	g.grow(g.group.len())
	g.live[id], g.emitted[id] = live, emitted
}

// StateBytes estimates the groups' keys, counts, results and accumulators.
func (g *GroupAgg) StateBytes() int64 {
	n := g.group.size() + int64(8*cap(g.live)+24*cap(g.emitted)) + g.touched.size() + g.changed.size()
	for _, e := range g.emitted {
		n += int64(cap(e))
	}
	for _, c := range g.calls {
		n += c.acc.size()
		if c.distinct != nil {
			n += c.distinct.size()
		}
	}
	return n
}
