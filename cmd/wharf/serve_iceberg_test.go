package main

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/api"
)

// TestServeIcebergREST: a table written by `wharf serve` (SQL INSERT through
// the ledger) is read through /iceberg by iceberg-go's REST client, rows
// equal to what was written, with the read token only.
func TestServeIcebergREST(t *testing.T) {
	const readTok, writeTok = "read-token-0123456789", "write-token-0123456789"
	srv := startServe(t, t.TempDir(), "--token", "read:"+readTok, "--token", "write:"+writeTok)
	ctx := context.Background()
	c := api.NewClient("http://"+srv.addrs["http"], writeTok, nil)
	for _, q := range []string{
		"CREATE TABLE db.t (id BIGINT, name STRING)",
		"INSERT INTO db.t VALUES (1, 'one'), (2, 'two'), (3, NULL)",
	} {
		if _, _, err := c.SQL(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cat, err := rest.NewCatalog(ctx, "wharf", "http://"+srv.addrs["http"]+"/iceberg", rest.WithOAuthToken(readTok))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	tbl, err := cat.LoadTable(ctx, table.Identifier{"db", "t"})
	if err != nil {
		t.Fatal(err)
	}
	at, err := tbl.Scan().ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	var got []string
	tr := array.NewTableReader(at, 100)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		ids, names := rec.Column(0).(*array.Int64), rec.Column(1).(*array.String)
		for i := range ids.Len() {
			n := "NULL"
			if names.IsValid(i) {
				n = names.Value(i)
			}
			got = append(got, fmt.Sprintf("%d:%s", ids.Value(i), n))
		}
	}
	slices.Sort(got)
	if want := []string{"1:one", "2:two", "3:NULL"}; !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	srv.cancel()
	if err := <-srv.done; err != nil {
		t.Fatal(err)
	}
}
