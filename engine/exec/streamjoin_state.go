package exec

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// streamJoinStateVersion is the first byte of a StreamJoin's snapshot.
// Version 1: the watermark, then per side (left, right) the number of
// keys and, per key in byte order, the key, its number of rows and per row
// in byte order the row's encoding, copies, matches, last touch and expiry
// (see state_codec.go for the integers and byte strings). Equal states
// give equal bytes, however their rows came and went.
const streamJoinStateVersion = 1

// streamJoinDeltaVersion is the first byte of a StreamJoin's delta.
// Version 1: the watermark, then per side the number of changed rows and
// per row, in the order they first changed, its key, its encoding and its
// copies; 0 copies means the row left the state, otherwise its matches,
// last touch and expiry follow.
const streamJoinDeltaVersion = 1

// mark notes that r changed since the last snapshot. A row dropped and
// inserted again is two joinRows, listed in that order.
func (side *streamSide) mark(r *joinRow) {
	if !r.dirty {
		r.dirty = true
		side.changed = append(side.changed, r)
	}
}

// startDelta forgets the changes: a snapshot holds them.
func (side *streamSide) startDelta() {
	for _, r := range side.changed {
		r.dirty = false
	}
	clear(side.changed) // the dropped rows may go
	side.changed = side.changed[:0]
}

// SnapshotState appends the two tables to dst.
func (s *StreamJoin) SnapshotState(dst []byte) ([]byte, error) {
	// The state's estimate exceeds its encoding: one allocation instead
	// of a copy per doubling of a buffer that may hold gigabytes.
	w := &stateWriter{b: append(slices.Grow(dst, int(s.StateBytes())), streamJoinStateVersion)}
	w.varint(s.wm)
	var sorted []*joinRow
	for _, side := range s.sides {
		side.startDelta()
		keys := make([]string, 0, len(side.rows))
		for k := range side.rows {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.uvarint(uint64(len(keys)))
		for _, k := range keys {
			rows := side.rows[k]
			if len(rows) > 1 {
				sorted = append(sorted[:0], rows...)
				slices.SortFunc(sorted, func(a, b *joinRow) int { return strings.Compare(a.row, b.row) })
				rows = sorted
			}
			w.bytes(readOnly(k))
			w.uvarint(uint64(len(rows)))
			for _, r := range rows {
				w.bytes(readOnly(r.row))
				w.varint(r.count)
				w.varint(r.matches)
				w.varint(r.touched)
				w.varint(r.expiry)
			}
		}
	}
	return w.b, nil
}

// SnapshotDelta appends the rows changed since the last snapshot.
func (s *StreamJoin) SnapshotDelta(dst []byte) ([]byte, error) {
	w := &stateWriter{b: append(dst, streamJoinDeltaVersion)}
	w.varint(s.wm)
	for _, side := range s.sides {
		w.uvarint(uint64(len(side.changed)))
		for _, r := range side.changed {
			w.bytes(readOnly(r.key))
			w.bytes(readOnly(r.row))
			w.varint(r.count)
			if r.count == 0 {
				continue
			}
			w.varint(r.matches)
			w.varint(r.touched)
			w.varint(r.expiry)
		}
		side.startDelta()
	}
	return w.b, nil
}

// RestoreState replaces the tables with a snapshot's. Bad bytes give an
// error naming their offset; the state is then left empty.
func (s *StreamJoin) RestoreState(state []byte) error {
	s.Close()
	return s.load(state, s.restore)
}

// ApplyDelta applies a delta taken after the state restored. Bad bytes
// leave the state empty, as for RestoreState.
func (s *StreamJoin) ApplyDelta(delta []byte) error {
	return s.load(delta, s.applyDelta)
}

func (s *StreamJoin) load(b []byte, read func([]byte) error) error {
	if err := read(b); err != nil {
		s.Close()
		s.wm = math.MinInt64
		return err
	}
	for _, side := range s.sides {
		side.startDelta()
	}
	return nil
}

func (s *StreamJoin) restore(state []byte) error {
	r := &stateReader{what: "streaming join", b: state}
	r.header(streamJoinStateVersion)
	s.wm = r.varint()
	for _, side := range s.sides {
		for range r.count(2) { // a key: its length and its number of rows
			at := r.off
			key := side.readKey(r)
			if _, dup := side.rows[key]; dup && r.err == nil {
				r.off = at
				r.fail("key repeated")
			}
			for range r.count(6) { // a row: its encoding and five numbers
				at := r.off
				jr := &joinRow{key: key, row: side.readRow(r)}
				jr.count, jr.matches, jr.touched, jr.expiry = r.varint(), r.varint(), r.varint(), r.varint()
				if r.err == nil && (jr.count <= 0 || jr.matches < 0) {
					r.off = at
					r.fail("a row that does not decode")
				} else if r.err == nil && side.byRow[jr.row] != nil {
					r.off = at
					r.fail("row repeated")
				}
				if r.err != nil {
					return r.err
				}
				side.add(jr)
			}
		}
	}
	return r.done()
}

func (s *StreamJoin) applyDelta(delta []byte) error {
	r := &stateReader{what: "streaming join delta", b: delta}
	r.header(streamJoinDeltaVersion)
	s.wm = r.varint()
	for _, side := range s.sides {
		for range r.count(3) { // a row: its key, its encoding and its copies
			at := r.off
			key, row := side.readKey(r), side.readRow(r)
			count := r.varint()
			if r.err != nil {
				return r.err
			}
			old := side.byRow[row]
			if count == 0 {
				// A row inserted and dropped since the last delta was never
				// held: dropping nothing is right.
				if old != nil {
					side.drop(old)
				}
				continue
			}
			jr := &joinRow{key: key, row: row, count: count}
			jr.matches, jr.touched, jr.expiry = r.varint(), r.varint(), r.varint()
			switch {
			case r.err != nil:
				return r.err
			case count < 0 || jr.matches < 0:
				r.off = at
				r.fail("a row with %d copies and %d matches", count, jr.matches)
			case old != nil && (old.key != key || old.expiry != jr.expiry):
				// Equal rows have equal keys and times.
				r.off = at
				r.fail("a row that changed its key or expiry")
			}
			if r.err != nil {
				return r.err
			}
			if old != nil {
				old.count, old.matches, old.touched = jr.count, jr.matches, jr.touched
				continue
			}
			if rows := side.rows[key]; len(rows) > 0 {
				jr.key = rows[0].key // share the key's string
			}
			side.add(jr)
		}
	}
	return r.done()
}

// readKey reads a join key, failing r unless it decodes as the side's
// key columns.
func (side *streamSide) readKey(r *stateReader) string {
	at := r.off
	key := string(r.bytes())
	if r.err == nil && !(len(side.keys) > 0 && validRow(side.keyTypes, readOnly(key)) || len(side.keys) == 0 && key == "") {
		r.off = at
		r.fail("a key that does not decode")
	}
	return key
}

// readRow reads a row's encoding, failing r unless it decodes as the
// side's columns.
func (side *streamSide) readRow(r *stateReader) string {
	at := r.off
	row := string(r.bytes())
	if r.err == nil && !validRow(side.types, readOnly(row)) {
		r.off = at
		r.fail("a row that does not decode")
	}
	return row
}

// validRow says whether row is exactly one rowEncoder encoding of values
// of types, so that decodeRows can read it.
func validRow(types []arrow.DataType, row []byte) bool {
	p := 0
	for _, t := range types {
		if p >= len(row) {
			return false
		}
		null := row[p]
		p++
		switch {
		case null == 0:
			continue
		case null != 1 || t.ID() == arrow.NULL:
			return false
		}
		switch t.ID() {
		case arrow.STRING, arrow.BINARY:
			if len(row)-p < 4 {
				return false
			}
			l := int(binary.LittleEndian.Uint32(row[p:]))
			if l < 0 || l > len(row)-p-4 {
				return false
			}
			p += 4 + l
		case arrow.BOOL:
			if p >= len(row) || row[p] > 1 {
				return false
			}
			p++
		default:
			w := width(t)
			if len(row)-p < w {
				return false
			}
			p += w
		}
	}
	return p == len(row)
}
