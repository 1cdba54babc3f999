package appendbench

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go/table"
	pqgo "github.com/parquet-go/parquet-go"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// The input is built once per process and shared by every benchmark; the
// batches keep one reference of their own for the whole run.
var input = sync.OnceValues(func() ([]event, []arrow.RecordBatch) {
	evs := genEvents()
	return evs, toArrow(evs)
})

// icebergWriterProps are the Parquet writer properties iceberg-go v0.7.0 uses
// for a table that sets none of write.parquet.* (table/internal/parquet_files.go:
// GetWriteProperties and getWriteProperties).
// Options in extra are applied last (tests use them to lower the row group limit).
func icebergWriterProps(schema *arrow.Schema, extra ...parquet.WriterProperty) *parquet.WriterProperties {
	props := []parquet.WriterProperty{
		parquet.WithMaxRowGroupLength(1048576),          // write.parquet.row-group-limit
		parquet.WithDataPageSize(1 << 20),               // write.parquet.page-size-bytes
		parquet.WithDataPageVersion(parquet.DataPageV2), // write.parquet.page-version
		parquet.WithBatchSize(20000),                    // write.parquet.page-row-limit
		parquet.WithDictionaryPageSizeLimit(2 << 20),    // write.parquet.dict-size-bytes
		parquet.WithCompression(compress.Codecs.Zstd),   // write.parquet.compression-codec
		parquet.WithCompressionLevel(-1),                // write.parquet.compression-level: zstd SpeedDefault
		parquet.WithMaxBloomFilterBytes(1 << 20),        // write.parquet.bloom-filter-max-bytes (no filter enabled)
		parquet.WithDictionaryDefault(true),             // parquet.enable.dictionary
		// Statistics: arrow-go's default (on); page index: arrow-go's default (off).
	}
	// iceberg-go turns on parquet-mr's cost-based dictionary fallback per leaf.
	for _, f := range schema.Fields() {
		props = append(props, parquet.WithDictionaryCostFallbackFor(f.Name, true))
	}
	return parquet.NewWriterProperties(append(props, extra...)...)
}

// parquetGoOptions match icebergWriterProps as far as parquet-go allows: zstd
// at its default level (the same klauspost SpeedDefault), v2 data pages of
// 1 MiB, page statistics, one row group. Dictionary columns come from the
// struct tags of event. parquet-go always writes a page index.
func parquetGoOptions() []pqgo.WriterOption {
	return []pqgo.WriterOption{
		pqgo.Compression(&pqgo.Zstd),
		pqgo.PageBufferSize(1 << 20),
		pqgo.DataPageVersion(2),
		pqgo.DataPageStatistics(true),
		pqgo.MaxRowsPerRowGroup(1048576),
	}
}

// countingWriter discards what it is given and counts it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// encodePqarrow writes batches as one Parquet file to w, as iceberg-go's
// ParquetFileWriter does (WriteBuffered, so batches share row groups).
func encodePqarrow(w io.Writer, batches []arrow.RecordBatch) error {
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(memory.DefaultAllocator), pqarrow.WithStoreSchema())
	fw, err := pqarrow.NewFileWriter(eventsArrow, w, icebergWriterProps(eventsArrow), arrProps)
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

// encodeParquetGo writes rows as one Parquet file to w with parquet-go's
// fastest path for Go values: GenericWriter[event], whose schema matches the
// type, so Write maps struct fields straight into column buffers.
func encodeParquetGo(w io.Writer, rows []event) error {
	pw := pqgo.NewGenericWriter[event](w, parquetGoOptions()...)
	for start := 0; start < len(rows); start += batchRows {
		if _, err := pw.Write(rows[start:min(start+batchRows, len(rows))]); err != nil {
			_ = pw.Close()
			return err
		}
	}
	return pw.Close()
}

// cpuTime is the CPU time (user + system) the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report sets the figures every benchmark reports: rows/s of the op (wall
// clock), rows per CPU-second (process CPU time since cpu0, taken just before
// the loop: steadier than wall time on a shared machine, and per core when
// GOMAXPROCS is 1), and the written Parquet bytes per op.
func report(b *testing.B, ops int, cpu0 time.Duration, fileBytes int64) {
	cpu := cpuTime(b) - cpu0
	if ops == 0 {
		b.Fatal("no op ran")
	}
	b.ReportMetric(float64(ops)*rowsPerOp/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(ops)*rowsPerOp/cpu.Seconds(), "rows/cpu-s")
	b.ReportMetric(float64(fileBytes)/float64(ops), "file-B/op")
}

// BenchmarkEncodePqarrow is the ceiling: the batches encoded to Parquet in
// memory with the writer properties iceberg-go uses by default.
func BenchmarkEncodePqarrow(b *testing.B) {
	_, batches := input()
	b.ReportAllocs()
	b.SetBytes(arrowBytes(batches))
	var w countingWriter
	ops, cpu0 := 0, cpuTime(b)
	for b.Loop() {
		if err := encodePqarrow(&w, batches); err != nil {
			b.Fatal(err)
		}
		ops++
	}
	report(b, ops, cpu0, w.n)
}

// BenchmarkEncodeParquetGo encodes the same rows with parquet-go.
//   - structs: from a ready []event (parquet-go's own input; encoder only);
//   - fromArrow: converting the Arrow batches to []event first, as wharf's
//     path would have to (the slice is reused across ops).
func BenchmarkEncodeParquetGo(b *testing.B) {
	evs, batches := input()
	b.Run("structs", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(arrowBytes(batches))
		var w countingWriter
		ops, cpu0 := 0, cpuTime(b)
		for b.Loop() {
			if err := encodeParquetGo(&w, evs); err != nil {
				b.Fatal(err)
			}
			ops++
		}
		report(b, ops, cpu0, w.n)
	})
	b.Run("fromArrow", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(arrowBytes(batches))
		var w countingWriter
		rows := make([]event, 0, rowsPerOp)
		ops, cpu0 := 0, cpuTime(b)
		for b.Loop() {
			rows = fromArrow(rows, batches)
			if err := encodeParquetGo(&w, rows); err != nil {
				b.Fatal(err)
			}
			ops++
		}
		report(b, ops, cpu0, w.n)
	})
}

// BenchmarkAppend is wharf's append path per op: load the table, WriteFiles
// the batches into a local file warehouse (SQLite catalog, data on disk under
// the test's temp dir), and commit them as one epoch through the ledger.
// Afterwards a scan must find every appended row.
func BenchmarkAppend(b *testing.B) {
	_, batches := input()
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = wh.Close() })
	id, err := lake.Ident("events")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := wh.CreateTable(ctx, id, eventsIceberg, lake.TableOptions{}); err != nil {
		b.Fatal(err)
	}
	// A quiet logger: the benchmark output stays parseable; a retry shows as a slower op.
	l, err := wh.Ledger("bench", commit.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	res, err := l.Recover(ctx, []table.Identifier{id})
	if err != nil {
		b.Fatal(err)
	}
	epoch, pos := res.NextEpoch, int64(0)

	b.ReportAllocs()
	b.SetBytes(arrowBytes(batches))
	var fileBytes int64
	var committing time.Duration // wall time in LoadTable + Commit
	ops, cpu0 := 0, cpuTime(b)
	for b.Loop() {
		t0 := time.Now()
		tbl, err := wh.LoadTable(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		for _, rec := range batches {
			rec.Retain() // WriteFiles releases what it reads
		}
		t1 := time.Now()
		files, err := lake.WriteFiles(ctx, tbl, eventsArrow, lake.Batches(batches...))
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		ranges := []commit.Range{{Kind: "gen", Name: "bench", Partition: 0, From: pos, To: pos + rowsPerOp}}
		r, err := l.Commit(ctx, commit.Epoch{Number: epoch, Sources: ranges}, commit.Target{Table: id, Files: files})
		if err != nil {
			b.Fatal(err)
		}
		committing += t1.Sub(t0) + time.Since(t2)
		if r.Duplicate {
			b.Fatalf("epoch %d: committed as a duplicate", epoch)
		}
		for _, f := range files {
			fileBytes += f.FileSizeBytes()
		}
		epoch, pos, ops = epoch+1, pos+rowsPerOp, ops+1
	}
	report(b, ops, cpu0, fileBytes)
	b.ReportMetric(float64(committing.Nanoseconds())/float64(ops), "commit-ns/op")

	// b.Loop has stopped the timer: the guard is not measured.
	if got, want := countRows(b, wh, id), int64(ops)*rowsPerOp; got != want {
		b.Fatalf("table has %d rows after %d appends of %d, want %d", got, ops, rowsPerOp, want)
	}
}

// countRows scans the table's id column and counts the rows.
func countRows(b *testing.B, wh *lake.Warehouse, id table.Identifier) int64 {
	b.Helper()
	ctx := context.Background()
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	_, it, err := tbl.Scan(table.WithSelectedFields("id")).ToArrowRecords(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for rec, err := range it {
		if err != nil {
			b.Fatal(err)
		}
		n += rec.NumRows()
		rec.Release()
	}
	return n
}
