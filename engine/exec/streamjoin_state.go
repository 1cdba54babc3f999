package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// streamJoinStateVersion is the first byte of a StreamJoin's snapshot.
// Version 1: the watermark, then per side (left, right) the number of
// keys and, per key in byte order, the key, its number of rows and per row
// the row's encoding, copies, matches, last touch and expiry. Integers
// are varints; byte strings a uvarint length and the bytes.
const streamJoinStateVersion = 1

// SnapshotState appends the two tables to dst.
func (s *StreamJoin) SnapshotState(dst []byte) ([]byte, error) {
	dst = append(dst, streamJoinStateVersion)
	dst = binary.AppendVarint(dst, s.wm)
	for _, side := range s.sides {
		keys := make([]string, 0, len(side.rows))
		for k := range side.rows {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = binary.AppendUvarint(dst, uint64(len(keys)))
		for _, k := range keys {
			rows := side.rows[k]
			dst = appendBytes(dst, []byte(k))
			dst = binary.AppendUvarint(dst, uint64(len(rows)))
			for _, r := range rows {
				dst = appendBytes(dst, readOnly(r.row))
				dst = binary.AppendVarint(dst, r.count)
				dst = binary.AppendVarint(dst, r.matches)
				dst = binary.AppendVarint(dst, r.touched)
				dst = binary.AppendVarint(dst, r.expiry)
			}
		}
	}
	return dst, nil
}

func appendBytes(dst, b []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
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
	d := stateDecoder{buf: state}
	if v := d.byte(); d.err == nil && v != streamJoinStateVersion {
		return fmt.Errorf("streaming join state at byte 0: version %d, this wharf reads version %d", v, streamJoinStateVersion)
	}
	s.wm = d.varint()
	for _, side := range s.sides {
		nkeys := d.count()
		for range nkeys {
			at := d.off
			key := string(d.bytes())
			if d.err == nil && (len(side.keys) > 0 && !validRow(side.keyTypes, []byte(key)) || len(side.keys) == 0 && key != "") {
				return fmt.Errorf("streaming join state at byte %d: a key that does not decode", at)
			}
			if _, dup := side.rows[key]; dup && d.err == nil {
				return fmt.Errorf("streaming join state at byte %d: key repeated", at)
			}
			nrows := d.count()
			for range nrows {
				at := d.off
				r := &joinRow{key: key, row: string(d.bytes())}
				r.count, r.matches, r.touched, r.expiry = d.varint(), d.varint(), d.varint(), d.varint()
				if d.err != nil {
					return d.err
				}
				if !validRow(side.types, readOnly(r.row)) || r.count <= 0 || r.matches < 0 {
					return fmt.Errorf("streaming join state at byte %d: a row that does not decode", at)
				}
				if side.byRow[r.row] != nil {
					return fmt.Errorf("streaming join state at byte %d: row repeated", at)
				}
				side.add(r)
			}
		}
	}
	if d.err == nil && d.off != len(state) {
		return fmt.Errorf("streaming join state at byte %d: %d bytes after the end", d.off, len(state)-d.off)
	}
	return d.err
}

// stateDecoder reads a snapshot, keeping its first error.
type stateDecoder struct {
	buf []byte
	off int
	err error
}

var errStateTruncated = errors.New("truncated")

func (d *stateDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("streaming join state at byte %d: %s %w", d.off, what, errStateTruncated)
	}
}

func (d *stateDecoder) byte() byte {
	if d.err != nil || d.off >= len(d.buf) {
		d.fail("version")
		return 0
	}
	d.off++
	return d.buf[d.off-1]
}

func (d *stateDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf[d.off:])
	if n <= 0 {
		d.fail("integer")
		return 0
	}
	d.off += n
	return v
}

func (d *stateDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		d.fail("length")
		return 0
	}
	d.off += n
	return v
}

// count reads a number of items, bounded by the bytes left (every item
// takes at least one).
func (d *stateDecoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.buf)-d.off) {
		d.fail("count")
		return 0
	}
	return int(v)
}

func (d *stateDecoder) bytes() []byte {
	l := d.uvarint()
	if d.err != nil {
		return nil
	}
	if l > uint64(len(d.buf)-d.off) {
		d.fail("byte string")
		return nil
	}
	b := append([]byte(nil), d.buf[d.off:d.off+int(l)]...)
	d.off += int(l)
	return b
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
