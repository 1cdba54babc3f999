package exec

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

// StreamJoinOptions tune a StreamJoin.
type StreamJoinOptions struct {
	// TTL is Flink's table.exec.state.ttl: a row neither inserted nor
	// matched for TTL of processing time leaves the state, at the first
	// barrier or watermark after that (so it is kept at least TTL). A row
	// that expired matches nothing later and is not retracted from the
	// output (under Bounds, an outer side's unmatched row is emitted
	// NULL-padded as it expires). 0 keeps rows until Bounds or a
	// retraction remove them.
	TTL time.Duration
	// Now is the processing-time clock for TTL; nil is time.Now.
	Now func() time.Time
	// Bounds, when set, is how the watermark makes rows unmatchable (a
	// window join or an interval join; see JoinTimeBounds): such rows
	// leave the state, and an outer side's unmatched rows are emitted,
	// NULL-padded, only then, so that the output has no retractions.
	Bounds *TimeBounds
	// LeftUpdating and RightUpdating say that the input is a changelog
	// whose batches may carry -U and -D rows.
	LeftUpdating, RightUpdating bool
}

// StreamJoin is the regular streaming join of a plan.Join (INNER, LEFT,
// RIGHT, FULL): each side's rows are held in a hash table by join key; a
// row arriving on one side probes the other side's table, emits the joined
// rows the residual accepts, and is added to its own side's table. A
// retraction (-U, -D) on one side removes the row and retracts the joined
// rows it produced. An outer side's row without a match is emitted
// NULL-padded, and retracted (-D) when its first match arrives, then
// re-emitted when its last match is retracted, as Flink does; under Bounds
// those rows wait for the watermark instead.
//
// State per stored row: its encoding (rowEncoder, all columns), how many
// copies are held, how many rows of the other side it matches, when it
// was last touched (TTL) and the watermark at which it dies (Bounds).
type StreamJoin struct {
	kind       plan.JoinKind
	ev         *expr.EvalContext
	opt        StreamJoinOptions
	schema     *arrow.Schema // the join's schema, plus RowKindColumn when Updating
	residual   expr.Evaluator
	resSchema  *arrow.Schema  // the residual's input: the two sides' columns
	sides      [2]*streamSide // left, right
	wm         int64
	nextSweep  int64 // processing time (ns) of the next TTL sweep
	emitBuffer joinOutput

	// Scratch reused across batches.
	candRow            []int32
	candRef            []*joinRow
	keep               []bool
	resMine, resTheirs [][]byte
}

// streamSide is one input's state.
type streamSide struct {
	types    []arrow.DataType
	keys     []expr.Evaluator
	keyTypes []arrow.DataType
	outer    bool                  // this side's rows are kept without a match (LEFT for the left side)
	timeCol  int                   // Bounds' time column, -1 without Bounds
	life     int64                 // Bounds: a row dies when the watermark reaches its time plus life
	rows     map[string][]*joinRow // by key
	byRow    map[string]*joinRow   // by encoding: equal rows have equal keys
	expiring expiryHeap
	bytes    int64
	changed  []*joinRow // rows changed since the last snapshot (see mark)
	nullRow  []byte     // the encoding of a row of NULLs
	keyEnc   rowEncoder
	rowEnc   rowEncoder
}

// joinRow is one distinct stored row.
type joinRow struct {
	row     string // the encoding; a string, so that byRow shares it
	key     string
	pos     int   // in its key's list
	count   int64 // copies held; 0 once removed
	matches int64 // rows of the other side it matches, with their copies
	touched int64 // processing time (ns) of the last insert or match
	expiry  int64 // Bounds: the watermark at which it can match nothing more
	dirty   bool  // in its side's changed
}

// rowOverhead estimates the bytes of a joinRow beyond its encoding.
const rowOverhead = 96

// NewStreamJoin returns the streaming join of j; see StreamJoinOptions.
func NewStreamJoin(j *plan.Join, opt StreamJoinOptions, ev *expr.EvalContext) (*StreamJoin, error) {
	switch j.Kind {
	case plan.JoinInner, plan.JoinLeft, plan.JoinRight, plan.JoinFull:
	default:
		return nil, fmt.Errorf("a %s join over unbounded inputs is not supported yet (INNER, LEFT, RIGHT and FULL joins are)", j.Kind)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &StreamJoin{kind: j.Kind, ev: ev, opt: opt, wm: math.MinInt64}
	children := [2]plan.Node{j.Left, j.Right}
	keys := [2][]expr.Expr{j.LeftKeys, j.RightKeys}
	for i := range s.sides {
		side := &streamSide{rows: map[string][]*joinRow{}, byRow: map[string]*joinRow{}, timeCol: -1}
		for _, f := range children[i].Schema().Fields() {
			if !keyType(f.Type) {
				return nil, fmt.Errorf("a streaming join cannot hold column %s of type %s yet", f.Name, f.Type)
			}
			side.types = append(side.types, f.Type)
		}
		for _, k := range keys[i] {
			c, err := expr.Compile(k)
			if err != nil {
				return nil, err
			}
			side.keys, side.keyTypes = append(side.keys, c), append(side.keyTypes, k.Type())
		}
		side.nullRow = make([]byte, len(side.types))
		s.sides[i] = side
	}
	s.sides[0].outer = j.Kind == plan.JoinLeft || j.Kind == plan.JoinFull
	s.sides[1].outer = j.Kind == plan.JoinRight || j.Kind == plan.JoinFull
	if b := opt.Bounds; b != nil {
		s.sides[0].timeCol, s.sides[0].life = b.LeftCol, b.LeftLife
		s.sides[1].timeCol, s.sides[1].life = b.RightCol, b.RightLife
		for i, side := range s.sides {
			if c := side.timeCol; c < 0 || c >= len(side.types) || side.types[c].ID() != arrow.TIMESTAMP {
				return nil, fmt.Errorf("BUG: join time bound on column %d of side %d, not a TIMESTAMP", c, i)
			}
		}
	}
	if j.Residual != nil {
		r, err := expr.Compile(j.Residual)
		if err != nil {
			return nil, err
		}
		s.residual = r
		var fields []arrow.Field
		for _, t := range append(s.sides[0].types[:len(s.sides[0].types):len(s.sides[0].types)], s.sides[1].types...) {
			fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", len(fields)), Type: t, Nullable: true})
		}
		s.resSchema = arrow.NewSchema(fields, nil) // as joinedSchema, once
	}
	s.schema = j.Schema()
	if s.Updating() {
		s.schema = arrow.NewSchema(append(j.Schema().Fields(), RowKindField), nil)
	}
	return s, nil
}

// newStreamJoin builds the operator joining two unbounded inputs (see
// Query.addStreamJoin): a StreamJoin whose state the watermark bounds when
// JoinTimeBounds recognizes the join, and ttl otherwise (0: every row is
// kept).
func newStreamJoin(n *plan.Join, ttl time.Duration, ev *expr.EvalContext) (TwoInput, error) {
	opt := StreamJoinOptions{TTL: ttl, LeftUpdating: Updating(n.Left), RightUpdating: Updating(n.Right)}
	if b, ok := JoinTimeBounds(n); ok {
		opt.Bounds = &b
	}
	return NewStreamJoin(n, opt, ev)
}

// streamJoinUpdating says whether the StreamJoin of n emits retractions
// over append-only inputs: an outer join the watermark does not bound.
func streamJoinUpdating(n *plan.Join) bool {
	_, bounded := JoinTimeBounds(n)
	return n.Kind != plan.JoinInner && !bounded
}

// Updating says whether the output can carry retractions, and so has the
// trailing RowKindColumn: when an input is a changelog, or when an outer
// join has no Bounds (its NULL-padded rows are retracted when a match
// arrives). Otherwise every output row is an insert and the output is the
// plan's schema.
func (s *StreamJoin) Updating() bool {
	return s.opt.LeftUpdating || s.opt.RightUpdating || (s.kind != plan.JoinInner && s.opt.Bounds == nil)
}

// Schema is the output's schema (see Updating).
func (s *StreamJoin) Schema() *arrow.Schema { return s.schema }

func (s *StreamJoin) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	return s.process(ctx, 0, b, out)
}

func (s *StreamJoin) ProcessRight(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	return s.process(ctx, 1, b, out)
}

// process joins a batch of side me: every row is looked up in the other
// side's table first (the residual evaluated over all candidate pairs at
// once, as the other side's rows cannot change during the batch), then
// the rows are applied in order, so that a row inserted and retracted in
// one batch nets out.
func (s *StreamJoin) process(ctx context.Context, me int, b arrow.RecordBatch, out Emitter) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	self, other := s.sides[me], s.sides[1-me]
	kinds := RowKinds(b)
	ncols := int(b.NumCols())
	if kinds != nil {
		ncols--
	}
	if ncols != len(self.types) {
		return fmt.Errorf("BUG: a streaming join's %s input has %d columns, want %d", sideName(me), ncols, len(self.types))
	}
	if kinds != nil && kinds.NullN() > 0 {
		return fmt.Errorf("BUG: NULL %s in a changelog", RowKindColumn)
	}
	cols := b.Columns()[:ncols]
	self.rowEnc.encode(cols, n)
	var valid []bool
	if len(self.keys) > 0 {
		keys, err := evalAll(self.keys, s.ev, b)
		if err != nil {
			return err
		}
		self.keyEnc.encode(keys, n)
		valid = nonNullRows(keys, n)
		releaseAll(keys)
	} else {
		self.keyEnc.encode(nil, n)
	}
	// Candidates: for each row with a non-NULL key, the other side's rows
	// of that key.
	ci, cr := s.candRow[:0], s.candRef[:0]
	for i := range n {
		if valid != nil && !valid[i] {
			continue
		}
		for _, r := range other.rows[string(self.keyEnc.row(i))] {
			ci, cr = append(ci, int32(i)), append(cr, r)
		}
	}
	s.candRow, s.candRef = ci, cr
	keep, err := s.filterResidual(ctx, me, ci, cr)
	if err != nil {
		return err
	}
	now := s.opt.Now().UnixNano()
	o := &s.emitBuffer
	o.reset(me)
	c := 0
	for i := range n {
		kind := Insert
		if kinds != nil {
			kind = RowKind(kinds.Value(i))
		}
		row := self.rowEnc.row(i)
		var matched int64
		for ; c < len(ci) && int(ci[c]) == i; c++ {
			if keep != nil && !keep[c] {
				continue
			}
			m := cr[c]
			matched += m.count
			other.mark(m)
			if kind.Retracts() {
				o.add(Delete, m.count, row, readOnly(m.row))
				if m.matches > 0 {
					m.matches--
				}
				if other.outer && m.matches == 0 && s.opt.Bounds == nil {
					o.add(Insert, m.count, nil, readOnly(m.row))
				}
				continue
			}
			if other.outer && m.matches == 0 && s.opt.Bounds == nil {
				o.add(Delete, m.count, nil, readOnly(m.row))
			}
			m.matches++
			m.touched = now
			o.add(Insert, m.count, row, readOnly(m.row))
		}
		expiry := int64(math.MaxInt64)
		if self.timeCol >= 0 {
			expiry = timeOf(cols[self.timeCol], i) + self.life
		}
		// A row that can never match (a NULL key) or that arrives after
		// the watermark passed it (late) is not kept.
		keepRow := (valid == nil || valid[i]) && expiry > s.wm
		if !kind.Retracts() {
			if matched == 0 && self.outer && (s.opt.Bounds == nil || !keepRow) {
				o.add(Insert, 1, row, nil)
			}
			if keepRow {
				self.insert(self.keyEnc.row(i), row, matched, now, expiry)
			}
			continue
		}
		removed := keepRow && self.remove(row)
		// Under Bounds, a held row's NULL-padded row was not emitted yet.
		if matched == 0 && self.outer && (s.opt.Bounds == nil || !removed) {
			o.add(Delete, 1, row, nil)
		}
	}
	return s.flush(ctx, out)
}

// filterResidual evaluates the residual over the candidate pairs (row
// ci[k] of the batch of side me, stored row cr[k]); keep is nil when every
// pair passes.
func (s *StreamJoin) filterResidual(ctx context.Context, me int, ci []int32, cr []*joinRow) ([]bool, error) {
	if s.residual == nil || len(ci) == 0 {
		return nil, nil
	}
	self, other := s.sides[me], s.sides[1-me]
	keep := resize(s.keep, len(ci))
	s.keep = keep
	for from := 0; from < len(ci); from += maxJoinBatch {
		to := min(from+maxJoinBatch, len(ci))
		mine, theirs := s.resMine[:0], s.resTheirs[:0]
		for k := from; k < to; k++ {
			mine, theirs = append(mine, self.rowEnc.row(int(ci[k]))), append(theirs, readOnly(cr[k].row))
		}
		s.resMine, s.resTheirs = mine, theirs
		left, right := decodeRows(s.ev.Alloc, self.types, mine), decodeRows(s.ev.Alloc, other.types, theirs)
		if me == 1 {
			left, right = right, left
		}
		cols := append(left, right...)
		rec := array.NewRecordBatch(s.resSchema, cols, int64(to-from))
		releaseAll(cols)
		cond, err := s.residual(s.ev, rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		vals, off := cond.Data().Buffers()[1].Bytes(), cond.Data().Offset()
		var bm []byte
		if cond.NullN() > 0 {
			bm = cond.NullBitmapBytes()
		}
		for k := from; k < to; k++ {
			i := off + k - from
			keep[k] = (bm == nil || bitutil.BitIsSet(bm, i)) && bitutil.BitIsSet(vals, i)
		}
		cond.Release()
	}
	return keep, nil
}

// insert adds a copy of row (key key) with matches matches of the other
// side.
func (side *streamSide) insert(key, row []byte, matches, now, expiry int64) {
	if r := side.byRow[string(row)]; r != nil {
		r.count++
		r.touched = now
		side.mark(r)
		return
	}
	k := string(key)
	if rows := side.rows[string(key)]; len(rows) > 0 {
		k = rows[0].key // Fast path: share the key's string
	}
	r := &joinRow{row: string(row), key: k, count: 1, matches: matches, touched: now, expiry: expiry}
	side.add(r)
	side.mark(r)
}

// add indexes a new stored row.
func (side *streamSide) add(r *joinRow) {
	rows, ok := side.rows[r.key]
	if !ok {
		side.bytes += int64(len(r.key)) + rowOverhead
	}
	r.pos = len(rows)
	side.rows[r.key] = append(rows, r)
	side.byRow[r.row] = r
	side.bytes += int64(len(r.row)) + rowOverhead
	if r.expiry != math.MaxInt64 {
		heap.Push(&side.expiring, r)
	}
}

// remove drops a copy of row; false when the state holds none (it
// expired, or was never inserted).
func (side *streamSide) remove(row []byte) bool {
	r := side.byRow[string(row)]
	if r == nil {
		return false
	}
	side.mark(r)
	if r.count--; r.count == 0 {
		side.drop(r)
	}
	return true
}

// drop removes r from its key's list (its heap entry, if any, is skipped
// when it comes up).
func (side *streamSide) drop(r *joinRow) {
	side.mark(r)
	r.count = 0
	rows := side.rows[r.key]
	last := rows[len(rows)-1]
	rows[r.pos], last.pos = last, r.pos
	rows[len(rows)-1] = nil
	rows = rows[:len(rows)-1]
	delete(side.byRow, r.row)
	side.bytes -= int64(len(r.row)) + rowOverhead
	if len(rows) == 0 {
		delete(side.rows, r.key)
		side.bytes -= int64(len(r.key)) + rowOverhead
		return
	}
	side.rows[r.key] = rows
}

// timeOf is the microseconds of a TIMESTAMP value; NULL is the earliest
// time (such a row matches no interval and dies at once).
func timeOf(c arrow.Array, i int) int64 {
	if c.IsNull(i) {
		return math.MinInt64 / 2
	}
	t := c.(*array.Timestamp)
	return toMicros(int64(t.Value(i)), t.DataType().(*arrow.TimestampType).Unit)
}

func toMicros(v int64, u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return v * 1_000_000
	case arrow.Millisecond:
		return v * 1000
	case arrow.Nanosecond:
		return v / 1000
	}
	return v
}

// OnWatermark drops the rows the watermark makes unmatchable (Bounds),
// emitting an outer side's unmatched ones NULL-padded, and sweeps rows
// past their TTL.
func (s *StreamJoin) OnWatermark(ctx context.Context, wm int64, out Emitter) error {
	if wm <= s.wm {
		return nil
	}
	s.wm = wm
	o := &s.emitBuffer
	for me, side := range s.sides {
		o.reset(me)
		for len(side.expiring) > 0 && side.expiring[0].expiry <= wm {
			r := heap.Pop(&side.expiring).(*joinRow)
			if r.count == 0 {
				continue // retracted earlier
			}
			if side.outer && r.matches == 0 {
				o.add(Insert, r.count, readOnly(r.row), nil)
			}
			side.drop(r)
		}
		if err := s.flush(ctx, out); err != nil {
			return err
		}
	}
	return s.sweepTTL(ctx, out)
}

// OnBarrier sweeps rows past their TTL.
func (s *StreamJoin) OnBarrier(ctx context.Context, _ uint64, out Emitter) error {
	return s.sweepTTL(ctx, out)
}

// sweepTTL drops rows untouched for TTL, at most every quarter of TTL (a
// sweep walks the whole state). Under Bounds, an outer side's unmatched
// rows are emitted as they leave, as the watermark would have.
func (s *StreamJoin) sweepTTL(ctx context.Context, out Emitter) error {
	if s.opt.TTL <= 0 {
		return nil
	}
	now := s.opt.Now().UnixNano()
	if now < s.nextSweep {
		return nil
	}
	s.nextSweep = now + int64(s.opt.TTL/4)
	cutoff := now - int64(s.opt.TTL)
	o := &s.emitBuffer
	for me, side := range s.sides {
		o.reset(me)
		for _, rows := range side.rows {
			for i := len(rows) - 1; i >= 0; i-- {
				r := rows[i]
				if r.touched >= cutoff {
					continue
				}
				if s.opt.Bounds != nil && side.outer && r.matches == 0 {
					o.add(Insert, r.count, readOnly(r.row), nil)
				}
				side.drop(r)
			}
		}
		if err := s.flush(ctx, out); err != nil {
			return err
		}
	}
	return nil
}

// Finish: a streaming join's input does not end; a bounded run (tests)
// leaves nothing to flush, as unmatched rows were emitted already or wait
// for a watermark that will not come.
func (s *StreamJoin) Finish(context.Context, Emitter) error { return nil }

func (s *StreamJoin) Close() {
	for _, side := range s.sides {
		side.rows, side.byRow, side.expiring, side.bytes, side.changed = map[string][]*joinRow{}, map[string]*joinRow{}, nil, 0, nil
	}
}

// StateBytes estimates the bytes the two tables hold.
func (s *StreamJoin) StateBytes() int64 { return s.sides[0].bytes + s.sides[1].bytes }

// readOnly is the bytes of s without a copy, for decodeRows, which only
// reads them.
func readOnly(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func sideName(me int) string { return [2]string{"left", "right"}[me] }

// joinOutput collects output rows of one side's processing: per row its
// kind, copies, and the two sides' encodings (nil: NULLs).
type joinOutput struct {
	me           int
	kinds        []int8
	mine, theirs [][]byte
}

func (o *joinOutput) reset(me int) {
	o.me, o.kinds, o.mine, o.theirs = me, o.kinds[:0], o.mine[:0], o.theirs[:0]
}

func (o *joinOutput) add(k RowKind, copies int64, mine, theirs []byte) {
	for range copies {
		o.kinds, o.mine, o.theirs = append(o.kinds, int8(k)), append(o.mine, mine), append(o.theirs, theirs)
	}
}

// flush emits the collected rows in batches of at most maxJoinBatch.
func (s *StreamJoin) flush(ctx context.Context, out Emitter) error {
	o := &s.emitBuffer
	self, other := s.sides[o.me], s.sides[1-o.me]
	for from := 0; from < len(o.kinds); from += maxJoinBatch {
		to := min(from+maxJoinBatch, len(o.kinds))
		mine, theirs := o.mine[from:to], o.theirs[from:to]
		for k := range mine {
			if mine[k] == nil {
				mine[k] = self.nullRow
			}
			if theirs[k] == nil {
				theirs[k] = other.nullRow
			}
		}
		left, right := decodeRows(s.ev.Alloc, self.types, mine), decodeRows(s.ev.Alloc, other.types, theirs)
		if o.me == 1 {
			left, right = right, left
		}
		cols := append(left, right...)
		var rec arrow.RecordBatch
		if s.Updating() {
			rec = withKinds(s.schema, cols, o.kinds[from:to], s.ev.Alloc)
		} else {
			for _, k := range o.kinds[from:to] {
				if k != int8(Insert) {
					releaseAll(cols)
					return fmt.Errorf("BUG: a retraction reached a streaming join planned over append-only inputs")
				}
			}
			rec = array.NewRecordBatch(s.schema, cols, int64(to-from))
		}
		releaseAll(cols)
		if err := out.Emit(ctx, rec); err != nil {
			return err
		}
	}
	o.reset(o.me)
	return nil
}

// expiryHeap orders stored rows by expiry, earliest first.
type expiryHeap []*joinRow

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expiry < h[j].expiry }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(*joinRow)) }
func (h *expiryHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}
