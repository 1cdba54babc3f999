package appendbench

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/wharfdata/wharf/lake/parquetw"
)

// The schema-generic Arrow → parquet-go writer measured here is
// lake/parquetw's Encoder, the one wharf's append path uses: the Parquet
// schema is built at run time from the *arrow.Schema, and values move
// column by column from the Arrow arrays into parquet-go's column writers as
// parquet.Value (see its doc comment for why
// (*parquet.ColumnWriter).WriteRowValues, and for the file shape it keeps:
// pqarrow's dictionary decisions, page cadence, ZSTD options, v2 pages,
// statistics and row groups). The /rows variant (EncoderOptions.RowAPI)
// writes through Writer.WriteRows instead.

const maxRowGroupRows = 1048576 // write.parquet.row-group-limit

// arrowZstdCodec is parquetw's ZSTD codec with arrow-go's encoder options.
var arrowZstdCodec = parquetw.ZstdCodec(-1)

// encodeParquetGoGeneric writes batches as one Parquet file to w through the
// schema-generic writer.
func encodeParquetGoGeneric(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch, maxRows int64, byRow bool, codec compress.Codec) error {
	enc, err := parquetw.NewEncoder(w, schema, parquetw.EncoderOptions{MaxRowGroupRows: maxRows, RowAPI: byRow, Codec: codec})
	if err != nil {
		return err
	}
	for _, rec := range batches {
		if err := enc.Write(rec); err != nil {
			_ = enc.Close()
			return err
		}
	}
	return enc.Close()
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
			kind := pageKind(t, r, g, i)
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
