package exec

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/expr"
)

// Rank is a continuous Top-N over an append-only input: the plan
// Filter(ROW_NUMBER() <= N) over Window(PARTITION BY … ORDER BY …), and
// deduplication, its N = 1 case. Per partition it keeps only the N best
// rows: with no retractions, a row that falls out can never come back. A
// row that ties with kept rows ranks after them (the earlier row wins, as
// in Flink's Top-N), except when keepLast: then, as in Flink's
// deduplication keeping the last row (ORDER BY a time DESC, N = 1), the
// later row wins.
//
// At each barrier (and Finish) it emits, per partition changed since the
// last one, the difference between the rows it last emitted and the
// current ones, slot by slot (rank 1, 2, …): a different row in a slot is
// -U old, +U new; a slot only emitted before is -D; a new slot is +I. Rows
// carry their row number (rank), then the row kind.
type Rank struct {
	schema    *arrow.Schema // input columns, row number, row kind
	inTypes   []arrow.DataType
	part      []int // partition columns
	order     []SortKey
	partTypes []arrow.DataType
	ordTypes  []arrow.DataType
	n         int
	keepLast  bool
	parts     byteTable    // partition keys, numbered
	top       [][]*rankRow // per partition: its best rows, best first
	shown     [][]*rankRow // per partition: as last emitted
	touched   changeSet    // partitions changed since the last emission
	changed   changeSet    // partitions changed since the last snapshot (SnapshotDelta)
	ev        *expr.EvalContext

	// Scratch reused across batches.
	partEnc rowEncoder
	rowEnc  rowEncoder
	ordEnc  []rowEncoder // one per order key
}

// rankRow is one kept row, encoded (rowEncoder): all its columns, and
// each order key's value.
type rankRow struct {
	row   []byte
	order [][]byte
}

// rankVersion is the first byte of Rank's snapshots. Version 1: the
// number of partitions, then per partition its key, its number of kept
// rows and per row its encoding and its order values.
const rankVersion = 1

// rankDeltaVersion is the first byte of Rank's deltas. Version 1: the
// number of changed partitions, then per partition, by number, the number
// and what version 1 holds for it. Partitions are never removed, and a new
// partition's number is the next.
const rankDeltaVersion = 1

// NewRank returns a continuous Top-N keeping the n best rows per partition
// of the input's columns part, by order; schema is the Top-N's columns
// (the input's and the row number).
func NewRank(schema *arrow.Schema, part []int, order []SortKey, n int, keepLast bool, ev *expr.EvalContext) (*Rank, error) {
	fields := schema.Fields()
	r := &Rank{
		schema: arrow.NewSchema(append(fields[:len(fields):len(fields)], RowKindField), nil),
		part:   part, order: order, n: n, keepLast: keepLast, ev: ev,
		ordEnc: make([]rowEncoder, len(order)),
	}
	for _, f := range fields[:len(fields)-1] {
		if !keyType(f.Type) {
			return nil, fmt.Errorf("a continuous Top-N cannot keep a column of type %s (%s)", f.Type, f.Name)
		}
		r.inTypes = append(r.inTypes, f.Type)
	}
	for _, c := range part {
		r.partTypes = append(r.partTypes, r.inTypes[c])
	}
	for _, k := range order {
		r.ordTypes = append(r.ordTypes, r.inTypes[k.Column])
	}
	return r, nil
}

func (r *Rank) Process(_ context.Context, b arrow.RecordBatch, _ Emitter) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if kinds := RowKinds(b); kinds != nil {
		for i, k := range kinds.Int8Values() {
			if RowKind(k) != Insert {
				return fmt.Errorf("a continuous Top-N over an updating input is not supported yet: row %d is %s", i, RowKind(k))
			}
		}
	}
	cols := b.Columns()[:len(r.inTypes)]
	parts := make([]arrow.Array, len(r.part))
	for i, c := range r.part {
		parts[i] = cols[c]
	}
	r.partEnc.encode(parts, n)
	for k, o := range r.order {
		r.ordEnc[k].encode(cols[o.Column:o.Column+1], n)
	}
	encoded := false
	ord := make([][]byte, len(r.order))
	for i := range n {
		key := r.partEnc.row(i)
		p := r.parts.findOrAdd(key, hashBytes(key))
		if int(p) == len(r.top) {
			r.top, r.shown = append(r.top, nil), append(r.shown, nil)
			r.touched.grow(len(r.top))
			r.changed.grow(len(r.top))
		}
		for k := range ord {
			ord[k] = r.ordEnc[k].row(i)
		}
		top := r.top[p]
		at := len(top)
		for at > 0 && r.beats(ord, top[at-1].order) {
			at--
		}
		if at >= r.n {
			// Fast path: not among the best.
			continue
		}
		if !encoded {
			r.rowEnc.encode(cols, n)
			encoded = true
		}
		row := newRankRow(r.rowEnc.row(i), ord)
		if len(top) < r.n {
			top = append(top, nil)
		}
		copy(top[at+1:], top[at:])
		top[at] = row
		r.top[p] = top
		r.touched.add(p)
		r.changed.add(p)
	}
	return nil
}

func newRankRow(row []byte, ord [][]byte) *rankRow {
	size := len(row)
	for _, o := range ord {
		size += len(o)
	}
	buf := make([]byte, 0, size)
	buf = append(buf, row...)
	rr := &rankRow{row: buf[:len(row):len(row)], order: make([][]byte, len(ord))}
	for k, o := range ord {
		at := len(buf)
		buf = append(buf, o...)
		rr.order[k] = buf[at:len(buf):len(buf)]
	}
	return rr
}

// beats says whether a row with order values a ranks before one with b.
func (r *Rank) beats(a, b [][]byte) bool {
	for k, o := range r.order {
		x, y := a[k], b[k]
		var c int
		switch {
		case x[0] == 0 && y[0] == 0:
			continue
		case x[0] == 0 || y[0] == 0:
			// NULLs first or last, whatever the direction.
			if (x[0] == 0) == o.NullsFirst {
				return true
			}
			return false
		default:
			c = cmpEncoded(r.ordTypes[k], x, y)
		}
		if o.Descending {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return r.keepLast
}

// OnBarrier emits the epoch's changes.
func (r *Rank) OnBarrier(ctx context.Context, _ uint64, out Emitter) error {
	return r.emitChanges(ctx, out)
}

// Finish emits the last changes of a bounded input.
func (r *Rank) Finish(ctx context.Context, out Emitter) error { return r.emitChanges(ctx, out) }

func (r *Rank) Close() {}

// emitChanges emits the touched partitions' changes: first a batch of
// retractions, then one of additions, so every -U precedes its +U.
func (r *Rank) emitChanges(ctx context.Context, out Emitter) error {
	var retract, add []*rankRow
	var retractRanks, addRanks []int64
	var retractKinds, addKinds []int8
	for _, p := range r.touched.ids {
		old, now := r.shown[p], r.top[p]
		for i := range max(len(old), len(now)) {
			var o, w *rankRow
			if i < len(old) {
				o = old[i]
			}
			if i < len(now) {
				w = now[i]
			}
			switch {
			case o == w:
			case o == nil:
				add, addRanks, addKinds = append(add, w), append(addRanks, int64(i+1)), append(addKinds, int8(Insert))
			case w == nil:
				retract, retractRanks, retractKinds = append(retract, o), append(retractRanks, int64(i+1)), append(retractKinds, int8(Delete))
			default:
				retract, retractRanks, retractKinds = append(retract, o), append(retractRanks, int64(i+1)), append(retractKinds, int8(UpdateBefore))
				add, addRanks, addKinds = append(add, w), append(addRanks, int64(i+1)), append(addKinds, int8(UpdateAfter))
			}
		}
		r.shown[p] = append(old[:0], now...)
	}
	r.touched.reset()
	if err := r.emitRows(ctx, out, retract, retractRanks, retractKinds); err != nil {
		return err
	}
	return r.emitRows(ctx, out, add, addRanks, addKinds)
}

func (r *Rank) emitRows(ctx context.Context, out Emitter, rows []*rankRow, ranks []int64, kinds []int8) error {
	if len(rows) == 0 {
		return nil
	}
	enc := make([][]byte, len(rows))
	for i, row := range rows {
		enc[i] = row.row
	}
	cols := decodeRows(r.ev.Alloc, r.inTypes, enc)
	cols = append(cols, fixedArray(r.ev.Alloc, r.schema.Field(len(r.inTypes)).Type, ranks, nil))
	rec := withKinds(r.schema, cols, kinds, r.ev.Alloc)
	releaseAll(cols)
	return out.Emit(ctx, rec)
}

// SnapshotState appends every partition's key and kept rows; taken after
// OnBarrier, when what was emitted is what is kept.
func (r *Rank) SnapshotState(dst []byte) ([]byte, error) {
	if len(r.touched.ids) > 0 {
		return nil, fmt.Errorf("BUG: continuous Top-N snapshot with changes not yet emitted")
	}
	r.changed.reset()
	w := stateWriter{b: append(dst, rankVersion)}
	w.uvarint(uint64(len(r.top)))
	for p := range r.top {
		r.savePartition(&w, p)
	}
	return w.b, nil
}

// SnapshotDelta appends the partitions changed since the last snapshot.
func (r *Rank) SnapshotDelta(dst []byte) ([]byte, error) {
	if len(r.touched.ids) > 0 {
		return nil, fmt.Errorf("BUG: continuous Top-N snapshot with changes not yet emitted")
	}
	return r.changed.appendDelta(dst, rankDeltaVersion, r.savePartition), nil
}

func (r *Rank) savePartition(w *stateWriter, p int) {
	w.bytes(r.parts.key(p))
	w.uvarint(uint64(len(r.top[p])))
	for _, row := range r.top[p] {
		w.bytes(row.row)
		for _, o := range row.order {
			w.bytes(o)
		}
	}
}

// RestoreState loads a snapshot into an operator that has seen no rows.
func (r *Rank) RestoreState(state []byte) error {
	if len(r.top) != 0 {
		return fmt.Errorf("BUG: continuous Top-N restored after it received rows")
	}
	rd := &stateReader{what: "continuous Top-N", b: state}
	rd.header(rankVersion)
	for p := range rd.count(2) {
		if r.readPartition(rd, p); rd.err != nil {
			return rd.err
		}
	}
	return rd.done()
}

// ApplyDelta applies a delta taken after the state restored.
func (r *Rank) ApplyDelta(delta []byte) error {
	rd := &stateReader{what: "continuous Top-N delta", b: delta}
	rd.header(rankDeltaVersion)
	for range rd.count(3) { // a partition: its number, key and rows
		if r.readPartition(rd, rd.deltaID(len(r.top), "partition")); rd.err != nil {
			return rd.err
		}
	}
	return rd.done()
}

// readPartition reads what savePartition wrote of partition p: an
// existing partition must have the same key, and a new one (p is the
// number of partitions) must have a new key.
func (r *Rank) readPartition(rd *stateReader, p int) {
	key := rd.bytes()
	if rest, ok := encodedLen(key, r.partTypes); rd.err == nil && (!ok || rest != 0) {
		rd.fail("partition %d: a malformed key", p)
	}
	rows := rd.count(1 + len(r.order))
	if rd.err == nil && (rows == 0 || rows > r.n) {
		rd.fail("partition %d keeps %d rows, want 1 to %d", p, rows, r.n)
	}
	top := make([]*rankRow, rows)
	ord := make([][]byte, len(r.order))
	for i := range top {
		row := rd.bytes()
		if rest, ok := encodedLen(row, r.inTypes); rd.err == nil && (!ok || rest != 0) {
			rd.fail("partition %d: a malformed row", p)
		}
		for k := range ord {
			if ord[k] = rd.bytes(); rd.err == nil {
				if rest, ok := encodedLen(ord[k], r.ordTypes[k:k+1]); !ok || rest != 0 {
					rd.fail("partition %d: a malformed order value", p)
				}
			}
		}
		top[i] = newRankRow(row, ord)
	}
	if rd.err != nil {
		return
	}
	if p < len(r.top) {
		if !bytes.Equal(r.parts.key(p), key) {
			rd.fail("partition %d changed its key", p)
			return
		}
		r.top[p], r.shown[p] = top, slices.Clone(top)
		return
	}
	if got := r.parts.findOrAdd(key, hashBytes(key)); got != uint32(p) {
		rd.fail("partition %d repeats partition %d's key", p, got)
		return
	}
	r.top, r.shown = append(r.top, top), append(r.shown, slices.Clone(top))
	r.touched.grow(len(r.top))
	r.changed.grow(len(r.top))
}

// StateBytes estimates the partitions' keys and kept rows.
func (r *Rank) StateBytes() int64 {
	n := r.parts.size() + int64(48*cap(r.top)) + r.touched.size() + r.changed.size()
	for _, top := range r.top {
		n += int64(16 * cap(top))
		for _, row := range top {
			n += int64(len(row.row)) + 64
			for _, o := range row.order {
				n += int64(len(o))
			}
		}
	}
	return n
}
