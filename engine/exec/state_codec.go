package exec

import (
	"encoding/binary"
	"fmt"

	"github.com/wharfdata/wharf/internal/errkind"
)

// The byte encoding of operator snapshots (Snapshotter): varints and
// length-prefixed byte strings, appended in a fixed order per operator.
// Reading stops at the first malformed field with the byte offset where it
// starts; state that does not decode is fatal (a restart cannot fix it).

type stateWriter struct{ b []byte }

func (w *stateWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *stateWriter) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *stateWriter) bytes(v []byte) {
	w.uvarint(uint64(len(v)))
	w.b = append(w.b, v...)
}

type stateReader struct {
	what string // the operator, for errors
	b    []byte
	off  int
	err  error
}

func (r *stateReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = errkind.Errorf(errkind.Fatal, "%s state: at byte %d: %s", r.what, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *stateReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("truncated or overlong number")
		return 0
	}
	r.off += n
	return v
}

func (r *stateReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("truncated or overlong number")
		return 0
	}
	r.off += n
	return v
}

// count reads a number of items, each at least min bytes long, refusing
// counts the remaining bytes cannot hold (so a corrupt count cannot make
// the reader allocate without bound).
func (r *stateReader) count(min int) int {
	at := r.off
	v := r.uvarint()
	if r.err == nil && v > uint64(len(r.b)-r.off)/uint64(max(min, 1)) {
		r.off = at
		r.fail("count %d exceeds the remaining %d bytes", v, len(r.b)-r.off)
		return 0
	}
	return int(v)
}

// bytes returns a copy of a length-prefixed byte string.
func (r *stateReader) bytes() []byte {
	n := r.count(1)
	if r.err != nil {
		return nil
	}
	out := append([]byte(nil), r.b[r.off:r.off+n]...)
	r.off += n
	return out
}

// done checks that every byte was read.
func (r *stateReader) done() error {
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d bytes left over", len(r.b)-r.off)
	}
	return r.err
}

// header checks the version byte.
func (r *stateReader) header(version byte) {
	if len(r.b) == 0 {
		r.fail("empty")
		return
	}
	if r.b[0] != version {
		r.fail("version %d, this wharf reads version %d", r.b[0], version)
		return
	}
	r.off = 1
}
