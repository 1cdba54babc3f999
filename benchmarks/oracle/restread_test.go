package oracle

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/catalog/rest"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/restcat"
)

// restReadSteps write the table through wharf's own paths: a batch job over
// a seeded datagen source, VALUES rows with NULLs in every nullable column,
// and a static-partition overwrite that leaves the partition's earlier
// files dead in the current snapshot.
var restReadSteps = []string{
	`CREATE TABLE gen (id BIGINT NOT NULL, name STRING, amount DECIMAL(12, 2), d DATE, ts TIMESTAMP(3), score DOUBLE, flag BOOLEAN) WITH (
		'connector' = 'datagen', 'number-of-rows' = '3000', 'seed' = '42', 'rows-per-second' = '1000000000',
		'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3000',
		'fields.name.length' = '12', 'fields.name.var-len' = 'true', 'fields.name.null-rate' = '0.1',
		'fields.amount.min' = '-99999.99', 'fields.amount.max' = '9999999999.99', 'fields.amount.null-rate' = '0.1',
		'fields.d.min' = '1969-06-01', 'fields.d.max' = '2030-12-31', 'fields.d.null-rate' = '0.05',
		'fields.ts.min' = '1965-01-01 00:00:00', 'fields.ts.max' = '2035-12-31 23:59:59', 'fields.ts.null-rate' = '0.05',
		'fields.score.min' = '-1000000', 'fields.score.max' = '1000000', 'fields.score.null-rate' = '0.1',
		'fields.flag.null-rate' = '0.2')`,
	`CREATE TABLE t (id BIGINT NOT NULL, name STRING, amount DECIMAL(12, 2), d DATE, ts TIMESTAMP(3), score DOUBLE, flag BOOLEAN, region STRING) PARTITIONED BY (region)`,
	`INSERT INTO t SELECT id, name, amount, d, ts, score, flag,
		CASE MOD(id, 3) WHEN 0 THEN 'eu' WHEN 1 THEN 'us' ELSE 'ap' END FROM gen`,
	`INSERT INTO t VALUES
		(-1, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		(-2, 'ünïcode ✓', -0.01, DATE '1970-01-01', TIMESTAMP '1969-12-31 23:59:59.999', -0.0, false, 'eu'),
		(-3, '', 9999999999.99, DATE '1900-02-28', TIMESTAMP '2262-04-11 23:47:16.854', 1.5e300, true, NULL)`,
	`INSERT OVERWRITE t PARTITION (region = 'ap') SELECT id + 100000, name, amount, d, ts, score, flag FROM gen WHERE MOD(id, 7) = 0`,
	`INSERT INTO t VALUES (-4, 'late', 1.23, NULL, TIMESTAMP '2026-11-21 10:00:00.123', NULL, NULL, 'ap')`,
}

// TestRESTReadDuckDB (issue 6): the data files wharf's REST catalog lists
// for a table, read by DuckDB, hold exactly the rows SELECT * returns in
// wharf — the catalog an outside engine sees and wharf's own reads agree.
func TestRESTReadDuckDB(t *testing.T) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	s := session.New(wh)
	for _, q := range restReadSteps {
		r, err := s.Exec(ctx, q, false)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		r.Release()
	}

	cat := restCatalog(t, wh)
	id, err := lake.Ident("default", "t")
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := cat.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		t.Fatal("no current snapshot through the REST catalog")
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	partitions := map[string]bool{}
	for _, task := range tasks {
		if len(task.DeleteFiles) != 0 {
			t.Fatalf("%s has %d delete files; wharf writes none", task.File.FilePath(), len(task.DeleteFiles))
		}
		p, ok := strings.CutPrefix(task.File.FilePath(), "file://")
		if !ok {
			t.Fatalf("data file %s is not local", task.File.FilePath())
		}
		files = append(files, "'"+strings.ReplaceAll(p, "'", "''")+"'")
		partitions[fmt.Sprint(task.File.Partition())] = true // fmt sorts map keys
	}
	// eu, us, ap and NULL: the partition spec is in force, one file per
	// partition at least.
	if len(partitions) < 4 {
		t.Fatalf("the live files span %d partitions, want 4: %v", len(partitions), partitions)
	}

	// The overwrite left files behind that the listing must not name.
	var written []string
	err = filepath.WalkDir(strings.TrimPrefix(tbl.Location(), "file://"), func(p string, _ fs.DirEntry, err error) error {
		if strings.HasSuffix(p, ".parquet") {
			written = append(written, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) <= len(files) {
		t.Fatalf("%d data files written, %d live: the overwrite replaced none", len(written), len(files))
	}

	duck, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = duck.Close() })
	duck.SetMaxOpenConns(1)
	for _, q := range []string{"SET threads = 1", "SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false"} {
		if _, err := duck.ExecContext(ctx, q); err != nil {
			t.Fatalf("duckdb: %s: %v", q, err)
		}
	}
	src := "read_parquet([" + strings.Join(files, ", ") + "])"

	var n int64
	if err := duck.QueryRowContext(ctx, "SELECT count(*) FROM "+src).Scan(&n); err != nil {
		t.Fatal(err)
	}
	total, err := strconv.ParseInt(snap.Summary.Properties["total-records"], 10, 64)
	if err != nil {
		t.Fatalf("snapshot summary total-records: %v", err)
	}
	if n != total {
		t.Fatalf("duckdb counts %d rows in the %d listed files; the snapshot summary says %d", n, len(files), total)
	}

	const cols = "id, name, amount, d, ts, score, flag, region"
	r, err := s.Exec(ctx, "SELECT "+cols+" FROM t", true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	want, err := arrowRows(r.Batches)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := duck.QueryContext(ctx, "SELECT "+cols+" FROM "+src)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	_, got, err := sqlRows(rs)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(want)) != total {
		t.Fatalf("wharf's SELECT returns %d rows; the snapshot summary says %d", len(want), total)
	}
	if d := diff(want, got, false); d != "" {
		t.Fatalf("wharf's SELECT and DuckDB over the REST catalog's files differ:\n%s", d)
	}
	t.Logf("%d rows in %d live files (of %d written) of snapshot %d", total, len(files), len(written), snap.SnapshotID)
}

// restCatalog serves wh's catalog database over the Iceberg REST protocol,
// as `wharf serve` does, and returns iceberg-go's REST client of it.
func restCatalog(t *testing.T, wh *lake.Warehouse) *rest.Catalog {
	t.Helper()
	ctx := context.Background()
	cdb, ok := wh.CatalogDB()
	if !ok {
		t.Fatal("warehouse catalog is not a SQL store")
	}
	store, err := restcat.NewStore(ctx, cdb.DB, restcat.Dialect(cdb.Dialect), cdb.Name, cdb.Props)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(restcat.New(store, restcat.WithTableConfig(restcat.PublicIOConfig(cdb.Props))))
	t.Cleanup(ts.Close)
	c, err := rest.NewCatalog(ctx, "duckdb-check", ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
