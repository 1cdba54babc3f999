package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/plan"
)

// sessLeaf is a plan leaf of a given schema: the SESSION window's input.
type sessLeaf struct{ schema *arrow.Schema }

func (n sessLeaf) Schema() *arrow.Schema { return n.schema }
func (sessLeaf) Children() []plan.Node   { return nil }

// The input of these tests: a string key (sometimes NULL), a row id and a
// time (sometimes NULL); sessions of a 10 ms gap.
var (
	sessTS     = &arrow.TimestampType{Unit: arrow.Microsecond}
	sessSchema = arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ts", Type: sessTS, Nullable: true},
	}, nil)
)

const sessGap = 10_000

func newSessionOp(mem memory.Allocator) *sessionTVF {
	tvf := plan.NewWindowTVF(sessLeaf{sessSchema}, "SESSION", 2, sessGap, 0, 0)
	tvf.Partition = []int{0}
	return NewSessionTVF(tvf, mem).(*sessionTVF)
}

// sessRow is an input row; key < 0 is a NULL key, noTime a NULL time.
type sessRow struct {
	key, id, t int64
	noTime     bool
}

func sessBatch(mem memory.Allocator, rows []sessRow) arrow.RecordBatch {
	k, v, ts := array.NewStringBuilder(mem), array.NewInt64Builder(mem), array.NewTimestampBuilder(mem, sessTS)
	defer k.Release()
	defer v.Release()
	defer ts.Release()
	for _, r := range rows {
		if r.key < 0 {
			k.AppendNull()
		} else {
			k.Append(fmt.Sprintf("key%d", r.key))
		}
		v.Append(r.id)
		if r.noTime {
			ts.AppendNull()
		} else {
			ts.Append(arrow.Timestamp(r.t))
		}
	}
	cols := []arrow.Array{k.NewArray(), v.NewArray(), ts.NewArray()}
	defer releaseAll(cols)
	return array.NewRecordBatch(sessSchema, cols, int64(len(rows)))
}

type sessEvent = runStep[sessRow]

// randomSessionRun returns a run of about n rows over a few keys: times
// mostly rising, out of order by up to twice the gap (rows that bridge
// two sessions), pauses longer than the gap (sessions that end), some
// late rows and NULLs, and watermarks trailing the times by a random lag.
func randomSessionRun(r *rand.Rand, n int) []sessEvent {
	var evs []sessEvent
	clock, id := int64(1_000_000), int64(0)
	keys := 1 + r.IntN(6)
	for id < int64(n) {
		rows := make([]sessRow, 1+r.IntN(25))
		if r.IntN(4) == 0 {
			rows = rows[:1] // one row: a test can see it bridge two sessions
		}
		for i := range rows {
			clock += int64(r.IntN(3_000))
			if r.IntN(30) == 0 {
				clock += sessGap + int64(r.IntN(4*sessGap)) // a pause
			}
			t := clock - int64(r.IntN(2*sessGap))
			if r.IntN(30) == 0 {
				t = clock - 10*sessGap // most likely late
			}
			rows[i] = sessRow{key: int64(r.IntN(keys)), id: id, t: t, noTime: r.IntN(50) == 0}
			if r.IntN(25) == 0 {
				rows[i].key = -1
			}
			id++
		}
		evs = append(evs, sessEvent{rows: rows})
		if r.IntN(2) == 0 {
			evs = append(evs, sessEvent{wm: clock - int64(r.IntN(3*sessGap))})
		}
		if r.IntN(3) == 0 {
			evs = append(evs, sessEvent{barrier: true})
		}
	}
	return evs
}

// sessionDump describes s's state in a canonical form: its counters, then
// per session (by key, then start) its window and its rows' ids in order.
func sessionDump(s *sessionTVF) string {
	var lines []string
	for _, ss := range s.open {
		for _, x := range ss {
			r := x.rows[0]
			key := "NULL"
			if k := r.b.b.Column(0).(*array.String); k.IsValid(int(r.row)) {
				key = k.Value(int(r.row))
			}
			ids := make([]string, len(x.rows))
			for i, r := range x.rows {
				ids[i] = fmt.Sprint(r.b.b.Column(1).(*array.Int64).Value(int(r.row)))
			}
			lines = append(lines, fmt.Sprintf("%s [%d,%d) %s", key, x.start, x.end, strings.Join(ids, " ")))
		}
	}
	slices.Sort(lines)
	return fmt.Sprintf("wm=%d closed=%d late=%d open=%d\n%s", s.wm, s.closed, s.late, s.nOpen, strings.Join(lines, "\n"))
}

// checkSessionBytes checks s's accounting: each kept batch's live count is
// its rows in sessions, bytes the sum of those batches, nOpen the sessions.
func checkSessionBytes(t testing.TB, s *sessionTVF) {
	t.Helper()
	refs, n := map[*keptBatch]int{}, 0
	for _, ss := range s.open {
		n += len(ss)
		for _, x := range ss {
			for _, r := range x.rows {
				refs[r.b]++
			}
		}
	}
	var bytes int64
	for kb, c := range refs {
		if kb.live != c {
			t.Fatalf("a kept batch counts %d live rows, sessions hold %d", kb.live, c)
		}
		bytes += batchBytes(kb.b)
	}
	if bytes != s.bytes || n != s.nOpen {
		t.Fatalf("state counts %d bytes in %d sessions, holds %d in %d", s.bytes, s.nOpen, bytes, n)
	}
}

// sessOutput collects emitted rows as a multiset of k|v|ts|start|end|time.
type sessOutput map[string]int

func (o sessOutput) Emit(_ context.Context, b arrow.RecordBatch) error {
	defer b.Release()
	for i := range int(b.NumRows()) {
		var parts []string
		for _, c := range b.Columns() {
			parts = append(parts, c.ValueStr(i))
		}
		o[strings.Join(parts, "|")]++
	}
	return nil
}

// TestSessionDeltaEqualsUninterrupted: an operator snapshotted at random
// barriers, full or as deltas, and restored at random barriers from the
// last full snapshot and the deltas after it holds exactly the state of
// one that ran uninterrupted (same sessions, same rows in the same order,
// same counters), and emits the same rows.
func TestSessionDeltaEqualsUninterrupted(t *testing.T) {
	ctx := context.Background()
	var restores, deltas, late, merged int
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 11))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		evs := randomSessionRun(r, 300+r.IntN(1500))
		ref, op := newSessionOp(mem), newSessionOp(mem)
		want, got := sessOutput{}, sessOutput{}
		var chain [][]byte
		for i, ev := range evs {
			switch {
			case ev.rows != nil:
				open := ref.nOpen
				for _, x := range []*sessionTVF{ref, op} {
					b := sessBatch(mem, ev.rows)
					if err := x.Process(ctx, b, nil); err != nil {
						t.Fatal(err)
					}
					b.Release()
				}
				if len(ev.rows) == 1 && ref.nOpen < open {
					merged++
				}
			case !ev.barrier:
				if err := ref.OnWatermark(ctx, ev.wm, want); err != nil {
					t.Fatal(err)
				}
				if err := op.OnWatermark(ctx, ev.wm, got); err != nil {
					t.Fatal(err)
				}
			default:
				full := len(chain) == 0 || r.IntN(5) == 0
				take := op.SnapshotDelta
				if full {
					take, chain = op.SnapshotState, nil
				}
				b, err := take([]byte("prefix"))
				if err != nil {
					t.Fatal(err)
				}
				chain = append(chain, b[len("prefix"):])
				if r.IntN(4) != 0 {
					continue
				}
				op.Close()
				op = newSessionOp(mem)
				if err := op.RestoreState(chain[0]); err != nil {
					t.Fatal(err)
				}
				for _, d := range chain[1:] {
					if err := op.ApplyDelta(d); err != nil {
						t.Fatal(err)
					}
				}
				restores, deltas = restores+1, deltas+len(chain)-1
				if g, w := sessionDump(op), sessionDump(ref); g != w {
					t.Fatalf("seed %d, event %d: restored from a snapshot and %d deltas:\n%s\nuninterrupted:\n%s", seed, i, len(chain)-1, g, w)
				}
				checkSessionBytes(t, op)
				checkSessionBytes(t, ref)
			}
		}
		if err := ref.Finish(ctx, want); err != nil {
			t.Fatal(err)
		}
		if err := op.Finish(ctx, got); err != nil {
			t.Fatal(err)
		}
		if ref.late != op.late {
			t.Fatalf("seed %d: %d late rows, uninterrupted %d", seed, op.late, ref.late)
		}
		late += int(ref.late)
		for k, n := range want {
			if got[k] != n {
				t.Fatalf("seed %d: row %s emitted %d times, uninterrupted %d", seed, k, got[k], n)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("seed %d: %d distinct rows emitted, uninterrupted %d", seed, len(got), len(want))
		}
		ref.Close()
		op.Close()
		mem.AssertSize(t, 0)
	}
	// The runs must exercise what deltas carry.
	if restores < 40 || deltas < 100 || late == 0 || merged == 0 {
		t.Fatalf("%d restores over %d deltas, %d late rows, %d merges: the runs do not exercise deltas", restores, deltas, late, merged)
	}
	t.Logf("%d restores over %d deltas, %d late rows, %d merges", restores, deltas, late, merged)
}

// TestSessionStateErrors: states that decode but are not consistent are
// refused with what is wrong, and leave the operator empty.
func TestSessionStateErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src := newSessionOp(mem)
	defer src.Close()
	// Two rows of key0 20 ms apart (two sessions), one of key1.
	rec := sessBatch(mem, []sessRow{{key: 0, id: 0, t: 100_000}, {key: 0, id: 1, t: 120_000}, {key: 1, id: 2, t: 100_000}})
	defer rec.Release()
	kb := &keptBatch{b: rec}
	// state writes a full snapshot of rec's rows in sessions of the rows
	// named, then mangles it; extra rows are in the stream, in no session.
	state := func(wm, closed int64, sessions [][]int32, mangle func([]byte) []byte, extra ...int32) []byte {
		w := stateWriter{b: []byte{sessionStateVersion}}
		w.varint(wm)
		w.varint(closed)
		w.varint(0)
		w.uvarint(uint64(len(sessions)))
		var idx []int32
		for _, x := range sessions {
			w.uvarint(uint64(len(x)))
			for _, row := range x {
				w.uvarint(0)
				idx = append(idx, row)
			}
		}
		if err := src.writeRows(&w, []*keptBatch{kb}, [][]int32{append(idx, extra...)}); err != nil {
			t.Fatal(err)
		}
		if mangle != nil {
			return mangle(w.b)
		}
		return w.b
	}
	// delta writes a delta of closes and, per close up to nrec, a row.
	delta := func(wm, closed int64, closes []int64, nrec int) []byte {
		w := stateWriter{b: []byte{sessionDeltaVersion}}
		w.varint(wm)
		w.varint(closed)
		w.varint(0)
		w.uvarint(uint64(len(closes)))
		for _, c := range closes {
			w.varint(c)
		}
		if err := src.writeRows(&w, []*keptBatch{kb, kb}[:nrec], [][]int32{{0}, {1}}[:nrec]); err != nil {
			t.Fatal(err)
		}
		return w.b
	}
	// v1 writes a version 1 snapshot (before deltas: the rows, no
	// checksum) of the rows of kb.
	v1 := func() []byte {
		rows := stateWriter{}
		if err := src.writeRows(&rows, []*keptBatch{kb}, [][]int32{{0, 1, 2}}); err != nil {
			t.Fatal(err)
		}
		r := stateReader{b: rows.b}
		w := stateWriter{b: []byte{1}}
		w.varint(0)
		w.varint(0)
		w.bytes(r.bytes())
		return w.b
	}
	good := [][]int32{{0}, {1}, {2}}
	flip := func(b []byte) []byte { b[len(b)-3] ^= 1; return b } // in the stream
	for _, c := range []struct {
		name  string
		state []byte
		delta []byte
		err   string
	}{
		{"empty", []byte{}, nil, "empty"},
		{"version 1 cut short", []byte{1, 0, 0}, nil, "at byte 3: truncated"},
		{"version 1", v1(), nil, ""},
		{"version 3", []byte{3, 0, 0}, nil, "version 3, this wharf reads version 2"},
		{"closed before the watermark", state(50, 40, good, nil), nil, "closed up to 40, before the watermark 50"},
		{"a session closed", state(0, 110_000, good, nil), nil, "ended by 110000"},
		{"corrupt rows", state(0, 0, good, flip), nil, "checksum does not match"},
		{"two keys in a session", state(0, 0, [][]int32{{0, 2}, {1}}, nil), nil, "rows of two keys"},
		{"overlapping sessions", state(0, 0, [][]int32{{1}, {0}, {2}}, nil), nil, "overlaps the one before it"},
		{"a row in no session", state(0, 0, [][]int32{{0}, {1}}, nil, 2), nil, "record 0 has 3 rows, the sessions name 2"},
		{"a session of no rows", state(0, 0, [][]int32{{0}, {}, {1}, {2}}, nil), nil, "session 1 has no rows"},
		{"good", state(0, 0, good, nil), nil, ""},
		{"delta closes out of order", state(0, 0, good, nil), delta(0, 10, []int64{5, 4}, 2), "record 1 after sessions closed up to 4, out of order"},
		{"delta closes after its end", state(0, 0, good, nil), delta(0, 10, []int64{11}, 1), "record 0 after sessions closed up to 11"},
		{"delta before its base", state(0, 20, good, nil), delta(0, 10, nil, 0), "closed up to 10, before the 20 of the state before"},
		{"delta with more records", state(0, 0, good, nil), delta(0, 10, []int64{5, 6}, 1), "1 records, the delta names 2"},
		{"good delta", state(0, 0, good, nil), delta(0, 10, []int64{5, 6}, 2), ""},
	} {
		op := newSessionOp(mem)
		err := op.RestoreState(c.state)
		if err == nil && c.delta != nil {
			err = op.ApplyDelta(c.delta)
		}
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: got %v, want %q", c.name, err, c.err)
		case err != nil && (op.nOpen != 0 || op.bytes != 0):
			t.Errorf("%s: refused, yet %d sessions kept", c.name, op.nOpen)
		}
		op.Close()
	}
	// A version 1 snapshot restores the sessions version 2 holds.
	for name, b := range map[string][]byte{"version 1": v1(), "version 2": state(0, 0, good, nil)} {
		op := newSessionOp(mem)
		if err := op.RestoreState(b); err != nil {
			t.Fatal(err)
		}
		var rows []int
		for _, ss := range op.open {
			for _, x := range ss {
				rows = append(rows, len(x.rows))
			}
		}
		slices.Sort(rows)
		if op.nOpen != 3 || !slices.Equal(rows, []int{1, 1, 1}) {
			t.Errorf("%s: %d sessions of %v rows, want 3 of one row", name, op.nOpen, rows)
		}
		op.Close()
	}
}
