// Package appendbench measures wharf's lake append path against its ceilings.
//
// The benchmarks all write the same deterministic web-events batches
// (events_test.go):
//
//   - BenchmarkEncodePqarrow: arrow-go's pqarrow with the writer properties
//     iceberg-go uses by default, into memory — the ceiling of the write path.
//   - BenchmarkEncodeParquetGo: parquet-go's GenericWriter with the same codec,
//     dictionary columns and page size, for comparison.
//   - BenchmarkAppend: lake.WriteFiles into a local file warehouse plus one
//     exactly-once ledger commit per op, then a scan that checks the row count.
//
// The package has no code of its own; see benchmarks/RESULTS.md for figures.
package appendbench
