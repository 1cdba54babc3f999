package api

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// TestLineageRoute: GET /v1/lineage/{ns}/{table} answers the lineage index of
// a real warehouse after a ledger commit; unknown tables are 404, and a
// server without an index says so.
func TestLineageRoute(t *testing.T) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	id, _ := lake.Ident("db", "t")
	tbl, err := wh.CreateTable(ctx, id, iceberg.NewSchema(0, iceberg.NestedField{ID: 1, Name: "k", Type: iceberg.PrimitiveTypes.Int64, Required: true}), lake.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	files, err := lake.WriteFiles(ctx, tbl, schema, lake.Batches(rec))
	if err != nil {
		t.Fatal(err)
	}
	l, err := wh.Ledger("copy")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Recover(ctx, nil); err != nil {
		t.Fatal(err)
	}
	r := commit.Range{Kind: "kafka", Name: "orders", Partition: 0, From: 0, To: 3}
	if _, err := l.Commit(ctx, commit.Epoch{Number: 1, JobVersion: "v1", Sources: []commit.Range{r}}, commit.Target{Table: id, Files: files}); err != nil {
		t.Fatal(err)
	}

	ts := newTestServer(t, &fakeBackend{}, WithLineage(wh))
	status, _, body := do(t, ts, "GET", "/v1/lineage/db/t", "", "")
	var resp LineageResponse
	if err := json.Unmarshal(body, &resp); status != 200 || err != nil {
		t.Fatalf("%d %s", status, body)
	}
	if resp.Table != "db.t" || len(resp.Snapshots) != 1 || resp.Snapshots[0].Job != "copy" || resp.Snapshots[0].Epoch != 1 ||
		len(resp.Snapshots[0].Sources) != 1 || resp.Snapshots[0].Sources[0] != r {
		t.Fatalf("lineage: %s", body)
	}
	if status, _, body := do(t, ts, "GET", "/v1/lineage/db/nope", "", ""); status != 404 {
		t.Fatalf("unknown table: %d %s", status, body)
	}
	if status, _, body := do(t, newTestServer(t, &fakeBackend{}), "GET", "/v1/lineage/db/t", "", ""); status != 501 {
		t.Fatalf("no index: %d %s", status, body)
	}
}
