package filesystem_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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

func TestLines(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.csv"), []byte("1;x\n2;y\nbad;z\n4;w\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.json"), []byte(`{"id":5,"name":"v"}`+"\n"+`{"id":6}`), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(format, pattern string, opts map[string]string, from map[int32]int64) string {
		t.Helper()
		o := map[string]string{"connector": "filesystem", "path": filepath.Join(dir, pattern), "format": format}
		for k, v := range opts {
			o[k] = v
		}
		spec := &connector.TableSpec{Name: "t", Options: o, Files: lake.FileSystem{}, BatchRows: 2,
			Columns: []connector.Column{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}}
		src, err := filesystem.Open(context.Background(), spec)
		if err != nil {
			return err.Error()
		}
		defer src.Close()
		if err := src.Start(context.Background(), from); err != nil {
			t.Fatal(err)
		}
		got := ""
		for {
			b, err := src.Next(context.Background())
			if errors.Is(err, io.EOF) {
				return got
			}
			if err != nil {
				t.Fatal(err)
			}
			got += fmt.Sprintf("[%d,%d)", b.From, b.To)
			ids := b.Rows.Column(0).(*array.Int64)
			for i := range ids.Len() {
				got += fmt.Sprintf(" %s=%s", ids.ValueStr(i), b.Rows.Column(1).ValueStr(i))
			}
			for _, bad := range b.Bad {
				got += fmt.Sprintf(" bad@%d:%s", bad.Position, bad.Raw)
			}
			got += ";"
			b.Rows.Release()
		}
	}
	semi := map[string]string{"csv.field-delimiter": ";"}
	for _, c := range []struct{ got, want string }{
		{read("csv", "*.csv", semi, nil), "[0,2) 1=x 2=y;[2,4) 4=w bad@2:bad;z;"},
		{read("csv", "*.csv", semi, map[int32]int64{0: 3}), "[3,4) 4=w;"},
		{read("json", "*.json", nil, nil), "[0,2) 5=v 6=(null);"},
		{read("csv", "*.csv", map[string]string{"csv.nope": "1"}, nil), "table t: unknown option 'csv.nope' for format csv (known: "},
		{read("avro", "*.csv", nil, nil), "table t: format 'avro' is not supported by the filesystem connector (parquet, csv, json and raw are)"},
	} {
		if !strings.HasPrefix(c.got, c.want) {
			t.Errorf("got %q\nwant %q", c.got, c.want)
		}
	}
}
