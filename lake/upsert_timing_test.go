package lake_test

import (
	"context"
	"testing"

	"github.com/wharfdata/wharf/lake"
)

// BenchmarkUpsertWrite is UpsertWriter.Write of a 4,096-row changelog batch
// of distinct BIGINT keys: the per-row cost of recording each key's last
// change (no files are written).
func BenchmarkUpsertWrite(b *testing.B) {
	ctx := context.Background()
	wh := newWarehouse(b, false, "")
	id, err := lake.Ident("pk")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := wh.CreateTable(ctx, id, pkIceberg, lake.TableOptions{}); err != nil {
		b.Fatal(err)
	}
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	w, err := lake.NewUpsertWriter(ctx, tbl, pkArrow)
	if err != nil {
		b.Fatal(err)
	}
	const rows = 4096
	cs := make([]chg, rows)
	for i := range cs {
		cs[i] = chg{int64(i), int64(i), lake.KindUpdateAfter}
	}
	rec, kinds := changeBatch(cs)
	defer rec.Release()
	defer kinds.Release()
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(ctx, rec, kinds); err != nil {
			b.Fatal(err)
		}
		w.Abort()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}
