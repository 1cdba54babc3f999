package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/api"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/internal/testkit"
	"github.com/wharfdata/wharf/lake"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// TestEndToEnd is issue 2's "done": over HTTP with tokens, a partitioned table
// is created, rows inserted, the table shown with its snapshot summaries, and
// verified — stored on a real MinIO.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	m := testkit.MinIO(t)
	bucket := m.NewBucket(t)
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir(), Warehouse: "s3://" + bucket + "/wh", S3: m.S3Config()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	srv := api.New(session.New(wh), api.WithTokens(
		api.Token{Scope: api.ScopeWrite, Secret: "writer-secret-1"},
		api.Token{Scope: api.ScopeRead, Secret: "reader-secret-1"}))
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	writer := api.NewClient(hs.URL, "writer-secret-1", nil)
	reader := api.NewClient(hs.URL, "reader-secret-1", nil)

	run := func(c *api.Client, q string) *api.SQLResponse {
		t.Helper()
		_, res, err := c.SQL(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}
	run(writer, `CREATE TABLE web.hits (
		id BIGINT NOT NULL, url STRING, ts TIMESTAMP(3), region STRING
	) PARTITIONED BY (hours(ts), bucket(4, id), region)`)
	res := run(writer, `INSERT INTO web.hits VALUES
		(1, '/a', TIMESTAMP '2026-11-21 10:15:00', 'eu'),
		(2, '/b', TIMESTAMP '2026-11-21 11:15:00', 'us'),
		(3, '/c', TIMESTAMP '2026-11-21 11:45:00', 'us')`)
	if res.Stats == nil || res.Stats.RowsAffected != 3 {
		t.Fatalf("insert: %+v", res.Stats)
	}

	// A SELECT over HTTP: JSON numbers, strings, TIMESTAMP(3) with 3 digits.
	sel := run(reader, "SELECT id, url, ts FROM web.hits WHERE region = 'us' ORDER BY id DESC")
	if len(sel.Columns) != 3 || sel.Columns[2].Type != "TIMESTAMP(3)" {
		t.Fatalf("columns: %+v", sel.Columns)
	}
	var got []string
	for _, r := range sel.Rows {
		got = append(got, string(r[0])+" "+string(r[1])+" "+string(r[2]))
	}
	if want := `3 "/c" "2026-11-21 11:45:00.000"|2 "/b" "2026-11-21 11:15:00.000"`; strings.Join(got, "|") != want {
		t.Fatalf("rows: %s\nwant %s", strings.Join(got, "|"), want)
	}

	// A read token reads, and may not write.
	if got := run(reader, "SHOW TABLES FROM web"); len(got.Rows) != 1 || string(got.Rows[0][0]) != `"hits"` {
		t.Fatalf("show tables: %+v", got.Rows)
	}
	_, _, err = reader.SQL(ctx, "INSERT INTO web.hits VALUES (4, '/d', NULL, NULL)")
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden {
		t.Fatalf("read token insert: %v", err)
	}
	// A syntax error carries its position.
	_, _, err = writer.SQL(ctx, "INSERT INTO web.hits VALUES (5, '/e', TIMESTAMP 'nope', 'eu')")
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || apiErr.Position == nil || apiErr.Position.Column != 39 {
		t.Fatalf("bad timestamp: %+v", err)
	}

	req, _ := http.NewRequest("GET", hs.URL+"/v1/tables/web/hits", nil)
	req.Header.Set("Authorization", "Bearer reader-secret-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info api.TableInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.Location, "s3://"+bucket+"/") || len(info.PartitionSpec.Fields) != 3 || len(info.Snapshots) != 1 {
		t.Fatalf("table info: location %s, spec %+v, %d snapshots", info.Location, info.PartitionSpec, len(info.Snapshots))
	}
	sum := info.Snapshots[0].Summary
	if sum["wharf.txid"] == "" || sum["added-records"] != "3" || sum["added-data-files"] != "3" {
		t.Fatalf("summary: %v", sum)
	}
	for k, v := range sum {
		if strings.Contains(v, m.SecretKey) || strings.Contains(k, "secret") {
			t.Fatalf("credential in summary: %s=%s", k, v)
		}
	}

	rep, err := reader.Verify(ctx, "web", "hits")
	if err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}

	// The data files are on MinIO, one per partition.
	parquet := 0
	for _, k := range m.Keys(t, bucket, "wh/web.db/hits/data/") {
		if strings.HasSuffix(k, ".parquet") {
			parquet++
		}
	}
	if parquet != 3 {
		t.Fatalf("%d parquet files on MinIO, want 3", parquet)
	}
}
