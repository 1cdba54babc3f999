package exec

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzSessionDelta feeds arbitrary bytes to a SESSION window's
// RestoreState (first byte even) or, after a real full snapshot, its
// ApplyDelta (odd). Invariants: no panic; refused bytes leave the state
// empty; accepted ones give consistent accounting, a state whose snapshot
// restores to the same sessions, and emit without error; every buffer is
// released after Close.
func FuzzSessionDelta(f *testing.F) {
	ctx := context.Background()
	// Seeds: a real base, then real full snapshots and deltas after it.
	var base []byte
	op := newSessionOp(memory.DefaultAllocator)
	for _, ev := range randomSessionRun(rand.New(rand.NewPCG(5, 6)), 400) {
		switch {
		case ev.rows != nil:
			if err := op.Process(ctx, sessBatch(memory.DefaultAllocator, ev.rows), nil); err != nil {
				f.Fatal(err)
			}
		case !ev.barrier:
			if err := op.OnWatermark(ctx, ev.wm, sessOutput{}); err != nil {
				f.Fatal(err)
			}
		case base == nil:
			var err error
			if base, err = op.SnapshotState(nil); err != nil {
				f.Fatal(err)
			}
			f.Add(append([]byte{0}, base...))
		default:
			d, err := op.SnapshotDelta([]byte{1})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(d)
		}
	}
	op.Close()
	// A version 1 snapshot (before deltas): its rows without a checksum.
	var stream bytes.Buffer
	iw := ipc.NewWriter(&stream, ipc.WithSchema(sessSchema))
	rows := sessBatch(memory.DefaultAllocator, []sessRow{{key: 1, id: 1, t: 5}, {key: 2, id: 2, t: 7}, {key: 1, id: 3, t: 9_000}})
	if err := iw.Write(rows); err != nil {
		f.Fatal(err)
	}
	rows.Release()
	if err := iw.Close(); err != nil {
		f.Fatal(err)
	}
	v1 := stateWriter{b: []byte{0, 1}}
	v1.varint(0)
	v1.varint(0)
	v1.bytes(stream.Bytes())
	f.Add(v1.b)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		op := newSessionOp(mem)
		defer op.Close()
		var err error
		if data[0]%2 == 0 {
			err = op.RestoreState(data[1:])
		} else {
			if err := op.RestoreState(base); err != nil {
				t.Fatal(err)
			}
			err = op.ApplyDelta(data[1:])
		}
		if err != nil {
			if op.nOpen != 0 || op.bytes != 0 || len(op.open) != 0 {
				t.Fatalf("refused state (%v) left %d sessions of %d bytes", err, op.nOpen, op.bytes)
			}
			return
		}
		checkSessionBytes(t, op)
		full, err := op.SnapshotState(nil)
		if err != nil {
			t.Fatal(err)
		}
		again := newSessionOp(mem)
		defer again.Close()
		if err := again.RestoreState(full); err != nil {
			t.Fatalf("a restored state's snapshot does not restore: %v", err)
		}
		if g, w := sessionDump(again), sessionDump(op); g != w {
			t.Fatalf("a restored state's snapshot restores to\n%s\nnot\n%s", g, w)
		}
		if _, err := op.SnapshotDelta(nil); err != nil {
			t.Fatal(err)
		}
		if err := op.OnWatermark(ctx, math.MaxInt64-1, sessOutput{}); err != nil {
			t.Fatal(err)
		}
		if err := op.Finish(ctx, sessOutput{}); err != nil {
			t.Fatal(err)
		}
	})
}
