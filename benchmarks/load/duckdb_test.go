package load

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/marcboeker/go-duckdb" // registers the "duckdb" database/sql driver
)

// openDuck opens one in-process DuckDB (2 threads) with an events view over
// the given Parquet files, with up to conns connections.
func openDuck(ctx context.Context, files []string, conns int) (*sql.DB, error) {
	// The static DuckDB here has no extensions to load: never try to fetch one.
	db, err := sql.Open("duckdb", "?threads=2&autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	if _, err := db.ExecContext(ctx, "CREATE VIEW events AS SELECT * FROM read_parquet(["+strings.Join(quoted, ", ")+"])"); err != nil {
		db.Close()
		return nil, fmt.Errorf("duckdb view: %w", err)
	}
	return db, nil
}

// duckDo runs a query on db, rendering each value as its text.
func duckDo(db *sql.DB) Do {
	return func(ctx context.Context, q Query) ([][]string, error) {
		rs, err := db.QueryContext(ctx, q.SQL())
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		cols, err := rs.Columns()
		if err != nil {
			return nil, err
		}
		var out [][]string
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				return nil, err
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				row[i] = fmt.Sprint(v)
			}
			out = append(out, row)
		}
		return out, rs.Err()
	}
}
