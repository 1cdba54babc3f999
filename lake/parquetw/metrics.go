package parquetw

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/iceberg-go"
	"github.com/parquet-go/parquet-go/format"
)

// Table properties that choose column metrics (Iceberg's names).
const (
	metricsDefaultKey  = "write.metadata.metrics.default"
	metricsColumnKey   = "write.metadata.metrics.column."
	metricsDefaultMode = "truncate(16)"
)

type modeKind uint8

const (
	modeNone modeKind = iota
	modeCounts
	modeTruncate
	modeFull
)

// metricsMode is one column's metrics mode: none, counts, truncate(n) or full.
type metricsMode struct {
	kind modeKind
	n    int
}

var truncateMode = regexp.MustCompile(`^truncate\((\d+)\)$`)

func parseMetricsMode(s string) (metricsMode, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "none":
		return metricsMode{kind: modeNone}, nil
	case "counts":
		return metricsMode{kind: modeCounts}, nil
	case "full":
		return metricsMode{kind: modeFull}, nil
	}
	if m := truncateMode.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil && n > 0 {
			return metricsMode{kind: modeTruncate, n: n}, nil
		}
	}
	return metricsMode{}, fmt.Errorf("parquetw: metrics mode %q: want none, counts, truncate(n) with n > 0, or full", s)
}

// metricsModes resolves each column's metrics mode from the table
// properties: write.metadata.metrics.column.<name>, else
// write.metadata.metrics.default, else truncate(16). Truncation applies to
// strings and binary only; other types get full bounds under truncate(n), as
// in Iceberg's Java and Go writers.
func metricsModes(props iceberg.Properties, cols []column) ([]metricsMode, error) {
	def, err := parseMetricsMode(props.Get(metricsDefaultKey, metricsDefaultMode))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", metricsDefaultKey, err)
	}
	modes := make([]metricsMode, len(cols))
	for i, c := range cols {
		m := def
		if v, ok := props[metricsColumnKey+c.name]; ok {
			if m, err = parseMetricsMode(v); err != nil {
				return nil, fmt.Errorf("%s%s: %w", metricsColumnKey, c.name, err)
			}
		}
		if m.kind == modeTruncate {
			switch c.typ.(type) {
			case iceberg.StringType, iceberg.BinaryType:
			default:
				m = metricsMode{kind: modeFull}
			}
		}
		modes[i] = m
	}
	return modes, nil
}

// fileMetrics are the Iceberg metrics of one data file, keyed by field id.
type fileMetrics struct {
	records                       int64
	colSizes, values, nulls, nans map[int]int64
	lower, upper                  map[int][]byte
	splitOffsets                  []int64
}

// metricsOf computes a file's Iceberg metrics from its Parquet footer and
// the writer's per-column state, as the Iceberg spec defines them:
//   - column_sizes: compressed bytes of the column's chunks;
//   - value_counts and null_value_counts: values (nulls included) and nulls;
//   - nan_value_counts: NaNs of float and double columns, counted while
//     writing (Parquet statistics have none);
//   - lower_bounds and upper_bounds: over non-null, non-NaN values, in
//     Iceberg's single-value serialization; under truncate(n) a string or
//     binary lower bound is its first n code points or bytes, and an upper
//     bound is truncated and then incremented (dropped if it cannot be);
//     floating-point bounds follow Parquet's zero rule (-0.0 lower, +0.0
//     upper);
//   - split_offsets: the start of each row group.
//
// A column in mode none has no metrics at all (as in iceberg-go; Java still
// records its size), one in counts no bounds.
func metricsOf(meta *format.FileMetaData, cols []column, modes []metricsMode, state []colState) (*fileMetrics, error) {
	m := &fileMetrics{
		records:  meta.NumRows,
		colSizes: map[int]int64{}, values: map[int]int64{}, nulls: map[int]int64{}, nans: map[int]int64{},
		lower: map[int][]byte{}, upper: map[int][]byte{},
	}
	for _, rg := range meta.RowGroups {
		if len(rg.Columns) != len(cols) {
			return nil, fmt.Errorf("BUG: parquetw: row group has %d columns, want %d", len(rg.Columns), len(cols))
		}
		c0 := rg.Columns[0].MetaData
		off := c0.DataPageOffset
		if d := c0.DictionaryPageOffset; d > 0 && d < off {
			off = d
		}
		m.splitOffsets = append(m.splitOffsets, off)
	}
	for i, c := range cols {
		mode := modes[i]
		if mode.kind == modeNone {
			continue
		}
		id := c.fieldID
		var b bounds
		for _, rg := range meta.RowGroups {
			md := &rg.Columns[i].MetaData
			m.colSizes[id] += md.TotalCompressedSize
			m.values[id] += md.NumValues
			m.nulls[id] += md.Statistics.NullCount
			if md.Statistics.NullCount < md.NumValues {
				b.add(c.typ, md.Statistics.MinValue, md.Statistics.MaxValue)
			}
		}
		st := &state[i]
		switch c.typ.(type) {
		case iceberg.Float32Type, iceberg.Float64Type:
			m.nans[id] = st.nan
		}
		if mode.kind == modeCounts {
			continue
		}
		lo, hi, err := icebergBounds(c.typ, mode, &b, st)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		if lo != nil {
			m.lower[id] = lo
		}
		if hi != nil {
			m.upper[id] = hi
		}
	}
	return m, nil
}

// bounds aggregates the footer's per-row-group min and max of one column
// (PLAIN-encoded), compared as the Iceberg type orders them.
type bounds struct {
	set, invalid bool
	lo, hi       []byte
}

func (b *bounds) add(t iceberg.PrimitiveType, lo, hi []byte) {
	if lo == nil || hi == nil {
		b.invalid = true // values without statistics: no bounds can be claimed
		return
	}
	if !b.set {
		b.lo, b.hi, b.set = lo, hi, true
		return
	}
	if compareStat(t, lo, b.lo) < 0 {
		b.lo = lo
	}
	if compareStat(t, hi, b.hi) > 0 {
		b.hi = hi
	}
}

// compareStat compares two PLAIN-encoded statistics values of type t:
// signed for integer-backed types, unsigned bytewise for the rest (strings
// by UTF-8 bytes, which is code point order).
func compareStat(t iceberg.PrimitiveType, a, b []byte) int {
	switch t.(type) {
	case iceberg.Int32Type, iceberg.DateType:
		return cmpInt(int64(int32(binary.LittleEndian.Uint32(a))), int64(int32(binary.LittleEndian.Uint32(b))))
	case iceberg.Int64Type, iceberg.TimeType, iceberg.TimestampType, iceberg.TimestampTzType:
		return cmpInt(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
	case iceberg.DecimalType:
		if len(a) == 4 {
			return cmpInt(int64(int32(binary.LittleEndian.Uint32(a))), int64(int32(binary.LittleEndian.Uint32(b))))
		}
		return cmpInt(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
	}
	return bytes.Compare(a, b)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// icebergBounds serializes a column's bounds as Iceberg single values. For
// the integer-backed types, booleans, strings, binary, UUID and fixed, that
// serialization is the PLAIN encoding the footer holds; floats and wide
// decimals come from the writer's own state.
func icebergBounds(t iceberg.PrimitiveType, mode metricsMode, b *bounds, st *colState) (lo, hi []byte, err error) {
	switch t := t.(type) {
	case iceberg.Float32Type:
		if !st.hasBounds {
			return nil, nil, nil
		}
		l, h := zeroSigned(st.fmin, st.fmax)
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(l))),
			binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(h))), nil
	case iceberg.Float64Type:
		if !st.hasBounds {
			return nil, nil, nil
		}
		l, h := zeroSigned(st.fmin, st.fmax)
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(l)),
			binary.LittleEndian.AppendUint64(nil, math.Float64bits(h)), nil
	case iceberg.DecimalType:
		var l, h decimal128.Num
		switch {
		case t.Precision() > 18:
			if !st.hasBounds {
				return nil, nil, nil
			}
			l, h = st.dmin, st.dmax
		case !b.set || b.invalid:
			return nil, nil, nil
		case len(b.lo) == 4:
			l = decimal128.FromI64(int64(int32(binary.LittleEndian.Uint32(b.lo))))
			h = decimal128.FromI64(int64(int32(binary.LittleEndian.Uint32(b.hi))))
		default:
			l = decimal128.FromI64(int64(binary.LittleEndian.Uint64(b.lo)))
			h = decimal128.FromI64(int64(binary.LittleEndian.Uint64(b.hi)))
		}
		if lo, err = iceberg.DecimalLiteral(iceberg.Decimal{Val: l, Scale: t.Scale()}).MarshalBinary(); err != nil {
			return nil, nil, err
		}
		hi, err = iceberg.DecimalLiteral(iceberg.Decimal{Val: h, Scale: t.Scale()}).MarshalBinary()
		return lo, hi, err
	}
	if !b.set || b.invalid {
		return nil, nil, nil
	}
	lo, hi = bytes.Clone(b.lo), bytes.Clone(b.hi)
	if mode.kind != modeTruncate {
		return lo, hi, nil
	}
	switch t.(type) {
	case iceberg.StringType:
		return truncateLowerString(lo, mode.n), truncateUpperString(hi, mode.n), nil
	case iceberg.BinaryType:
		return truncateLowerBinary(lo, mode.n), truncateUpperBinary(hi, mode.n), nil
	}
	return lo, hi, nil
}

// truncateLowerString keeps the first n code points of s.
func truncateLowerString(s []byte, n int) []byte {
	for i := range string(s) {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// truncateUpperString keeps the first n code points of s and, if that cut
// anything, increments the last code point that can be incremented
// (skipping the surrogate range), dropping those after it. nil: no upper
// bound can be given (every code point is U+10FFFF).
func truncateUpperString(s []byte, n int) []byte {
	t := truncateLowerString(s, n)
	if len(t) == len(s) {
		return s
	}
	for len(t) > 0 {
		r, size := utf8.DecodeLastRune(t)
		t = t[:len(t)-size]
		switch {
		case r == 0xD7FF:
			return utf8.AppendRune(t, 0xE000)
		case r < utf8.MaxRune:
			return utf8.AppendRune(t, r+1)
		}
	}
	return nil
}

func truncateLowerBinary(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// truncateUpperBinary keeps the first n bytes of b and, if that cut
// anything, increments the last byte below 0xFF, dropping those after it.
// nil: no upper bound can be given.
func truncateUpperBinary(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	t := b[:n]
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] < 0xFF {
			t[i]++
			return t[:i+1]
		}
	}
	return nil
}
