package restcat_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/rest"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/testkit"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
	"github.com/wharfdata/wharf/lake/restcat"
)

// restOver serves a warehouse's own catalog database over the REST protocol,
// as `wharf serve` does.
func restOver(t *testing.T, wh *lake.Warehouse, opts ...restcat.Option) *rest.Catalog {
	t.Helper()
	cdb, ok := wh.CatalogDB()
	if !ok {
		t.Fatal("warehouse catalog is not a SQL store")
	}
	store, err := restcat.NewStore(context.Background(), cdb.DB, restcat.Dialect(cdb.Dialect), cdb.Name, cdb.Props)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(restcat.New(store, opts...))
	t.Cleanup(ts.Close)
	c, err := rest.NewCatalog(context.Background(), "client", ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// wharfWrite writes ids [0, n) into id through wharf's commit ledger, in
// epochs of 100 rows.
func wharfWrite(t *testing.T, wh *lake.Warehouse, id table.Identifier, n int64) {
	t.Helper()
	ctx := context.Background()
	l, err := wh.Ledger("readback")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Recover(ctx, []table.Identifier{id}); err != nil {
		t.Fatal(err)
	}
	for epoch, from := uint64(1), int64(0); from < n; epoch, from = epoch+1, from+100 {
		to := min(from+100, n)
		tbl, err := wh.LoadTable(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, arrowSchema)
		for i := from; i < to; i++ {
			b.Field(0).(*array.Int64Builder).Append(i)
			b.Field(1).(*array.StringBuilder).Append(rowData(i))
		}
		rec := b.NewRecordBatch()
		b.Release()
		files, err := lake.WriteFiles(ctx, tbl, arrowSchema, lake.Batches(rec))
		if err != nil {
			t.Fatal(err)
		}
		e := commit.Epoch{Number: epoch, Sources: []commit.Range{{Kind: "gen", Name: "ids", From: from, To: to}}}
		if _, err := l.Commit(ctx, e, commit.Target{Table: id, Files: files}); err != nil {
			t.Fatal(err)
		}
	}
}

// rowData is the data column of row i, as rows writes it.
func rowData(i int64) string { return fmt.Sprintf("row-%d", i) }

// TestWharfWriteRESTRead: rows wharf commits through its ledger read back
// equal through iceberg-go's REST client, and rows iceberg-go appends
// through the REST catalog read back equal through wharf — both over the
// one catalog database.
func TestWharfWriteRESTRead(t *testing.T) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	readBack(t, wh)
}

// TestWharfWriteRESTReadMinIO is the same over S3 (MinIO), the client
// reaching the data with the file IO settings the server hands out.
func TestWharfWriteRESTReadMinIO(t *testing.T) {
	ctx := context.Background()
	m := testkit.MinIO(t)
	cfg := lake.Config{DataDir: t.TempDir(), Warehouse: "s3://" + m.NewBucket(t) + "/wh", S3: m.S3Config()}
	wh, err := lake.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	readBack(t, wh)
}

func readBack(t *testing.T, wh *lake.Warehouse) {
	ctx := context.Background()
	id, err := lake.Ident("db", "events")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wh.CreateTable(ctx, id, testSchema, lake.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	wharfWrite(t, wh, id, 250)

	cdb, _ := wh.CatalogDB()
	// The test's client is trusted with the warehouse's IO settings.
	cat := restOver(t, wh, restcat.WithTableConfig(ioOnly(cdb.Props)))
	checkRows(t, cat, id, seq(0, 250))

	// The other way: iceberg-go appends through the REST catalog, wharf reads.
	tbl, err := cat.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	data := rows(1000, 1050)
	defer data.Release()
	if _, err := tbl.AppendTable(ctx, data, 1000, iceberg.Properties{"writer": "iceberg-go"}); err != nil {
		t.Fatal(err)
	}
	own, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := readIDs(t, own), append(seq(0, 250), seq(1000, 1050)...); !slices.Equal(got, want) {
		t.Fatalf("wharf reads %d ids, want %d", len(got), len(want))
	}
	rep, err := lake.Verify(ctx, own)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify after a foreign append: %+v", rep.Checks)
	}
}

// ioOnly keeps the file IO properties of a catalog's props.
func ioOnly(p iceberg.Properties) iceberg.Properties {
	out := iceberg.Properties{}
	for _, k := range []string{iceio.S3Region, iceio.S3EndpointURL, iceio.S3AccessKeyID, iceio.S3SecretAccessKey, iceio.S3SessionToken} {
		if v, ok := p[k]; ok {
			out[k] = v
		}
	}
	return out
}
