package appendbench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/wharfdata/wharf/lake"
)

// fileShape is what makes two encoders' outputs comparable: rows, row groups,
// and per column its codec and whether its data pages are dictionary-encoded.
type fileShape struct {
	rows, rowGroups int64
	columns         []string // "name:codec:dict|plain|mixed"
}

func shapeOf(t *testing.T, data []byte) fileShape {
	t.Helper()
	r, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	md := r.MetaData()
	s := fileShape{rows: md.NumRows, rowGroups: int64(md.NumRowGroups())}
	rg := md.RowGroup(0)
	for i := range rg.NumColumns() {
		cc, err := rg.ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		kind := pageKind(t, r, 0, i)
		s.columns = append(s.columns, fmt.Sprintf("%s:%s:%s", cc.PathInSchema(), compressName(cc.Compression()), kind))
	}
	return s
}

// pageKind says whether the data pages of column i in row group g are all
// dictionary-encoded ("dict"), all plain ("plain") or both ("mixed").
func pageKind(t *testing.T, r *file.Reader, g, i int) string {
	t.Helper()
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
	switch {
	case plain == 0:
		return "dict"
	case dict == 0:
		return "plain"
	}
	return "mixed"
}

func compressName(c compress.Compression) string { return strings.ToLower(c.String()) }

// TestSameFiles checks that the encoders being compared write the same file
// shape (so that their timings compare like with like) and every row, and
// that the ceiling's writer properties are the ones wharf's path uses: its
// file has the shape of the data file lake.WriteFiles writes.
func TestSameFiles(t *testing.T) {
	evs, batches := input()
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	id, err := lake.Ident("events")
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := wh.CreateTable(ctx, id, eventsIceberg, lake.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range batches {
		rec.Retain()
	}
	files, err := lake.WriteFiles(ctx, tbl, eventsArrow, lake.Batches(batches...))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Fatalf("WriteFiles wrote %d files, want 1", len(files))
	}
	wf, err := os.ReadFile(strings.TrimPrefix(files[0].FilePath(), "file://"))
	if err != nil {
		t.Fatal(err)
	}
	w := shapeOf(t, wf)
	t.Logf("wharf:      %d bytes, %d rows in %d row groups, %v", len(wf), w.rows, w.rowGroups, w.columns)

	var pa, pg bytes.Buffer
	if err := encodePqarrow(&pa, batches); err != nil {
		t.Fatal(err)
	}
	if err := encodeParquetGo(&pg, evs); err != nil {
		t.Fatal(err)
	}
	a, g := shapeOf(t, pa.Bytes()), shapeOf(t, pg.Bytes())
	t.Logf("input:      %d rows, %d bytes of Arrow buffers", rowsPerOp, arrowBytes(batches))
	t.Logf("pqarrow:    %d bytes, %d rows in %d row groups, %v", pa.Len(), a.rows, a.rowGroups, a.columns)
	t.Logf("parquet-go: %d bytes, %d rows in %d row groups, %v", pg.Len(), g.rows, g.rowGroups, g.columns)
	if a.rows != rowsPerOp || g.rows != rowsPerOp {
		t.Fatalf("rows: pqarrow %d, parquet-go %d, want %d", a.rows, g.rows, rowsPerOp)
	}
	if fmt.Sprint(a.columns) != fmt.Sprint(w.columns) || a.rowGroups != w.rowGroups || a.rows != w.rows {
		t.Fatalf("the ceiling is not wharf's file:\npqarrow %d row groups %v\nwharf   %d row groups %v", a.rowGroups, a.columns, w.rowGroups, w.columns)
	}
	if fmt.Sprint(a.columns) != fmt.Sprint(g.columns) || a.rowGroups != g.rowGroups {
		t.Fatalf("file shapes differ:\npqarrow    %d row groups %v\nparquet-go %d row groups %v", a.rowGroups, a.columns, g.rowGroups, g.columns)
	}
}
