// Package upsertbench measures upserts into a primary-key table (issue 4):
// one epoch upserting 1,000 random keys of a 2M-row table, committed with
// position deletes (lake.UpsertWriter) or with equality deletes (iceberg-go's
// Transaction.WriteEqualityDeletes), and the full read that follows
// (count(*), sum(v)) against a table with no deletes at all. It also builds
// the writer's key index over the 2M rows and reports its bytes per key.
//
// The package has no code of its own; see benchmarks/RESULTS.md for figures.
package upsertbench
