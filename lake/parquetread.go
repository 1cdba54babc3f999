package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/big"
	"sort"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// errFallback says a data file is left to iceberg-go's reader: its columns
// are not what the filter-first reader decodes (no field ids, a promoted or
// nested type). It is never returned to callers.
var errFallback = errors.New("data file left to iceberg-go's reader")

// ReaderStats count the filter-first reader's work since the process
// started: row groups and pages read or skipped by their page index or
// bloom filters, and the compressed bytes of the pages read.
type ReaderStats struct {
	RowGroups, RowGroupsSkipped int64
	// RowGroupsBloomSkipped are the row groups (among RowGroupsSkipped)
	// skipped by bloom filters after their page index kept some pages.
	RowGroupsBloomSkipped int64
	// BloomReads are filters read from storage (not the cache); BloomErrors
	// those found corrupt, which prune nothing.
	BloomReads, BloomErrors int64
	Pages, PageBytes        int64
}

var readerStats struct {
	rowGroups, rowGroupsSkipped, bloomSkipped, bloomReads, bloomErrors, pages, pageBytes atomic.Int64
}

// FilterFirstStats returns the filter-first reader's counters.
func FilterFirstStats() ReaderStats {
	return ReaderStats{RowGroups: readerStats.rowGroups.Load(), RowGroupsSkipped: readerStats.rowGroupsSkipped.Load(),
		RowGroupsBloomSkipped: readerStats.bloomSkipped.Load(), BloomReads: readerStats.bloomReads.Load(),
		BloomErrors: readerStats.bloomErrors.Load(), Pages: readerStats.pages.Load(), PageBytes: readerStats.pageBytes.Load()}
}

// maxBatchRows bounds the batches the filter-first reader yields.
const maxBatchRows = 1 << 16

// A firstReader reads filtered scans filter first (late materialization):
// per row group it keeps the pages whose column-index bounds may satisfy the
// filter, skips the row group if the bloom filters of its `=` and IN
// columns rule their values out (bloom.go), decodes only the filter's columns of those pages, evaluates the
// filter on them, and decodes the other projected columns only for the
// pages holding matching rows. Its rows are exactly those of iceberg-go's
// reader for the same tasks, in the same order.
type firstReader struct {
	fio    icebergio.IO
	cache  *FooterCache
	filter *pred
	fkeys  []int                  // field ids the filter reads
	bloom  bool                   // the filter has leaves bloom filters decide
	out    *arrow.Schema          // the scan's output, as iceberg-go's reader's
	outIDs []int                  // field id of each output column
	types  map[int]arrow.DataType // Arrow type of every top-level field
	mem    memory.Allocator
	files  int        // data files read at once (ReaderFiles)
	pages  *PageCache // decoded pages; nil or off: none
}

// newFirstReader prepares a filter-first read of a scan of schema with
// projection proj, decoding into mem. ok is false when the scan is not one
// it reads (a filter it does not evaluate, an output type it does not build).
func newFirstReader(fio icebergio.IO, cache *FooterCache, schema, proj *iceberg.Schema, filter iceberg.BooleanExpression, props iceberg.Properties, mem memory.Allocator) (*firstReader, bool, error) {
	bound, err := iceberg.BindExpr(schema, filter, true)
	if err != nil {
		return nil, false, err
	}
	p, err := compileFilter(bound, schema)
	if errors.Is(err, errUnsupportedFilter) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out, err := table.SchemaToArrowSchemaWithOptions(proj, table.ArrowSchemaOptions{TableProperties: props})
	if err != nil {
		return nil, false, err
	}
	all, err := table.SchemaToArrowSchemaWithOptions(schema, table.ArrowSchemaOptions{TableProperties: props})
	if err != nil {
		return nil, false, err
	}
	r := &firstReader{fio: fio, cache: cache, filter: p, fkeys: p.fields(nil), bloom: p.usesBloom(), out: out,
		types: map[int]arrow.DataType{}, mem: mem, files: ReaderFiles(), pages: pageCache}
	for i, f := range schema.Fields() {
		r.types[f.ID] = all.Field(i).Type
	}
	for _, f := range proj.Fields() {
		if !isTopLevel(schema, f.ID) || !buildable(r.types[f.ID]) {
			return nil, false, nil
		}
		r.outIDs = append(r.outIDs, f.ID)
	}
	for _, id := range r.fkeys {
		if !buildable(r.types[id]) {
			return nil, false, nil
		}
	}
	return r, true, nil
}

// readable says whether the reader can read task t itself: a whole Parquet
// data file without deletes.
func readable(t table.FileScanTask) bool {
	f := t.File
	return f.FileFormat() == iceberg.ParquetFile && t.Start == 0 &&
		(t.Length == 0 || t.Length == f.FileSizeBytes()) &&
		len(t.DeleteFiles) == 0 && len(t.EqualityDeleteFiles) == 0 && len(t.DeletionVectorFiles) == 0
}

// read yields the batches of tasks in task order, handing the tasks it
// does not read to fallback (iceberg-go's reader) one at a time. Up to
// r.files tasks are read at once (readConcurrent); one at a time when
// r.files is 1 or there is a single task.
func (r *firstReader) read(ctx context.Context, tasks []table.FileScanTask, fallback fallbackFunc) iter.Seq2[arrow.RecordBatch, error] {
	if r.files > 1 && len(tasks) > 1 {
		return r.readConcurrent(ctx, tasks, fallback)
	}
	return func(yield func(arrow.RecordBatch, error) bool) {
		for _, t := range tasks {
			if err := r.task(ctx, t, fallback, yield); err != nil {
				if !errors.Is(err, errStopped) {
					yield(nil, err)
				}
				return
			}
		}
	}
}

// A fallbackFunc reads one task with iceberg-go's reader.
type fallbackFunc func(context.Context, table.FileScanTask) (iter.Seq2[arrow.RecordBatch, error], error)

// task hands the batches of t to yield: read filter first, or by fallback
// when t or its file is not one the reader reads. errStopped when yield
// asked to stop.
func (r *firstReader) task(ctx context.Context, t table.FileScanTask, fallback fallbackFunc, yield func(arrow.RecordBatch, error) bool) error {
	if readable(t) {
		sent := false
		err := r.readFile(ctx, t.File.FilePath(), t.File.FileSizeBytes(), func(b arrow.RecordBatch, _ error) bool {
			sent = true
			return yield(b, nil)
		})
		if !errors.Is(err, errFallback) {
			return err
		}
		if sent { // Never reached (fallbacks are decided before a row is read): rows would repeat.
			return fmt.Errorf("data file %s: left to iceberg-go's reader after rows were read", t.File.FilePath())
		}
	}
	batches, err := fallback(ctx, t)
	if err != nil {
		return err
	}
	for b, err := range batches {
		if err != nil {
			return err
		}
		if !yield(b, nil) {
			return errStopped
		}
	}
	return nil
}

// errStopped says the consumer stopped iterating.
var errStopped = errors.New("iteration stopped")

// A leafCol is the Parquet leaf column of a top-level field.
type leafCol struct {
	idx int
	typ arrow.DataType
	fp  string // typ.Fingerprint(), part of a cached page's key
}

func (r *firstReader) readFile(ctx context.Context, path string, size int64, yield func(arrow.RecordBatch, error) bool) error {
	pf, h, err := r.cache.open(r.fio, path, size)
	if err != nil {
		return err
	}
	defer h.Close()
	cols, err := r.columns(pf)
	if err != nil {
		return err
	}
	file := fileKey{path, size}
	var blooms *rowGroupBlooms // one per file, pointed at each row group in turn
	if r.bloom {
		blooms = &rowGroupBlooms{cache: r.cache, pf: pf, r: h, file: file, cols: cols}
	}
	for i, rg := range pf.RowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if blooms != nil {
			blooms.rg = i
		}
		rec, err := r.rowGroup(rg, h, file, i, cols, blooms)
		if err != nil {
			return fmt.Errorf("data file %s: %w", path, err)
		}
		if rec == nil {
			continue
		}
		n := rec.NumRows()
		for lo := int64(0); lo < n; lo += maxBatchRows {
			b := rec
			if lo > 0 || n > maxBatchRows {
				b = rec.NewSlice(lo, min(lo+maxBatchRows, n))
			}
			if !yield(b, nil) {
				if b != rec {
					rec.Release()
				}
				return errStopped
			}
		}
		if n > maxBatchRows {
			rec.Release()
		}
	}
	return nil
}

// columns maps the fields the reader reads to the file's leaf columns by
// field id; errFallback when one is missing (added after the file was
// written), of another physical type (promoted) or not flat.
func (r *firstReader) columns(pf *pqgo.File) (map[int]leafCol, error) {
	byID := map[int]*pqgo.Column{}
	for _, c := range pf.Root().Columns() {
		if c.ID() > 0 {
			byID[c.ID()] = c
		}
	}
	cols := map[int]leafCol{}
	for _, ids := range [][]int{r.fkeys, r.outIDs} {
		for _, id := range ids {
			c, ok := byID[id]
			typ := r.types[id]
			if !ok || !c.Leaf() || c.MaxRepetitionLevel() != 0 || c.MaxDefinitionLevel() > 1 || !physicalFits(typ, c.Type()) {
				return nil, errFallback
			}
			cols[id] = leafCol{idx: c.Index(), typ: typ, fp: typ.Fingerprint()}
		}
	}
	return cols, nil
}

// buildable says whether the reader builds Arrow arrays of type t.
func buildable(t arrow.DataType) bool {
	switch t.(type) {
	case *arrow.BooleanType, *arrow.Int32Type, *arrow.Int64Type, *arrow.Float32Type, *arrow.Float64Type,
		*arrow.Date32Type, *arrow.Time64Type, *arrow.TimestampType, *arrow.StringType, *arrow.LargeStringType,
		*arrow.BinaryType, *arrow.LargeBinaryType, *arrow.FixedSizeBinaryType, *arrow.Decimal128Type:
		return true
	}
	return false
}

// physicalFits says whether a Parquet column of type pt decodes to t
// without conversion.
func physicalFits(t arrow.DataType, pt pqgo.Type) bool {
	k := pt.Kind()
	switch t := t.(type) {
	case *arrow.BooleanType:
		return k == pqgo.Boolean
	case *arrow.Int32Type, *arrow.Date32Type:
		return k == pqgo.Int32
	case *arrow.Int64Type, *arrow.Time64Type, *arrow.TimestampType:
		return k == pqgo.Int64
	case *arrow.Float32Type:
		return k == pqgo.Float
	case *arrow.Float64Type:
		return k == pqgo.Double
	case *arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType:
		return k == pqgo.ByteArray
	case *arrow.FixedSizeBinaryType:
		return k == pqgo.FixedLenByteArray && pt.Length() == t.ByteWidth
	case *arrow.Decimal128Type:
		switch k {
		case pqgo.Int32, pqgo.Int64:
			return true
		case pqgo.FixedLenByteArray:
			return pt.Length() <= 16
		}
	}
	return false
}

// A rng is the rows [a, b) of a row group.
type rng struct{ a, b int64 }

// rowGroup reads the matching rows of one row group; nil when none match.
// blooms, when not nil, answers by the row group's bloom filters.
// Its pages are read through f, the scan's handle on file; it is row group
// rgi of the file.
func (r *firstReader) rowGroup(rg pqgo.RowGroup, f io.ReaderAt, file fileKey, rgi int, cols map[int]leafCol, blooms *rowGroupBlooms) (arrow.RecordBatch, error) {
	chunks := rg.ColumnChunks()
	n := rg.NumRows()
	readerStats.rowGroups.Add(1)
	cand := r.filter.pages(chunks, cols, n)
	if len(cand) == 0 {
		readerStats.rowGroupsSkipped.Add(1)
		return nil, nil
	}
	if blooms != nil && !r.filter.bloomMightMatch(blooms.has) {
		readerStats.rowGroupsSkipped.Add(1)
		readerStats.bloomSkipped.Add(1)
		return nil, nil
	}
	m := 0
	for _, c := range cand {
		m += int(c.b - c.a)
	}
	fcols := make(map[int]arrow.Array, len(r.fkeys))
	defer func() {
		for _, a := range fcols {
			a.Release()
		}
	}()
	shared := map[int]bool{} // filter columns that are slices of cached pages
	for _, id := range r.fkeys {
		a, sh, err := r.readColumn(chunks[cols[id].idx], f, cand, chunkAt{file, rgi, cols[id], n}, true)
		if err != nil {
			return nil, err
		}
		fcols[id], shared[id] = a, sh
	}
	sel, kept := cand, m // a filter without columns is TRUE here (FALSE kept no pages)
	var mask []bool      // the filter's value at each row of cand, when it has columns
	if len(r.fkeys) > 0 {
		sel, kept = nil, 0
		mask = r.filter.eval(fcols, m)
		i := 0
		for _, c := range cand {
			for row := c.a; row < c.b; row, i = row+1, i+1 {
				if !mask[i] {
					continue
				}
				kept++
				if k := len(sel); k > 0 && sel[k-1].b == row {
					sel[k-1].b++
				} else {
					sel = append(sel, rng{row, row + 1})
				}
			}
		}
	}
	if kept == 0 {
		return nil, nil
	}
	// A projected filter column's kept rows are copied out of its filter
	// array (selectRows), so that each of its pages is decoded once. One
	// that is a slice of a cached page is copied even when every row is
	// kept: a batch must not pin a whole page nor share its buffers with
	// the cache.
	arrs := make([]arrow.Array, len(r.outIDs))
	for j, id := range r.outIDs {
		var a arrow.Array
		var err error
		fa, isFilter := fcols[id]
		switch {
		case isFilter && kept == m && !shared[id]:
			fa.Retain()
			a = fa
		case isFilter:
			a, err = selectRows(r.mem, fa, mask, kept)
		default:
			a, _, err = r.readColumn(chunks[cols[id].idx], f, sel, chunkAt{file, rgi, cols[id], n}, false)
		}
		if err != nil {
			for _, a := range arrs[:j] {
				a.Release()
			}
			return nil, err
		}
		arrs[j] = a
	}
	rec := array.NewRecordBatch(r.out, arrs, int64(kept))
	for _, a := range arrs {
		a.Release()
	}
	return rec, nil
}

// selectRows copies the rows of a (an array the reader built) at which
// keep is true, kept of them, into a new array of mem, in order: a run of
// kept rows is appended in one call. Not arrow-go's compute.FilterArray:
// in v18.8.0 it drops the values of boolean arrays (true comes out NULL).
func selectRows(mem memory.Allocator, a arrow.Array, keep []bool, kept int) (arrow.Array, error) {
	if len(keep) != a.Len() {
		return nil, fmt.Errorf("selection of %d rows over an array of %d", len(keep), a.Len())
	}
	b := array.NewBuilder(mem, a.DataType())
	defer b.Release()
	b.Reserve(kept)
	src := arrayRows{a}
	for i := 0; i < len(keep); {
		if !keep[i] {
			i++
			continue
		}
		j := i + 1
		for j < len(keep) && keep[j] {
			j++
		}
		if err := src.appendTo(b, i, j); err != nil {
			return nil, err
		}
		i = j
	}
	return b.NewArray(), nil
}

// A chunkAt names the column chunk of a leaf column in a row group of a
// file, for the page cache.
type chunkAt struct {
	file fileKey
	rg   int
	col  leafCol
	rows int64 // the row group's
}

// A rowSource appends rows of one page to a builder.
type rowSource interface {
	appendTo(b array.Builder, from, to int) error
}

// A pageSource loads the page holding a row of a column chunk.
type pageSource interface {
	// load returns the page holding row a, and its rows [pos, end) of the
	// row group; what an earlier load returned is no longer valid.
	load(a int64) (page rowSource, pos, end int64, err error)
	close()
}

// readColumn decodes the rows rs (sorted, disjoint) of a column chunk,
// reading only the pages that hold them, through f: from the page cache
// when it is on and the chunk has an offset index (cachedPages), else
// streamed and decoded row by row (streamedPages). A filter column's read
// (filter) fills the cache, and its rows, when in one range of one page,
// are that page's slice, not a copy (shared): such an array must not
// outlive the row group's reading. Other reads use cached pages but decode
// the pages missing only for their rows.
func (r *firstReader) readColumn(cc pqgo.ColumnChunk, f io.ReaderAt, rs []rng, at chunkAt, filter bool) (_ arrow.Array, shared bool, _ error) {
	fc, ok := cc.(*pqgo.FileColumnChunk)
	if !ok {
		return nil, false, fmt.Errorf("column %d: not a file column chunk (%T)", cc.Column(), cc)
	}
	oi, err := cc.OffsetIndex()
	if err != nil {
		oi = nil // read the pages in order
	}
	var (
		src      pageSource
		page     rowSource
		pos, end int64 // rows of page
	)
	if oi != nil && r.pages.on() {
		src = &cachedPages{cache: r.pages, fc: fc, f: f, oi: oi, at: at, fill: filter}
	} else {
		src = &streamedPages{pages: fc.PagesFrom(f), oi: oi, col: cc.Column()}
	}
	defer src.close()
	if cp, ok := src.(*cachedPages); ok && filter && len(rs) == 1 {
		// Fast path: the rows may lie in one page, cached whole anyway.
		if page, pos, end, err = cp.load(rs[0].a); err != nil {
			return nil, false, err
		}
		if ar, ok := page.(arrayRows); ok && rs[0].b <= end {
			return array.NewSlice(ar.arr, rs[0].a-pos, rs[0].b-pos), true, nil
		}
	}
	b := array.NewBuilder(r.mem, at.col.typ)
	defer b.Release()
	var rows int64
	for _, c := range rs {
		rows += c.b - c.a
	}
	b.Reserve(int(rows)) // one allocation, not a doubling per page
	for _, c := range rs {
		for a := c.a; a < c.b; {
			if page == nil || a >= end {
				if page, pos, end, err = src.load(a); err != nil {
					return nil, false, err
				}
			}
			to := min(c.b, end)
			if err := page.appendTo(b, int(a-pos), int(to-pos)); err != nil {
				return nil, false, fmt.Errorf("column %d: rows %d-%d: %w", cc.Column(), a, to, err)
			}
			a = to
		}
	}
	return b.NewArray(), false, nil
}

// pageOf returns the ordinal in oi of the page holding row a of column
// col's chunk: the last one starting at or before it.
func pageOf(oi pqgo.OffsetIndex, a int64, col int) (int, error) {
	i := sort.Search(oi.NumPages(), func(i int) bool { return oi.FirstRowIndex(i) > a }) - 1
	if i < 0 {
		return 0, fmt.Errorf("column %d: no page holds row %d", col, a)
	}
	return i, nil
}

// streamedPages reads pages one after the other, jumping to a page by the
// offset index (when there is one) and reading on from a page to the next.
// Pages are never sliced.
type streamedPages struct {
	pages  pqgo.Pages
	oi     pqgo.OffsetIndex // nil: read the pages in order
	col    int
	pv     pageView
	loaded bool
	end    int64 // rows of the row group up to the end of the page in pv
}

func (s *streamedPages) load(a int64) (rowSource, int64, int64, error) {
	var pos int64
	for !s.loaded || a >= s.end {
		s.release()
		pos = s.end
		if oi := s.oi; oi != nil {
			i, err := pageOf(oi, a, s.col)
			if err != nil {
				return nil, 0, 0, err
			}
			if first := oi.FirstRowIndex(i); first != s.end || s.end == 0 {
				if err := s.pages.SeekToRow(first); err != nil {
					return nil, 0, 0, fmt.Errorf("column %d: seek to row %d: %w", s.col, first, err)
				}
				pos = first
			}
			readerStats.pageBytes.Add(oi.CompressedPageSize(i))
		}
		p, err := s.pages.ReadPage()
		if err != nil {
			return nil, 0, 0, fmt.Errorf("column %d: page at row %d: %w", s.col, pos, err)
		}
		readerStats.pages.Add(1)
		s.pv.reset(p)
		s.loaded = true
		s.end = pos + p.NumRows()
		if a >= s.end && s.oi != nil { // the page is short of what the offset index says
			return nil, 0, 0, fmt.Errorf("column %d: page at row %d has %d rows, row %d expected in it", s.col, pos, p.NumRows(), a)
		}
	}
	return &s.pv, pos, s.end, nil
}

func (s *streamedPages) release() {
	if s.loaded {
		pqgo.Release(s.pv.page)
		s.loaded = false
	}
}

func (s *streamedPages) close() {
	s.release()
	s.pages.Close()
}

// A pageView addresses the values of one data page by row.
type pageView struct {
	page pqgo.Page
	defs []byte  // definition levels; nil for a required column
	nn   []int32 // nn[i]: non-null values before row i (built on first use)
	idx  []int32 // dictionary indexes; nil for plain pages
	vals encoding.Values
}

func (v *pageView) reset(p pqgo.Page) {
	*v = pageView{page: p, defs: p.DefinitionLevels(), nn: v.nn[:0]}
	if len(v.defs) == 0 {
		v.defs = nil
	}
	if d := p.Dictionary(); d != nil {
		data := p.Data()
		v.idx = data.Int32()
		v.vals = d.Page().Data()
	} else {
		v.vals = p.Data()
	}
}

// slot returns the value slot of row i (in the dictionary for a dictionary
// page); ok is false for NULL.
func (v *pageView) slot(i int) (int, bool) {
	k := i
	if v.defs != nil {
		if v.defs[i] == 0 {
			return 0, false
		}
		if len(v.nn) == 0 {
			v.nn = append(v.nn, make([]int32, len(v.defs))...)
			var c int32
			for j, d := range v.defs {
				v.nn[j] = c
				if d != 0 {
					c++
				}
			}
		}
		k = int(v.nn[i])
	}
	if v.idx != nil {
		k = int(v.idx[k])
	}
	return k, true
}

// dense says whether rows [from, to) of the page are value slots [from, to)
// of its n values: a plain page without NULLs.
func (v *pageView) dense(from, to, n int) bool {
	return v.idx == nil && (v.defs == nil || len(v.defs) == n) && from <= to && to <= n
}

// appendDense appends rows [from, to) of a dense page (see dense) in one
// call: vals reinterpreted as U, an Arrow type of T's size and kind
// (arrow.Date32 of int32, arrow.Timestamp of int64).
func appendDense[U, T any](vals []T, from, to int, appendValues func([]U, []bool)) {
	vs := vals[from:to]
	if len(vs) == 0 {
		return
	}
	appendValues(unsafe.Slice((*U)(unsafe.Pointer(unsafe.SliceData(vs))), len(vs)), nil)
}

// appendInts appends rows [from, to) of a page of fixed-size values: in one
// call when the page is dense, else row by row.
func appendInts[U, T any](v *pageView, from, to int, vals []T, appendValues func([]U, []bool), put func(T), null func()) error {
	if v.dense(from, to, len(vals)) {
		appendDense(vals, from, to, appendValues)
		return nil
	}
	return appendRows(v, from, to, vals, put, null)
}

func appendRows[T any](v *pageView, from, to int, vals []T, put func(T), null func()) error {
	for i := from; i < to; i++ {
		k, ok := v.slot(i)
		switch {
		case !ok:
			null()
		case k >= len(vals):
			return fmt.Errorf("value %d of %d out of range", k, len(vals))
		default:
			put(vals[k])
		}
	}
	return nil
}

// appendTo appends rows [from, to) of the page to b.
func (v *pageView) appendTo(b array.Builder, from, to int) error {
	switch b := b.(type) {
	case *array.BooleanBuilder:
		bits := v.vals.Boolean() // LSB first; pages are never sliced, so from bit 0
		for i := from; i < to; i++ {
			k, ok := v.slot(i)
			switch {
			case !ok:
				b.AppendNull()
			case k/8 >= len(bits):
				return fmt.Errorf("boolean value %d out of range", k)
			default:
				b.Append(bits[k/8]>>(k%8)&1 != 0)
			}
		}
		return nil
	case *array.Int32Builder:
		return appendInts(v, from, to, v.vals.Int32(), b.AppendValues, b.Append, b.AppendNull)
	case *array.Date32Builder:
		return appendInts(v, from, to, v.vals.Int32(), b.AppendValues, func(x int32) { b.Append(arrow.Date32(x)) }, b.AppendNull)
	case *array.Int64Builder:
		return appendInts(v, from, to, v.vals.Int64(), b.AppendValues, b.Append, b.AppendNull)
	case *array.Time64Builder:
		return appendInts(v, from, to, v.vals.Int64(), b.AppendValues, func(x int64) { b.Append(arrow.Time64(x)) }, b.AppendNull)
	case *array.TimestampBuilder:
		return appendInts(v, from, to, v.vals.Int64(), b.AppendValues, func(x int64) { b.Append(arrow.Timestamp(x)) }, b.AppendNull)
	case *array.Float32Builder:
		return appendInts(v, from, to, v.vals.Float(), b.AppendValues, b.Append, b.AppendNull)
	case *array.Float64Builder:
		return appendInts(v, from, to, v.vals.Double(), b.AppendValues, b.Append, b.AppendNull)
	case *array.Decimal128Builder:
		switch v.vals.Kind() {
		case encoding.Int32:
			return appendRows(v, from, to, v.vals.Int32(), func(x int32) { b.Append(decimal128.FromI64(int64(x))) }, b.AppendNull)
		case encoding.Int64:
			return appendRows(v, from, to, v.vals.Int64(), func(x int64) { b.Append(decimal128.FromI64(x)) }, b.AppendNull)
		}
		return v.appendFixed(from, to, func(x []byte) { b.Append(decimalOfBigEndian(x)) }, b.AppendNull)
	case *array.FixedSizeBinaryBuilder:
		return v.appendFixed(from, to, b.Append, b.AppendNull)
	case *array.StringBuilder:
		return v.appendBytes(from, to, b.BinaryBuilder.Append, b.AppendNull)
	case *array.LargeStringBuilder:
		return v.appendBytes(from, to, b.BinaryBuilder.Append, b.AppendNull)
	case *array.BinaryBuilder:
		return v.appendBytes(from, to, b.Append, b.AppendNull)
	}
	return fmt.Errorf("%w: no decoder for %s", errFallback, b.Type())
}

func (v *pageView) appendBytes(from, to int, put func([]byte), null func()) error {
	data, offs := v.vals.ByteArray()
	for i := from; i < to; i++ {
		k, ok := v.slot(i)
		switch {
		case !ok:
			null()
		case k+1 >= len(offs) || offs[k] > offs[k+1] || int(offs[k+1]) > len(data):
			return fmt.Errorf("byte array value %d out of range", k)
		default:
			put(data[offs[k]:offs[k+1]])
		}
	}
	return nil
}

func (v *pageView) appendFixed(from, to int, put func([]byte), null func()) error {
	data, size := v.vals.FixedLenByteArray()
	for i := from; i < to; i++ {
		k, ok := v.slot(i)
		switch {
		case !ok:
			null()
		case size <= 0 || (k+1)*size > len(data):
			return fmt.Errorf("fixed-length value %d out of range", k)
		default:
			put(data[k*size : (k+1)*size])
		}
	}
	return nil
}

// decimalOfBigEndian reads a big-endian two's complement unscaled decimal
// of up to 16 bytes.
func decimalOfBigEndian(b []byte) decimal128.Num {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return decimal128.FromBigInt(x)
}

// pages returns the rows of a row group of n rows whose pages may hold rows
// satisfying p, by the column indexes of the filter's columns.
func (p *pred) pages(chunks []pqgo.ColumnChunk, cols map[int]leafCol, n int64) []rng {
	switch p.op {
	case iceberg.OpTrue:
		return []rng{{0, n}}
	case iceberg.OpFalse:
		return nil
	case iceberg.OpAnd:
		return intersect(p.l.pages(chunks, cols, n), p.r.pages(chunks, cols, n))
	case iceberg.OpOr:
		return union(p.l.pages(chunks, cols, n), p.r.pages(chunks, cols, n))
	}
	all := []rng{{0, n}}
	cc := chunks[cols[p.field].idx]
	ci, err := cc.ColumnIndex()
	if err != nil {
		return all
	}
	oi, err := cc.OffsetIndex()
	if err != nil || oi.NumPages() != ci.NumPages() {
		return all
	}
	kind := cc.Type().Kind()
	var out []rng
	for i := range ci.NumPages() {
		b := bounds{nulls: -1, allNull: ci.NullPage(i)}
		if !b.allNull {
			b.min = valueScalar(ci.MinValue(i), kind)
			b.max = valueScalar(ci.MaxValue(i), kind)
			b.maxUnbound = b.max.k == kBytes && truncatedMax(b.max.b)
		}
		if !p.mightMatch(b) {
			continue
		}
		a, e := min(max(oi.FirstRowIndex(i), 0), n), n
		if i+1 < oi.NumPages() {
			e = min(max(oi.FirstRowIndex(i+1), a), n)
		}
		if k := len(out); k > 0 && out[k-1].b >= a {
			out[k-1].b = max(out[k-1].b, e)
		} else if a < e {
			out = append(out, rng{a, e})
		}
	}
	return out
}

// truncatedMax reports a column-index max that parquet-go could not round up
// after truncating (all 0xFF at its 16-byte limit): not an upper bound.
func truncatedMax(s string) bool {
	if len(s) < pqgo.DefaultColumnIndexSizeLimit {
		return false
	}
	for i := range len(s) {
		if s[i] != 0xFF {
			return false
		}
	}
	return true
}

func valueScalar(v pqgo.Value, k pqgo.Kind) scalar {
	if v.IsNull() {
		return scalar{}
	}
	switch k {
	case pqgo.Boolean:
		if v.Boolean() {
			return scalar{k: kInt, i: 1}
		}
		return scalar{k: kInt}
	case pqgo.Int32:
		return scalar{k: kInt, i: int64(v.Int32())}
	case pqgo.Int64:
		return scalar{k: kInt, i: v.Int64()}
	case pqgo.Float:
		return scalar{k: kFloat, f: float64(v.Float())}
	case pqgo.Double:
		return scalar{k: kFloat, f: v.Double()}
	case pqgo.ByteArray, pqgo.FixedLenByteArray:
		return scalar{k: kBytes, b: string(v.ByteArray())}
	}
	return scalar{}
}

func intersect(x, y []rng) []rng {
	var out []rng
	for i, j := 0, 0; i < len(x) && j < len(y); {
		a, b := max(x[i].a, y[j].a), min(x[i].b, y[j].b)
		if a < b {
			out = append(out, rng{a, b})
		}
		if x[i].b < y[j].b {
			i++
		} else {
			j++
		}
	}
	return out
}

func union(x, y []rng) []rng {
	var out []rng
	add := func(r rng) {
		if k := len(out); k > 0 && r.a <= out[k-1].b {
			out[k-1].b = max(out[k-1].b, r.b)
		} else {
			out = append(out, r)
		}
	}
	for i, j := 0, 0; i < len(x) || j < len(y); {
		if j == len(y) || (i < len(x) && x[i].a <= y[j].a) {
			add(x[i])
			i++
		} else {
			add(y[j])
			j++
		}
	}
	return out
}

// eval evaluates p on n rows of the filter's columns.
func (p *pred) eval(cols map[int]arrow.Array, n int) []bool {
	switch p.op {
	case iceberg.OpAnd:
		l, r := p.l.eval(cols, n), p.r.eval(cols, n)
		for i := range l {
			l[i] = l[i] && r[i]
		}
		return l
	case iceberg.OpOr:
		l, r := p.l.eval(cols, n), p.r.eval(cols, n)
		for i := range l {
			l[i] = l[i] || r[i]
		}
		return l
	}
	out := make([]bool, n)
	switch p.op {
	case iceberg.OpTrue:
		for i := range out {
			out[i] = true
		}
	case iceberg.OpFalse:
	case iceberg.OpIsNull, iceberg.OpNotNull:
		// Fast path: validity alone decides.
		a, want := cols[p.field], p.op == iceberg.OpIsNull
		for i := range out {
			out[i] = a.IsNull(i) == want
		}
	default:
		switch a := cols[p.field].(type) {
		case *array.Int64:
			if intCompare(p, a.Int64Values(), out) {
				clearNulls(a, out)
				return out
			}
		case *array.Int32:
			if intCompare(p, a.Int32Values(), out) {
				clearNulls(a, out)
				return out
			}
		}
		p.rowsMatch(n, getter(cols[p.field]), out)
	}
	return out
}

// clearNulls sets out false at a's NULL rows: a comparison with NULL is
// never TRUE.
func clearNulls(a arrow.Array, out []bool) {
	if a.NullN() == 0 {
		return
	}
	for i := range out {
		if a.IsNull(i) {
			out[i] = false
		}
	}
}

// intCompare evaluates a comparison leaf p on integer values (NULL rows
// included, as whatever their slots hold: the caller clears them); false
// for other operations.
func intCompare[T int32 | int64](p *pred, vs []T, out []bool) bool {
	if p.lit.k != kInt {
		return false
	}
	k := p.lit.i
	switch p.op {
	case iceberg.OpEQ:
		for i, v := range vs {
			out[i] = int64(v) == k
		}
	case iceberg.OpNEQ:
		for i, v := range vs {
			out[i] = int64(v) != k
		}
	case iceberg.OpLT:
		for i, v := range vs {
			out[i] = int64(v) < k
		}
	case iceberg.OpLTEQ:
		for i, v := range vs {
			out[i] = int64(v) <= k
		}
	case iceberg.OpGT:
		for i, v := range vs {
			out[i] = int64(v) > k
		}
	case iceberg.OpGTEQ:
		for i, v := range vs {
			out[i] = int64(v) >= k
		}
	default:
		return false
	}
	return true
}

// getter reads row i of an array built by readColumn as a scalar.
func getter(a arrow.Array) func(i int) (scalar, bool) {
	null := func(i int) bool { return a.IsNull(i) }
	ints := func(f func(i int) int64) func(int) (scalar, bool) {
		return func(i int) (scalar, bool) {
			if null(i) {
				return scalar{}, false
			}
			return scalar{k: kInt, i: f(i)}, true
		}
	}
	floats := func(f func(i int) float64) func(int) (scalar, bool) {
		return func(i int) (scalar, bool) {
			if null(i) {
				return scalar{}, false
			}
			return scalar{k: kFloat, f: f(i)}, true
		}
	}
	strs := func(f func(i int) string) func(int) (scalar, bool) {
		return func(i int) (scalar, bool) {
			if null(i) {
				return scalar{}, false
			}
			return scalar{k: kBytes, b: f(i)}, true
		}
	}
	switch a := a.(type) {
	case *array.Boolean:
		return ints(func(i int) int64 {
			if a.Value(i) {
				return 1
			}
			return 0
		})
	case *array.Int32:
		return ints(func(i int) int64 { return int64(a.Value(i)) })
	case *array.Date32:
		return ints(func(i int) int64 { return int64(a.Value(i)) })
	case *array.Int64:
		return ints(a.Value)
	case *array.Time64:
		return ints(func(i int) int64 { return int64(a.Value(i)) })
	case *array.Timestamp:
		return ints(func(i int) int64 { return int64(a.Value(i)) })
	case *array.Float32:
		return floats(func(i int) float64 { return float64(a.Value(i)) })
	case *array.Float64:
		return floats(a.Value)
	case *array.String:
		return strs(a.Value)
	case *array.LargeString:
		return strs(a.Value)
	case *array.Binary:
		return strs(a.ValueString)
	case *array.LargeBinary:
		return strs(a.ValueString)
	case *array.FixedSizeBinary:
		return strs(func(i int) string { return string(a.Value(i)) })
	}
	return func(int) (scalar, bool) { return scalar{}, false }
}
