package parquetw

import (
	"fmt"
	"io"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// EncoderOptions tune an Encoder. The zero value means iceberg-go's defaults
// for a table that sets no write.parquet.* property.
type EncoderOptions struct {
	MaxRowGroupRows  int64          // write.parquet.row-group-limit (default 1,048,576)
	MaxRowGroupBytes int64          // write.parquet.row-group-size-bytes (default 128 MiB; estimated, see Encoder.Size)
	PageSize         int64          // write.parquet.page-size-bytes (default 1 MiB)
	PageRowLimit     int            // write.parquet.page-row-limit: pqarrow's write batch (default 20,000)
	DictMaxBytes     int64          // write.parquet.dict-size-bytes (default 2 MiB)
	NoDictionary     bool           // parquet.enable.dictionary=false
	DataPageV1       bool           // write.parquet.page-version=1
	Codec            compress.Codec // default ZstdCodec(-1)
	// BloomFilters maps column names to the false-positive probability of
	// the split-block bloom filter written for each of their column chunks
	// (write.parquet.bloom-filter-enabled.column.* and -fpp.column.*).
	// Those columns are written without a dictionary: parquet-go v0.32.0
	// fills the filter of a dictionary-encoded chunk from the dictionary
	// alone, so the values of the PLAIN pages written after the dictionary
	// outgrows DictMaxBytes would be missing from it, and every reader
	// would skip row groups that hold them (TestBloomDictionaryFallback).
	BloomFilters map[string]float64
	// BloomFilterMaxBytes bounds each filter
	// (write.parquet.bloom-filter-max-bytes, default 1 MiB).
	BloomFilterMaxBytes int64
	// RowAPI writes through Writer.WriteRows instead of the column writers.
	// It exists to measure the two parquet-go APIs against each other
	// (benchmarks/append, EncodeParquetGoGeneric/rows) and is ~1.2× slower.
	RowAPI bool
}

func (o *EncoderOptions) defaults() {
	if o.MaxRowGroupRows <= 0 {
		o.MaxRowGroupRows = 1048576
	}
	if o.MaxRowGroupBytes <= 0 {
		o.MaxRowGroupBytes = 128 << 20
	}
	if o.PageSize <= 0 {
		o.PageSize = 1 << 20
	}
	if o.PageRowLimit <= 0 {
		o.PageRowLimit = 20000
	}
	if o.DictMaxBytes <= 0 {
		o.DictMaxBytes = 2 << 20
	}
	if o.Codec == nil {
		o.Codec = ZstdCodec(-1)
	}
	if o.BloomFilterMaxBytes <= 0 {
		o.BloomFilterMaxBytes = bloomMaxBytesDefault
	}
}

// valuesPerColWrite is the number of values per WriteRowValues call: it
// bounds page overshoot and the scratch size.
const valuesPerColWrite = 4096

// An Encoder writes Arrow record batches as one Parquet file with
// parquet-go, in the file shape pqarrow gives with iceberg-go's writer
// properties: the same dictionary decisions (replayed on the first batch,
// see wantDictionary), dictionary page cadence (pageCadence), ZSTD options,
// v2 data pages, page and chunk statistics, and row groups.
//
// Values move column by column: each 4,096-value chunk of an Arrow array is
// turned into a reused []parquet.Value (a 24-byte struct, no boxing) and
// handed to (*parquet.ColumnWriter).WriteRowValues on Writer.ColumnWriters(),
// the lowest-overhead schema-generic path in parquet-go v0.32.0's API (see
// benchmarks/RESULTS.md, "Schema-generic parquet-go vs pqarrow"). There is
// no per-row allocation.
//
// An Encoder is not safe for concurrent use.
type Encoder struct {
	out    *countingWriter
	cols   []column
	nsrc   int // columns the input batches must have
	opts   EncoderOptions
	w      *pqgo.GenericWriter[any]
	cw     []*pqgo.ColumnWriter
	dict   []bool
	bloom  []pqgo.BloomFilterColumn
	bits   []uint  // bloom filter bits per value per column; nil or 0: none
	defs   []int   // definition level of a non-null value per column
	raw    []int64 // raw bytes written to each dictionary column since its last page
	state  []colState
	vals   []pqgo.Value
	rows   []pqgo.Row
	rgRows int64 // rows in the current row group
	inCols []arrow.Array
	// The write batches (PageRowLimit values, after each of which
	// pageCadence runs) are laid out from seg, the start of the current
	// record or the first row after a row group cut in it, as pqarrow lays
	// them out within each WriteBuffered call. recLen is the record's length.
	seg, recLen, cutAt int

	dictEnabled            bool
	pageSize, dictMaxBytes int64
	batchRows              int
}

// NewEncoder returns an Encoder that writes batches of schema to w: one
// Parquet column per Arrow field, optional where the field is nullable, with
// the field id of its PARQUET:field_id metadata. It takes the flat types
// Write takes (see the package comment).
func NewEncoder(w io.Writer, schema *arrow.Schema, opts EncoderOptions) (*Encoder, error) {
	cols, err := columnsOfArrow(schema)
	if err != nil {
		return nil, err
	}
	return newEncoder(w, cols, len(cols), opts), nil
}

func newEncoder(w io.Writer, cols []column, nsrc int, opts EncoderOptions) *Encoder {
	opts.defaults()
	e := &Encoder{out: &countingWriter{w: w}, cols: cols, nsrc: nsrc, opts: opts,
		dictEnabled: !opts.NoDictionary, pageSize: opts.PageSize, dictMaxBytes: opts.DictMaxBytes, batchRows: opts.PageRowLimit}
	e.defs = make([]int, len(cols))
	e.state = make([]colState, len(cols))
	for i, c := range cols {
		if !c.required {
			e.defs[i] = 1
		}
		if d, ok := c.typ.(iceberg.DecimalType); ok && d.Precision() > 18 {
			e.state[i].decWidth = decimalBytes(d.Precision())
		}
	}
	e.inCols = make([]arrow.Array, len(cols))
	e.bloom, e.bits = bloomFilters(cols, &e.opts)
	return e
}

func (e *Encoder) writerOptions(s *pqgo.Schema) []pqgo.WriterOption {
	version := 2
	if e.opts.DataPageV1 {
		version = 1
	}
	return []pqgo.WriterOption{
		s,
		pqgo.Compression(e.opts.Codec),
		pqgo.PageBufferSize(int(e.opts.PageSize)),
		pqgo.DataPageVersion(version),
		pqgo.DataPageStatistics(true),
		pqgo.MaxRowsPerRowGroup(e.opts.MaxRowGroupRows),
		pqgo.DictionaryMaxBytes(e.opts.DictMaxBytes),
		pqgo.BloomFilters(e.bloom...),
	}
}

// open picks the dictionary columns from the batch's rows from off on and
// creates the parquet-go writer.
func (e *Encoder) open(off int) error {
	e.dict = make([]bool, len(e.cols))
	e.raw = make([]int64, len(e.cols))
	for i := range e.cols {
		e.dict[i] = !e.hasBloom(i) && e.wantDictionary(&e.cols[i], e.inCols[i], off)
	}
	s, err := parquetSchemaOf(e.cols, e.dict)
	if err != nil {
		return err
	}
	e.w = pqgo.NewGenericWriter[any](e.out, e.writerOptions(s)...)
	e.cw = e.w.ColumnWriters()
	if len(e.cw) != len(e.cols) {
		return fmt.Errorf("BUG: parquetw: parquet schema has %d leaf columns, want %d", len(e.cw), len(e.cols))
	}
	return nil
}

// hasBloom says whether column i gets a bloom filter.
func (e *Encoder) hasBloom(i int) bool { return e.bits != nil && e.bits[i] > 0 }

// Write appends all rows of rec to the file. The first call picks the
// dictionary columns and creates the parquet-go writer.
func (e *Encoder) Write(rec arrow.RecordBatch) error {
	if int(rec.NumCols()) != e.nsrc {
		return fmt.Errorf("parquetw: record batch has %d columns, want %d", rec.NumCols(), e.nsrc)
	}
	return e.write(rec, 0, int(rec.NumRows()), false)
}

// bind sets e.inCols to rec's column of each file column (nil: absent) and
// checks that required columns have no nulls in [off, off+n).
func (e *Encoder) bind(rec arrow.RecordBatch, off, n int) error {
	for i := range e.cols {
		c := &e.cols[i]
		if c.src < 0 {
			e.inCols[i] = nil
			if c.required {
				return fmt.Errorf("parquetw: required column %s is missing from the input", c.name)
			}
			continue
		}
		col := unwrap(rec.Column(c.src))
		e.inCols[i] = col
		if c.required && col.NullN() > 0 {
			for r := off; r < off+n; r++ {
				if col.IsNull(r) {
					return fmt.Errorf("parquetw: column %s is required but has nulls", c.name)
				}
			}
		}
	}
	return nil
}

// write appends rows [off, off+n) of rec; cont marks the rows following
// those of the previous call in the same record.
func (e *Encoder) write(rec arrow.RecordBatch, off, n int, cont bool) error {
	if !cont {
		e.seg = off
	}
	e.recLen = int(rec.NumRows())
	if err := e.bind(rec, off, n); err != nil {
		return err
	}
	if e.w == nil {
		if err := e.open(off); err != nil {
			return err
		}
	}
	for end := off + n; off < end; {
		take := min(end-off, int(e.opts.MaxRowGroupRows-e.rgRows))
		e.cutAt = -1
		if int64(take) == e.opts.MaxRowGroupRows-e.rgRows {
			e.cutAt = off + take
		}
		var err error
		if e.opts.RowAPI {
			err = e.writeRows(off, take)
		} else {
			err = e.writeColumns(off, take)
		}
		if err != nil {
			return err
		}
		off += take
		if e.rgRows += int64(take); e.rgRows == e.opts.MaxRowGroupRows {
			if err := e.flushRowGroup(); err != nil {
				return err
			}
			e.seg = off
		}
	}
	if e.rgRows > 0 && e.w.Size()-e.out.n >= e.opts.MaxRowGroupBytes {
		return e.flushRowGroup()
	}
	return nil
}

func (e *Encoder) flushRowGroup() error {
	if err := e.w.Flush(); err != nil {
		return err
	}
	e.rgRows = 0
	clear(e.raw)
	return nil
}

// batches calls f for each piece of rows [off, off+n) that lies in one
// write batch; check marks a piece that ends its write batch (at the batch
// size, the end of the record, or a row group cut).
func (e *Encoder) batches(off, n int, f func(b, bn int, check bool) error) error {
	for b, end := off, off+n; b < end; {
		next := min(end, e.seg+((b-e.seg)/e.batchRows+1)*e.batchRows)
		check := (next-e.seg)%e.batchRows == 0 || next == e.recLen || next == e.cutAt
		if err := f(b, next-b, check); err != nil {
			return err
		}
		b = next
	}
	return nil
}

// writeColumns writes rows [off, off+n) column by column through
// ColumnWriter.WriteRowValues, in write batches of PageRowLimit values as
// pqarrow does (pageCadence runs after each batch).
func (e *Encoder) writeColumns(off, n int) error {
	for c, col := range e.inCols {
		err := e.batches(off, n, func(b, bn int, check bool) error {
			for o := b; o < b+bn; o += valuesPerColWrite {
				k := min(valuesPerColWrite, b+bn-o)
				e.vals = fillValues(growValues(e.vals, k), 1, col, o, c, e.defs[c], false, &e.state[c])
				if _, err := e.cw[c].WriteRowValues(e.vals[:k]); err != nil {
					return err
				}
			}
			return e.pageCadence(c, col, b, bn, check)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeRows is the RowAPI variant: rows [off, off+n) as Values laid out
// row-major, written as parquet.Row slices through Writer.WriteRows.
func (e *Encoder) writeRows(off, n int) error {
	ncol := len(e.cols)
	return e.batches(off, n, func(b, bn int, check bool) error {
		for o := b; o < b+bn; o += valuesPerColWrite {
			k := min(valuesPerColWrite, b+bn-o)
			e.vals = growValues(e.vals, k*ncol)
			for c, col := range e.inCols {
				fillValues(e.vals[c:], ncol, col, o, c, e.defs[c], true, &e.state[c])
			}
			e.rows = e.rows[:0]
			for r := range k {
				e.rows = append(e.rows, e.vals[r*ncol:(r+1)*ncol:(r+1)*ncol])
			}
			if _, err := e.w.WriteRows(e.rows); err != nil {
				return err
			}
		}
		for c, col := range e.inCols {
			if err := e.pageCadence(c, col, b, bn, check); err != nil {
				return err
			}
		}
		return nil
	})
}

// pageCadence runs after each write batch: it cuts a page of dictionary
// column c once PageSize raw (PLAIN) bytes have been written to it since the
// last page, as pqarrow does. parquet-go would otherwise cut dictionary
// pages at PageSize bytes of int32 indices (262,144 values at 1 MiB), which
// also delays its DictionaryMaxBytes check.
func (e *Encoder) pageCadence(c int, col arrow.Array, off, n int, check bool) error {
	if !e.dict[c] {
		return nil
	}
	if e.raw[c] += rawBytes(&e.cols[c], col, off, n); check && e.raw[c] >= e.pageSize {
		e.raw[c] = 0
		return e.cw[c].Flush()
	}
	return nil
}

// Size estimates the file's size so far: bytes written, plus the current
// row group's compressed pages and its buffered values and dictionaries (not
// yet compressed, so an overestimate by up to about one page and one
// dictionary per column).
func (e *Encoder) Size() int64 {
	if e.w == nil {
		return 0
	}
	return e.w.Size()
}

// Close flushes the last row group and writes the footer. It does not close
// the underlying writer.
func (e *Encoder) Close() error {
	if e.w == nil { // no batch: an empty file with the schema's columns
		s, err := parquetSchemaOf(e.cols, make([]bool, len(e.cols)))
		if err != nil {
			return err
		}
		e.dict = make([]bool, len(e.cols))
		e.w = pqgo.NewGenericWriter[any](e.out, e.writerOptions(s)...)
	}
	return e.w.Close()
}

// Written is the number of bytes written to the underlying writer.
func (e *Encoder) Written() int64 { return e.out.n }

func growValues(v []pqgo.Value, n int) []pqgo.Value {
	if cap(v) < n {
		return make([]pqgo.Value, n)
	}
	return v[:n]
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// unsafeString views b as a string without copying; the string must not
// outlive b's buffer.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
