package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// filesPerTable splits the table into this many data files of consecutive
// ids (1M rows each at 10M rows), so min/max pruning leaves one per lookup:
// $WHARF_LOAD_FILES, else 10.
func filesPerTable() int64 {
	if n, err := strconv.ParseInt(os.Getenv("WHARF_LOAD_FILES"), 10, 64); err == nil && n > 0 {
		return n
	}
	return 10
}

const batchRows = 64 << 10

var eventsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "url", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "status", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
}, nil)

// warehouse is a generated events table on disk, complete.
type warehouse struct {
	Dir   string   `json:"-"` // wharf serve --data
	Rows  int64    `json:"rows"`
	Files []string `json:"files"` // the current snapshot's data files
	Gen   float64  `json:"gen_seconds"`
}

// completeFile marks a finished warehouse; it is written last.
const completeFile = "load-complete.json"

// cachedWarehouse returns the warehouse of rows events in files data files
// under root
// (~/.cache/wharf/bench by default), generating it on first use: through
// lake.WriteFiles, one call per data file, and one ledger commit.
func cachedWarehouse(ctx context.Context, root string, rows, files int64) (*warehouse, error) {
	dir := filepath.Join(root, "load-"+strconv.FormatInt(rows, 10))
	if files != 10 {
		dir += "-" + strconv.FormatInt(files, 10) + "files"
	}
	if raw, err := os.ReadFile(filepath.Join(dir, completeFile)); err == nil {
		w := &warehouse{Dir: dir}
		if err := json.Unmarshal(raw, w); err != nil {
			return nil, fmt.Errorf("%s: %w", completeFile, err)
		}
		return w, nil
	}
	// A run that stopped half-way leaves no marker: start over.
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	t0 := time.Now()
	paths, err := generate(ctx, dir, rows, files)
	if err != nil {
		return nil, err
	}
	w := &warehouse{Dir: dir, Rows: rows, Files: paths, Gen: time.Since(t0).Seconds()}
	raw, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	return w, os.WriteFile(filepath.Join(dir, completeFile), raw, 0o644)
}

func generate(ctx context.Context, dir string, rows, nfiles int64) (_ []string, err error) {
	wh, err := lake.Open(ctx, lake.Config{DataDir: dir})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, wh.Close()) }()
	if _, err := session.New(wh).Exec(ctx, DDL, false); err != nil {
		return nil, err
	}
	id, err := lake.Ident(Table)
	if err != nil {
		return nil, err
	}
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	per := (rows + nfiles - 1) / nfiles
	var files []iceberg.DataFile
	for lo := int64(0); lo < rows; lo += per {
		fs, err := lake.WriteFiles(ctx, tbl, eventsSchema, batches(lo, min(lo+per, rows)))
		if err != nil {
			return nil, err
		}
		files = append(files, fs...)
	}
	l, err := wh.Ledger("load", commit.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return nil, err
	}
	res, err := l.Recover(ctx, []table.Identifier{id})
	if err != nil {
		return nil, err
	}
	ranges := []commit.Range{{Kind: "gen", Name: "load-events", Partition: 0, From: 0, To: rows}}
	if _, err := l.Commit(ctx, commit.Epoch{Number: res.NextEpoch, Sources: ranges}, commit.Target{Table: id, Files: files}); err != nil {
		return nil, err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = strings.TrimPrefix(f.FilePath(), "file://")
	}
	return paths, nil
}

// batches yields the events with ids in [lo, hi).
func batches(lo, hi int64) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		b := array.NewRecordBuilder(memory.DefaultAllocator, eventsSchema)
		defer b.Release()
		for start := lo; start < hi; start += batchRows {
			for id := start; id < min(start+batchRows, hi); id++ {
				r := RowOf(id)
				b.Field(0).(*array.Int64Builder).Append(r.ID)
				b.Field(1).(*array.Int64Builder).Append(r.UserID)
				b.Field(2).(*array.StringBuilder).Append(r.URL)
				b.Field(3).(*array.Int32Builder).Append(r.Status)
				b.Field(4).(*array.Int64Builder).Append(r.Bytes)
				b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(r.TsMicros))
			}
			if !yield(b.NewRecordBatch(), nil) {
				return
			}
		}
	}
}
