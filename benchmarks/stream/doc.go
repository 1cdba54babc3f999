// Package stream measures wharf's continuous jobs (issue 4): the jobs that
// engine/runtime runs for INSERT INTO an Iceberg table SELECT … FROM an
// unbounded connector table, one exactly-once ledger commit per epoch.
//
//   - BenchmarkNexmark: Nexmark q0–q2 as jobs over the unbounded nexmark
//     generator (events/s and events per CPU-second), and /gen, the same
//     generator source read with no job, so the job's own cost shows.
//   - BenchmarkKafkaIngest: a job copying JSON bids from an in-process
//     Kafka-protocol broker into a table (rows/s, payload MB/s, rows per
//     CPU-second), with /raw (franz-go fetching the same records, no decode)
//     and /source (the job's Kafka source, decode included, no job) as
//     ceilings measured in the same run.
//   - BenchmarkFreshness: one record every 20 ms into a topic a running job
//     reads at the default 1 s commit interval, and how long each takes to
//     become visible to a SELECT (p50/p99/max).
//
// Every op runs a real job through engine/session and engine/runtime on a
// local file warehouse, and checks what it counted (rows in the table equal
// the positions the job committed) before reporting a figure. The Test
// functions run the same measurements at a small size and check only those
// counts, never timings. Everything is in _test.go files; see
// benchmarks/RESULTS.md for figures.
package stream
