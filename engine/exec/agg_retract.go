package exec

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Retractable accumulators, for the continuous GROUP BY (GroupAgg): like
// the hash aggregate's accumulators they hold one aggregate's state for
// every group column-wise, but each row comes with a sign, +1 (an insert)
// or -1 (a retraction, -U or -D), and the state can be saved and loaded.
// Values that need equality or order (MIN, MAX, DISTINCT) are kept in the
// row encoding of one column (rowEncoder), so one implementation serves
// every type.
type retractAcc interface {
	grow(n int)
	// update folds rows (ascending) into their groups; signs[i] is row
	// i's sign (nil: all +1); vals holds the rows' encoded arguments
	// when the accumulator asked for them (encoded).
	update(rows []int32, groups []uint32, signs []int8, arg arrow.Array, vals *rowEncoder) error
	// emit builds the results of groups.
	emit(alloc memory.Allocator, groups []uint32) arrow.Array
	// encoded says whether update needs vals.
	encoded() bool
	// saveGroup writes group g's state; loadGroup reads it into group g
	// (grown to hold it), replacing what g held.
	saveGroup(w *stateWriter, g int)
	loadGroup(r *stateReader, g int)
	size() int64
}

// newRetractAcc returns the state of one aggregate call; changelog says
// whether the input retracts (MIN and MAX then keep every value).
func newRetractAcc(s *AggSpec, changelog bool) (retractAcc, error) {
	t := s.ArgType
	switch s.Func {
	case "COUNT":
		return &countRAcc{}, nil
	case "SUM", "AVG":
		avg := s.Func == "AVG"
		switch t.ID() {
		case arrow.INT8:
			return &sumRAcc[int8, int64]{dt: s.Type, avg: avg}, nil
		case arrow.INT16:
			return &sumRAcc[int16, int64]{dt: s.Type, avg: avg}, nil
		case arrow.INT32:
			return &sumRAcc[int32, int64]{dt: s.Type, avg: avg}, nil
		case arrow.INT64:
			return &sumRAcc[int64, int64]{dt: s.Type, avg: avg}, nil
		case arrow.FLOAT32:
			return &sumRAcc[float32, float64]{dt: s.Type, avg: avg}, nil
		case arrow.FLOAT64:
			return &sumRAcc[float64, float64]{dt: s.Type, avg: avg}, nil
		case arrow.DECIMAL128:
			return &decSumRAcc{in: t.(*arrow.Decimal128Type), out: s.Type.(*arrow.Decimal128Type), avg: avg}, nil
		}
	case "MIN", "MAX":
		if keyType(t) && t.ID() != arrow.NULL {
			return &extremeRAcc{dt: t, max: s.Func == "MAX", multiset: changelog}, nil
		}
	}
	return nil, fmt.Errorf("a continuous GROUP BY cannot compute %s(%s) yet: it supports COUNT, SUM, AVG, MIN and MAX (with DISTINCT and FILTER), whose results it can update", s.Func, t)
}

// signOf is row i's sign.
func signOf(signs []int8, i int32) int64 {
	if signs == nil {
		return 1
	}
	return int64(signs[i])
}

// countRAcc is COUNT(*) and COUNT(x).
type countRAcc struct{ counts []int64 }

func (a *countRAcc) grow(n int)    { a.counts = growTo(a.counts, n) }
func (a *countRAcc) encoded() bool { return false }
func (a *countRAcc) update(rows []int32, groups []uint32, signs []int8, _ arrow.Array, _ *rowEncoder) error {
	for _, i := range rows {
		a.counts[groups[i]] += signOf(signs, i)
	}
	return nil
}

func (a *countRAcc) emit(alloc memory.Allocator, groups []uint32) arrow.Array {
	out := make([]int64, len(groups))
	for k, g := range groups {
		out[k] = a.counts[g]
	}
	return fixedArray(alloc, arrow.PrimitiveTypes.Int64, out, nil)
}

func (a *countRAcc) saveGroup(w *stateWriter, g int) { w.varint(a.counts[g]) }
func (a *countRAcc) loadGroup(r *stateReader, g int) { a.counts[g] = r.varint() }

func (a *countRAcc) size() int64 { return int64(8 * cap(a.counts)) }

// sumRAcc is SUM and AVG over a number type T summed in A, with the same
// results as the hash aggregate's numSum (integers wrap; AVG of integers
// divides as integers). A group whose count of values is 0 gives NULL.
type sumRAcc[T int8 | int16 | int32 | int64 | float32 | float64, A int64 | float64] struct {
	dt     arrow.DataType
	avg    bool
	sums   []A
	counts []int64
}

func (a *sumRAcc[T, A]) grow(n int)    { a.sums, a.counts = growTo(a.sums, n), growTo(a.counts, n) }
func (a *sumRAcc[T, A]) encoded() bool { return false }

func (a *sumRAcc[T, A]) update(rows []int32, groups []uint32, signs []int8, arg arrow.Array, _ *rowEncoder) error {
	vals := arrow.GetValues[T](arg.Data(), 1)
	if signs == nil {
		// Fast path: inserts only.
		for _, i := range rows {
			g := groups[i]
			a.sums[g] += A(vals[i])
			a.counts[g]++
		}
		return nil
	}
	for _, i := range rows {
		g := groups[i]
		if signs[i] < 0 {
			a.sums[g] -= A(vals[i])
			a.counts[g]--
			continue
		}
		a.sums[g] += A(vals[i])
		a.counts[g]++
	}
	return nil
}

func (a *sumRAcc[T, A]) emit(alloc memory.Allocator, groups []uint32) arrow.Array {
	out := make([]T, len(groups))
	valid := make([]bool, len(groups))
	for k, g := range groups {
		c := a.counts[g]
		if c <= 0 {
			continue
		}
		valid[k] = true
		if a.avg {
			out[k] = T(a.sums[g] / A(c))
		} else {
			out[k] = T(a.sums[g])
		}
	}
	return fixedArray(alloc, a.dt, out, valid)
}

func (a *sumRAcc[T, A]) saveGroup(w *stateWriter, g int) {
	switch v := any(a.sums[g]).(type) {
	case int64:
		w.varint(v)
	case float64:
		w.uvarint(math.Float64bits(v))
	}
	w.varint(a.counts[g])
}

func (a *sumRAcc[T, A]) loadGroup(r *stateReader, g int) {
	switch p := any(&a.sums[g]).(type) {
	case *int64:
		*p = r.varint()
	case *float64:
		*p = math.Float64frombits(r.uvarint())
	}
	a.counts[g] = r.varint()
}

func (a *sumRAcc[T, A]) size() int64 { return int64(8*cap(a.sums) + 8*cap(a.counts)) }

// decSumRAcc is SUM and AVG over DECIMAL, as decSum.
type decSumRAcc struct {
	in, out *arrow.Decimal128Type
	avg     bool
	sums    []decimal128.Num
	counts  []int64
}

func (a *decSumRAcc) grow(n int)    { a.sums, a.counts = growTo(a.sums, n), growTo(a.counts, n) }
func (a *decSumRAcc) encoded() bool { return false }

func (a *decSumRAcc) update(rows []int32, groups []uint32, signs []int8, arg arrow.Array, _ *rowEncoder) error {
	vals := arrow.GetValues[decimal128.Num](arg.Data(), 1)
	for _, i := range rows {
		g := groups[i]
		if signOf(signs, i) < 0 {
			a.sums[g] = a.sums[g].Sub(vals[i])
			a.counts[g]--
			continue
		}
		a.sums[g] = a.sums[g].Add(vals[i])
		a.counts[g]++
	}
	return nil
}

func (a *decSumRAcc) emit(alloc memory.Allocator, groups []uint32) arrow.Array {
	out := make([]decimal128.Num, len(groups))
	valid := make([]bool, len(groups))
	for k, g := range groups {
		c := a.counts[g]
		if c <= 0 {
			continue
		}
		valid[k] = true
		if a.avg {
			out[k] = decAvg(a.sums[g], c, a.out.Scale-a.in.Scale)
		} else {
			out[k] = a.sums[g]
		}
	}
	return fixedArray(alloc, a.out, out, valid)
}

func (a *decSumRAcc) saveGroup(w *stateWriter, g int) {
	w.varint(a.sums[g].HighBits())
	w.uvarint(a.sums[g].LowBits())
	w.varint(a.counts[g])
}

func (a *decSumRAcc) loadGroup(r *stateReader, g int) {
	hi := r.varint()
	a.sums[g] = decimal128.New(hi, r.uvarint())
	a.counts[g] = r.varint()
}

func (a *decSumRAcc) size() int64 { return int64(16*cap(a.sums) + 8*cap(a.counts)) }

// extremeRAcc is MIN and MAX. Over an append-only input it keeps the
// extreme value per group; over a changelog (multiset) it keeps every
// value with its count, so that retracting the extreme finds the next one.
type extremeRAcc struct {
	dt       arrow.DataType
	max      bool
	multiset bool
	best     [][]byte           // encoded; nil: no value
	values   []map[string]int64 // multiset only
}

func (a *extremeRAcc) grow(n int) {
	a.best = growTo(a.best, n)
	if a.multiset {
		a.values = growTo(a.values, n)
	}
}

func (a *extremeRAcc) encoded() bool { return true }

// better says whether encoded value v beats the current extreme cur.
func (a *extremeRAcc) better(v, cur []byte) bool {
	if cur == nil {
		return true
	}
	c := cmpEncoded(a.dt, v, cur)
	return a.max && c > 0 || !a.max && c < 0
}

func (a *extremeRAcc) update(rows []int32, groups []uint32, signs []int8, _ arrow.Array, vals *rowEncoder) error {
	for _, i := range rows {
		g, v := groups[i], vals.row(int(i))
		if !a.multiset {
			if signOf(signs, i) < 0 {
				return fmt.Errorf("BUG: MIN/MAX without a multiset got a retraction")
			}
			if a.better(v, a.best[g]) {
				a.best[g] = append(a.best[g][:0], v...)
			}
			continue
		}
		m := a.values[g]
		if m == nil {
			m = map[string]int64{}
			a.values[g] = m
		}
		if signOf(signs, i) > 0 {
			m[string(v)]++
			if a.better(v, a.best[g]) {
				a.best[g] = append(a.best[g][:0], v...)
			}
			continue
		}
		c := m[string(v)] - 1
		switch {
		case c < 0:
			return fmt.Errorf("a retraction (-U/-D) of a value the aggregate never received")
		case c > 0:
			m[string(v)] = c
			continue
		}
		delete(m, string(v))
		if bytes.Equal(v, a.best[g]) {
			// Slow path: the extreme left; find the next one.
			a.best[g] = nil
			for k := range m {
				if a.better([]byte(k), a.best[g]) {
					a.best[g] = []byte(k)
				}
			}
		}
	}
	return nil
}

func (a *extremeRAcc) emit(alloc memory.Allocator, groups []uint32) arrow.Array {
	rows := make([][]byte, len(groups))
	for k, g := range groups {
		rows[k] = a.best[g]
		if rows[k] == nil {
			rows[k] = []byte{0}
		}
	}
	return decodeRows(alloc, []arrow.DataType{a.dt}, rows)[0]
}

func (a *extremeRAcc) saveGroup(w *stateWriter, g int) {
	if !a.multiset {
		w.bytes(a.best[g])
		return
	}
	saveCounts(w, a.values[g])
}

func (a *extremeRAcc) loadGroup(r *stateReader, g int) {
	a.best[g] = nil
	if !a.multiset {
		if b := r.bytes(); len(b) > 0 {
			a.best[g] = b
			r.check(b, a.dt)
		}
		return
	}
	a.values[g] = loadCounts(r)
	for k := range a.values[g] {
		if r.check([]byte(k), a.dt); r.err != nil {
			return
		}
		if a.better([]byte(k), a.best[g]) {
			a.best[g] = []byte(k)
		}
	}
}

func (a *extremeRAcc) size() int64 {
	n := int64(24*cap(a.best) + 8*cap(a.values))
	for g, b := range a.best {
		n += int64(cap(b))
		if a.multiset {
			n += countsSize(a.values[g])
		}
	}
	return n
}

// distinctRefs makes an aggregate DISTINCT: per group, each value's count
// of live rows; only a value's first arrival (0 → 1) and last retraction
// (1 → 0) reach the aggregate.
type distinctRefs struct {
	refs []map[string]int64
	rows []int32 // scratch: the transitions of a batch
}

func (d *distinctRefs) grow(n int) { d.refs = growTo(d.refs, n) }

// filter returns the rows of a batch that change a value's presence.
func (d *distinctRefs) filter(rows []int32, groups []uint32, signs []int8, vals *rowEncoder) ([]int32, error) {
	out := d.rows[:0]
	for _, i := range rows {
		g, v := groups[i], vals.row(int(i))
		m := d.refs[g]
		if m == nil {
			m = map[string]int64{}
			d.refs[g] = m
		}
		c := m[string(v)] + signOf(signs, i)
		switch {
		case c < 0:
			return nil, fmt.Errorf("a retraction (-U/-D) of a value the DISTINCT aggregate never received")
		case c == 0:
			delete(m, string(v))
			out = append(out, i)
		case c == 1 && signOf(signs, i) > 0:
			m[string(v)] = c
			out = append(out, i)
		default:
			m[string(v)] = c
		}
	}
	d.rows = out
	return out, nil
}

func (d *distinctRefs) saveGroup(w *stateWriter, g int) { saveCounts(w, d.refs[g]) }
func (d *distinctRefs) loadGroup(r *stateReader, g int) { d.refs[g] = loadCounts(r) }

func (d *distinctRefs) size() int64 {
	n := int64(8*cap(d.refs) + 4*cap(d.rows))
	for _, m := range d.refs {
		n += countsSize(m)
	}
	return n
}

// saveCounts writes a value → count map in order of value, so that equal
// states give equal bytes.
func saveCounts(w *stateWriter, m map[string]int64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.uvarint(uint64(len(keys)))
	for _, k := range keys {
		w.bytes([]byte(k))
		w.varint(m[k])
	}
}

func loadCounts(r *stateReader) map[string]int64 {
	n := r.count(2)
	if n == 0 {
		return nil
	}
	m := make(map[string]int64, n)
	for range n {
		k := r.bytes()
		c := r.varint()
		if r.err == nil && c <= 0 {
			r.fail("a value's count is %d", c)
		}
		m[string(k)] = c
	}
	return m
}

// countsSize estimates a value → count map's bytes.
func countsSize(m map[string]int64) int64 {
	n := int64(48)
	for k := range m {
		n += int64(len(k)) + 40
	}
	return n
}

// cmpEncoded compares two non-NULL values of type t in rowEncoder's
// encoding (a byte 1, then the value).
func cmpEncoded(t arrow.DataType, a, b []byte) int {
	a, b = a[1:], b[1:]
	switch t.ID() {
	case arrow.STRING, arrow.BINARY:
		return bytes.Compare(a[4:], b[4:])
	case arrow.BOOL:
		return cmp.Compare(a[0], b[0])
	case arrow.INT8:
		return cmp.Compare(int8(a[0]), int8(b[0]))
	case arrow.INT16:
		return cmp.Compare(int16(binary.LittleEndian.Uint16(a)), int16(binary.LittleEndian.Uint16(b)))
	case arrow.INT32, arrow.DATE32:
		return cmp.Compare(int32(binary.LittleEndian.Uint32(a)), int32(binary.LittleEndian.Uint32(b)))
	case arrow.FLOAT32:
		return cmp.Compare(math.Float32frombits(binary.LittleEndian.Uint32(a)), math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case arrow.FLOAT64:
		return cmp.Compare(math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case arrow.DECIMAL128:
		x := decimal128.New(int64(binary.LittleEndian.Uint64(a[8:])), binary.LittleEndian.Uint64(a))
		y := decimal128.New(int64(binary.LittleEndian.Uint64(b[8:])), binary.LittleEndian.Uint64(b))
		return x.Cmp(y)
	}
	// INT64, TIME64, TIMESTAMP.
	return cmp.Compare(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
}

// check fails r unless v is one non-NULL value of type t in rowEncoder's
// encoding.
func (r *stateReader) check(v []byte, t arrow.DataType) {
	if rest, ok := encodedLen(v, []arrow.DataType{t}); !ok || rest != 0 || v[0] != 1 {
		r.fail("a malformed %s value", t)
	}
}

// encodedLen walks one row of types in rowEncoder's encoding at the start
// of b, returning the bytes after it; ok is false when b is too short.
func encodedLen(b []byte, types []arrow.DataType) (rest int, ok bool) {
	at := 0
	for _, t := range types {
		if at >= len(b) {
			return 0, false
		}
		if b[at] > 1 {
			return 0, false
		}
		null := b[at] == 0
		at++
		if null {
			continue
		}
		w := width(t)
		if w == 0 && t.ID() != arrow.NULL {
			if at+4 > len(b) {
				return 0, false
			}
			w = 4 + int(binary.LittleEndian.Uint32(b[at:]))
		}
		if w < 0 || at+w > len(b) || at+w < at {
			return 0, false
		}
		at += w
	}
	return len(b) - at, true
}

// Two-phase aggregation (see GroupAgg's phases and the Exchange): a local
// phase folds a slice of the input into per-group accumulators and sends
// each group's state on as a partial row; the global phase adds partial
// rows into its own accumulators. Only accumulators whose state adds up in
// any order give the same results that way.

// mergeAcc is a retractAcc whose per-group state travels as columns.
type mergeAcc interface {
	retractAcc
	// partialTypes are the columns of a partial.
	partialTypes() []arrow.DataType
	// partial builds the state of groups as partialTypes' columns.
	partial(alloc memory.Allocator, groups []uint32) []arrow.Array
	// merge adds row i of cols (a partial) into group groups[i]; vals
	// holds cols[0] encoded when the accumulator asked for it (encoded).
	merge(groups []uint32, cols []arrow.Array, vals *rowEncoder)
	// reset forgets every group, keeping the memory.
	reset()
}

// partialBlocker says why aggregate s cannot run in two phases, or "":
// changelog says whether its input retracts.
func partialBlocker(s *AggSpec, changelog bool) string {
	switch {
	case s.Distinct:
		return "a DISTINCT aggregate counts each value once per group, which a partial of some of the group's rows cannot know"
	case (s.Func == "MIN" || s.Func == "MAX") && changelog:
		return "MIN and MAX over an updating input keep every value, to find the next one when the extreme is retracted"
	case (s.Func == "SUM" || s.Func == "AVG") && (s.ArgType.ID() == arrow.FLOAT32 || s.ArgType.ID() == arrow.FLOAT64):
		return "floating-point sums depend on the order of their additions, so partial sums would change the results' last digits"
	}
	return ""
}

func (a *countRAcc) partialTypes() []arrow.DataType {
	return []arrow.DataType{arrow.PrimitiveTypes.Int64}
}
func (a *countRAcc) partial(alloc memory.Allocator, groups []uint32) []arrow.Array {
	return []arrow.Array{a.emit(alloc, groups)}
}

func (a *countRAcc) merge(groups []uint32, cols []arrow.Array, _ *rowEncoder) {
	for i, v := range arrow.GetValues[int64](cols[0].Data(), 1) {
		a.counts[groups[i]] += v
	}
}

func (a *countRAcc) reset() { a.counts = clearLen(a.counts) }

// clearLen zeroes s and empties it, so that growTo hands out zeroes again.
func clearLen[T any](s []T) []T {
	clear(s)
	return s[:0]
}

func (a *sumRAcc[T, A]) partialTypes() []arrow.DataType {
	var sum arrow.DataType = arrow.PrimitiveTypes.Int64
	if _, ok := any(A(0)).(float64); ok {
		sum = arrow.PrimitiveTypes.Float64
	}
	return []arrow.DataType{sum, arrow.PrimitiveTypes.Int64}
}

func (a *sumRAcc[T, A]) partial(alloc memory.Allocator, groups []uint32) []arrow.Array {
	return sumPartial(alloc, a.partialTypes(), a.sums, a.counts, groups)
}

// sumPartial is a sum accumulator's partial of groups: their sums and
// counts, as columns of types.
func sumPartial[A arrow.FixedWidthType](alloc memory.Allocator, types []arrow.DataType, sums []A, counts []int64, groups []uint32) []arrow.Array {
	s, c := make([]A, len(groups)), make([]int64, len(groups))
	for k, g := range groups {
		s[k], c[k] = sums[g], counts[g]
	}
	return []arrow.Array{fixedArray(alloc, types[0], s, nil), fixedArray(alloc, types[1], c, nil)}
}

func (a *sumRAcc[T, A]) merge(groups []uint32, cols []arrow.Array, _ *rowEncoder) {
	sums, counts := arrow.GetValues[A](cols[0].Data(), 1), arrow.GetValues[int64](cols[1].Data(), 1)
	for i, g := range groups {
		a.sums[g] += sums[i]
		a.counts[g] += counts[i]
	}
}

func (a *sumRAcc[T, A]) reset() { a.sums, a.counts = clearLen(a.sums), clearLen(a.counts) }

func (a *decSumRAcc) partialTypes() []arrow.DataType {
	return []arrow.DataType{&arrow.Decimal128Type{Precision: 38, Scale: a.in.Scale}, arrow.PrimitiveTypes.Int64}
}

func (a *decSumRAcc) partial(alloc memory.Allocator, groups []uint32) []arrow.Array {
	return sumPartial(alloc, a.partialTypes(), a.sums, a.counts, groups)
}

func (a *decSumRAcc) merge(groups []uint32, cols []arrow.Array, _ *rowEncoder) {
	sums, counts := arrow.GetValues[decimal128.Num](cols[0].Data(), 1), arrow.GetValues[int64](cols[1].Data(), 1)
	for i, g := range groups {
		a.sums[g] = a.sums[g].Add(sums[i])
		a.counts[g] += counts[i]
	}
}

func (a *decSumRAcc) reset() { a.sums, a.counts = clearLen(a.sums), clearLen(a.counts) }

// An extremeRAcc merges only over an append-only input (partialBlocker):
// its partial is the group's extreme, NULL for none.
func (a *extremeRAcc) partialTypes() []arrow.DataType { return []arrow.DataType{a.dt} }
func (a *extremeRAcc) partial(alloc memory.Allocator, groups []uint32) []arrow.Array {
	return []arrow.Array{a.emit(alloc, groups)}
}

func (a *extremeRAcc) merge(groups []uint32, _ []arrow.Array, vals *rowEncoder) {
	for i, g := range groups {
		if v := vals.row(i); v[0] == 1 && a.better(v, a.best[g]) {
			a.best[g] = append(a.best[g][:0], v...)
		}
	}
}

func (a *extremeRAcc) reset() { a.best = clearLen(a.best) }
