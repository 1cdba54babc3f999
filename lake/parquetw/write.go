package parquetw

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"
)

// Option tunes Write.
type Option func(*config)

type config struct {
	targetSize int64
	writeUUID  uuid.UUID
}

// WithTargetFileSize rolls to a new data file once a file reaches about n
// bytes (default: the table's write.target-file-size-bytes, else 512 MiB).
func WithTargetFileSize(n int64) Option { return func(c *config) { c.targetSize = n } }

// WithWriteUUID sets the UUID in the names of the files of this write
// (default: a fresh random one per call).
func WithWriteUUID(id uuid.UUID) Option { return func(c *config) { c.writeUUID = id } }

const (
	targetSizeKey     = "write.target-file-size-bytes"
	targetSizeDefault = 512 << 20
)

// writer is the state of one Write call.
type writer struct {
	ctx     context.Context
	tbl     *table.Table
	schema  *iceberg.Schema
	spec    iceberg.PartitionSpec
	fs      iceio.WriteFileIO
	loc     table.LocationProvider
	cols    []column
	nsrc    int
	modes   []metricsMode
	encOpts EncoderOptions
	target  int64
	uuid    uuid.UUID
	part    *partitioner
	parts   []*partition // by partition id
	files   []iceberg.DataFile
	written []string // paths of closed files, removed if the write fails
	idx     []int32  // scratch: row indices grouped by partition
	counts  []int32
}

// partition is one partition of this write with its open file.
type partition struct {
	id     int
	values map[int]any // partition field id → value
	path   string      // partition path under the data location ("" unpartitioned)
	files  int         // files opened so far
	cur    *openFile
}

type openFile struct {
	path string
	f    iceio.FileWriter
	out  *errWriter
	enc  *Encoder
}

// Write writes batches as Parquet data files of tbl and returns them
// uncommitted: fanned out per partition of the table's default spec (one
// open file per partition), rolled at the target size, with Iceberg column
// metrics, under tbl's data location through tbl's FS, named
// {partition:05d}-0-{uuid}-{seq:05d}.parquet with a fresh UUID per call, so a
// retried or replayed write never overwrites a file a snapshot may
// reference.
//
// The batches' fields must match the table schema's top-level fields by
// PARQUET:field_id metadata (as table.SchemaToArrowSchema(schema, nil, true,
// false) gives) or else by name, with the Arrow types that function
// produces (string and binary may also be large); optional fields may be
// missing (written as nulls); fields the table lacks are an error. Every
// batch of a call has the same schema.
//
// Nested types (list, map, struct) are not supported: Write returns an error
// wrapping ErrNested for such a table, and lake.WriteFiles writes those
// tables with iceberg-go's table.WriteRecords instead.
//
// Write releases every batch it reads, also on error. On error it returns
// no DataFile and removes the files it wrote (best effort); storage errors
// are classified with internal/errkind (Retryable for throttling, timeouts
// and 5xx answers).
func Write(ctx context.Context, tbl *table.Table, schema *arrow.Schema, batches iter.Seq2[arrow.RecordBatch, error], opts ...Option) (_ []iceberg.DataFile, err error) {
	w, err := newWriter(ctx, tbl, schema, opts)
	if err != nil {
		for rec, err := range batches {
			if err != nil {
				break
			}
			rec.Release()
		}
		return nil, err
	}
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
	for rec, err := range batches {
		if err != nil {
			return nil, err
		}
		err = w.write(rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	for _, p := range w.parts {
		if err := w.closeFile(p); err != nil {
			return nil, err
		}
	}
	return w.files, nil
}

func newWriter(ctx context.Context, tbl *table.Table, schema *arrow.Schema, opts []Option) (*writer, error) {
	cfg := config{writeUUID: uuid.New()}
	for _, o := range opts {
		o(&cfg)
	}
	props := tbl.Properties()
	w := &writer{ctx: ctx, tbl: tbl, schema: tbl.Schema(), spec: tbl.Spec(), uuid: cfg.writeUUID, nsrc: len(schema.Fields())}
	var err error
	if w.cols, err = bindColumns(w.schema, schema); err != nil {
		return nil, err
	}
	if w.modes, err = metricsModes(props, w.cols); err != nil {
		return nil, err
	}
	if w.encOpts, err = encoderOptions(props); err != nil {
		return nil, err
	}
	w.target = cfg.targetSize
	if w.target <= 0 {
		if w.target, err = intProp(props, targetSizeKey, targetSizeDefault); err != nil {
			return nil, err
		}
	}
	if w.part, err = newPartitioner(w.spec, w.schema, w.cols); err != nil {
		return nil, err
	}
	fsys, err := tbl.FS(ctx)
	if err != nil {
		return nil, ioError("opening the file system of", tbl.Location(), err)
	}
	var ok bool
	if w.fs, ok = fsys.(iceio.WriteFileIO); !ok {
		return nil, fmt.Errorf("parquetw: the file system of table %s (%T) cannot write files", tbl.Location(), fsys)
	}
	if w.loc, err = tbl.LocationProvider(); err != nil {
		return nil, err
	}
	return w, nil
}

// bindColumns matches the table's top-level fields with the input's Arrow
// fields, by field id, else by name.
func bindColumns(sc *iceberg.Schema, in *arrow.Schema) ([]column, error) {
	byID := map[int]int{}
	for i, f := range in.Fields() {
		if v, ok := f.Metadata.GetValue("PARQUET:field_id"); ok {
			id, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("parquetw: input field %s: bad field id %q", f.Name, v)
			}
			byID[id] = i
		}
	}
	used := make([]bool, len(in.Fields()))
	var cols []column
	for _, f := range sc.Fields() {
		t, ok := f.Type.(iceberg.PrimitiveType)
		if !ok {
			return nil, fmt.Errorf("%w: column %s is %s", ErrNested, f.Name, f.Type)
		}
		src, found := byID[f.ID]
		if !found {
			if ix := in.FieldIndices(f.Name); len(ix) == 1 {
				src, found = ix[0], true
			}
		}
		c := column{name: f.Name, fieldID: f.ID, typ: t, required: f.Required, src: -1}
		if found {
			if used[src] {
				return nil, fmt.Errorf("parquetw: input field %s matches two table columns", in.Field(src).Name)
			}
			used[src] = true
			if err := checkArrowType(t, in.Field(src).Type); err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
			c.src = src
		} else if f.Required {
			return nil, fmt.Errorf("parquetw: required column %s (field id %d) is missing from the input", f.Name, f.ID)
		}
		cols = append(cols, c)
	}
	for i, u := range used {
		if !u {
			return nil, fmt.Errorf("parquetw: input field %s is not in the table schema", in.Field(i).Name)
		}
	}
	return cols, nil
}

// encoderOptions reads the write.parquet.* properties iceberg-go honours,
// and the bloom filter false-positive probability per column.
func encoderOptions(props iceberg.Properties) (EncoderOptions, error) {
	var o EncoderOptions
	var err error
	ints := []struct {
		key string
		def int64
		dst *int64
	}{
		{"write.parquet.row-group-limit", 1048576, &o.MaxRowGroupRows},
		{"write.parquet.row-group-size-bytes", 128 << 20, &o.MaxRowGroupBytes},
		{"write.parquet.page-size-bytes", 1 << 20, &o.PageSize},
		{"write.parquet.dict-size-bytes", 2 << 20, &o.DictMaxBytes},
	}
	for _, p := range ints {
		if *p.dst, err = intProp(props, p.key, p.def); err != nil {
			return o, err
		}
	}
	rows, err := intProp(props, "write.parquet.page-row-limit", 20000)
	if err != nil {
		return o, err
	}
	o.PageRowLimit = int(rows)
	o.NoDictionary = props.Get("parquet.enable.dictionary", "true") != "true"
	o.DataPageV1 = props.Get("write.parquet.page-version", "2") == "1"
	level, err := strconv.Atoi(props.Get("write.parquet.compression-level", "-1"))
	if err != nil {
		return o, fmt.Errorf("parquetw: write.parquet.compression-level: %w", err)
	}
	if o.Codec, err = codecFor(props.Get("write.parquet.compression-codec", "zstd"), level); err != nil {
		return o, err
	}
	o.BloomFilters, o.BloomFilterMaxBytes, err = bloomOptions(props)
	return o, err
}

func intProp(props iceberg.Properties, key string, def int64) (int64, error) {
	v, ok := props[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("parquetw: table property %s=%q: want a positive integer", key, v)
	}
	return n, nil
}

// write writes one batch: to its partition's file if the batch holds one
// partition, else grouped by partition with one Take.
func (w *writer) write(rec arrow.RecordBatch) error {
	if int(rec.NumCols()) != w.nsrc {
		return fmt.Errorf("parquetw: record batch has %d columns, the input schema %d", rec.NumCols(), w.nsrc)
	}
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	ids, err := w.part.assign(rec)
	if err != nil {
		return err
	}
	for len(w.parts) < w.part.count() {
		w.parts = append(w.parts, nil)
	}
	// Fast path: unpartitioned, or every row in one partition.
	if ids == nil || !slices.ContainsFunc(ids[1:], func(id int32) bool { return id != ids[0] }) {
		id := 0
		if ids != nil {
			id = int(ids[0])
		}
		return w.writeRows(w.partitionOf(id), rec)
	}
	// Slow path: a stable counting sort of the rows by partition, one Take,
	// and a slice of the result per partition.
	np := w.part.count()
	w.counts = slices.Grow(w.counts[:0], np+1)[:np+1]
	clear(w.counts)
	for _, id := range ids {
		w.counts[id+1]++
	}
	for i := 1; i <= np; i++ {
		w.counts[i] += w.counts[i-1]
	}
	starts := slices.Clone(w.counts)
	w.idx = slices.Grow(w.idx[:0], n)[:n]
	for r, id := range ids {
		w.idx[w.counts[id]] = int32(r)
		w.counts[id]++
	}
	ib := array.NewInt32Builder(memory.DefaultAllocator)
	ib.AppendValues(w.idx, nil)
	indices := ib.NewArray()
	ib.Release()
	defer indices.Release()
	out, err := compute.Take(w.ctx, *compute.DefaultTakeOptions(), compute.NewDatum(rec), compute.NewDatum(indices))
	if err != nil {
		return fmt.Errorf("parquetw: grouping rows by partition: %w", err)
	}
	defer out.Release()
	sorted := out.(*compute.RecordDatum).Value
	for id := range np {
		lo, hi := int64(starts[id]), int64(starts[id+1])
		if lo == hi {
			continue
		}
		sub := sorted.NewSlice(lo, hi)
		err := w.writeRows(w.partitionOf(id), sub)
		sub.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) partitionOf(id int) *partition {
	if p := w.parts[id]; p != nil {
		return p
	}
	p := &partition{id: id}
	if !w.spec.IsUnpartitioned() {
		vals := w.part.values(id)
		p.values = make(map[int]any, len(vals))
		for i, pf := range w.part.fields {
			p.values[pf.pf.FieldID] = vals[i]
		}
		p.path = w.spec.PartitionToPath(partitionRow(vals), w.schema)
	}
	w.parts[id] = p
	return p
}

type partitionRow []any

func (r partitionRow) Size() int        { return len(r) }
func (r partitionRow) Get(i int) any    { return r[i] }
func (r partitionRow) Set(i int, v any) { r[i] = v }

// rollCheckRows is how many rows are written between checks of the file
// size against the target.
const rollCheckRows = 2 * valuesPerColWrite

// writeRows writes all rows of rec to p's file, rolling to a new file when
// the file reaches the target size (checked every rollCheckRows rows).
func (w *writer) writeRows(p *partition, rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	for off := 0; off < n; {
		if p.cur == nil {
			if err := w.openFile(p); err != nil {
				return err
			}
		}
		k := min(n-off, rollCheckRows)
		if err := p.cur.enc.write(rec, off, k, off > 0 && p.cur.enc.w != nil); err != nil {
			return p.cur.fail("writing", err)
		}
		off += k
		if p.cur.enc.Size() >= w.target {
			if err := w.closeFile(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *writer) openFile(p *partition) error {
	name := fmt.Sprintf("%05d-0-%s-%05d.parquet", p.id, w.uuid, p.files)
	if p.path != "" {
		name = p.path + "/" + name
	}
	path := w.loc.NewDataLocation(name)
	f, err := w.fs.Create(path)
	if err != nil {
		return ioError("creating", path, err)
	}
	p.files++
	out := &errWriter{w: f}
	p.cur = &openFile{path: path, f: f, out: out, enc: newEncoder(out, w.cols, w.nsrc, w.encOpts)}
	return nil
}

// fail classifies an error of writing f: a storage error if the file's
// writer failed, else the encoder's.
func (f *openFile) fail(op string, err error) error {
	if f.out.err != nil {
		return ioError(op, f.path, f.out.err)
	}
	return fmt.Errorf("parquetw: %s %s: %w", op, f.path, err)
}

// closeFile finishes p's open file, if any, and records its DataFile.
func (w *writer) closeFile(p *partition) error {
	f := p.cur
	if f == nil {
		return nil
	}
	p.cur = nil
	if err := f.enc.Close(); err != nil {
		_ = f.f.Close()
		w.written = append(w.written, f.path)
		return f.fail("writing", err)
	}
	w.written = append(w.written, f.path)
	if err := f.f.Close(); err != nil { // an upload completes here
		return ioError("closing", f.path, err)
	}
	df, err := w.dataFile(p, f)
	if err != nil {
		return err
	}
	w.files = append(w.files, df)
	return nil
}

func (w *writer) dataFile(p *partition, f *openFile) (iceberg.DataFile, error) {
	m, err := metricsOf(f.enc.w.File().Metadata(), w.cols, w.modes, f.enc.state)
	if err != nil {
		return nil, err
	}
	var logical map[int]string
	if !w.spec.IsUnpartitioned() {
		logical = map[int]string{}
		for _, pf := range w.part.fields {
			switch pf.pf.Transform.ResultType(pf.srcType).(type) {
			case iceberg.DateType:
				logical[pf.pf.FieldID] = "date"
			case iceberg.TimeType:
				logical[pf.pf.FieldID] = "time-micros"
			case iceberg.TimestampType, iceberg.TimestampTzType:
				logical[pf.pf.FieldID] = "timestamp-micros"
			case iceberg.DecimalType:
				logical[pf.pf.FieldID] = "decimal"
			case iceberg.UUIDType:
				logical[pf.pf.FieldID] = "uuid"
			}
		}
	}
	b, err := iceberg.NewDataFileBuilder(w.spec, iceberg.EntryContentData, f.path, iceberg.ParquetFile,
		p.values, logical, nil, m.records, f.enc.Written())
	if err != nil {
		return nil, fmt.Errorf("parquetw: %s: %w", f.path, err)
	}
	if len(m.lower) > 0 {
		b.LowerBoundValues(m.lower)
	}
	if len(m.upper) > 0 {
		b.UpperBoundValues(m.upper)
	}
	b.ColumnSizes(m.colSizes).ValueCounts(m.values).NullValueCounts(m.nulls).NaNValueCounts(m.nans).SplitOffsets(m.splitOffsets)
	return b.Build(), nil
}

// abort closes the open files and removes every file of this write.
func (w *writer) abort() {
	for _, p := range w.parts {
		if p != nil && p.cur != nil {
			_ = p.cur.f.Close()
			w.written = append(w.written, p.cur.path)
			p.cur = nil
		}
	}
	for _, path := range w.written {
		if err := w.fs.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) && !os.IsNotExist(err) {
			continue // best effort: an orphan for maintenance to collect
		}
	}
	w.files = nil
}

// errWriter remembers the first error of the storage writer, so that a
// failed write is classified as a storage error however parquet-go wraps it.
type errWriter struct {
	w   iceio.FileWriter
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}
