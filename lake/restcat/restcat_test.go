package restcat_test

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/catalogtest"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
	"github.com/uptrace/bun/driver/pgdriver"
	_ "modernc.org/sqlite"

	"github.com/wharfdata/wharf/internal/testkit"
	"github.com/wharfdata/wharf/lake/restcat"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// server is a REST catalog server over a fresh store, on loopback.
type server struct {
	db    *sql.DB
	store *restcat.Store
	url   string
	// hook, when set, is the store's fault hook (swappable mid-test).
	hook atomic.Pointer[func(string) error]
}

type serverConfig struct {
	dialect   restcat.Dialect
	dsn       string             // postgres URL; empty for a fresh SQLite file
	warehouse string             // empty: a temp dir
	props     iceberg.Properties // file IO properties (S3)
}

func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	// As lake opens its catalog: WAL, a busy timeout, full sync.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func newServer(t *testing.T, cfgs ...serverConfig) *server {
	t.Helper()
	var cfg serverConfig
	if len(cfgs) > 0 {
		cfg = cfgs[0]
	}
	dir := t.TempDir()
	s := &server{}
	if cfg.dialect == restcat.Postgres {
		s.db = sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(cfg.dsn)))
		t.Cleanup(func() { _ = s.db.Close() })
	} else {
		cfg.dialect = restcat.SQLite
		s.db = openSQLite(t, filepath.Join(dir, "catalog.db"))
	}
	if cfg.warehouse == "" {
		cfg.warehouse = "file://" + filepath.Join(dir, "warehouse")
	}
	props := iceberg.Properties{"warehouse": cfg.warehouse}
	for k, v := range cfg.props {
		props[k] = v
	}
	hook := func(p string) error {
		if f := s.hook.Load(); f != nil {
			return (*f)(p)
		}
		return nil
	}
	store, err := restcat.NewStore(context.Background(), s.db, cfg.dialect, "wharf", props, restcat.WithFaultHook(hook))
	if err != nil {
		t.Fatal(err)
	}
	s.store = store
	ts := httptest.NewServer(restcat.New(store))
	t.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

func (s *server) setHook(f func(string) error) {
	if f == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&f)
}

// client is iceberg-go's REST client, an independent implementation of the
// protocol, pointed at the server.
func (s *server) client(t *testing.T, opts ...rest.Option) *rest.Catalog {
	t.Helper()
	c, err := rest.NewCatalog(context.Background(), "wharf", s.url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestConformance runs iceberg-go's catalog conformance suite through
// iceberg-go's REST client against the handler, each case on a fresh store.
func TestConformance(t *testing.T) {
	catalogtest.RunCatalogTests(t, catalogtest.Config{
		SupportsNamespaceProperties: true,
		NewCatalog: func(t *testing.T) catalog.Catalog {
			return newServer(t).client(t)
		},
	})
}

// TestConformancePostgres runs the suite with the store on PostgreSQL.
func TestConformancePostgres(t *testing.T) {
	pg := testkit.Postgres(t)
	dsn := pg.NewDatabase(t)
	catalogtest.RunCatalogTests(t, catalogtest.Config{
		SupportsNamespaceProperties: true,
		NewCatalog: func(t *testing.T) catalog.Catalog {
			// One database for the whole suite: the suite's names are unique
			// per case, as for a shared REST fixture.
			return newServer(t, serverConfig{dialect: restcat.Postgres, dsn: dsn}).client(t)
		},
	})
}

var testSchema = iceberg.NewSchema(0,
	iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 2, Name: "data", Type: iceberg.PrimitiveTypes.String},
)

func mustCreate(t *testing.T, cat catalog.Catalog, id table.Identifier) *table.Table {
	t.Helper()
	ctx := context.Background()
	if ok, err := cat.CheckNamespaceExists(ctx, id[:len(id)-1]); err != nil {
		t.Fatal(err)
	} else if !ok {
		if err := cat.CreateNamespace(ctx, id[:len(id)-1], nil); err != nil {
			t.Fatal(err)
		}
	}
	tbl, err := cat.CreateTable(ctx, id, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}
