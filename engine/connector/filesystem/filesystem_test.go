package filesystem_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/filesystem"
	"github.com/wharfdata/wharf/lake"
)

func writeInts(t *testing.T, path string, from, to int64) {
	t.Helper()
	sc := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewInt64Builder(memory.DefaultAllocator)
	for i := from; i < to; i++ {
		b.Append(i)
	}
	col := b.NewArray()
	rec := array.NewRecordBatch(sc, []arrow.Array{col}, to-from)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(sc, f, nil, pqarrow.DefaultWriterProps())
	if err == nil {
		err = w.Write(rec)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestPositions checks that batches tile each file's rows and that a
// resume from a checkpointed position continues exactly there.
func TestPositions(t *testing.T) {
	dir := t.TempDir()
	writeInts(t, filepath.Join(dir, "1.parquet"), 0, 10)
	writeInts(t, filepath.Join(dir, "2.parquet"), 100, 103)
	spec := &connector.TableSpec{
		Name:    "t",
		Columns: []connector.Column{{Name: "V", Type: arrow.PrimitiveTypes.Int64}},
		Options: map[string]string{"connector": "filesystem", "path": dir + "/", "format": "parquet"},
		Files:   lake.FileSystem{}, BatchRows: 4,
	}
	for _, c := range []struct {
		from map[int32]int64
		want string
	}{
		{nil, "0[0,4)0..3 0[4,8)4..7 0[8,10)8..9 1[0,3)100..102"},
		{map[int32]int64{0: 6}, "0[6,8)6..7 0[8,10)8..9 1[0,3)100..102"},
		{map[int32]int64{0: 10, 1: 1}, "1[1,3)101..102"},
	} {
		src, err := filesystem.Open(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Start(context.Background(), c.from); err != nil {
			t.Fatal(err)
		}
		got := ""
		for {
			b, err := src.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			v := b.Rows.Column(0).(*array.Int64)
			if int64(v.Len()) != b.To-b.From {
				t.Fatalf("batch [%d,%d) has %d rows", b.From, b.To, v.Len())
			}
			if got != "" {
				got += " "
			}
			got += fmt.Sprintf("%d[%d,%d)%d..%d", b.Split, b.From, b.To, v.Value(0), v.Value(v.Len()-1))
			b.Rows.Release()
		}
		_ = src.Close()
		if got != c.want {
			t.Errorf("from %v:\n got %s\nwant %s", c.from, got, c.want)
		}
	}
}
