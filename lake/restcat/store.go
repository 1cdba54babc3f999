package restcat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
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
// transaction: every table's pointer moves, or none does. The same
// transaction maintains wharf's lineage index (lineage.go).
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
	for _, ddl := range lineageDDL {
		if _, err := s.db.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("restcat: creating the lineage index: %w", err)
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
	err := s.writeTx(ctx, func(tx querier) error {
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
	if err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
		// A concurrent create won the key (PostgreSQL, read committed).
		if ok, xerr := s.namespaceExists(ctx, s.db, key); xerr == nil && ok {
			return fmt.Errorf("%w: %s", catalog.ErrNamespaceAlreadyExists, key)
		}
	}
	return err
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
	err := s.writeTx(ctx, func(tx querier) error {
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
	return s.writeTx(ctx, func(tx querier) error {
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
	err = s.writeTx(ctx, func(tx querier) error { return s.insertTable(ctx, tx, ns, name, loc) })
	if err != nil {
		s.removeFile(ctx, loc) // not referenced: the insert did not commit
		return nil, s.raced(ctx, err, ns, name)
	}
	return &LoadedTable{Ident: id, MetadataLocation: loc, Metadata: meta}, nil
}

// checkFreeName says whether a table may be created (or renamed to) ns.name
// inside tx: the namespace exists and no table or view holds the name.
func (s *Store) checkFreeName(ctx context.Context, tx querier, ns, name string) error {
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
	return nil
}

// insertTable adds a table row inside tx, checking the namespace and the name.
func (s *Store) insertTable(ctx context.Context, tx querier, ns, name, loc string) error {
	if err := s.checkFreeName(ctx, tx, ns, name); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, iceberg_type, metadata_location, previous_metadata_location) VALUES (?, ?, ?, ?, ?, NULL)`),
		s.name, ns, name, typeTable, loc); err != nil {
		return fmt.Errorf("creating table %s.%s: %w", ns, name, err)
	}
	return nil
}

// raced turns the key violation of an insert that lost a race with a
// concurrent create (PostgreSQL checks and inserts at read committed) into
// the already-exists error the check would have given.
func (s *Store) raced(ctx context.Context, err error, ns, name string) error {
	if errors.Is(err, catalog.ErrTableAlreadyExists) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		return err
	}
	if taken, terr := s.nameTaken(ctx, s.db, ns, name); terr == nil && taken {
		return fmt.Errorf("%w: %s.%s", catalog.ErrTableAlreadyExists, ns, name)
	}
	return err
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
	err = s.writeTx(ctx, func(tx querier) error {
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
		return nil, s.raced(ctx, err, ns, name)
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
	return s.writeTx(ctx, func(tx querier) error {
		if _, ok, err := s.pointerOf(ctx, tx, fns, fname); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, identString(from))
			}
			return err
		}
		if err := s.checkFreeName(ctx, tx, tns, tname); err != nil {
			return err
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
	err = s.writeTx(ctx, func(tx querier) error {
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
