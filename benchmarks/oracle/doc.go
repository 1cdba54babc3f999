// Package oracle is wharf's differential correctness suite (issue 3): the
// queries in testdata/queries.sql run on wharf and on DuckDB over the same
// Iceberg Parquet files, and must return the same rows.
//
// The data is generated from a fixed seed once per test binary: a hits-like
// web-analytics table (Zipf-skewed users and URLs, NULLs, a month of
// timestamps, unicode strings, partitioned by region) and a small TPC-H-like
// orders/lineitem pair. wharf writes it through its own append path (CREATE
// TABLE, lake.WriteFiles, one ledger commit per table); DuckDB reads the data
// files of the tables' current snapshots with read_parquet, as views named
// like the tables.
//
// TestRESTReadDuckDB (issue 6) checks the catalog an outside engine sees: a
// table written by wharf's batch INSERTs and an overwrite is listed through
// wharf's REST catalog by iceberg-go's REST client, and DuckDB over exactly
// the listed files returns the rows of wharf's SELECT.
//
// TestNexmarkDuckDB (issue 4) runs the Nexmark queries that the continuous
// jobs run as batch SELECTs on wharf and on DuckDB (testdata/nexmark_duckdb.sql
// holds DuckDB's text where the dialects differ, window TVFs above all) over
// the same generated events.
//
// Everything is in _test.go files: DuckDB (cgo) never reaches a build of
// wharf's product.
package oracle
