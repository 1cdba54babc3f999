package lake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/uptrace/bun/driver/pgdriver"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver; wharf stays free of cgo

	"github.com/wharfdata/wharf/internal/redact"
	"github.com/wharfdata/wharf/lake/restcat"
)

// catalogName is the name iceberg-go's SQL catalog stores in its catalog_name
// column. One value for all wharf processes sharing a store, so they see the
// same tables (the Iceberg JDBC catalog does the same with its configured name).
const catalogName = "wharf"

// openCatalog opens the catalog named by uri. props carry the warehouse
// location and the file IO settings every table is opened with.
func openCatalog(ctx context.Context, uri string, props iceberg.Properties) (catalog.Catalog, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("catalog URI %q: %w", redact.URL(uri), err)
	}
	switch u.Scheme {
	case "sqlite":
		path := strings.TrimPrefix(uri, "sqlite://")
		if path == "" {
			return nil, errors.New("catalog URI sqlite:// needs a path, e.g. sqlite://wharf-data/catalog.db")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("catalog directory: %w", err)
		}
		// WAL lets readers run beside the one writer; busy_timeout turns the
		// writer-writer collision into a wait instead of SQLITE_BUSY.
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_txlock=immediate"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("open sqlite catalog %s: %w", path, err)
		}
		return newSQLCatalog(ctx, db, sqlcat.SQLite, props)
	case "postgres", "postgresql":
		db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(uri)))
		if err := db.PingContext(ctx); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("connect to postgres catalog %s: %s", redact.URL(uri), redact.String(err.Error()))
		}
		return newSQLCatalog(ctx, db, sqlcat.Postgres, props)
	case "http", "https":
		opts := []rest.Option{rest.WithWarehouseLocation(props[warehouseProp])}
		if tok := os.Getenv("WHARF_CATALOG_TOKEN"); tok != "" {
			redact.Register(tok)
			opts = append(opts, rest.WithOAuthToken(tok))
		}
		// The REST catalog may vend its own IO settings; ours are the fallback.
		opts = append(opts, rest.WithAdditionalProps(props))
		c, err := rest.NewCatalog(ctx, catalogName, uri, opts...)
		if err != nil {
			return nil, fmt.Errorf("connect to REST catalog %s: %s", redact.URL(uri), redact.String(err.Error()))
		}
		return c, nil
	default:
		return nil, fmt.Errorf("catalog URI %q: unknown scheme %q (want sqlite://, postgres://, http:// or https://)", redact.URL(uri), u.Scheme)
	}
}

func newSQLCatalog(ctx context.Context, db *sql.DB, dialect sqlcat.SupportedDialect, props iceberg.Properties) (catalog.Catalog, error) {
	c, err := sqlcat.NewCatalog(catalogName, db, dialect, props)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s catalog: %s", dialect, redact.String(err.Error()))
	}
	d := restcat.SQLite
	if dialect == sqlcat.Postgres {
		d = restcat.Postgres
	}
	store, err := restcat.NewStore(ctx, db, d, catalogName, props)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s catalog: %s", dialect, redact.String(err.Error()))
	}
	return &ownedCatalog{Catalog: c, db: db, store: store, dialect: d}, nil
}

// ownedCatalog is iceberg-go's SQL catalog whose commits go through wharf's
// own store (lake/restcat) over the same JDBC tables: one database
// transaction swaps the pointers of one or several tables and writes the
// lineage index, and custom requirements (the ledger's guard) are evaluated
// against the very metadata the swap replaces. It also closes the database
// handle that openCatalog opened; iceberg-go leaves caller-supplied handles
// open.
type ownedCatalog struct {
	*sqlcat.Catalog
	db      *sql.DB
	store   *restcat.Store
	dialect restcat.Dialect
	changed func(table.Identifier) // told of every table change made through this catalog (TableCache)
}

func (c *ownedCatalog) Close() error { return c.db.Close() }

func (c *ownedCatalog) CommitTable(ctx context.Context, id table.Identifier, reqs []table.Requirement, updates []table.Update) (table.Metadata, string, error) {
	// Invalidated whatever the outcome: an ambiguous failure may have committed.
	defer c.notify(id)
	out, err := c.store.Commit(ctx, []restcat.TableChange{{Ident: id, Requirements: reqs, Updates: updates}})
	if err != nil {
		return nil, "", err
	}
	return out[0].Metadata, out[0].MetadataLocation, nil
}

// CommitTransaction commits several tables atomically
// (catalog.TransactionalCatalog).
func (c *ownedCatalog) CommitTransaction(ctx context.Context, commits []table.TableCommit) error {
	changes := make([]restcat.TableChange, len(commits))
	for i, tc := range commits {
		changes[i] = restcat.TableChange{Ident: tc.Identifier, Requirements: tc.Requirements, Updates: tc.Updates}
		defer c.notify(tc.Identifier)
	}
	_, err := c.store.Commit(ctx, changes)
	return err
}

func (c *ownedCatalog) DropTable(ctx context.Context, id table.Identifier) error {
	defer c.notify(id)
	return c.Catalog.DropTable(ctx, id)
}

func (c *ownedCatalog) RenameTable(ctx context.Context, from, to table.Identifier) (*table.Table, error) {
	defer c.notify(from)
	defer c.notify(to)
	return c.rehome(c.Catalog.RenameTable(ctx, from, to))
}

func (c *ownedCatalog) notify(id table.Identifier) {
	if c.changed != nil {
		c.changed(id)
	}
}

// Tables are handed out with ownedCatalog as their catalog, so that their
// commits come back through it.

func (c *ownedCatalog) LoadTable(ctx context.Context, id table.Identifier) (*table.Table, error) {
	return c.rehome(c.Catalog.LoadTable(ctx, id))
}

func (c *ownedCatalog) CreateTable(ctx context.Context, id table.Identifier, schema *iceberg.Schema, opts ...catalog.CreateTableOpt) (*table.Table, error) {
	return c.rehome(c.Catalog.CreateTable(ctx, id, schema, opts...))
}

func (c *ownedCatalog) rehome(t *table.Table, err error) (*table.Table, error) {
	if err != nil {
		return nil, err
	}
	return table.New(t.Identifier(), t.Metadata(), t.MetadataLocation(), t.FS, c), nil
}

// warehouseProp is the catalog property naming the root of new tables.
const warehouseProp = "warehouse"

// ioProps returns the iceberg-go file IO properties for a warehouse.
func ioProps(warehouse string, cfg Config) iceberg.Properties {
	p := iceberg.Properties{warehouseProp: warehouse}
	if strings.HasPrefix(warehouse, "s3://") || strings.HasPrefix(warehouse, "s3a://") {
		s := cfg.S3
		region := s.Region
		if region == "" {
			region = "us-east-1"
		}
		p[iceio.S3Region] = region
		if s.Endpoint != "" {
			p[iceio.S3EndpointURL] = s.Endpoint
		}
		if s.AccessKeyID != "" {
			p[iceio.S3AccessKeyID] = s.AccessKeyID
			p[iceio.S3SecretAccessKey] = s.SecretAccessKey
			if s.SessionToken != "" {
				p[iceio.S3SessionToken] = s.SessionToken
			}
		}
	}
	return p
}
