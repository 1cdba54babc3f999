package exec

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/internal/errkind"
)

// sessionTVF is SESSION(TABLE t PARTITION BY k, DESCRIPTOR(ts), gap): rows
// of one key whose times are less than gap apart share a window [first
// time, last time + gap). A session is known only once no later row can
// extend it, so the operator keeps its rows until then: over a bounded
// input until Finish; in a continuous job until the watermark reaches the
// session's end, when its rows are emitted with their window (the window
// aggregation after it then closes the window at the same watermark, so
// it holds nothing between watermarks). A row whose own window [t, t+gap)
// ended by the watermark is late: counted and dropped, as in Flink. Rows
// with a NULL time are dropped.
//
// The kept rows are the operator's state; in a continuous job they are
// snapshotted (a session may span any stretch of input, so replaying a
// bounded part of it could not rebuild them), every epoch as a delta of
// the rows kept since the last snapshot (see sessionDeltaVersion).
type sessionTVF struct {
	n      *plan.WindowTVF
	alloc  memory.Allocator
	keys   grouper              // partition key → group number
	groups []uint32             // scratch: each row's group
	open   map[uint32][]session // per group: its sessions by start, disjoint
	nOpen  int
	bytes  int64 // of the kept batches
	wm     int64
	closed int64 // sessions ending by this time were emitted (≥ wm; MaxInt64 after Finish)
	late   int64

	// The delta log: the batches kept since the last snapshot, oldest
	// first. Kept only once a snapshot was taken or restored, so a job
	// that never snapshots does not accumulate it.
	logging bool
	log     []loggedBatch
}

// session is one open session of a key: its window and rows.
type session struct {
	start, end int64 // end = last time + gap
	rows       []rowRef
}

// rowRef is a kept row; its batch is released when its last row is emitted.
type rowRef struct {
	b   *keptBatch
	row int32
}

type keptBatch struct {
	b    arrow.RecordBatch
	live int // rows not emitted yet
	// marks, while the batch is in the delta log: per row, rowKept or
	// rowEmitted (0: never kept).
	marks []byte
}

const (
	rowKept    = 1
	rowEmitted = 2
)

// loggedBatch is a batch kept since the last snapshot, with s.closed as
// it was when the batch came.
type loggedBatch struct {
	closed int64
	kb     *keptBatch
}

// NewSessionTVF returns the operator for a SESSION window TVF.
func NewSessionTVF(n *plan.WindowTVF, alloc memory.Allocator) Operator {
	s := &sessionTVF{n: n, alloc: alloc}
	s.reset()
	return s
}

// reset drops every kept row and the log: the operator is as new.
func (s *sessionTVF) reset() {
	s.Close()
	types := make([]arrow.DataType, len(s.n.Partition))
	for i, c := range s.n.Partition {
		types[i] = s.n.Input.Schema().Field(c).Type
	}
	keys, err := newGrouper(types)
	if err != nil {
		keys = nil // a key type no grouper handles: keep refuses each batch
	}
	s.keys, s.open, s.nOpen, s.bytes = keys, map[uint32][]session{}, 0, 0
	s.wm, s.closed, s.late = math.MinInt64, math.MinInt64, 0
	s.logging, s.log = false, nil
}

// assignGroups numbers the keys of b's rows into dst, emptied first; no
// partition columns give none (every row is group 0).
func (s *sessionTVF) assignGroups(b arrow.RecordBatch, dst []uint32) []uint32 {
	if len(s.n.Partition) == 0 {
		return dst[:0]
	}
	cols := make([]arrow.Array, len(s.n.Partition))
	for i, c := range s.n.Partition {
		cols[i] = b.Column(c)
	}
	return s.keys.assign(cols, int(b.NumRows()), dst[:0])
}

func (s *sessionTVF) Process(_ context.Context, b arrow.RecordBatch, _ Emitter) error {
	return s.keep(b, true)
}

// keep adds b's rows with a time (and, when checkLate, not late) to their
// keys' sessions, retaining b if any was kept.
func (s *sessionTVF) keep(b arrow.RecordBatch, checkLate bool) error {
	if s.keys == nil {
		return fmt.Errorf("SESSION windows cannot partition by these column types")
	}
	ts, ok := b.Column(s.n.TimeCol).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("BUG: session window time column is %s", b.Column(s.n.TimeCol).DataType())
	}
	s.groups = s.assignGroups(b, s.groups)
	kb := &keptBatch{b: b}
	if s.logging {
		kb.marks = make([]byte, b.NumRows())
	}
	for i := range ts.Len() {
		if ts.IsNull(i) {
			continue
		}
		t := int64(ts.Value(i))
		if checkLate && t+s.n.Size <= s.wm {
			s.late++
			continue
		}
		var g uint32
		if len(s.groups) > 0 {
			g = s.groups[i]
		}
		s.add(g, t, rowRef{b: kb, row: int32(i)})
		kb.live++
		if kb.marks != nil {
			kb.marks[i] = rowKept
		}
	}
	if kb.live > 0 {
		b.Retain()
		s.bytes += batchBytes(b)
		if s.logging {
			s.log = append(s.log, loggedBatch{closed: s.closed, kb: kb})
		}
	}
	return nil
}

// add puts a row of time t into its key's sessions, merging the sessions
// it bridges: a row joins a session when it is less than gap from one of
// its rows, that is t+gap > start and t < end.
func (s *sessionTVF) add(g uint32, t int64, r rowRef) {
	ss := s.open[g]
	hi := len(ss) // sessions [lo, hi) merge with the row
	for hi > 0 && ss[hi-1].start >= t+s.n.Size {
		hi--
	}
	lo := hi
	for lo > 0 && ss[lo-1].end > t {
		lo--
	}
	if lo == hi {
		s.nOpen++
		s.open[g] = slices.Insert(ss, lo, session{start: t, end: t + s.n.Size, rows: []rowRef{r}})
		return
	}
	// The row joins ss[lo] in place (no copy of its rows per row), and the
	// sessions it bridges fold into it.
	m := &ss[lo]
	m.start, m.end = min(m.start, t), max(m.end, t+s.n.Size)
	m.rows = append(m.rows, r)
	for _, x := range ss[lo+1 : hi] {
		m.end = max(m.end, x.end)
		m.rows = append(m.rows, x.rows...)
	}
	s.nOpen -= hi - lo - 1
	s.open[g] = slices.Delete(ss, lo+1, hi)
}

func (s *sessionTVF) Finish(ctx context.Context, out Emitter) error {
	return s.emit(ctx, out, math.MaxInt64)
}

func (s *sessionTVF) OnWatermark(ctx context.Context, micros int64, out Emitter) error {
	s.wm = max(s.wm, micros)
	return s.emit(ctx, out, s.wm)
}

// closedRows are the rows of one kept batch in the sessions a watermark
// closed, each with its session's window.
type closedRows struct {
	idx        []int32
	start, end []int64
}

// closeSessions forgets every session that ends by wm and returns their
// rows by batch, the batches in the order first met. The caller drops the
// rows from their batches (drop).
func (s *sessionTVF) closeSessions(wm int64) (map[*keptBatch]*closedRows, []*keptBatch) {
	s.closed = max(s.closed, wm)
	per := map[*keptBatch]*closedRows{}
	var order []*keptBatch
	for g, ss := range s.open {
		n := 0
		for n < len(ss) && ss[n].end <= wm { // ends grow with starts
			for _, r := range ss[n].rows {
				p := per[r.b]
				if p == nil {
					p = &closedRows{}
					per[r.b] = p
					order = append(order, r.b)
				}
				p.idx, p.start, p.end = append(p.idx, r.row), append(p.start, ss[n].start), append(p.end, ss[n].end)
				if r.b.marks != nil {
					r.b.marks[r.row] = rowEmitted
				}
			}
			n++
		}
		if n == len(ss) {
			delete(s.open, g)
		} else if n > 0 {
			s.open[g] = ss[n:]
		}
		s.nOpen -= n
	}
	return per, order
}

// drop takes n emitted rows off kb, releasing it after its last.
func (s *sessionTVF) drop(kb *keptBatch, n int) {
	if kb.live -= n; kb.live == 0 {
		s.bytes -= batchBytes(kb.b)
		kb.b.Release()
	}
}

// emit sends the rows of every session that ends by wm, with its window,
// and forgets those sessions.
func (s *sessionTVF) emit(ctx context.Context, out Emitter, wm int64) error {
	per, order := s.closeSessions(wm)
	for _, kb := range order {
		p := per[kb]
		cols, err := takeColumns(ctx, s.alloc, kb.b.Columns(), p.idx)
		if err != nil {
			return err
		}
		tt := kb.b.Column(s.n.TimeCol).DataType().(*arrow.TimestampType)
		// window_start, window_end, and window_time = window_end − 1 ms.
		for k, vals := range [][]int64{p.start, p.end, p.end} {
			shift := int64(0)
			if k == 2 {
				shift = -1000
			}
			tb := array.NewTimestampBuilder(s.alloc, tt)
			tb.Reserve(len(vals))
			for _, v := range vals {
				tb.UnsafeAppend(arrow.Timestamp(v + shift))
			}
			cols = append(cols, tb.NewArray())
			tb.Release()
		}
		rec := array.NewRecordBatch(s.n.Schema(), cols, int64(len(p.idx)))
		releaseAll(cols)
		s.drop(kb, len(p.idx))
		if err := out.Emit(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

// State reports the sessions still open and the late rows.
func (s *sessionTVF) State() (open int, late int64) { return s.nOpen, s.late }

// StateBytes is the memory of the input batches kept (all of each batch
// with a row in an open session).
func (s *sessionTVF) StateBytes() int64 { return s.bytes }

// batchBytes is the size of b's buffers.
func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		for _, buf := range c.Data().Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
	}
	return n
}

// sessionStateVersion is the first byte of a full snapshot. Version 2:
// the watermark, the time sessions were closed up to (s.closed), the late
// count, the number of open sessions and per
// session its number of rows and per row, in the session's order, the
// number of the record holding it; then the rows as an Arrow IPC stream
// of the input's schema, one record per input batch they were kept from,
// each record's rows in the order the sessions name that record, and the
// stream's CRC-32C (see writeRows). A session's window follows from its rows' times. Restoring gives the same
// sessions with the same rows in the same order.
//
// Version 1, written before deltas, held the watermark, the late count and
// the kept rows, added again on restore (restoreV1): a running job keeps
// its sessions across the upgrade.
const sessionStateVersion = 2

// sessionDeltaVersion is the first byte of a delta. Version 1: the
// watermark, the time sessions were closed up to (s.closed), the late
// count, the number of records and per record the time sessions were
// closed up to when its batch came; then, as an Arrow IPC stream of the
// input's schema, one record per batch kept since the last snapshot,
// oldest first, holding those of its kept rows still open, and the
// stream's CRC-32C.
//
// ApplyDelta closes sessions and adds rows in that order, which rebuilds
// the sessions exactly, rows in order: a row left out (its session closed
// since) only ever merged with sessions that closed with it, and a
// session open at the end only ever met rows that are in the delta.
const sessionDeltaVersion = 1

// SnapshotState writes every open session (see sessionStateVersion).
func (s *sessionTVF) SnapshotState(dst []byte) ([]byte, error) {
	s.startDelta()
	w := stateWriter{b: append(dst, sessionStateVersion)}
	w.varint(s.wm)
	w.varint(s.closed)
	w.varint(s.late)
	w.uvarint(uint64(s.nOpen))
	// Groups in number order: equal states give equal bytes.
	gs := make([]uint32, 0, len(s.open))
	for g := range s.open {
		gs = append(gs, g)
	}
	slices.Sort(gs)
	recOf := map[*keptBatch]int{}
	var order []*keptBatch
	var idx [][]int32
	for _, g := range gs {
		for _, x := range s.open[g] {
			w.uvarint(uint64(len(x.rows)))
			for _, r := range x.rows {
				k, ok := recOf[r.b]
				if !ok {
					k = len(order)
					recOf[r.b], order, idx = k, append(order, r.b), append(idx, nil)
				}
				idx[k] = append(idx[k], r.row)
				w.uvarint(uint64(k))
			}
		}
	}
	if err := s.writeRows(&w, order, idx); err != nil {
		return nil, err
	}
	return w.b, nil
}

// SnapshotDelta writes the rows kept since the last snapshot that are
// still open, and the closes between them (see sessionDeltaVersion).
func (s *sessionTVF) SnapshotDelta(dst []byte) ([]byte, error) {
	if !s.logging {
		return nil, fmt.Errorf("BUG: session window delta before a full snapshot")
	}
	w := stateWriter{b: append(dst, sessionDeltaVersion)}
	w.varint(s.wm)
	w.varint(s.closed)
	w.varint(s.late)
	var closes []int64
	var order []*keptBatch
	var idx [][]int32
	for _, e := range s.log {
		var rows []int32
		for i, m := range e.kb.marks {
			if m == rowKept {
				rows = append(rows, int32(i))
			}
		}
		if len(rows) > 0 { // else its rows closed, and the sessions they joined
			closes, order, idx = append(closes, e.closed), append(order, e.kb), append(idx, rows)
		}
	}
	w.uvarint(uint64(len(closes)))
	for _, c := range closes {
		w.varint(c)
	}
	if err := s.writeRows(&w, order, idx); err != nil {
		return nil, err
	}
	s.startDelta()
	return w.b, nil
}

// startDelta empties the log: a snapshot holds what it held.
func (s *sessionTVF) startDelta() {
	for _, e := range s.log {
		e.kb.marks = nil
	}
	clear(s.log) // the batches of closed sessions may go
	s.log, s.logging = s.log[:0], true
}

// crcTable is CRC-32C's, the checksum of snapshotted rows.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// writeRows appends rows idx[k] of batch order[k], per k, as an Arrow IPC
// stream with one record per batch, then the stream's CRC-32C: the IPC
// decoder trusts the lengths in its input (corrupt ones can make it
// allocate without bound), so readRows decodes only a stream that is
// what was written.
func (s *sessionTVF) writeRows(w *stateWriter, order []*keptBatch, idx [][]int32) error {
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(s.n.Input.Schema()), ipc.WithAllocator(s.alloc))
	for k, kb := range order {
		cols, err := takeColumns(context.Background(), s.alloc, kb.b.Columns(), idx[k])
		if err != nil {
			return err
		}
		rec := array.NewRecordBatch(s.n.Input.Schema(), cols, int64(len(idx[k])))
		releaseAll(cols)
		err = iw.Write(rec)
		rec.Release()
		if err != nil {
			return fmt.Errorf("session window state: %w", err)
		}
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("session window state: %w", err)
	}
	w.bytes(buf.Bytes())
	w.uvarint(uint64(crc32.Checksum(buf.Bytes(), crcTable)))
	return nil
}

// rowStream reads the stream and checksum writeRows wrote.
func rowStream(r *stateReader) []byte {
	stream := r.bytes()
	at := r.off
	if sum := r.uvarint(); r.err == nil && sum != uint64(crc32.Checksum(stream, crcTable)) {
		r.off = at
		r.fail("the rows' checksum does not match")
	}
	return stream
}

// readRows checks that r was read to its end, then decodes stream, what
// writeRows wrote: records of the input's schema, each valid and with a
// time in every row. The caller releases them.
func (s *sessionTVF) readRows(r *stateReader, what string, stream []byte) (recs []arrow.RecordBatch, err error) {
	if err := r.done(); err != nil { // the rest of the state is whole first
		return nil, err
	}
	defer func() {
		// Behind the checksum, a last guard: bytes the IPC decoder panics
		// on are as corrupt as those it refuses.
		if r := recover(); r != nil {
			releaseRecords(recs)
			recs, err = nil, errkind.Errorf(errkind.Fatal, "%s state: rows that do not decode: %v", what, r)
		}
	}()
	// No message is longer than the stream (the defaults would refuse a
	// batch over 256 MiB).
	limit := int64(max(len(stream), 4))
	rd, err := ipc.NewReader(bytes.NewReader(stream), ipc.WithSchema(s.n.Input.Schema()), ipc.WithAllocator(s.alloc),
		ipc.WithMetadataSizeLimit(limit), ipc.WithBodySizeLimit(limit))
	if err != nil {
		return nil, errkind.Errorf(errkind.Fatal, "%s state: %w", what, err)
	}
	defer rd.Release()
	for rd.Next() {
		rec := rd.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
		if err := validRows(rec, s.n.TimeCol); err != nil {
			releaseRecords(recs)
			return nil, errkind.Errorf(errkind.Fatal, "%s state: record %d: %w", what, len(recs)-1, err)
		}
	}
	if err := rd.Err(); err != nil {
		releaseRecords(recs)
		return nil, errkind.Errorf(errkind.Fatal, "%s state: %w", what, err)
	}
	return recs, nil
}

// validRows checks rec's columns (offsets and lengths within their
// buffers) and that its time column has no NULL: no kept row lacks one.
func validRows(rec arrow.RecordBatch, timeCol int) error {
	for i, c := range rec.Columns() {
		if v, ok := c.(interface{ ValidateFull() error }); ok {
			if err := v.ValidateFull(); err != nil {
				return fmt.Errorf("column %d: %w", i, err)
			}
		}
		if c.Len() != int(rec.NumRows()) {
			return fmt.Errorf("column %d has %d rows, the record %d", i, c.Len(), rec.NumRows())
		}
	}
	if _, ok := rec.Column(timeCol).(*array.Timestamp); !ok {
		return fmt.Errorf("BUG: the time column is %s", rec.Column(timeCol).DataType())
	}
	if rec.Column(timeCol).NullN() > 0 {
		return fmt.Errorf("a row without a time")
	}
	return nil
}

func releaseRecords(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// RestoreState replaces the state with a snapshot's. Bad bytes give an
// error naming their offset and leave the state empty.
func (s *sessionTVF) RestoreState(state []byte) error {
	s.reset()
	return s.load(state, s.restore)
}

// ApplyDelta applies a delta taken after the state restored. Bad bytes
// give an error and leave the state empty, as for RestoreState.
func (s *sessionTVF) ApplyDelta(delta []byte) error {
	return s.load(delta, s.applyDelta)
}

func (s *sessionTVF) load(b []byte, read func([]byte) error) error {
	if err := read(b); err != nil {
		s.reset()
		return err
	}
	s.startDelta()
	return nil
}

// restoreV1 reads a version 1 snapshot. Its rows have no checksum, so
// readRows' size limits and guard are all that stand between corrupt bytes
// and the decoder; the rows are kept again in their order, as version 1's
// restore did, which rebuilds the same sessions (the order of a session's
// rows may differ from the operator that wrote them, as it did then).
func (s *sessionTVF) restoreV1(state []byte) error {
	r := stateReader{what: "session window", b: state}
	r.header(1)
	wm, late, stream := r.varint(), r.varint(), r.bytes()
	recs, err := s.readRows(&r, "session window", stream)
	if err != nil {
		return err
	}
	defer releaseRecords(recs) // the kept batches retain them
	for _, rec := range recs {
		if err := s.keep(rec, false); err != nil {
			return err
		}
	}
	s.wm, s.closed, s.late = wm, wm, late
	return nil
}

// sessionCounters reads the watermark, the time sessions were closed up to and
// the late count, as full snapshots and deltas begin.
func (r *stateReader) sessionCounters() (wm, closed, late int64) {
	wm, closed, late = r.varint(), r.varint(), r.varint()
	if r.err == nil && closed < wm {
		r.fail("sessions closed up to %d, before the watermark %d", closed, wm)
	}
	return wm, closed, late
}

func (s *sessionTVF) restore(state []byte) error {
	if len(state) > 0 && state[0] == 1 {
		return s.restoreV1(state)
	}
	r := stateReader{what: "session window", b: state}
	r.header(sessionStateVersion)
	wm, closed, late := r.sessionCounters()
	lens := make([]int, r.count(2)) // a session: its number of rows, a row
	var recNos []uint64             // per row of every session in order
	for i := range lens {
		lens[i] = r.count(1)
		if r.err == nil && lens[i] == 0 {
			r.fail("session %d has no rows", i)
		}
		for range lens[i] {
			recNos = append(recNos, r.uvarint())
		}
	}
	stream := rowStream(&r)
	recs, err := s.readRows(&r, "session window", stream)
	if err != nil {
		return err
	}
	defer releaseRecords(recs) // the kept batches retain them
	// Every record's rows, each named once, in order.
	used := make([]int, len(recs))
	for _, k := range recNos {
		if k >= uint64(len(recs)) {
			return errkind.Errorf(errkind.Fatal, "session window state: a row of record %d of %d", k, len(recs))
		}
		used[k]++
	}
	if s.keys == nil {
		return fmt.Errorf("SESSION windows cannot partition by these column types")
	}
	kbs := make([]*keptBatch, len(recs))
	groups := make([][]uint32, len(recs))
	for k, rec := range recs {
		if used[k] != int(rec.NumRows()) {
			return errkind.Errorf(errkind.Fatal, "session window state: record %d has %d rows, the sessions name %d", k, rec.NumRows(), used[k])
		}
		kbs[k] = &keptBatch{b: rec, live: int(rec.NumRows())}
		groups[k] = s.assignGroups(rec, nil)
	}
	open := map[uint32][]session{}
	next := make([]int32, len(recs)) // per record: its next row
	at := 0
	for i, n := range lens {
		x := session{start: math.MaxInt64, end: math.MinInt64, rows: make([]rowRef, n)}
		var g uint32
		for j := range n {
			k := recNos[at+j]
			row := next[k]
			next[k]++
			var rg uint32
			if groups[k] != nil {
				rg = groups[k][row]
			}
			if j == 0 {
				g = rg
			} else if rg != g {
				return errkind.Errorf(errkind.Fatal, "session window state: session %d has rows of two keys", i)
			}
			t := int64(recs[k].Column(s.n.TimeCol).(*array.Timestamp).Value(int(row)))
			x.start, x.end = min(x.start, t), max(x.end, t+s.n.Size)
			x.rows[j] = rowRef{b: kbs[k], row: row}
		}
		at += n
		if x.end <= closed {
			return errkind.Errorf(errkind.Fatal, "session window state: session %d ended by %d, when sessions were closed", i, closed)
		}
		if ss := open[g]; len(ss) > 0 && ss[len(ss)-1].end > x.start {
			return errkind.Errorf(errkind.Fatal, "session window state: session %d overlaps the one before it", i)
		}
		open[g] = append(open[g], x)
	}
	for _, kb := range kbs {
		kb.b.Retain()
		s.bytes += batchBytes(kb.b)
	}
	s.open, s.nOpen = open, len(lens)
	s.wm, s.closed, s.late = wm, closed, late
	return nil
}

func (s *sessionTVF) applyDelta(delta []byte) error {
	r := stateReader{what: "session window delta", b: delta}
	r.header(sessionDeltaVersion)
	wm, closed, late := r.sessionCounters()
	if r.err == nil && closed < s.closed {
		r.fail("sessions closed up to %d, before the %d of the state before", closed, s.closed)
	}
	// Closes only move on, so what the delta's rows met is closed at the
	// end too.
	closes := make([]int64, r.count(2)) // a record: its close, some rows
	for i := range closes {
		at := r.off
		if closes[i] = r.varint(); r.err == nil && (closes[i] > closed || i > 0 && closes[i] < closes[i-1]) {
			r.off = at
			r.fail("record %d after sessions closed up to %d, out of order", i, closes[i])
		}
	}
	stream := rowStream(&r)
	recs, err := s.readRows(&r, "session window delta", stream)
	if err != nil {
		return err
	}
	defer releaseRecords(recs)
	if len(recs) != len(closes) {
		return errkind.Errorf(errkind.Fatal, "session window delta state: %d records, the delta names %d", len(recs), len(closes))
	}
	for i, rec := range recs {
		if closes[i] > s.closed {
			s.discard(closes[i])
		}
		if err := s.keep(rec, false); err != nil {
			return err
		}
	}
	s.discard(closed)
	s.wm, s.late = wm, late
	return nil
}

// discard closes the sessions ending by wm without emitting them, as the
// operator the state came from emitted them.
func (s *sessionTVF) discard(wm int64) {
	per, order := s.closeSessions(wm)
	for _, kb := range order {
		s.drop(kb, len(per[kb].idx))
	}
}

func (s *sessionTVF) Close() {
	for _, ss := range s.open {
		for _, x := range ss {
			for _, r := range x.rows {
				if r.b.live--; r.b.live == 0 {
					r.b.b.Release()
				}
			}
		}
	}
	s.open = nil
}
