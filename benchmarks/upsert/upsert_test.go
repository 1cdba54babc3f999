package upsertbench

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

const (
	tableRows = 2_000_000
	upserts   = 1_000
)

var (
	pkSchema = iceberg.NewSchemaWithIdentifiers(0, []int{1},
		iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
		iceberg.NestedField{ID: 2, Name: "v", Type: iceberg.PrimitiveTypes.Int64},
	)
	rowSchema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	keySchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
)

// rows builds a batch of (id, v) from ids, v = id*mul.
func rows(ids []int64, mul int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, rowSchema)
	defer b.Release()
	for _, id := range ids {
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.Int64Builder).Append(id * mul)
	}
	return b.NewRecordBatch()
}

// newTable creates a PK table holding ids 0..tableRows-1 with v = id.
func newTable(b *testing.B, wh *lake.Warehouse, name string) table.Identifier {
	b.Helper()
	ctx := context.Background()
	id, err := lake.Ident(name)
	if err != nil {
		b.Fatal(err)
	}
	tbl, err := wh.CreateTable(ctx, id, pkSchema, lake.TableOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var batches []arrow.RecordBatch
	for start := int64(0); start < tableRows; start += 100_000 {
		ids := make([]int64, 100_000)
		for i := range ids {
			ids[i] = start + int64(i)
		}
		batches = append(batches, rows(ids, 1))
	}
	files, err := lake.WriteFiles(ctx, tbl, rowSchema, lake.Batches(batches...))
	if err != nil {
		b.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.AddDataFiles(ctx, files, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return id
}

func randomKeys(r *rand.Rand) []int64 {
	ks := make([]int64, upserts)
	for i := range ks {
		ks[i] = r.Int64N(tableRows)
	}
	return ks
}

// newPositionWriter opens the ledger "bench" on table id, recovers it and
// returns an upsert writer on the table.
func newPositionWriter(b *testing.B, wh *lake.Warehouse, id table.Identifier) (*lake.UpsertWriter, *commit.Ledger) {
	b.Helper()
	ctx := context.Background()
	l, err := wh.Ledger("bench")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := l.Recover(ctx, []table.Identifier{id}); err != nil {
		b.Fatal(err)
	}
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	w, err := lake.NewUpsertWriter(ctx, tbl, rowSchema)
	if err != nil {
		b.Fatal(err)
	}
	return w, l
}

// positionEpoch upserts keys through lake.UpsertWriter and the ledger.
func positionEpoch(b *testing.B, w *lake.UpsertWriter, l *commit.Ledger, id table.Identifier, epoch uint64, keys []int64) {
	ctx := context.Background()
	rec := rows(keys, 2)
	defer rec.Release()
	if err := w.Write(ctx, rec, nil); err != nil {
		b.Fatal(err)
	}
	data, deletes, err := w.Flush(ctx)
	if err != nil {
		b.Fatal(err)
	}
	rg := commit.Range{Kind: "gen", Name: "bench", From: int64(epoch-1) * upserts, To: int64(epoch) * upserts}
	if _, err := l.Commit(ctx, commit.Epoch{Number: epoch, Sources: []commit.Range{rg}}, commit.Target{Table: id, Files: data, Deletes: deletes}); err != nil {
		b.Fatal(err)
	}
	w.Committed()
}

// equalityEpoch upserts keys as equality deletes of the keys plus the new
// rows, in one row-delta snapshot.
func equalityEpoch(b *testing.B, wh *lake.Warehouse, id table.Identifier, keys []int64) {
	ctx := context.Background()
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	kb := array.NewInt64Builder(memory.DefaultAllocator)
	kb.AppendValues(keys, nil)
	karr := kb.NewInt64Array()
	kb.Release()
	krec := array.NewRecordBatch(keySchema, []arrow.Array{karr}, int64(len(keys)))
	karr.Release()
	tx := tbl.NewTransaction()
	dels, err := tx.WriteEqualityDeletes(ctx, []int{1}, lake.Batches(krec))
	if err != nil {
		b.Fatal(err)
	}
	data, err := lake.WriteFiles(ctx, tbl, rowSchema, lake.Batches(rows(keys, 2)))
	if err != nil {
		b.Fatal(err)
	}
	if err := tx.NewRowDelta(nil).AddRows(data...).AddDeletes(dels...).Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
}

// readAll is SELECT count(*), sum(v) through lake.PlanScan.
func readAll(b *testing.B, wh *lake.Warehouse, id table.Identifier) (n, sum int64) {
	ctx := context.Background()
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	ps, err := lake.PlanScan(ctx, tbl, lake.ScanOptions{Columns: []string{"v"}})
	if err != nil {
		b.Fatal(err)
	}
	_, it, err := ps.Read(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for rec, err := range it {
		if err != nil {
			b.Fatal(err)
		}
		vs := rec.Column(0).(*array.Int64)
		for _, v := range vs.Int64Values() {
			sum += v
		}
		n += rec.NumRows()
		rec.Release()
	}
	return n, sum
}

func openWarehouse(b *testing.B) *lake.Warehouse {
	wh, err := lake.Open(context.Background(), lake.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = wh.Close() })
	return wh
}

// BenchmarkUpsertCommit is one epoch of 1,000 random upserts into a 2M-row
// table: files written and committed (the key index is built before).
func BenchmarkUpsertCommit(b *testing.B) {
	b.Run("position", func(b *testing.B) {
		wh := openWarehouse(b)
		id := newTable(b, wh, "pos")
		w, l := newPositionWriter(b, wh, id)
		r := rand.New(rand.NewPCG(1, 1))
		positionEpoch(b, w, l, id, 1, randomKeys(r)) // builds the index
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			positionEpoch(b, w, l, id, uint64(i+2), randomKeys(r))
		}
	})
	b.Run("equality", func(b *testing.B) {
		wh := openWarehouse(b)
		id := newTable(b, wh, "eq")
		r := rand.New(rand.NewPCG(1, 1))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			equalityEpoch(b, wh, id, randomKeys(r))
		}
	})
}

// BenchmarkUpsertRead is the full read (count(*), sum(v)) of the 2M-row
// table after one upsert epoch of 1,000 keys, per way of deleting.
func BenchmarkUpsertRead(b *testing.B) {
	keys := randomKeys(rand.New(rand.NewPCG(2, 2)))
	distinct := map[int64]bool{}
	for _, k := range keys {
		distinct[k] = true
	}
	var wantSum int64 = tableRows * (tableRows - 1) / 2
	for k := range distinct {
		wantSum += k // v went from k to 2k
	}
	for _, mode := range []string{"none", "position", "equality"} {
		b.Run(mode, func(b *testing.B) {
			wh := openWarehouse(b)
			id := newTable(b, wh, mode)
			want := int64(tableRows*(tableRows-1)) / 2
			switch mode {
			case "position":
				w, l := newPositionWriter(b, wh, id)
				positionEpoch(b, w, l, id, 1, keys)
				want = wantSum
			case "equality":
				equalityEpoch(b, wh, id, keys)
				want = wantSum
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n, sum := readAll(b, wh, id)
				if n != tableRows || sum != want {
					b.Fatalf("count %d sum %d; want %d %d", n, sum, tableRows, want)
				}
			}
		})
	}
}

// BenchmarkUpsertIndexBuild indexes the 2M-row table: the writer's first
// flush after it opens (or after a foreign commit).
func BenchmarkUpsertIndexBuild(b *testing.B) {
	ctx := context.Background()
	wh := openWarehouse(b)
	id := newTable(b, wh, "idx")
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w, err := lake.NewUpsertWriter(ctx, tbl, rowSchema)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := w.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if w.Keys() != tableRows {
			b.Fatalf("%d keys", w.Keys())
		}
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/tableRows, "heap-bytes/key")
		b.ReportMetric(float64(w.IndexBytes())/tableRows, "est-bytes/key")
		runtime.KeepAlive(w)
	}
}
