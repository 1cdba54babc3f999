package parquetw_test

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/parquetw"
)

// TestRolling: a small target size gives several files per partition, each
// but the last of a partition within 25% of the target, and no row is lost.
func TestRolling(t *testing.T) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	arrowSchema, err := table.SchemaToArrowSchema(allTypes, nil, true, false)
	if err != nil {
		t.Fatal(err)
	}
	input := genBatches(t, memory.DefaultAllocator, arrowSchema, 6, 20000, 2)
	defer release(input)
	const target = 1 << 20
	for _, sc := range []specCase{specCases[0], specCases[1]} {
		t.Run(sc.name, func(t *testing.T) {
			spec := iceberg.NewPartitionSpec(sc.fields...)
			id, _ := lake.Ident("rolling_" + sc.name)
			tbl, err := wh.CreateTable(ctx, id, allTypes, lake.TableOptions{Spec: &spec})
			if err != nil {
				t.Fatal(err)
			}
			retain(input)
			files, err := parquetw.Write(ctx, tbl, arrowSchema, lake.Batches(input...), parquetw.WithTargetFileSize(target))
			if err != nil {
				t.Fatal(err)
			}
			byPart := map[string][]iceberg.DataFile{}
			var rows int64
			for _, f := range files {
				k := partKey(f.Partition())
				byPart[k] = append(byPart[k], f)
				rows += f.Count()
			}
			if rows != 120000 {
				t.Fatalf("%d rows in the files, want 120000", rows)
			}
			for k, fs := range byPart {
				if len(fs) < 3 {
					t.Errorf("partition %s: %d files, want several", k, len(fs))
				}
				for i, f := range fs[:len(fs)-1] {
					if s := f.FileSizeBytes(); s < target*3/5 || s > target*5/4 {
						t.Errorf("partition %s: file %d of %d is %d bytes, target %d", k, i, len(fs), s, target)
					}
				}
				t.Logf("partition %s: %d files, first %d bytes, last %d bytes", k, len(fs), fs[0].FileSizeBytes(), fs[len(fs)-1].FileSizeBytes())
			}
			tx := tbl.NewTransaction()
			if err := tx.AddDataFiles(ctx, files, nil); err != nil {
				t.Fatal(err)
			}
			if tbl, err = tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if got := countRows(t, tbl, iceberg.AlwaysTrue{}); got != rows {
				t.Fatalf("scan reads %d rows, want %d", got, rows)
			}
		})
	}
}

// TestWriteErrors: nested tables, unknown or mistyped input fields and nulls
// in required columns are refused, and every batch is released.
func TestWriteErrors(t *testing.T) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	nested := iceberg.NewSchema(0,
		iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
		iceberg.NestedField{ID: 2, Name: "tags", Type: &iceberg.ListType{ElementID: 3, Element: iceberg.PrimitiveTypes.String}},
	)
	if err := parquetw.Supported(nested); !errors.Is(err, parquetw.ErrNested) {
		t.Fatalf("Supported(nested) = %v, want ErrNested", err)
	}
	id, _ := lake.Ident("nested")
	ntbl, err := wh.CreateTable(ctx, id, nested, lake.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	narrow, err := table.SchemaToArrowSchema(nested, nil, true, false)
	if err != nil {
		t.Fatal(err)
	}
	arrowSchema, err := table.SchemaToArrowSchema(allTypes, nil, true, false)
	if err != nil {
		t.Fatal(err)
	}
	id, _ = lake.Ident("flat")
	tbl, err := wh.CreateTable(ctx, id, allTypes, lake.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	input := genBatches(t, mem, arrowSchema, 2, 10, 3)
	for _, c := range []struct {
		name   string
		tbl    *table.Table
		schema *arrow.Schema
		want   error
	}{
		{"nested", ntbl, arrowSchema, parquetw.ErrNested},
		{"schema mismatch", tbl, narrow, nil},
	} {
		retain(input)
		_, err := parquetw.Write(ctx, c.tbl, c.schema, lake.Batches(input...))
		if err == nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
	release(input)
	mem.AssertSize(t, 0) // Write released every batch it was given
}
