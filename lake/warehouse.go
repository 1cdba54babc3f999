package lake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // s3:// table IO

	"github.com/wharfdata/wharf/lake/commit"
	"github.com/wharfdata/wharf/lake/objstore"
)

// Warehouse is an open catalog plus the storage behind it: Iceberg tables
// through iceberg-go, and wharf's own records (checkpoints, commit records)
// through objstore under the warehouse's _wharf/ prefix.
type Warehouse struct {
	cfg      Config
	location string // the warehouse root URL, e.g. file:///data/warehouse or s3://b/p
	cat      catalog.Catalog
	records  objstore.Store
	tables   *TableCache
}

// recordsPrefix is where wharf keeps its own records beside the tables. Table
// names cannot collide with it: a namespace directory never starts with '_'
// (identifiers are validated).
const recordsPrefix = "_wharf"

// Open opens the warehouse described by cfg, applying the embedded defaults
// for anything left empty.
func Open(ctx context.Context, cfg Config) (*Warehouse, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "wharf-data"
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	cfg.DataDir = dataDir
	location := cfg.Warehouse
	if location == "" {
		location = "file://" + filepath.Join(dataDir, "warehouse")
	}
	location = strings.TrimRight(location, "/")
	if cfg.Catalog == "" {
		cfg.Catalog = "sqlite://" + filepath.Join(dataDir, "catalog.db")
	}
	records, err := objstore.Open(ctx, location+"/"+recordsPrefix, cfg.S3)
	if err != nil {
		return nil, fmt.Errorf("warehouse %s: %w", location, err)
	}
	cat, err := openCatalog(ctx, cfg.Catalog, ioProps(location, cfg))
	if err != nil {
		return nil, err
	}
	w := &Warehouse{cfg: cfg, location: location, cat: cat, records: records}
	w.tables = newTableCache(w, DefaultMaxStaleness)
	if oc, ok := cat.(*ownedCatalog); ok {
		oc.changed = w.tables.Invalidate
	}
	return w, nil
}

// Location is the warehouse root URL.
func (w *Warehouse) Location() string { return w.location }

// Catalog is the Iceberg catalog.
func (w *Warehouse) Catalog() catalog.Catalog { return w.cat }

// CatalogDB is the SQL database behind a warehouse's catalog, for serving
// the same tables over the Iceberg REST protocol (lake/restcat).
type CatalogDB struct {
	DB      *sql.DB
	Dialect string             // "sqlite" or "postgres"
	Name    string             // the catalog_name column its rows carry
	Props   iceberg.Properties // "warehouse" and the file IO settings
}

// CatalogDB returns the catalog's SQL database; ok is false when the catalog
// is not a SQL store (an external REST catalog). The handle stays owned by
// the warehouse: it is closed by Close.
func (w *Warehouse) CatalogDB() (CatalogDB, bool) {
	oc, ok := w.cat.(*ownedCatalog)
	if !ok {
		return CatalogDB{}, false
	}
	return CatalogDB{DB: oc.db, Dialect: string(oc.dialect), Name: catalogName, Props: ioProps(w.location, w.cfg)}, true
}

// Records is the store for wharf's own records.
func (w *Warehouse) Records() objstore.Store { return w.records }

// Close releases the catalog and storage clients.
func (w *Warehouse) Close() error {
	var errs []error
	if c, ok := w.cat.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Ledger returns the commit ledger of job over this warehouse's catalog.
func (w *Warehouse) Ledger(job string, opts ...commit.Option) (*commit.Ledger, error) {
	_, inCAS := w.cat.(*ownedCatalog) // wharf's store validates requirements in its CAS
	return commit.New(w.records, w.cat, inCAS, job, opts...)
}
