package exec

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/plan"
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
// bounded part of it could not rebuild them).
type sessionTVF struct {
	n      *plan.WindowTVF
	alloc  memory.Allocator
	keys   grouper              // partition key → group number
	groups []uint32             // scratch: each row's group
	open   map[uint32][]session // per group: its sessions by start, disjoint
	nOpen  int
	bytes  int64 // of the kept batches
	wm     int64
	late   int64
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
}

// NewSessionTVF returns the operator for a SESSION window TVF.
func NewSessionTVF(n *plan.WindowTVF, alloc memory.Allocator) Operator {
	types := make([]arrow.DataType, len(n.Partition))
	for i, c := range n.Partition {
		types[i] = n.Input.Schema().Field(c).Type
	}
	keys, err := newGrouper(types)
	if err != nil {
		keys = nil // a key type no grouper handles: keep refuses each batch
	}
	return &sessionTVF{n: n, alloc: alloc, keys: keys, open: map[uint32][]session{}, wm: math.MinInt64}
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
	cols := make([]arrow.Array, len(s.n.Partition))
	for i, c := range s.n.Partition {
		cols[i] = b.Column(c)
	}
	s.groups = s.groups[:0]
	if len(cols) > 0 {
		s.groups = s.keys.assign(cols, int(b.NumRows()), s.groups)
	}
	kb := &keptBatch{b: b}
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
		if len(cols) > 0 {
			g = s.groups[i]
		}
		s.add(g, t, rowRef{b: kb, row: int32(i)})
		kb.live++
	}
	if kb.live > 0 {
		b.Retain()
		s.bytes += batchBytes(b)
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

// emit sends the rows of every session that ends by wm, with its window,
// and forgets those sessions.
func (s *sessionTVF) emit(ctx context.Context, out Emitter, wm int64) error {
	type bounds struct {
		idx        []int32
		start, end []int64
	}
	per := map[*keptBatch]*bounds{}
	var order []*keptBatch
	for g, ss := range s.open {
		n := 0
		for n < len(ss) && ss[n].end <= wm { // ends grow with starts
			for _, r := range ss[n].rows {
				p := per[r.b]
				if p == nil {
					p = &bounds{}
					per[r.b] = p
					order = append(order, r.b)
				}
				p.idx, p.start, p.end = append(p.idx, r.row), append(p.start, ss[n].start), append(p.end, ss[n].end)
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
		if kb.live -= len(p.idx); kb.live == 0 {
			s.bytes -= batchBytes(kb.b)
			kb.b.Release()
		}
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

const sessionStateVersion = 1

// SnapshotState writes the watermark, the late count and the kept rows
// (as an Arrow IPC stream, in the order they were kept).
func (s *sessionTVF) SnapshotState(dst []byte) ([]byte, error) {
	w := stateWriter{b: append(dst, sessionStateVersion)}
	w.varint(s.wm)
	w.varint(s.late)
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(s.n.Input.Schema()), ipc.WithAllocator(s.alloc))
	byBatch := map[*keptBatch][]int32{}
	var order []*keptBatch
	for _, ss := range s.open {
		for _, x := range ss {
			for _, r := range x.rows {
				if _, ok := byBatch[r.b]; !ok {
					order = append(order, r.b)
				}
				byBatch[r.b] = append(byBatch[r.b], r.row)
			}
		}
	}
	for _, kb := range order {
		idx := byBatch[kb]
		slices.Sort(idx)
		cols, err := takeColumns(context.Background(), s.alloc, kb.b.Columns(), idx)
		if err != nil {
			return nil, err
		}
		rec := array.NewRecordBatch(s.n.Input.Schema(), cols, int64(len(idx)))
		releaseAll(cols)
		err = iw.Write(rec)
		rec.Release()
		if err != nil {
			return nil, fmt.Errorf("session window state: %w", err)
		}
	}
	if err := iw.Close(); err != nil {
		return nil, fmt.Errorf("session window state: %w", err)
	}
	w.bytes(buf.Bytes())
	return w.b, nil
}

// RestoreState loads what SnapshotState wrote into a fresh operator.
func (s *sessionTVF) RestoreState(state []byte) error {
	r := stateReader{what: "session window", b: state}
	r.header(sessionStateVersion)
	wm, late, stream := r.varint(), r.varint(), r.bytes()
	if err := r.done(); err != nil {
		return err
	}
	rd, err := ipc.NewReader(bytes.NewReader(stream), ipc.WithSchema(s.n.Input.Schema()), ipc.WithAllocator(s.alloc))
	if err != nil {
		return fmt.Errorf("session window state: %w", err)
	}
	defer rd.Release()
	for rd.Next() {
		if err := s.keep(rd.RecordBatch(), false); err != nil {
			return err
		}
	}
	if err := rd.Err(); err != nil {
		return fmt.Errorf("session window state: %w", err)
	}
	s.wm, s.late = wm, late
	return nil
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
