package restcat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake/restcat"
)

// get fetches a path of the server and decodes its JSON body.
func get(t *testing.T, s *server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

// errType checks a REST error body and returns its type.
func errType(t *testing.T, status int, body map[string]any) string {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object: %v", body)
	}
	if code, _ := e["code"].(float64); int(code) != status {
		t.Fatalf("error code %v, status %d", e["code"], status)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without a message: %v", e)
	}
	typ, _ := e["type"].(string)
	return typ
}

// TestProtocolShapes checks the wire format where iceberg-go's client is
// lenient: config keys, error bodies and types, status codes.
func TestProtocolShapes(t *testing.T) {
	s := newServer(t)
	code, cfg := get(t, s, "GET", "/v1/config", "")
	if code != 200 || cfg["defaults"] == nil || cfg["overrides"] == nil || cfg["endpoints"] == nil {
		t.Fatalf("config %d %v", code, cfg)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		typ                string
	}{
		{"GET", "/v1/namespaces/nope", "", 404, restcat.TypeNoSuchNamespace},
		{"GET", "/v1/namespaces/nope/tables", "", 404, restcat.TypeNoSuchNamespace},
		{"POST", "/v1/namespaces", `{"namespace":["db"],"properties":{"a":"1"}}`, 200, ""},
		{"POST", "/v1/namespaces", `{"namespace":["db"]}`, 409, restcat.TypeAlreadyExists},
		{"POST", "/v1/namespaces", `{"namespace":["../x"]}`, 400, restcat.TypeBadRequest},
		{"POST", "/v1/namespaces", `{"namespace":`, 400, restcat.TypeBadRequest},
		{"GET", "/v1/namespaces/db/tables/nope", "", 404, restcat.TypeNoSuchTable},
		{"POST", "/v1/namespaces/db/properties", `{"removals":["a"],"updates":{"a":"2"}}`, 422, restcat.TypeUnprocessable},
		{"POST", "/v1/namespaces/db/tables", `{"name":"t","schema":{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"x","type":"long","required":true}]}}`, 200, ""},
		{"POST", "/v1/namespaces/db/tables", `{"name":"t","schema":{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"x","type":"long","required":true}]}}`, 409, restcat.TypeAlreadyExists},
		{"POST", "/v1/namespaces/db/tables/t", `{"requirements":[{"type":"assert-current-schema-id","current-schema-id":7}],"updates":[]}`, 409, restcat.TypeCommitFailed},
		{"POST", "/v1/namespaces/db/tables/t", `{"requirements":[],"updates":[{"action":"no-such-update"}]}`, 400, restcat.TypeBadRequest},
		{"POST", "/v1/transactions/commit", `{"table-changes":[]}`, 400, restcat.TypeBadRequest},
		{"POST", "/v1/transactions/commit", `{"table-changes":[{"requirements":[],"updates":[]}]}`, 400, restcat.TypeBadRequest},
		{"DELETE", "/v1/namespaces/db", "", 409, restcat.TypeNamespaceNotEmpty},
		{"POST", "/v1/tables/rename", `{"source":{"namespace":["db"],"name":"nope"},"destination":{"namespace":["db"],"name":"x"}}`, 404, restcat.TypeNoSuchTable},
		{"POST", "/v1/tables/rename", `{"source":{"namespace":["db"],"name":"t"},"destination":{"namespace":["nope"],"name":"x"}}`, 404, restcat.TypeNoSuchNamespace},
		{"GET", "/v1/nothing-here", "", 404, "NoSuchEndpointException"},
	} {
		code, body := get(t, s, tc.method, tc.path, tc.body)
		if code != tc.status {
			t.Errorf("%s %s: %d %v, want %d", tc.method, tc.path, code, body, tc.status)
			continue
		}
		if tc.typ != "" {
			if typ := errType(t, code, body); typ != tc.typ {
				t.Errorf("%s %s: type %q, want %q", tc.method, tc.path, typ, tc.typ)
			}
		}
	}
	// A loaded table: metadata-location, metadata in the spec's kebab case,
	// config.
	code, lt := get(t, s, "GET", "/v1/namespaces/db/tables/t", "")
	meta, _ := lt["metadata"].(map[string]any)
	if code != 200 || lt["metadata-location"] == nil || lt["config"] == nil || meta["format-version"] == nil || meta["table-uuid"] == nil {
		t.Fatalf("load table %d %v", code, lt)
	}
}

// TestTableLifecycle: staged create, register, rename across namespaces,
// paging, drop with purge, through iceberg-go's client.
func TestTableLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	cat := s.client(t)
	src := table.Identifier{"db", "src"}
	mustCreate(t, cat, src)

	// Staged create: nothing exists until the client's assert-create commit.
	staged := table.Identifier{"db", "staged"}
	tbl, err := cat.CreateTable(ctx, staged, testSchema,
		catalog.WithStagedUpdates(table.NewSetPropertiesUpdate(iceberg.Properties{"staged": "yes"})))
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Properties()["staged"] != "yes" || tbl.MetadataLocation() == "" {
		t.Fatalf("staged create: props %v loc %q", tbl.Properties(), tbl.MetadataLocation())
	}
	data := rows(0, 5)
	defer data.Release()
	if _, err := tbl.AppendTable(ctx, data, 100, nil); err != nil {
		t.Fatal(err)
	}
	checkRows(t, cat, staged, seq(0, 5))

	// Register: drop the entry (files stay), register its metadata file.
	loaded, err := cat.LoadTable(ctx, staged)
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.DropTable(ctx, staged); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.LoadTable(ctx, staged); !errors.Is(err, catalog.ErrNoSuchTable) {
		t.Fatalf("after drop: %v", err)
	}
	reg := table.Identifier{"db", "registered"}
	if _, err := cat.RegisterTable(ctx, reg, loaded.MetadataLocation()); err != nil {
		t.Fatal(err)
	}
	checkRows(t, cat, reg, seq(0, 5))
	if _, err := cat.RegisterTable(ctx, reg, loaded.MetadataLocation()); !errors.Is(err, catalog.ErrTableAlreadyExists) {
		t.Fatalf("register twice: %v", err)
	}

	// Rename into another namespace; the source namespace stays.
	if err := cat.CreateNamespace(ctx, table.Identifier{"other"}, nil); err != nil {
		t.Fatal(err)
	}
	moved := table.Identifier{"other", "moved"}
	if _, err := cat.RenameTable(ctx, reg, moved); err != nil {
		t.Fatal(err)
	}
	checkRows(t, cat, moved, seq(0, 5))
	if ok, _ := cat.CheckTableExists(ctx, reg); ok {
		t.Fatal("old name still exists")
	}

	// Paging: five more tables listed two at a time.
	for i := range 5 {
		mustCreate(t, cat, table.Identifier{"db", fmt.Sprintf("p%d", i)})
	}
	var names []string
	for id, err := range cat.ListTables(cat.SetPageSize(ctx, 2), table.Identifier{"db"}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, id[1])
	}
	if want := []string{"p0", "p1", "p2", "p3", "p4", "src"}; !slices.Equal(names, want) {
		t.Fatalf("paged list %v, want %v", names, want)
	}
	nss, err := cat.ListNamespaces(cat.SetPageSize(ctx, 1), nil)
	if err != nil || len(nss) != 2 {
		t.Fatalf("paged namespaces %v %v", nss, err)
	}

	// Purge: the files go too.
	tbl, err = cat.LoadTable(ctx, moved)
	if err != nil {
		t.Fatal(err)
	}
	metaFile := strings.TrimPrefix(tbl.MetadataLocation(), "file://")
	if err := cat.PurgeTable(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(metaFile); !os.IsNotExist(err) {
		t.Fatalf("metadata file after purge: %v", err)
	}
}

// TestConcurrentAppends: writers appending to one table at once through the
// REST catalog each land exactly once (conflicts are 409s that iceberg-go
// retries on fresh metadata), so the table holds every row once.
func TestConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	cat := s.client(t)
	id := table.Identifier{"db", "hot"}
	if err := cat.CreateNamespace(ctx, table.Identifier{"db"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateTable(ctx, id, testSchema, catalog.WithProperties(iceberg.Properties{"commit.retry.num-retries": "20"})); err != nil {
		t.Fatal(err)
	}
	const writers = 6
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			tbl, err := cat.LoadTable(ctx, id)
			if err != nil {
				errs[w] = err
				return
			}
			data := rows(int64(w)*10, int64(w)*10+10)
			defer data.Release()
			_, errs[w] = tbl.AppendTable(ctx, data, 100, nil)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	checkRows(t, cat, id, seq(0, writers*10))
}

// TestSharedWithSQLCatalog: iceberg-go's SQL catalog (the JDBC layout) on
// the same database sees what the REST catalog created, and the REST catalog
// sees its commits.
func TestSharedWithSQLCatalog(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	cat := s.client(t)
	id := table.Identifier{"db", "shared"}
	if err := cat.CreateNamespace(ctx, table.Identifier{"db"}, iceberg.Properties{"owner": "wharf"}); err != nil {
		t.Fatal(err)
	}
	tbl, err := cat.CreateTable(ctx, id, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	wh := strings.TrimSuffix(tbl.Location(), "/db.db/shared")
	sc, err := sqlcat.NewCatalog("wharf", s.db, sqlcat.SQLite, iceberg.Properties{"warehouse": wh})
	if err != nil {
		t.Fatal(err)
	}
	props, err := sc.LoadNamespaceProperties(ctx, table.Identifier{"db"})
	if err != nil || props["owner"] != "wharf" {
		t.Fatalf("SQL catalog namespace props %v %v", props, err)
	}
	viaSQL, err := sc.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	data := rows(0, 3)
	defer data.Release()
	if _, err := viaSQL.AppendTable(ctx, data, 10, nil); err != nil {
		t.Fatal(err)
	}
	checkRows(t, cat, id, seq(0, 3))
	// And a table the SQL catalog creates is served over REST.
	if _, err := sc.CreateTable(ctx, table.Identifier{"db", "bysql"}, testSchema); err != nil {
		t.Fatal(err)
	}
	if ok, err := cat.CheckTableExists(ctx, table.Identifier{"db", "bysql"}); err != nil || !ok {
		t.Fatalf("REST sees the SQL catalog's table: %v %v", ok, err)
	}
}
