package restcat

import (
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/klauspost/compress/zstd"
)

// Dialect is the SQL database behind a Store.
type Dialect string

// The dialects a Store speaks.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Fault points a test hook sees during a commit (WithFaultHook). Returning an
// error from the hook at a point fails the commit there, as a crash or a store
// error would.
const (
	// FaultBeforeSwaps: every table's new metadata file is written; the store
	// transaction has not begun.
	FaultBeforeSwaps = "before-swaps"
	// FaultAfterFirstSwap: inside the transaction, the first table's pointer
	// is swapped and the others are not yet.
	FaultAfterFirstSwap = "after-first-swap"
	// FaultBeforeTxCommit: every pointer is swapped; the transaction is not
	// committed.
	FaultBeforeTxCommit = "before-tx-commit"
)

// Store keeps the catalog in SQL tables laid out as the Iceberg JDBC catalog
// lays them out (the same tables and columns iceberg-go's SQL catalog
// creates), so that wharf, iceberg-go's SQL catalog and other engines' JDBC
// catalogs can share one database:
//
//	iceberg_tables(catalog_name, table_namespace, table_name, iceberg_type,
//	               metadata_location, previous_metadata_location)
//	iceberg_namespace_properties(catalog_name, namespace, property_key, property_value)
//
// Unlike those catalogs it commits several tables in one database
// transaction: every table's pointer moves, or none does.
type Store struct {
	db      *sql.DB
	dialect Dialect
	name    string             // the catalog_name column
	props   iceberg.Properties // warehouse location and file IO settings
	hook    func(point string) error
	retries int
}

// StoreOption configures a Store.
type StoreOption func(*Store)

// WithFaultHook calls hook at each fault point of a commit (Fault*); a
// non-nil error fails the commit at that point. For tests.
func WithFaultHook(hook func(point string) error) StoreOption {
	return func(s *Store) { s.hook = hook }
}

// WithCommitRetries sets how often a commit whose pointer moved underneath it
// is re-validated against the new metadata and retried (default 3). Retrying
// is safe because requirements are checked again against what is current.
func WithCommitRetries(n int) StoreOption { return func(s *Store) { s.retries = n } }

// Property keys.
const (
	propWarehouse = "warehouse"
	propLocation  = "location"
	// propExists marks a namespace created without properties, as the JDBC
	// catalog does; it is never shown to clients.
	propExists = "exists"
)

const (
	typeTable = "TABLE"
	typeView  = "VIEW"
)

// nameRE is the shape of a namespace level or table name. Names become
// directory names under the warehouse (the same rule as lake.Ident), and a
// namespace level must not contain '.', which joins levels in the store.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_\-]{0,127}$`)

// NewStore opens the catalog named catalogName in db, creating the catalog
// tables when missing. props holds "warehouse" (the root of new tables) and
// the file IO properties (S3 endpoint and credentials) tables are read and
// written with.
//
// For SQLite, db should be opened with a busy timeout (and WAL) so that
// concurrent writers wait rather than fail; commits take the write lock up
// front (BEGIN IMMEDIATE) whatever the DSN says.
func NewStore(ctx context.Context, db *sql.DB, dialect Dialect, catalogName string, props iceberg.Properties, opts ...StoreOption) (*Store, error) {
	if dialect != SQLite && dialect != Postgres {
		return nil, fmt.Errorf("restcat: unsupported dialect %q (want sqlite or postgres)", dialect)
	}
	s := &Store{db: db, dialect: dialect, name: catalogName, props: maps.Clone(props), retries: 3}
	if s.props == nil {
		s.props = iceberg.Properties{}
	}
	for _, o := range opts {
		o(s)
	}
	if err := s.createTables(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// createTables creates the JDBC catalog tables (V1 layout, with iceberg_type)
// unless present, and adds iceberg_type to a legacy V0 table, as the JDBC
// catalog's V1 migration does.
func (s *Store) createTables(ctx context.Context) error {
	for _, ddl := range []string{
		`CREATE TABLE IF NOT EXISTS iceberg_tables (catalog_name VARCHAR NOT NULL, table_namespace VARCHAR NOT NULL, table_name VARCHAR NOT NULL, iceberg_type VARCHAR, metadata_location VARCHAR, previous_metadata_location VARCHAR, PRIMARY KEY (catalog_name, table_namespace, table_name))`,
		`CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (catalog_name VARCHAR NOT NULL, namespace VARCHAR NOT NULL, property_key VARCHAR NOT NULL, property_value VARCHAR, PRIMARY KEY (catalog_name, namespace, property_key))`,
	} {
		if _, err := s.db.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("restcat: creating catalog tables: %w", err)
		}
	}
	probe := `SELECT 1 FROM pragma_table_info('iceberg_tables') WHERE name = 'iceberg_type'`
	if s.dialect == Postgres {
		probe = `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'iceberg_tables' AND column_name = 'iceberg_type'`
	}
	var one int
	switch err := s.db.QueryRowContext(ctx, probe).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := s.db.ExecContext(ctx, `ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR`); err != nil {
			return fmt.Errorf("restcat: adding iceberg_type to a V0 catalog: %w", err)
		}
	case err != nil:
		return fmt.Errorf("restcat: probing the catalog schema: %w", err)
	}
	return nil
}

// q rewrites ?-placeholders for the dialect.
func (s *Store) q(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ---- names ----

func validNamespace(ns table.Identifier) error {
	if len(ns) == 0 {
		return badRequest("empty namespace")
	}
	for _, p := range ns {
		if !nameRE.MatchString(p) {
			return badRequest("invalid namespace level %q: names are 1-128 letters, digits, '_' or '-', starting with a letter or digit", p)
		}
	}
	return nil
}

func validIdent(id table.Identifier) error {
	if len(id) < 2 {
		return badRequest("table identifier %q needs a namespace and a name", id)
	}
	if err := validNamespace(id[:len(id)-1]); err != nil {
		return err
	}
	if n := id[len(id)-1]; !nameRE.MatchString(n) {
		return badRequest("invalid table name %q: names are 1-128 letters, digits, '_' or '-', starting with a letter or digit", n)
	}
	return nil
}

// nsKey is a namespace as the JDBC catalog stores it: levels joined by '.'.
func nsKey(ns table.Identifier) string { return strings.Join(ns, ".") }

func split(id table.Identifier) (string, string) {
	return nsKey(id[:len(id)-1]), id[len(id)-1]
}

func identString(id table.Identifier) string { return strings.Join(id, ".") }

// ---- namespaces ----

func (s *Store) namespaceExists(ctx context.Context, q querier, ns string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, s.q(`SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? LIMIT 1`), s.name, ns).Scan(&one)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("checking namespace %s: %w", ns, err)
	}
	// The JDBC catalog also counts a namespace as existing when it holds a
	// table, even with no property rows.
	err = q.QueryRowContext(ctx, s.q(`SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? LIMIT 1`), s.name, ns).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking namespace %s: %w", ns, err)
	}
	return true, nil
}

// NamespaceExists reports whether ns exists.
func (s *Store) NamespaceExists(ctx context.Context, ns table.Identifier) (bool, error) {
	if err := validNamespace(ns); err != nil {
		return false, err
	}
	return s.namespaceExists(ctx, s.db, nsKey(ns))
}

// CreateNamespace creates ns with props.
func (s *Store) CreateNamespace(ctx context.Context, ns table.Identifier, props iceberg.Properties) error {
	if err := validNamespace(ns); err != nil {
		return err
	}
	if _, ok := props[propExists]; ok {
		return badRequest("property %q is reserved", propExists)
	}
	if len(props) == 0 {
		props = iceberg.Properties{propExists: "true"}
	}
	key := nsKey(ns)
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		ok, err := s.namespaceExists(ctx, tx, key)
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("%w: %s", catalog.ErrNamespaceAlreadyExists, key)
		}
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)`),
				s.name, key, k, props[k]); err != nil {
				return fmt.Errorf("creating namespace %s: %w", key, err)
			}
		}
		return nil
	})
}

// NamespaceProperties returns the properties of ns.
func (s *Store) NamespaceProperties(ctx context.Context, ns table.Identifier) (iceberg.Properties, error) {
	if err := validNamespace(ns); err != nil {
		return nil, err
	}
	key := nsKey(ns)
	ok, err := s.namespaceExists(ctx, s.db, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", catalog.ErrNoSuchNamespace, key)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT property_key, property_value FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?`), s.name, key)
	if err != nil {
		return nil, fmt.Errorf("loading namespace %s: %w", key, err)
	}
	defer rows.Close()
	props := iceberg.Properties{}
	for rows.Next() {
		var k string
		var v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if k != propExists {
			props[k] = v.String
		}
	}
	return props, rows.Err()
}

// UpdateNamespaceProperties removes and sets properties of ns in one
// transaction.
func (s *Store) UpdateNamespaceProperties(ctx context.Context, ns table.Identifier, removals []string, updates iceberg.Properties) (catalog.PropertiesUpdateSummary, error) {
	sum := catalog.PropertiesUpdateSummary{Removed: []string{}, Updated: []string{}, Missing: []string{}}
	if err := validNamespace(ns); err != nil {
		return sum, err
	}
	for _, k := range removals {
		if _, ok := updates[k]; ok {
			return sum, fmt.Errorf("%w: property %q is both removed and updated", ErrUnprocessable, k)
		}
		if k == propExists {
			return sum, badRequest("property %q is reserved", propExists)
		}
	}
	if _, ok := updates[propExists]; ok {
		return sum, badRequest("property %q is reserved", propExists)
	}
	key := nsKey(ns)
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		ok, err := s.namespaceExists(ctx, tx, key)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s", catalog.ErrNoSuchNamespace, key)
		}
		for _, k := range removals {
			res, err := tx.ExecContext(ctx, s.q(`DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? AND property_key = ?`), s.name, key, k)
			if err != nil {
				return fmt.Errorf("updating namespace %s: %w", key, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				sum.Removed = append(sum.Removed, k)
			} else {
				sum.Missing = append(sum.Missing, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(updates)) {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE iceberg_namespace_properties SET property_value = ? WHERE catalog_name = ? AND namespace = ? AND property_key = ?`), updates[k], s.name, key, k)
			if err != nil {
				return fmt.Errorf("updating namespace %s: %w", key, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)`), s.name, key, k, updates[k]); err != nil {
					return fmt.Errorf("updating namespace %s: %w", key, err)
				}
			}
			sum.Updated = append(sum.Updated, k)
		}
		// Keep the namespace visible when its last property goes.
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?)`),
			s.name, key, propExists, "true", s.name, key); err != nil {
			return fmt.Errorf("updating namespace %s: %w", key, err)
		}
		return nil
	})
	return sum, err
}

// DropNamespace drops an empty namespace.
func (s *Store) DropNamespace(ctx context.Context, ns table.Identifier) error {
	if err := validNamespace(ns); err != nil {
		return err
	}
	key := nsKey(ns)
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? LIMIT 1`), s.name, key).Scan(&one)
		if err == nil {
			return fmt.Errorf("%w: %s holds tables or views", catalog.ErrNamespaceNotEmpty, key)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("dropping namespace %s: %w", key, err)
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?`), s.name, key)
		if err != nil {
			return fmt.Errorf("dropping namespace %s: %w", key, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: %s", catalog.ErrNoSuchNamespace, key)
		}
		return nil
	})
}

// ListNamespaces lists the namespaces one level below parent (the top level
// when parent is empty), sorted.
func (s *Store) ListNamespaces(ctx context.Context, parent table.Identifier) ([]table.Identifier, error) {
	if len(parent) > 0 {
		ok, err := s.NamespaceExists(ctx, parent)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: %s", catalog.ErrNoSuchNamespace, nsKey(parent))
		}
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ? UNION SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ?`), s.name, s.name)
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []table.Identifier
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return nil, err
		}
		ns := strings.Split(key, ".")
		if len(ns) <= len(parent) || !slices.Equal(ns[:len(parent)], parent) {
			continue
		}
		child := ns[:len(parent)+1]
		if k := nsKey(child); !seen[k] {
			seen[k] = true
			out = append(out, child)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b table.Identifier) int { return slices.Compare(a, b) })
	return out, nil
}

// ---- tables ----

// pointer is a table's row in iceberg_tables.
type pointer struct {
	location string
	previous string
}

// pointerOf reads a table's row; ok is false when there is no such table.
func (s *Store) pointerOf(ctx context.Context, q querier, ns, name string) (pointer, bool, error) {
	var loc, prev sql.NullString
	err := q.QueryRowContext(ctx, s.q(`SELECT metadata_location, previous_metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND (iceberg_type = ? OR iceberg_type IS NULL)`),
		s.name, ns, name, typeTable).Scan(&loc, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		return pointer{}, false, nil
	}
	if err != nil {
		return pointer{}, false, fmt.Errorf("reading table %s.%s: %w", ns, name, err)
	}
	if !loc.Valid || loc.String == "" {
		return pointer{}, false, fmt.Errorf("table %s.%s has no metadata location", ns, name)
	}
	return pointer{location: loc.String, previous: prev.String}, true, nil
}

// nameTaken reports whether any catalog object (table or view) holds the name.
func (s *Store) nameTaken(ctx context.Context, q querier, ns, name string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, s.q(`SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`), s.name, ns, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking %s.%s: %w", ns, name, err)
	}
	return true, nil
}

// LoadedTable is a table's current metadata and where it is stored.
type LoadedTable struct {
	Ident            table.Identifier
	MetadataLocation string
	Metadata         table.Metadata
}

// TableExists reports whether the table exists.
func (s *Store) TableExists(ctx context.Context, id table.Identifier) (bool, error) {
	if err := validIdent(id); err != nil {
		return false, err
	}
	ns, name := split(id)
	_, ok, err := s.pointerOf(ctx, s.db, ns, name)
	return ok, err
}

// LoadTable reads a table's current metadata.
func (s *Store) LoadTable(ctx context.Context, id table.Identifier) (*LoadedTable, error) {
	if err := validIdent(id); err != nil {
		return nil, err
	}
	ns, name := split(id)
	p, ok, err := s.pointerOf(ctx, s.db, ns, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, identString(id))
	}
	meta, err := s.readMetadata(ctx, p.location)
	if err != nil {
		return nil, err
	}
	return &LoadedTable{Ident: id, MetadataLocation: p.location, Metadata: meta}, nil
}

// ListTables lists the tables of ns sorted by name: at most limit (0: all)
// after the name `after`.
func (s *Store) ListTables(ctx context.Context, ns table.Identifier, after string, limit int) ([]table.Identifier, error) {
	if err := validNamespace(ns); err != nil {
		return nil, err
	}
	key := nsKey(ns)
	ok, err := s.namespaceExists(ctx, s.db, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", catalog.ErrNoSuchNamespace, key)
	}
	query := `SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND (iceberg_type = ? OR iceberg_type IS NULL) AND table_name > ? ORDER BY table_name`
	args := []any{s.name, key, typeTable, after}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("listing tables of %s: %w", key, err)
	}
	defer rows.Close()
	var out []table.Identifier
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, append(slices.Clone(ns), n))
	}
	return out, rows.Err()
}

// CreateTableSpec is what a new table is made of.
type CreateTableSpec struct {
	Schema     *iceberg.Schema
	Spec       *iceberg.PartitionSpec // nil: unpartitioned
	SortOrder  table.SortOrder
	Location   string // empty: derived from the namespace or the warehouse
	Properties iceberg.Properties
}

// NewTableMetadata builds the metadata a table would be created with (fresh
// field IDs, its location resolved) without storing anything. A staged
// create returns it; the client's later commit with assert-create creates it.
func (s *Store) NewTableMetadata(ctx context.Context, id table.Identifier, spec CreateTableSpec) (table.Metadata, error) {
	if err := validIdent(id); err != nil {
		return nil, err
	}
	if spec.Schema == nil {
		return nil, badRequest("create table %s: a schema is required", identString(id))
	}
	ns, name := split(id)
	loc := strings.TrimSuffix(spec.Location, "/")
	if loc == "" {
		nsProps, err := s.NamespaceProperties(ctx, id[:len(id)-1])
		if err != nil {
			return nil, err
		}
		if l := nsProps[propLocation]; l != "" {
			loc, err = url.JoinPath(l, name)
		} else if w := s.props[propWarehouse]; w != "" {
			// The JDBC catalog's default layout: warehouse/ns.db/table.
			loc, err = url.JoinPath(w, ns+".db", name)
		} else {
			err = badRequest("create table %s: no location given and the catalog has no warehouse", identString(id))
		}
		if err != nil {
			return nil, err
		}
	}
	meta, err := table.NewMetadata(spec.Schema, spec.Spec, spec.SortOrder, loc, spec.Properties)
	if err != nil {
		return nil, fmt.Errorf("%w: create table %s: %w", ErrBadRequest, identString(id), err)
	}
	return meta, nil
}

// CreateTable creates a table: writes its first metadata file and inserts
// its row.
func (s *Store) CreateTable(ctx context.Context, id table.Identifier, spec CreateTableSpec) (*LoadedTable, error) {
	meta, err := s.NewTableMetadata(ctx, id, spec)
	if err != nil {
		return nil, err
	}
	ns, name := split(id)
	if taken, err := s.nameTaken(ctx, s.db, ns, name); err != nil || taken {
		if err == nil {
			err = fmt.Errorf("%w: %s", catalog.ErrTableAlreadyExists, identString(id))
		}
		return nil, err
	}
	loc, err := newMetadataLocation(meta, "")
	if err != nil {
		return nil, err
	}
	if err := s.writeMetadata(ctx, loc, meta); err != nil {
		return nil, err
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error { return s.insertTable(ctx, tx, ns, name, loc) })
	if err != nil {
		s.removeFile(ctx, loc) // not referenced: the insert did not commit
		return nil, err
	}
	return &LoadedTable{Ident: id, MetadataLocation: loc, Metadata: meta}, nil
}

// insertTable adds a table row inside tx, checking the namespace and the name.
func (s *Store) insertTable(ctx context.Context, tx *sql.Tx, ns, name, loc string) error {
	ok, err := s.namespaceExists(ctx, tx, ns)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s", catalog.ErrNoSuchNamespace, ns)
	}
	taken, err := s.nameTaken(ctx, tx, ns, name)
	if err != nil {
		return err
	}
	if taken {
		return fmt.Errorf("%w: %s.%s", catalog.ErrTableAlreadyExists, ns, name)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, iceberg_type, metadata_location, previous_metadata_location) VALUES (?, ?, ?, ?, ?, NULL)`),
		s.name, ns, name, typeTable, loc); err != nil {
		return fmt.Errorf("creating table %s.%s: %w", ns, name, err)
	}
	return nil
}

// RegisterTable adds a table whose metadata file already exists.
// With overwrite, an existing table's pointer is replaced.
func (s *Store) RegisterTable(ctx context.Context, id table.Identifier, metadataLocation string, overwrite bool) (*LoadedTable, error) {
	if err := validIdent(id); err != nil {
		return nil, err
	}
	if metadataLocation == "" {
		return nil, badRequest("register table %s: metadata-location is required", identString(id))
	}
	meta, err := s.readMetadata(ctx, metadataLocation)
	if err != nil {
		return nil, fmt.Errorf("%w: register table %s: %w", ErrBadRequest, identString(id), err)
	}
	ns, name := split(id)
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if overwrite {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE iceberg_tables SET previous_metadata_location = metadata_location, metadata_location = ? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND (iceberg_type = ? OR iceberg_type IS NULL)`),
				metadataLocation, s.name, ns, name, typeTable)
			if err != nil {
				return fmt.Errorf("registering table %s: %w", identString(id), err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				return nil
			}
		}
		return s.insertTable(ctx, tx, ns, name, metadataLocation)
	})
	if err != nil {
		return nil, err
	}
	return &LoadedTable{Ident: id, MetadataLocation: metadataLocation, Metadata: meta}, nil
}

// RenameTable moves a table to another name, possibly in another namespace.
func (s *Store) RenameTable(ctx context.Context, from, to table.Identifier) error {
	if err := validIdent(from); err != nil {
		return err
	}
	if err := validIdent(to); err != nil {
		return err
	}
	fns, fname := split(from)
	tns, tname := split(to)
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, ok, err := s.pointerOf(ctx, tx, fns, fname); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, identString(from))
			}
			return err
		}
		ok, err := s.namespaceExists(ctx, tx, tns)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s", catalog.ErrNoSuchNamespace, tns)
		}
		taken, err := s.nameTaken(ctx, tx, tns, tname)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("%w: %s", catalog.ErrTableAlreadyExists, identString(to))
		}
		// The source namespace may exist only through this table; keep it.
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?)`),
			s.name, fns, propExists, "true", s.name, fns); err != nil {
			return fmt.Errorf("renaming %s: %w", identString(from), err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE iceberg_tables SET table_namespace = ?, table_name = ? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`),
			tns, tname, s.name, fns, fname); err != nil {
			return fmt.Errorf("renaming %s: %w", identString(from), err)
		}
		return nil
	})
}

// DropTable removes a table from the catalog. With purge, its files are then
// deleted (best effort: the catalog entry is gone either way, and a failure
// to delete is returned for the log, not to the client).
func (s *Store) DropTable(ctx context.Context, id table.Identifier, purge bool) (purgeErr error, err error) {
	if err := validIdent(id); err != nil {
		return nil, err
	}
	ns, name := split(id)
	var loc string
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		p, ok, err := s.pointerOf(ctx, tx, ns, name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, identString(id))
		}
		loc = p.location
		// The namespace may exist only through this table; keep it, as a
		// client that created it expects.
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?)`),
			s.name, ns, propExists, "true", s.name, ns); err != nil {
			return fmt.Errorf("dropping %s: %w", identString(id), err)
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?`), s.name, ns, name, loc)
		if err != nil {
			return fmt.Errorf("dropping %s: %w", identString(id), err)
		}
		return nil
	})
	if err != nil || !purge {
		return nil, err
	}
	tbl, err := table.NewFromLocation(ctx, id, loc, iceio.LoadFSFunc(s.props, loc), nil)
	if err != nil {
		return fmt.Errorf("purge %s: %w", identString(id), err), nil
	}
	return tbl.PurgeFiles(ctx), nil
}

// ---- commits ----

// TableChange is one table's part of a commit: requirements checked against
// its current metadata, then updates applied to it.
type TableChange struct {
	Ident        table.Identifier
	Requirements []table.Requirement
	Updates      []table.Update
}

// staged is one table change made ready for the swap: its new metadata is
// written at newLoc; oldLoc is what the pointer must still be ("" = create).
type staged struct {
	ident    table.Identifier
	ns, name string
	oldLoc   string
	newLoc   string
	meta     table.Metadata
	noop     bool // nothing changed: validated, not swapped
	written  bool // newLoc was written by this attempt
}

// errCASMiss: a pointer moved between staging and the swap.
var errCASMiss = errors.New("metadata location moved during commit")

// Commit applies changes to their tables atomically: each table's
// requirements are checked against its current metadata, its updates applied
// and written to a new metadata file, and then every table's pointer is
// swapped in one database transaction, each guarded by the location the
// requirements were checked against. Any failed requirement or moved pointer
// rolls back every swap. A pointer that moved is re-read and the commit
// re-validated, up to the retry count; a failed requirement is final.
//
// Errors: table.ErrCommitFailed (conflict; nothing applied), catalog
// sentinels for missing tables or namespaces, ErrBadRequest, ErrNotApplied
// (a store failure before the commit; nothing applied), ErrCommitStateUnknown
// (the database commit itself failed).
func (s *Store) Commit(ctx context.Context, changes []TableChange) ([]LoadedTable, error) {
	if len(changes) == 0 {
		return nil, badRequest("a commit needs at least one table change")
	}
	seen := map[string]bool{}
	for _, c := range changes {
		if err := validIdent(c.Ident); err != nil {
			return nil, err
		}
		k := identString(c.Ident)
		if seen[k] {
			return nil, badRequest("table %s appears twice in one commit", k)
		}
		seen[k] = true
	}
	for attempt := 0; ; attempt++ {
		out, err := s.commitOnce(ctx, changes)
		if !errors.Is(err, errCASMiss) {
			return out, err
		}
		if attempt >= s.retries {
			return nil, fmt.Errorf("%w: %w after %d attempts", table.ErrCommitFailed, err, attempt+1)
		}
	}
}

func (s *Store) commitOnce(ctx context.Context, changes []TableChange) (_ []LoadedTable, err error) {
	stages := make([]*staged, 0, len(changes))
	// Files written by this attempt are removed unless the swap committed or
	// its outcome is unknown: an unreferenced metadata file is garbage, but
	// deleting one a committed pointer names would break the table.
	keep := false
	defer func() {
		if keep {
			return
		}
		for _, st := range stages {
			if st.written {
				s.removeFile(ctx, st.newLoc)
			}
		}
	}()
	for _, c := range changes {
		st, err := s.stage(ctx, c)
		if st != nil {
			stages = append(stages, st)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := s.fault(FaultBeforeSwaps); err != nil {
		return nil, err
	}
	// Swap in a fixed order so that two multi-table commits on PostgreSQL
	// take their row locks in the same order and cannot deadlock.
	order := slices.Clone(stages)
	slices.SortFunc(order, func(a, b *staged) int { return slices.Compare(a.ident, b.ident) })
	committed, err := s.swapAll(ctx, order)
	if committed {
		keep = true
	}
	if err != nil {
		return nil, err
	}
	out := make([]LoadedTable, len(stages))
	for i, st := range stages {
		loc := st.newLoc
		if st.noop {
			loc = st.oldLoc
		}
		out[i] = LoadedTable{Ident: st.ident, MetadataLocation: loc, Metadata: st.meta}
	}
	return out, nil
}

// stage validates one change against the table's current metadata and
// writes the resulting metadata file.
func (s *Store) stage(ctx context.Context, c TableChange) (*staged, error) {
	ns, name := split(c.Ident)
	st := &staged{ident: c.Ident, ns: ns, name: name}
	p, exists, err := s.pointerOf(ctx, s.db, ns, name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotApplied, err)
	}
	var base, current table.Metadata
	if exists {
		st.oldLoc = p.location
		if current, err = s.readMetadata(ctx, p.location); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotApplied, err)
		}
		base = current
	} else {
		if !slices.ContainsFunc(c.Requirements, func(r table.Requirement) bool { return r.GetType() == "assert-create" }) {
			return nil, fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, identString(c.Ident))
		}
		// A create through a commit (the second step of a staged create):
		// the updates build the table from empty metadata.
		if base, err = table.NewMetadata(iceberg.NewSchema(0), nil, table.UnsortedSortOrder, "", nil); err != nil {
			return nil, err
		}
	}
	for _, r := range c.Requirements {
		// current is nil for a table that does not exist, which is what
		// assert-create asks and every other requirement refuses.
		if err := r.Validate(current); err != nil {
			return nil, fmt.Errorf("%w: table %s: %w", table.ErrCommitFailed, identString(c.Ident), err)
		}
	}
	meta, err := table.UpdateTableMetadata(base, c.Updates, st.oldLoc)
	if err != nil {
		return nil, fmt.Errorf("%w: table %s: %w", ErrBadRequest, identString(c.Ident), err)
	}
	st.meta = meta
	if exists && meta.Equals(current) {
		st.noop = true
		return st, nil
	}
	if meta.Location() == "" {
		return nil, badRequest("table %s: the new metadata has no location", identString(c.Ident))
	}
	if st.newLoc, err = newMetadataLocation(meta, st.oldLoc); err != nil {
		return nil, fmt.Errorf("%w: table %s: %w", ErrBadRequest, identString(c.Ident), err)
	}
	st.written = true // a partial file is removed too
	if err := s.writeMetadata(ctx, st.newLoc, meta); err != nil {
		return st, fmt.Errorf("%w: %w", ErrNotApplied, err)
	}
	return st, nil
}

// swapAll moves every pointer in one transaction. committed reports that the
// transaction committed or may have (its commit call failed).
func (s *Store) swapAll(ctx context.Context, stages []*staged) (committed bool, err error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrNotApplied, err)
	}
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	swapped := 0
	for _, st := range stages {
		if st.noop {
			continue
		}
		if st.oldLoc == "" {
			if err := s.insertTable(ctx, tx.Tx, st.ns, st.name, st.newLoc); err != nil {
				if errors.Is(err, catalog.ErrTableAlreadyExists) {
					return false, fmt.Errorf("%w: table %s was created concurrently", table.ErrCommitFailed, identString(st.ident))
				}
				if errors.Is(err, catalog.ErrNoSuchNamespace) {
					return false, err
				}
				return false, fmt.Errorf("%w: %w", ErrNotApplied, err)
			}
		} else {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?`),
				st.newLoc, st.oldLoc, s.name, st.ns, st.name, st.oldLoc)
			if err != nil {
				return false, fmt.Errorf("%w: swapping %s: %w", ErrNotApplied, identString(st.ident), err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return false, fmt.Errorf("%w: swapping %s: %w", ErrNotApplied, identString(st.ident), err)
			}
			if n != 1 {
				return false, fmt.Errorf("%w: table %s", errCASMiss, identString(st.ident))
			}
		}
		swapped++
		if swapped == 1 {
			if err := s.fault(FaultAfterFirstSwap); err != nil {
				return false, err
			}
		}
	}
	if err := s.fault(FaultBeforeTxCommit); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		// The database may have applied it before the error reached us.
		return true, fmt.Errorf("%w: %w", ErrCommitStateUnknown, err)
	}
	return true, nil
}

// fault runs the test hook at point; its error fails the commit as a store
// error before the transaction committed.
func (s *Store) fault(point string) error {
	if s.hook == nil {
		return nil
	}
	if err := s.hook(point); err != nil {
		return fmt.Errorf("%w: at %s: %w", ErrNotApplied, point, err)
	}
	return nil
}

// writeTx runs fn in a write transaction.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx.Tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// wtx is a write transaction: on SQLite it holds a connection on which
// BEGIN IMMEDIATE took the write lock before anything was read, so two
// writers never both read and then fail to upgrade (SQLITE_BUSY mid-commit).
type wtx struct {
	*sql.Tx
	conn *sql.Conn
}

func (t *wtx) Commit() error {
	err := t.Tx.Commit()
	if t.conn != nil {
		_ = t.conn.Close()
	}
	return err
}

func (t *wtx) Rollback() error {
	err := t.Tx.Rollback()
	if t.conn != nil {
		_ = t.conn.Close()
	}
	return err
}

func (s *Store) begin(ctx context.Context) (*wtx, error) {
	if s.dialect != SQLite {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &wtx{Tx: tx}, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := beginImmediate(ctx, conn)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &wtx{Tx: tx, conn: conn}, nil
}

// ---- metadata files ----

func (s *Store) readMetadata(ctx context.Context, loc string) (table.Metadata, error) {
	tbl, err := table.NewFromLocation(ctx, nil, loc, iceio.LoadFSFunc(s.props, loc), nil)
	if err != nil {
		return nil, fmt.Errorf("reading metadata %s: %w", loc, err)
	}
	return tbl.Metadata(), nil
}

// metaVersionRE is the version prefix of a metadata file name
// (00001-<uuid>.metadata.json, or the legacy v1.metadata.json).
var metaVersionRE = regexp.MustCompile(`^v?(\d+)[-.]`)

// newMetadataLocation names the metadata file following oldLoc ("" = the first).
func newMetadataLocation(meta table.Metadata, oldLoc string) (string, error) {
	next := 0
	if oldLoc != "" {
		next = 1
		if m := metaVersionRE.FindStringSubmatch(path.Base(oldLoc)); m != nil {
			if v, err := strconv.Atoi(m[1]); err == nil {
				next = v + 1
			}
		}
	}
	lp, err := table.LoadLocationProvider(meta.Location(), meta.Properties())
	if err != nil {
		return "", err
	}
	return lp.NewTableMetadataFileLocation(next)
}

// writeMetadata writes meta to loc, compressed as the file name says, and
// syncs it when the file system can, so a pointer never names a file that a
// crash could lose.
func (s *Store) writeMetadata(ctx context.Context, loc string, meta table.Metadata) (err error) {
	fsys, err := iceio.LoadFS(ctx, s.props, loc)
	if err != nil {
		return fmt.Errorf("writing metadata %s: %w", loc, err)
	}
	wfs, ok := fsys.(iceio.WriteFileIO)
	if !ok {
		return fmt.Errorf("writing metadata %s: file system is read-only", loc)
	}
	f, err := wfs.Create(loc)
	if err != nil {
		return fmt.Errorf("writing metadata %s: %w", loc, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing metadata %s: %w", loc, cerr)
		}
	}()
	var w io.Writer = f
	var enc io.WriteCloser
	switch {
	case strings.HasSuffix(loc, ".gz.metadata.json"):
		enc = gzip.NewWriter(f)
	case strings.HasSuffix(loc, ".zstd.metadata.json"):
		if enc, err = zstd.NewWriter(f); err != nil {
			return err
		}
	}
	if enc != nil {
		w = enc
	}
	if err := json.NewEncoder(w).Encode(meta); err != nil {
		return fmt.Errorf("writing metadata %s: %w", loc, err)
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return fmt.Errorf("writing metadata %s: %w", loc, err)
		}
	}
	if syncer, ok := f.(interface{ Sync() error }); ok {
		if err := syncer.Sync(); err != nil {
			return fmt.Errorf("writing metadata %s: %w", loc, err)
		}
	}
	return nil
}

// removeFile deletes a metadata file no pointer references (best effort).
func (s *Store) removeFile(ctx context.Context, loc string) {
	fsys, err := iceio.LoadFS(context.WithoutCancel(ctx), s.props, loc)
	if err != nil {
		return
	}
	_ = fsys.Remove(loc)
}
