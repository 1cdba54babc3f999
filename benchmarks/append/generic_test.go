package appendbench

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	kzstd "github.com/klauspost/compress/zstd"
	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"
)

// A schema-generic Arrow → parquet-go writer: the Parquet schema is built at
// run time from the *arrow.Schema, and values move column by column from the
// Arrow arrays into parquet-go's column writers as parquet.Value (a 24-byte
// struct, no interface boxing, no per-row allocation).
//
// Of parquet-go v0.32.0's public APIs, the lowest-overhead generic one is
// (*parquet.ColumnWriter).WriteRowValues on the writer's ColumnWriters(): it
// hands a []Value for one column straight to that column's buffer
// (ColumnBuffer.WriteValues: a strided gather for plain columns, one
// Dictionary.Insert call for dictionary columns), and flushes a page when the
// buffer reaches the page size. The alternatives are slower or unavailable:
//   - Writer.WriteRows([]parquet.Row) (also what GenericWriter[any] does)
//     takes rows and transposes them back into per-column []Value 64 rows at
//     a time: the same Values plus a copy (measured as the /rows variant);
//   - GenericWriter[T]'s fast path needs T to be a struct type known at
//     compile time; with T = any it reflects per row;
//   - the typed fast paths (WriteInt64s, WriteDoubles, ...) exist only on the
//     plain column buffers of a parquet.Buffer, which the writer can only take
//     through WriteRowGroup, and that copies a non-file row group row by row
//     (CopyRows). The writer's own column buffers are unexported.
//
// The file shape follows pqarrow with iceberg-go's writer properties, so that
// timings compare like with like:
//   - which columns are dictionary-encoded: wantDictionary replays pqarrow's
//     cost-based decision on the first batch; DictionaryMaxBytes gives the
//     2 MiB fallback to PLAIN;
//   - page cadence: pqarrow cuts a dictionary-encoded page at 1 MiB of raw
//     (PLAIN) input, checked every 20,000-value write batch; parquet-go at
//     1 MiB of int32 indices. pageCadence cuts them as pqarrow does;
//   - compression: ZSTD SpeedDefault with arrow-go's encoder options
//     (arrowZstd);
//   - v2 data pages, page and chunk statistics, the same row group limit.
//
// Not done here and needed in a product: the Iceberg field-id tree for nested
// types (only flat schemas of the listed types are handled), NaN handling in
// the dictionary probe, and -0.0/+0.0 bounds (see zeroBounds).

const (
	probeValues       = 20000   // pqarrow's write batch (write.parquet.page-row-limit): its page-size and dictionary checks run after each
	dictMaxBytes      = 2 << 20 // write.parquet.dict-size-bytes
	maxRowGroupRows   = 1048576 // write.parquet.row-group-limit
	valuesPerColWrite = 4096    // values per WriteRowValues call: bounds page overshoot and scratch size
)

// genericWriter writes Arrow record batches as one Parquet file with parquet-go.
type genericWriter struct {
	out      io.Writer
	schema   *arrow.Schema
	maxRows  int64
	byRow    bool // the /rows variant: Writer.WriteRows instead of ColumnWriter.WriteRowValues
	codec    compress.Codec
	w        *pqgo.Writer
	pqSchema *pqgo.Schema
	cols     []*pqgo.ColumnWriter
	dict     []bool
	defs     []int   // definition level of a non-null value per column
	raw      []int64 // raw bytes written to each dictionary column since its last page
	vals     []pqgo.Value
	rows     []pqgo.Row
	rgRows   int64 // rows in the current row group
}

func newGenericWriter(out io.Writer, schema *arrow.Schema, maxRows int64, byRow bool, codec compress.Codec) *genericWriter {
	g := &genericWriter{out: out, schema: schema, maxRows: maxRows, byRow: byRow, codec: codec}
	for _, f := range schema.Fields() {
		def := 0
		if f.Nullable {
			def = 1
		}
		g.defs = append(g.defs, def)
	}
	return g
}

// arrowZstd is parquet-go's ZSTD codec with the encoder options arrow-go
// v18.8.0 uses (parquet/compress/zstd.go): SpeedDefault, as parquet-go, but
// also WithAllLitEntropyCompression(true). Without it klauspost's encoder
// skips Huffman coding of literals in blocks it finds few matches in, which
// is most of a page of bit-packed dictionary indices: pqarrow's url pages
// compress ~15% better than parquet-go's default codec's, and parquet-go's
// sizes swing with page boundaries.
type arrowZstd struct {
	pqzstd.Codec
	encoders sync.Pool
}

func (c *arrowZstd) Encode(dst, src []byte) ([]byte, error) {
	e, _ := c.encoders.Get().(*kzstd.Encoder)
	if e == nil {
		var err error
		e, err = kzstd.NewWriter(nil, kzstd.WithEncoderLevel(kzstd.SpeedDefault), kzstd.WithEncoderConcurrency(1),
			kzstd.WithZeroFrames(true), kzstd.WithEncoderCRC(false), kzstd.WithAllLitEntropyCompression(true))
		if err != nil {
			return dst, err
		}
	}
	defer c.encoders.Put(e)
	return e.EncodeAll(src, dst[:0]), nil
}

var arrowZstdCodec = new(arrowZstd)

// parquetGoGenericOptions are parquetGoOptions with the row group limit given
// (the writer cuts row groups itself), the 2 MiB dictionary limit, and codec.
func parquetGoGenericOptions(schema *pqgo.Schema, maxRows int64, codec compress.Codec) []pqgo.WriterOption {
	return []pqgo.WriterOption{
		schema,
		pqgo.Compression(codec),
		pqgo.PageBufferSize(1 << 20),
		pqgo.DataPageVersion(2),
		pqgo.DataPageStatistics(true),
		pqgo.MaxRowsPerRowGroup(maxRows),
		pqgo.DictionaryMaxBytes(dictMaxBytes),
	}
}

// Write appends rec to the file. The first call picks the dictionary columns
// and creates the parquet-go writer.
func (g *genericWriter) Write(rec arrow.RecordBatch) error {
	if !rec.Schema().Equal(g.schema) {
		return fmt.Errorf("record schema %v does not match writer schema %v", rec.Schema(), g.schema)
	}
	if g.w == nil {
		g.dict = make([]bool, rec.NumCols())
		g.raw = make([]int64, rec.NumCols())
		for i, col := range rec.Columns() {
			g.dict[i] = wantDictionary(col)
		}
		s, err := parquetSchemaOf(g.schema, g.dict)
		if err != nil {
			return err
		}
		g.pqSchema = s
		g.w = pqgo.NewWriter(g.out, parquetGoGenericOptions(s, g.maxRows, g.codec)...)
		g.cols = g.w.ColumnWriters()
		if len(g.cols) != len(g.schema.Fields()) {
			return fmt.Errorf("parquet schema has %d leaf columns, arrow schema %d fields", len(g.cols), len(g.schema.Fields()))
		}
	}
	for c, f := range g.schema.Fields() {
		if !f.Nullable && rec.Column(c).NullN() > 0 {
			return fmt.Errorf("field %s is required but has %d nulls", f.Name, rec.Column(c).NullN())
		}
	}
	n := int(rec.NumRows())
	for off := 0; off < n; {
		take := min(n-off, int(g.maxRows-g.rgRows))
		var err error
		if g.byRow {
			err = g.writeRows(rec, off, take)
		} else {
			err = g.writeColumns(rec, off, take)
		}
		if err != nil {
			return err
		}
		off += take
		if g.rgRows += int64(take); g.rgRows == g.maxRows {
			if err := g.w.Flush(); err != nil {
				return err
			}
			g.rgRows = 0
			clear(g.raw)
		}
	}
	return nil
}

// writeColumns writes rows [off, off+n) of rec column by column through
// ColumnWriter.WriteRowValues, in write batches of probeValues values as
// pqarrow does (pageCadence runs after each batch).
func (g *genericWriter) writeColumns(rec arrow.RecordBatch, off, n int) error {
	for c, col := range rec.Columns() {
		for b := off; b < off+n; b += probeValues {
			bn := min(probeValues, off+n-b)
			for o := b; o < b+bn; o += valuesPerColWrite {
				k := min(valuesPerColWrite, b+bn-o)
				g.vals = fillValues(growValues(g.vals, k), 1, col, o, c, g.defs[c], false)
				if _, err := g.cols[c].WriteRowValues(g.vals[:k]); err != nil {
					return err
				}
			}
			if err := g.pageCadence(c, col, b, bn); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeRows is the /rows variant: rows [off, off+n) of rec as Values laid
// out row-major, written as parquet.Row slices through Writer.WriteRows.
func (g *genericWriter) writeRows(rec arrow.RecordBatch, off, n int) error {
	ncol := int(rec.NumCols())
	for b := off; b < off+n; b += probeValues {
		bn := min(probeValues, off+n-b)
		for o := b; o < b+bn; o += valuesPerColWrite {
			k := min(valuesPerColWrite, b+bn-o)
			g.vals = growValues(g.vals, k*ncol)
			for c, col := range rec.Columns() {
				fillValues(g.vals[c:], ncol, col, o, c, g.defs[c], true)
			}
			g.rows = g.rows[:0]
			for r := range k {
				g.rows = append(g.rows, g.vals[r*ncol:(r+1)*ncol:(r+1)*ncol])
			}
			if _, err := g.w.WriteRows(g.rows); err != nil {
				return err
			}
		}
		for c, col := range rec.Columns() {
			if err := g.pageCadence(c, col, b, bn); err != nil {
				return err
			}
		}
	}
	return nil
}

// pageCadence runs after each write batch: it cuts a page of dictionary
// column c once 1 MiB of raw (PLAIN) bytes has been written to it since the
// last page, as pqarrow does.
// parquet-go would otherwise cut dictionary pages at 1 MiB of int32 indices
// (262,144 values), which also delays its DictionaryMaxBytes check.
func (g *genericWriter) pageCadence(c int, col arrow.Array, off, n int) error {
	if !g.dict[c] {
		return nil
	}
	if g.raw[c] += rawBytes(col, off, n); g.raw[c] >= 1<<20 {
		g.raw[c] = 0
		return g.cols[c].Flush()
	}
	return nil
}

// Close flushes the last row group and writes the footer.
func (g *genericWriter) Close() error {
	if g.w == nil { // no batch: an empty file with the schema's columns
		s, err := parquetSchemaOf(g.schema, make([]bool, len(g.schema.Fields())))
		if err != nil {
			return err
		}
		g.w = pqgo.NewWriter(g.out, parquetGoGenericOptions(s, g.maxRows, g.codec)...)
	}
	return g.w.Close()
}

func growValues(v []pqgo.Value, n int) []pqgo.Value {
	if cap(v) < n {
		return make([]pqgo.Value, n)
	}
	return v[:n]
}

// encodeParquetGoGeneric writes batches as one Parquet file to w through the
// schema-generic writer.
func encodeParquetGoGeneric(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch, maxRows int64, byRow bool, codec compress.Codec) error {
	gw := newGenericWriter(w, schema, maxRows, byRow, codec)
	for _, rec := range batches {
		if err := gw.Write(rec); err != nil {
			_ = gw.Close()
			return err
		}
	}
	return gw.Close()
}

// parquetSchemaOf builds the Parquet schema of an Arrow schema at run time:
// the leaf types pqarrow writes for the same Arrow types, optional for
// nullable fields, RLE_DICTIONARY where dict[i], and field ids from the
// PARQUET:field_id metadata Iceberg puts on Arrow fields.
func parquetSchemaOf(s *arrow.Schema, dict []bool) (*pqgo.Schema, error) {
	fields := make([]orderedField, len(s.Fields()))
	for i, f := range s.Fields() {
		var node pqgo.Node
		switch t := f.Type.(type) {
		case *arrow.BooleanType:
			node = pqgo.Leaf(pqgo.BooleanType)
		case *arrow.Int32Type:
			node = pqgo.Int(32)
		case *arrow.Int64Type:
			node = pqgo.Int(64)
		case *arrow.Float64Type:
			node = pqgo.Leaf(pqgo.DoubleType)
		case *arrow.StringType, *arrow.LargeStringType:
			node = pqgo.String()
		case *arrow.BinaryType, *arrow.LargeBinaryType:
			node = pqgo.Leaf(pqgo.ByteArrayType)
		case *arrow.TimestampType:
			unit := map[arrow.TimeUnit]pqgo.TimeUnit{arrow.Millisecond: pqgo.Millisecond, arrow.Microsecond: pqgo.Microsecond, arrow.Nanosecond: pqgo.Nanosecond}[t.Unit]
			if unit == nil {
				return nil, fmt.Errorf("field %s: timestamp unit %v not supported", f.Name, t.Unit)
			}
			node = pqgo.TimestampAdjusted(unit, t.TimeZone != "")
		default:
			return nil, fmt.Errorf("field %s: arrow type %v not supported", f.Name, f.Type)
		}
		if dict[i] {
			node = pqgo.Encoded(node, &pqgo.RLEDictionary)
		}
		if f.Nullable {
			node = pqgo.Optional(node)
		} else {
			node = pqgo.Required(node)
		}
		if v, ok := f.Metadata.GetValue("PARQUET:field_id"); ok {
			id, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("field %s: bad field id %q", f.Name, v)
			}
			node = pqgo.FieldID(node, id)
		}
		fields[i] = orderedField{Node: node, name: f.Name}
	}
	return pqgo.NewSchema("schema", orderedGroup(fields)), nil
}

// orderedGroup is a parquet-go group node that keeps its fields in the given
// order (parquet.Group is a map and sorts them by name).
type orderedGroup []orderedField

type orderedField struct {
	pqgo.Node
	name string
}

func (f *orderedField) Name() string { return f.name }

func (f *orderedField) Value(base reflect.Value) reflect.Value {
	if base.Kind() == reflect.Map {
		return base.MapIndex(reflect.ValueOf(f.name))
	}
	return base.FieldByName(exportedName(f.name))
}

func (g orderedGroup) ID() int { return 0 }
func (g orderedGroup) String() string {
	var b strings.Builder
	b.WriteString("group {")
	for i := range g {
		fmt.Fprintf(&b, " %s: %v;", g[i].name, g[i].Node)
	}
	b.WriteString(" }")
	return b.String()
}
func (g orderedGroup) Type() pqgo.Type             { return pqgo.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }

func (g orderedGroup) Fields() []pqgo.Field {
	fields := make([]pqgo.Field, len(g))
	for i := range g {
		fields[i] = &g[i]
	}
	return fields
}

func (g orderedGroup) GoType() reflect.Type {
	sf := make([]reflect.StructField, len(g))
	for i := range g {
		sf[i] = reflect.StructField{Name: exportedName(g[i].name), Type: g[i].GoType(), Tag: reflect.StructTag(`parquet:` + strconv.Quote(g[i].name))}
	}
	return reflect.StructOf(sf)
}

func exportedName(name string) string { return "F_" + fmt.Sprintf("%x", name) }

// fillValues sets dst[0], dst[stride], ... to the values of col from row off
// on, as many as fit, and returns dst. Non-null values get definition level
// def (1 for an optional column, 0 for a required one), nulls the null Value
// (level 0). withColumn also sets the column index c, which Writer.WriteRows
// needs to route values and ColumnWriter.WriteRowValues ignores.
//
// Values are built with the constructors and then levelled in place in a
// second pass with the inlinable setters: Value.Level is not inlined, and
// calling it per value made this loop ~30× slower.
func fillValues(dst []pqgo.Value, stride int, col arrow.Array, off, c, def int, withColumn bool) []pqgo.Value {
	n := (len(dst) + stride - 1) / stride
	switch a := col.(type) {
	case *array.Int64:
		for i, v := range a.Int64Values()[off : off+n] {
			dst[i*stride] = pqgo.Int64Value(v)
		}
	case *array.Timestamp:
		for i, v := range a.TimestampValues()[off : off+n] {
			dst[i*stride] = pqgo.Int64Value(int64(v))
		}
	case *array.Int32:
		for i, v := range a.Int32Values()[off : off+n] {
			dst[i*stride] = pqgo.Int32Value(v)
		}
	case *array.Float64:
		for i, v := range a.Float64Values()[off : off+n] {
			dst[i*stride] = pqgo.DoubleValue(v)
		}
	case *array.Boolean:
		for i := range n {
			dst[i*stride] = pqgo.BooleanValue(a.Value(off + i))
		}
	case *array.String:
		fillBinary(dst, stride, a.ValueBytes(), a.ValueOffsets(), off, n)
	case *array.Binary:
		fillBinary(dst, stride, a.ValueBytes(), a.ValueOffsets(), off, n)
	case *array.LargeString:
		fillBinary(dst, stride, a.ValueBytes(), a.ValueOffsets(), off, n)
	case *array.LargeBinary:
		fillBinary(dst, stride, a.ValueBytes(), a.ValueOffsets(), off, n)
	default:
		panic(fmt.Sprintf("arrow type %v not supported", col.DataType()))
	}
	nulls := col.NullN() > 0
	if !nulls && def == 0 && !withColumn {
		return dst // required column: the constructors' zero levels are right
	}
	for i := range n {
		v := &dst[i*stride]
		if nulls && col.IsNull(off+i) {
			*v = pqgo.NullValue()
		} else {
			v.SetDefinitionLevel(def)
		}
		if withColumn {
			v.SetColumnIndex(c)
		}
	}
	return dst
}

// fillBinary fills n values from row off of a binary-like array given its
// ValueBytes and ValueOffsets. Of a sliced array, ValueBytes starts at the
// slice's first value, while ValueOffsets are relative to the whole buffer.
func fillBinary[O int32 | int64](dst []pqgo.Value, stride int, data []byte, offsets []O, off, n int) {
	base, offs := offsets[0], offsets[off:off+n+1]
	for i := range n {
		dst[i*stride] = pqgo.ByteArrayValue(data[offs[i]-base : offs[i+1]-base])
	}
}

// wantDictionary replays pqarrow's dictionary decision for the first batch
// of a column (arrow-go v18.8.0 with iceberg-go's cost-based fallback on, in
// commitWriteAndCheckPageLimit and checkDictionarySizeLimit, after every write
// batch of probeValues values):
//  1. a dictionary page is cut once the raw (PLAIN) bytes buffered reach the
//     data page size (1 MiB);
//  2. if the dictionary has reached the 2 MiB limit, fall back to PLAIN (with
//     no page cut yet the dictionary is dropped: a PLAIN chunk; otherwise the
//     chunk is mixed, which parquet-go's DictionaryMaxBytes reproduces);
//  3. while no page is cut, fall back to PLAIN if dictionary bytes plus the
//     estimated RLE index bytes are not smaller than the raw bytes.
//
// The replay stops at the end of the first batch (pqarrow keeps checking 3
// until its first page is cut) and is made once per file (pqarrow decides per
// row group). Booleans are never dictionary-encoded.
func wantDictionary(col arrow.Array) bool {
	var p dictProbe
	switch a := col.(type) {
	case *array.Int64:
		return probeFixed(&p, a.Int64Values(), a, 8)
	case *array.Timestamp:
		return probeFixed(&p, a.TimestampValues(), a, 8)
	case *array.Int32:
		return probeFixed(&p, a.Int32Values(), a, 4)
	case *array.Float64:
		return probeFixed(&p, a.Float64Values(), a, 8) // a map on float64: NaNs never match (arrow-go's memo table unifies them)
	case array.BinaryLike:
		seen := make(map[string]struct{})
		for i := range col.Len() {
			if !a.IsNull(i) {
				v := binaryValue(a, i)
				p.raw += int64(len(v)) + 4
				p.count++
				if _, ok := seen[v]; !ok {
					seen[v] = struct{}{}
					p.dict += int64(len(v)) + 4
				}
			}
			if (i+1)%probeValues == 0 || i+1 == col.Len() {
				if done, keep := p.check(len(seen)); done {
					return keep
				}
			}
		}
		return true
	default:
		return false
	}
}

// dictProbe holds the sizes arrow-go's dictionary encoder tracks for the
// current page: raw PLAIN bytes and value count since the last page, and the
// dictionary's encoded size.
type dictProbe struct {
	raw, dict int64
	count     int
	pageCut   bool
}

// check runs after a write batch; done reports that the decision is made.
func (p *dictProbe) check(distinct int) (done, keep bool) {
	if p.raw >= 1<<20 { // commitWriteAndCheckPageLimit: a dictionary page is cut
		p.pageCut, p.raw, p.count = true, 0, 0
	}
	switch {
	case p.dict >= dictMaxBytes:
		return true, p.pageCut // mixed after a page, else PLAIN
	case p.pageCut:
		return true, true // the cost check no longer runs
	case p.dict+rleIndexBytes(distinct, p.count) >= p.raw:
		return true, false
	}
	return false, true
}

func probeFixed[T comparable](p *dictProbe, vs []T, a arrow.Array, size int64) bool {
	seen := make(map[T]struct{}, min(len(vs), probeValues))
	for i, v := range vs {
		if !a.IsNull(i) {
			p.raw += size
			p.count++
			if _, ok := seen[v]; !ok {
				seen[v] = struct{}{}
				p.dict += size
			}
		}
		if (i+1)%probeValues == 0 || i+1 == len(vs) {
			if done, keep := p.check(len(seen)); done {
				return keep
			}
		}
	}
	return true
}

// rawBytes is the PLAIN size of the non-null values of col in [off, off+n):
// what pqarrow sizes dictionary-encoded pages by.
func rawBytes(col arrow.Array, off, n int) int64 {
	nonNull := int64(n)
	if col.NullN() > 0 {
		for i := off; i < off+n; i++ {
			if col.IsNull(i) {
				nonNull--
			}
		}
	}
	switch a := col.(type) {
	case *array.Int32:
		return 4 * nonNull
	case *array.String:
		o := a.ValueOffsets()
		return int64(o[off+n]-o[off]) + 4*nonNull
	case *array.Binary:
		o := a.ValueOffsets()
		return int64(o[off+n]-o[off]) + 4*nonNull
	case *array.LargeString:
		o := a.ValueOffsets()
		return o[off+n] - o[off] + 4*nonNull
	case *array.LargeBinary:
		o := a.ValueOffsets()
		return o[off+n] - o[off] + 4*nonNull
	}
	return 8 * nonNull
}

func binaryValue(a array.BinaryLike, i int) string {
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return a.ValueString(i)
	case *array.LargeBinary:
		return string(a.Value(i))
	}
	panic("unreachable")
}

// rleIndexBytes is arrow-go's dictEncoder.EstimatedDataEncodedSize for
// count indices into a dictionary of distinct entries.
func rleIndexBytes(distinct, count int) int64 {
	width := 0
	switch distinct {
	case 0:
	case 1:
		width = 1
	default:
		width = bits.Len32(uint32(distinct - 1))
	}
	bytesFor := func(nbits int) int { return (nbits + 7) / 8 }
	runs := bytesFor(count)
	maxRLE := max(runs+runs*width, runs*(1+bytesFor(width)))
	minRLE := max(1+bytesFor(512*width), 5+bytesFor(width))
	return int64(1 + maxRLE + minRLE)
}

// BenchmarkEncodeParquetGoGeneric encodes the Arrow batches with the
// schema-generic parquet-go writer (same file shape as EncodePqarrow):
//   - columns: ColumnWriter.WriteRowValues, column by column (the candidate);
//   - rows: Writer.WriteRows with parquet.Row (the row API, for comparison);
//   - columns-pqzstd: columns with parquet-go's own ZSTD codec, as
//     EncodeParquetGo uses (no entropy coding of literals in match-poor blocks).
func BenchmarkEncodeParquetGoGeneric(b *testing.B) {
	_, batches := input()
	for _, v := range []struct {
		name  string
		byRow bool
		codec compress.Codec
	}{{"columns", false, arrowZstdCodec}, {"rows", true, arrowZstdCodec}, {"columns-pqzstd", false, &pqgo.Zstd}} {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(arrowBytes(batches))
			var w countingWriter
			ops, cpu0 := 0, cpuTime(b)
			for b.Loop() {
				if err := encodeParquetGoGeneric(&w, eventsArrow, batches, maxRowGroupRows, v.byRow, v.codec); err != nil {
					b.Fatal(err)
				}
				ops++
			}
			report(b, ops, cpu0, w.n)
		})
	}
}

// chunkFacts describes every column chunk of a Parquet file, read with
// arrow-go's reader: per row group and column its codec, whether its data
// pages are dictionary-encoded, and the statistics Iceberg's column metrics
// come from (value count, null count, lower and upper bounds).
func chunkFacts(t *testing.T, data []byte) (rowGroups int, facts []string) {
	t.Helper()
	r, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	md := r.MetaData()
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		for i := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(i)
			if err != nil {
				t.Fatal(err)
			}
			pr, err := r.RowGroup(g).GetColumnPageReader(i)
			if err != nil {
				t.Fatal(err)
			}
			var dict, plain int
			for pr.Next() {
				enc := parquet.Encoding(pr.Page().Encoding())
				switch {
				case pr.Page().Type() == file.PageTypeDictionaryPage:
				case enc == parquet.Encodings.RLEDict || enc == parquet.Encodings.PlainDict:
					dict++
				default:
					plain++
				}
			}
			if err := pr.Err(); err != nil {
				t.Fatal(err)
			}
			kind := "mixed"
			switch {
			case plain == 0:
				kind = "dict"
			case dict == 0:
				kind = "plain"
			}
			stats := "no-stats"
			if ok, _ := cc.StatsSet(); ok {
				st, err := cc.Statistics()
				if err != nil {
					t.Fatal(err)
				}
				stats = fmt.Sprintf("values=%d nulls=%d", cc.NumValues(), st.NullCount())
				if st.HasMinMax() {
					lo, hi := st.EncodeMin(), st.EncodeMax()
					if cc.Type() == parquet.Types.Double {
						lo, hi = zeroBounds(lo, hi)
					}
					stats += fmt.Sprintf(" min=%x max=%x", lo, hi)
				}
			}
			facts = append(facts, fmt.Sprintf("rg%d %s:%s:%s %s", g, cc.PathInSchema(), compressName(cc.Compression()), kind, stats))
		}
	}
	return md.NumRowGroups(), facts
}

// zeroBounds applies the Parquet spec's rule for a zero DOUBLE bound (a min
// of 0 is written as -0.0, a max of 0 as +0.0), which arrow-go follows and
// parquet-go v0.32.0 does not: it writes the +0.0 it saw. A reader must
// accept either, and an Iceberg metrics converter would apply the rule.
func zeroBounds(lo, hi []byte) ([]byte, []byte) {
	fix := func(b []byte, neg bool) []byte {
		if len(b) != 8 || math.Float64frombits(binary.LittleEndian.Uint64(b)) != 0 {
			return b
		}
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Copysign(0, map[bool]float64{true: -1, false: 1}[neg])))
	}
	return fix(lo, true), fix(hi, false)
}

// readBack reads a Parquet file with pqarrow (an implementation independent
// of parquet-go) and checks it holds exactly the rows of batches: same
// column names, types, nullability and values, nulls included.
func readBack(t *testing.T, name string, data []byte, schema *arrow.Schema, batches []arrow.RecordBatch) {
	t.Helper()
	got, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(data), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("%s: reading back: %v", name, err)
	}
	defer got.Release()
	want := array.NewTableFromRecords(schema, batches)
	defer want.Release()
	if got.NumRows() != want.NumRows() || got.NumCols() != want.NumCols() {
		t.Fatalf("%s: read back %d rows × %d columns, want %d × %d", name, got.NumRows(), got.NumCols(), want.NumRows(), want.NumCols())
	}
	for i := range int(want.NumCols()) {
		gf, wf := got.Schema().Field(i), want.Schema().Field(i)
		if gf.Name != wf.Name || !arrow.TypeEqual(gf.Type, wf.Type) || gf.Nullable != wf.Nullable {
			t.Fatalf("%s: column %d read back as %v, want %v", name, i, gf, wf)
		}
		if !array.ChunkedEqual(got.Column(i).Data(), want.Column(i).Data()) {
			t.Fatalf("%s: column %s differs from the input", name, wf.Name)
		}
	}
}

// mixedSchema covers every type the generic writer supports, nullable and
// not, with columns pqarrow dictionary-encodes and columns it does not.
var mixedSchema = arrow.NewSchema([]arrow.Field{
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64, Metadata: arrow.NewMetadata([]string{"PARQUET:field_id"}, []string{"1"})},
	{Name: "code", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "blob", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "at_utc", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "gone", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, // all null
	{Name: "big", Type: arrow.PrimitiveTypes.Int64, Nullable: true},  // distinct: PLAIN
	{Name: "note", Type: arrow.BinaryTypes.String},                   // cheap as a dictionary, but over 2 MiB: PLAIN
}, nil)

// mixedBatches makes n batches of rows rows of mixedSchema from a fixed seed.
func mixedBatches(n, rows int) []arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := array.NewRecordBuilder(memory.DefaultAllocator, mixedSchema)
	defer b.Release()
	labels := []string{"", "alpha", "beta", "gamma", "δέλτα", "a longer label with spaces"}
	var out []arrow.RecordBatch
	for k := range n {
		for i := range rows {
			r := k*rows + i
			null := func(pct int) bool { return rng.IntN(100) < pct }
			b.Field(0).(*array.Int64Builder).Append(int64(r))
			if c := b.Field(1).(*array.Int32Builder); null(10) {
				c.AppendNull()
			} else {
				c.Append(int32(rng.IntN(50) - 25))
			}
			if c := b.Field(2).(*array.Float64Builder); null(30) {
				c.AppendNull()
			} else {
				c.Append(rng.NormFloat64() * 1e3)
			}
			if c := b.Field(3).(*array.StringBuilder); null(20) {
				c.AppendNull()
			} else {
				c.Append(labels[rng.IntN(len(labels))])
			}
			if c := b.Field(4).(*array.BinaryBuilder); null(5) {
				c.AppendNull()
			} else {
				v := make([]byte, rng.IntN(24))
				for j := range v {
					v[j] = byte(rng.Uint32())
				}
				c.Append(v)
			}
			b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(1795219200_000_000 + int64(r)*137))
			if c := b.Field(6).(*array.TimestampBuilder); null(15) {
				c.AppendNull()
			} else {
				c.Append(arrow.Timestamp(1795219200_000_000 + int64(rng.IntN(100))*3_600_000_000))
			}
			if c := b.Field(7).(*array.BooleanBuilder); null(25) {
				c.AppendNull()
			} else {
				c.Append(rng.IntN(3) == 0)
			}
			b.Field(8).(*array.Int64Builder).AppendNull()
			if c := b.Field(9).(*array.Int64Builder); null(1) {
				c.AppendNull()
			} else {
				c.Append(int64(rng.Uint64()))
			}
			// Each value twice in a row, 304 PLAIN bytes: a dictionary halves it,
			// but outgrows 2 MiB within the first write batch of row groups 0
			// and 1 (mixed in both writers) and stays under it in row group 2.
			// (Where it crosses 2 MiB in the last write batch of a row group,
			// pqarrow's chunk stays all dictionary, as its fallback comes after
			// the last value; parquet-go's, checked at each page, ends PLAIN.)
			b.Field(10).(*array.StringBuilder).Append(fmt.Sprintf("%0300d", r/2))
		}
		out = append(out, b.NewRecordBatch())
	}
	return out
}

// encodePqarrowWith is encodePqarrow for any schema and row group limit.
func encodePqarrowWith(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch, maxRows int64) error {
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(memory.DefaultAllocator), pqarrow.WithStoreSchema())
	fw, err := pqarrow.NewFileWriter(schema, w, icebergWriterProps(schema, parquet.WithMaxRowGroupLength(maxRows)), arrProps)
	if err != nil {
		return err
	}
	for _, rec := range batches {
		if err := fw.WriteBuffered(rec); err != nil {
			_ = fw.Close()
			return err
		}
	}
	return fw.Close()
}

// TestGenericParquetGo checks the schema-generic parquet-go writer, both
// variants, on the benchmark's events and on a mixed schema with nulls and
// several row groups: the file reads back with pqarrow to exactly the input,
// and has pqarrow's row groups and, per column chunk, pqarrow's codec,
// dictionary or PLAIN data pages, value and null counts and min/max.
func TestGenericParquetGo(t *testing.T) {
	_, events := input()
	mixed := mixedBatches(3, 20_000)
	// Slices of batches: arrays with an offset (and binary offsets not from 0).
	sliced := []arrow.RecordBatch{mixed[0].NewSlice(7, 19_993), mixed[1].NewSlice(0, 20_000), mixed[2].NewSlice(12_345, 12_346)}
	defer func() {
		for _, rec := range append(mixed, sliced...) {
			rec.Release()
		}
	}()
	for _, tc := range []struct {
		name    string
		schema  *arrow.Schema
		batches []arrow.RecordBatch
		maxRows int64
	}{
		{"events", eventsArrow, events, maxRowGroupRows},
		{"mixed", mixedSchema, mixed, 25_000}, // 3 row groups: 25,000 + 25,000 + 10,000
		{"sliced", mixedSchema, sliced, 25_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pa bytes.Buffer
			if err := encodePqarrowWith(&pa, tc.schema, tc.batches, tc.maxRows); err != nil {
				t.Fatal(err)
			}
			readBack(t, "pqarrow", pa.Bytes(), tc.schema, tc.batches)
			wantGroups, want := chunkFacts(t, pa.Bytes())
			t.Logf("pqarrow:          %d bytes, %d row groups", pa.Len(), wantGroups)
			for _, byRow := range []bool{false, true} {
				name := map[bool]string{false: "generic/columns", true: "generic/rows"}[byRow]
				var pg bytes.Buffer
				if err := encodeParquetGoGeneric(&pg, tc.schema, tc.batches, tc.maxRows, byRow, arrowZstdCodec); err != nil {
					t.Fatal(err)
				}
				readBack(t, name, pg.Bytes(), tc.schema, tc.batches)
				groups, got := chunkFacts(t, pg.Bytes())
				t.Logf("%-16s: %d bytes, %d row groups", name, pg.Len(), groups)
				if groups != wantGroups {
					t.Fatalf("%s: %d row groups, pqarrow %d", name, groups, wantGroups)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("%s: column chunk differs:\n  pqarrow %s\n  generic %s", name, want[i], got[i])
					}
				}
			}
			for _, f := range want {
				t.Log(f)
			}
		})
	}
}
