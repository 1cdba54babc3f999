package load

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/lake/parquetw"
)

// TestBloomFiltersInDuckDB: DuckDB reads the files wharf writes with bloom
// filters and finds each type's lookup value. DuckDB 1.1.3 (go-duckdb
// v1.8.5) neither reports bloom_filter_offset in parquet_metadata nor has
// parquet_bloom_probe (both came in DuckDB 1.2), so it cannot show that it
// sees the filters; arrow-go's reader does that in lake/parquetw
// (TestBloomFiltersWritten).
func TestBloomFiltersInDuckDB(t *testing.T) {
	const rows, group = 20_000, 1_000
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	perm := func(r int) int { return (r*7919 + 13) % rows }
	for r := range rows {
		p := perm(r)
		b.Field(0).(*array.Int64Builder).Append(int64(r))
		b.Field(1).(*array.Int64Builder).Append(int64(p) * 1_000_003)
		b.Field(2).(*array.Int32Builder).Append(int32(p) - 10_000)
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("key-%05d", p))
		b.Field(4).(*array.Date32Builder).Append(arrow.Date32(p))
		b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(p) * 1_000_000))
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "bloom.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := parquetw.NewEncoder(f, sc, parquetw.EncoderOptions{MaxRowGroupRows: group,
		BloomFilters: map[string]float64{"k": 0.01, "i": 0.01, "s": 0.01, "d": 0.01, "ts": 0.01}})
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "?threads=1&autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var chunks int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM parquet_metadata(?)`, path).Scan(&chunks); err != nil || chunks != 6*rows/group {
		t.Fatalf("DuckDB sees %d column chunks (%v), want %d", chunks, err, 6*rows/group)
	}
	p := 4321
	r := 0
	for perm(r) != p {
		r++
	}
	for _, c := range []struct{ col, lit string }{
		{"k", fmt.Sprint(int64(p) * 1_000_003)},
		{"i", fmt.Sprint(p - 10_000)},
		{"s", fmt.Sprintf("'key-%05d'", p)},
		{"d", fmt.Sprintf("DATE '1970-01-01' + INTERVAL %d DAY", p)},
		{"ts", fmt.Sprintf("TIMESTAMP '1970-01-01' + INTERVAL %d SECOND", p)},
	} {
		var got int64
		if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT id FROM read_parquet(?) WHERE %s = %s", c.col, c.lit), path).Scan(&got); err != nil || got != int64(r) {
			t.Fatalf("%s = %s: id %d, %v; want %d", c.col, c.lit, got, err, r)
		}
	}
}
