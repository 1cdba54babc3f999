package oracle

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go/table"
	_ "github.com/marcboeker/go-duckdb" // registers the "duckdb" database/sql driver

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// hitsRows is the size of the hits table. CI runs the default; a nightly or
// local run can ask for more: go test ./oracle/ -args -oracle.hits=5000000,
// or WHARF_HITS_ROWS=5000000 in the environment (the flag wins).
var hitsRows = flag.Int("oracle.hits", defaultHitsRows(), "rows of the generated hits table (default: $WHARF_HITS_ROWS or 1000000)")

func defaultHitsRows() int {
	if n, err := strconv.Atoi(os.Getenv("WHARF_HITS_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// tmpRoot holds the warehouse for the whole test binary.
var tmpRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "wharf-oracle-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = dir
	code := m.Run()
	if e, ok := theEnv.v, theEnv.done; ok && e != nil {
		e.close()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// env is the loaded data, shared by every test of the binary.
type env struct {
	wh    *lake.Warehouse
	sess  *session.Session
	duck  *sql.DB
	rows  map[string]int      // table → rows
	files map[string][]string // table → data file paths
	bytes map[string]int64    // table → data file bytes
	// timings
	gen, load, views time.Duration
}

func (e *env) close() {
	if e.duck != nil {
		_ = e.duck.Close()
	}
	if e.wh != nil {
		_ = e.wh.Close()
	}
}

var theEnv struct {
	once sync.Once
	done bool
	v    *env
	err  error
}

// getEnv generates and loads the data on first use.
func getEnv(t testing.TB) *env {
	t.Helper()
	theEnv.once.Do(func() {
		theEnv.v, theEnv.err = setup(context.Background(), tmpRoot, *hitsRows)
		theEnv.done = true
	})
	if theEnv.err != nil {
		t.Fatalf("oracle setup: %v", theEnv.err)
	}
	return theEnv.v
}

func setup(ctx context.Context, dir string, hits int) (_ *env, err error) {
	e := &env{rows: map[string]int{}, files: map[string][]string{}, bytes: map[string]int64{}}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.wh, err = lake.Open(ctx, lake.Config{DataDir: dir}); err != nil {
		return nil, err
	}
	e.sess = session.New(e.wh)
	t0 := time.Now()
	orders, lineitem := tpch() // generated eagerly, in one pass
	e.gen += time.Since(t0)
	sets := []dataset{hitsData(hits), orders, lineitem}
	ids := make([]table.Identifier, len(sets))
	for i, d := range sets {
		if _, err := e.sess.Exec(ctx, d.ddl, false); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		if ids[i], err = lake.Ident(d.name); err != nil {
			return nil, err
		}
	}
	l, err := e.wh.Ledger("oracle", commit.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return nil, err
	}
	res, err := l.Recover(ctx, ids)
	if err != nil {
		return nil, err
	}
	epoch := res.NextEpoch
	for i, d := range sets {
		gen, load, err := loadTable(ctx, e.wh, l, epoch, ids[i], d)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", d.name, err)
		}
		e.gen, e.load = e.gen+gen, e.load+load
		epoch++
		e.rows[d.name] = d.rows
	}

	// DuckDB reads the data files of each table's current snapshot.
	t1 := time.Now()
	if e.duck, err = openDuck(ctx); err != nil {
		return nil, err
	}
	for i, d := range sets {
		files, bytes, n, err := createView(ctx, e.duck, e.wh, d.name, ids[i])
		if err != nil {
			return nil, err
		}
		if n != d.rows {
			return nil, fmt.Errorf("duckdb sees %d rows in %s, want %d", n, d.name, d.rows)
		}
		e.files[d.name], e.bytes[d.name] = files, bytes
	}
	e.views = time.Since(t1)
	return e, nil
}

// loadTable generates d's batches, writes them with lake.WriteFiles and
// commits them as one ledger epoch. It returns the time spent generating and
// the time spent writing and committing.
func loadTable(ctx context.Context, wh *lake.Warehouse, l *commit.Ledger, epoch uint64, id table.Identifier, d dataset) (gen, load time.Duration, err error) {
	t0 := time.Now()
	var batches []arrow.RecordBatch
	d.batches(func(rec arrow.RecordBatch) bool {
		batches = append(batches, rec)
		return true
	})
	gen = time.Since(t0)
	t1 := time.Now()
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		return gen, 0, err
	}
	files, err := lake.WriteFiles(ctx, tbl, d.schema, lake.Batches(batches...)) // releases the batches
	if err != nil {
		return gen, 0, err
	}
	var n int64
	for _, f := range files {
		n += f.Count()
	}
	if n != int64(d.rows) {
		return gen, 0, fmt.Errorf("wrote %d rows, want %d", n, d.rows)
	}
	ranges := []commit.Range{{Kind: "gen", Name: "oracle-" + d.name, Partition: 0, From: 0, To: int64(d.rows)}}
	r, err := l.Commit(ctx, commit.Epoch{Number: epoch, Sources: ranges}, commit.Target{Table: id, Files: files})
	if err != nil {
		return gen, 0, err
	}
	if r.Duplicate {
		return gen, 0, fmt.Errorf("epoch %d committed as a duplicate", epoch)
	}
	return gen, time.Since(t1), nil
}

// openDuck opens an in-memory DuckDB set to Flink's semantics where the
// dialects differ.
func openDuck(ctx context.Context) (*sql.DB, error) {
	duck, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	duck.SetMaxOpenConns(1) // one connection: the SET statements below stick
	for _, s := range []string{
		"SET threads = 2",
		// Flink's defaults where the dialects differ, so that most queries
		// need no DuckDB override: INT / INT is an integer division, and
		// NULLs sort first ascending and last descending.
		"SET integer_division = true",
		"SET default_null_order = 'nulls_first_on_asc_last_on_desc'",
		// The static DuckDB here has no ICU (so no time zones and no
		// TIMESTAMPTZ arithmetic): never try to download extensions.
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
	} {
		if _, err := duck.ExecContext(ctx, s); err != nil {
			_ = duck.Close()
			return nil, fmt.Errorf("duckdb: %s: %w", s, err)
		}
	}
	return duck, nil
}

// createView makes DuckDB view name over the data files of table id's
// current snapshot, and returns the files, their bytes and the rows DuckDB
// sees.
func createView(ctx context.Context, duck *sql.DB, wh *lake.Warehouse, name string, id table.Identifier) (files []string, bytes int64, rows int, err error) {
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		return nil, 0, 0, err
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	var quoted []string
	for _, task := range tasks {
		p := strings.TrimPrefix(task.File.FilePath(), "file://")
		files = append(files, p)
		bytes += task.File.FileSizeBytes()
		quoted = append(quoted, "'"+strings.ReplaceAll(p, "'", "''")+"'")
	}
	if len(quoted) == 0 {
		return nil, 0, 0, fmt.Errorf("%s: no data files in the current snapshot", name)
	}
	view := fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM read_parquet([%s])", name, strings.Join(quoted, ", "))
	if _, err := duck.ExecContext(ctx, view); err != nil {
		return nil, 0, 0, fmt.Errorf("duckdb view %s: %w", name, err)
	}
	err = duck.QueryRowContext(ctx, "SELECT count(*) FROM "+name).Scan(&rows)
	return files, bytes, rows, err
}
