package exec

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// streamJoinStateVersion is the first byte of a StreamJoin's snapshot.
// Version 1: the watermark, then per side (left, right) the number of
// keys and, per key in byte order, the key, its number of rows and per row
// the row's encoding, copies, matches, last touch and expiry (see
// state_codec.go for the integers and byte strings).
const streamJoinStateVersion = 1

// SnapshotState appends the two tables to dst.
func (s *StreamJoin) SnapshotState(dst []byte) ([]byte, error) {
	w := &stateWriter{b: append(dst, streamJoinStateVersion)}
	w.varint(s.wm)
	for _, side := range s.sides {
		keys := make([]string, 0, len(side.rows))
		for k := range side.rows {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.uvarint(uint64(len(keys)))
		for _, k := range keys {
			rows := side.rows[k]
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

// RestoreState replaces the tables with a snapshot's. Bad bytes give an
// error naming their offset; the state is then left empty.
func (s *StreamJoin) RestoreState(state []byte) error {
	s.Close()
	if err := s.restore(state); err != nil {
		s.Close()
		s.wm = math.MinInt64
		return err
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
			key := string(r.bytes())
			if r.err == nil && !(len(side.keys) > 0 && validRow(side.keyTypes, readOnly(key)) || len(side.keys) == 0 && key == "") {
				r.off = at
				r.fail("a key that does not decode")
			}
			if _, dup := side.rows[key]; dup && r.err == nil {
				r.off = at
				r.fail("key repeated")
			}
			for range r.count(6) { // a row: its encoding and five numbers
				at := r.off
				jr := &joinRow{key: key, row: string(r.bytes())}
				jr.count, jr.matches, jr.touched, jr.expiry = r.varint(), r.varint(), r.varint(), r.varint()
				if r.err != nil {
					return r.err
				}
				if !validRow(side.types, readOnly(jr.row)) || jr.count <= 0 || jr.matches < 0 {
					r.off = at
					r.fail("a row that does not decode")
				} else if side.byRow[jr.row] != nil {
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
