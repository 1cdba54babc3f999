package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
	_ "modernc.org/sqlite"

	"github.com/wharfdata/wharf/lake/restcat"
)

// icebergServer is the API with the Iceberg REST catalog under /iceberg/
// over a fresh SQLite store.
func icebergServer(t *testing.T, opts ...Option) string {
	t.Helper()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "catalog.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	store, err := restcat.NewStore(context.Background(), db, restcat.SQLite, "wharf", iceberg.Properties{"warehouse": "file://" + dir + "/wh"})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, &fakeBackend{}, append(opts, WithIcebergREST(restcat.New(store)))...)
	return ts.URL + "/iceberg"
}

func icebergClient(uri, token string) (*rest.Catalog, error) {
	var opts []rest.Option
	if token != "" {
		opts = append(opts, rest.WithOAuthToken(token))
	}
	return rest.NewCatalog(context.Background(), "wharf", uri, opts...)
}

var icebergSchema = iceberg.NewSchema(0, iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true})

// TestIcebergAuth: with tokens configured, iceberg-go's REST client needs
// one (401 otherwise), a read token reads but cannot create or commit (403),
// a write token can; errors come in the REST error model the client parses.
func TestIcebergAuth(t *testing.T) {
	ctx := context.Background()
	uri := icebergServer(t, WithTokens(Token{ScopeRead, readTok}, Token{ScopeWrite, writeTok}))

	if _, err := icebergClient(uri, ""); !errors.Is(err, rest.ErrUnauthorized) {
		t.Fatalf("no token: %v, want 401 NotAuthorized", err)
	}
	if _, err := icebergClient(uri, "wrong-token-0123456789"); !errors.Is(err, rest.ErrUnauthorized) {
		t.Fatalf("wrong token: %v, want 401 NotAuthorized", err)
	}

	writer, err := icebergClient(uri, writeTok)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	reader, err := icebergClient(uri, readTok)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	if err := reader.CreateNamespace(ctx, table.Identifier{"db"}, nil); !errors.Is(err, rest.ErrForbidden) {
		t.Fatalf("read token creates a namespace: %v, want 403 Forbidden", err)
	}
	if err := writer.CreateNamespace(ctx, table.Identifier{"db"}, nil); err != nil {
		t.Fatal(err)
	}
	id := table.Identifier{"db", "t"}
	if _, err := writer.CreateTable(ctx, id, icebergSchema); err != nil {
		t.Fatal(err)
	}
	tbl, err := reader.LoadTable(ctx, id)
	if err != nil {
		t.Fatalf("read token loads a table: %v", err)
	}
	tx := tbl.NewTransaction()
	if err := tx.SetProperties(iceberg.Properties{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); !errors.Is(err, rest.ErrForbidden) {
		t.Fatalf("read token commits: %v, want 403 Forbidden", err)
	}
	if err := reader.CommitTransaction(ctx, []table.TableCommit{{Identifier: id, Updates: []table.Update{table.NewSetPropertiesUpdate(iceberg.Properties{"k": "v"})}}}); !errors.Is(err, rest.ErrForbidden) {
		t.Fatalf("read token commits a transaction: %v, want 403 Forbidden", err)
	}
	if err := reader.DropTable(ctx, id); !errors.Is(err, rest.ErrForbidden) {
		t.Fatalf("read token drops a table: %v, want 403 Forbidden", err)
	}
	tbl, err = writer.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tx = tbl.NewTransaction()
	if err := tx.SetProperties(iceberg.Properties{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatalf("write token commits: %v", err)
	}

	// The raw 403 body is the REST error model.
	req, _ := http.NewRequest(http.MethodDelete, uri+"/v1/namespaces/db", nil)
	req.Header.Set("Authorization", "Bearer "+readTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var eb struct {
		Error struct {
			Message, Type string
			Code          int
		}
	}
	if err := json.Unmarshal(body, &eb); err != nil || resp.StatusCode != 403 || eb.Error.Code != 403 || eb.Error.Type != restcat.TypeForbidden || eb.Error.Message == "" {
		t.Fatalf("403 body %s (%v)", body, err)
	}
}

// TestIcebergAuthOff: without tokens (loopback only) everyone may write.
func TestIcebergAuthOff(t *testing.T) {
	c, err := icebergClient(icebergServer(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateNamespace(context.Background(), table.Identifier{"db"}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestIcebergNotServed: a server without the catalog says so in the REST
// error model.
func TestIcebergNotServed(t *testing.T) {
	ts := newTestServer(t, &fakeBackend{})
	if _, err := icebergClient(ts.URL+"/iceberg", ""); err == nil {
		t.Fatal("config of a server without the Iceberg catalog succeeded")
	}
	code, _, body := do(t, ts, http.MethodGet, "/iceberg/v1/config", "", "")
	if code != http.StatusNotFound || !json.Valid(body) {
		t.Fatalf("%d %s", code, body)
	}
}

// TestIcebergReadScopeMetrics: a reader may post scan reports, but a commit
// to a table named "metrics" still needs the write scope.
func TestIcebergReadScopeMetrics(t *testing.T) {
	uri := icebergServer(t, WithTokens(Token{ScopeRead, readTok}, Token{ScopeWrite, writeTok}))
	post := func(path, tok string) int {
		req, _ := http.NewRequest(http.MethodPost, uri+path, strings.NewReader(`{"requirements":[],"updates":[]}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/v1/namespaces", writeTok); code != http.StatusBadRequest {
		t.Fatalf("bad create: %d", code) // body is not a namespace: the write scope got through
	}
	if code := post("/v1/namespaces/db/tables/t/metrics", readTok); code != http.StatusNoContent {
		t.Fatalf("reader's metrics report: %d, want 204", code)
	}
	if code := post("/v1/namespaces/db/tables/metrics", readTok); code != http.StatusForbidden {
		t.Fatalf("reader's commit to table \"metrics\": %d, want 403", code)
	}
}
