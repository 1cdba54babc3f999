// Package connector defines how a job reads the world outside the lake: a
// Source made of independently positioned splits (a Kafka partition, a
// generator shard, a file), read as Arrow batches that each say exactly which
// positions of one split they cover. The streaming runtime checkpoints those
// positions with the epoch's Iceberg commit, so a restart resumes each split
// at the first position no committed epoch covered: no gap, no overlap.
//
// Each connector lives in a package of its own (connector/kafka,
// connector/nexmark, …) and exports an Open function with the signature of
// OpenFunc. The contract every Source keeps:
//
//   - Ownership: Next hands the caller its batch; the caller releases Rows.
//     A Source keeps no reference to a batch it returned.
//   - Positions: a split's positions are int64s that only grow (a Kafka
//     offset, a generated event's index). Batch.From is the first position
//     the batch covers and Batch.To the position after the last one,
//     counting records that failed to decode (they are in Bad, not lost):
//     the batches of one split tile its positions without gap or overlap,
//     except where a log itself has holes (compacted or transactional Kafka
//     offsets), which fall inside some batch's range.
//   - Concurrency: Next is called from one goroutine at a time; Close may be
//     called concurrently with a blocked Next and makes it return.
//   - Errors are classified at the source (internal/errkind): a transient
//     broker or network failure is retryable and Next retries it inside
//     before giving up; offsets out of range, a recreated topic or a
//     missing split are fatal, with a message that names topic, partition
//     and offsets. Nothing is ever skipped silently.
//   - Bounded sources return io.EOF from Next once every split is exhausted.
package connector

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/types"
	"github.com/wharfdata/wharf/lake"
)

// Column is one column of a connector table, its type already mapped from
// the declared Flink type.
type Column struct {
	Name     string
	Type     arrow.DataType
	Nullable bool
	// Declared is the Flink type as written (TIMESTAMP(3), VARCHAR(20)…).
	Declared string
	// MetadataKey is set for `METADATA [FROM 'key']` columns: the value
	// comes from the record's metadata (Kafka: partition, offset, timestamp,
	// topic, key, headers) instead of its payload.
	MetadataKey string
}

// TableSpec is what CREATE TABLE … WITH ('connector' = …) declared.
type TableSpec struct {
	Name    string // db.table, for messages
	Columns []Column
	// Options are the WITH options, keys as written ('topic', 'format',
	// 'scan.startup.mode', 'properties.bootstrap.servers', 'json.ignore-parse-errors'…).
	Options map[string]string
	// DefaultBrokers is the server's Kafka (the embedded broker or --kafka),
	// used when the options name none.
	DefaultBrokers string
	// BatchRows bounds the rows of one batch (0: the connector's default).
	BatchRows int
	Alloc     memory.Allocator
	// Files reads files with the server's storage settings (the filesystem
	// connector).
	Files lake.FileSystem
}

// Schema is the Arrow schema of the spec's columns, in order.
func (t *TableSpec) Schema() *arrow.Schema {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
		if c.Declared != "" {
			fields[i].Metadata = types.Declared(c.Declared)
		}
	}
	return arrow.NewSchema(fields, nil)
}

// OpenFunc opens a connector's source for a table spec. It validates the
// options (unknown or missing ones are an error naming the option) and
// connects; it reads nothing until Start.
type OpenFunc func(ctx context.Context, spec *TableSpec) (Source, error)

// Source reads the splits of one connector table.
type Source interface {
	// Schema is the schema of every batch's Rows: the spec's columns.
	Schema() *arrow.Schema
	// Splits lists the split IDs (Kafka partition numbers, 0..n-1 for
	// generators), ascending. It may grow over time (partitions added).
	Splits(ctx context.Context) ([]int32, error)
	// Start begins reading. Splits in from resume at the given position
	// (from a checkpoint); the others start where the table's startup mode
	// says ('scan.startup.mode'). Start is called once.
	Start(ctx context.Context, from map[int32]int64) error
	// Next blocks until a batch is ready, ctx ends, or Close is called.
	// A batch may have no rows (everything in it failed to decode).
	Next(ctx context.Context) (Batch, error)
	// Close releases connections and buffered batches.
	Close() error
}

// Batch is a run of consecutive records of one split.
type Batch struct {
	Split    int32
	From, To int64 // positions [From, To) covered, bad records included
	Rows     arrow.RecordBatch
	// Pos holds the position of each row's record, ascending. It may be
	// nil only when row i is the record at From+i: every position in
	// [From, To) holds exactly one row. A job that replays a source for
	// some of its operators only uses it to drop the replayed rows for the
	// others.
	Pos []int64
	Bad []BadRecord
}

// BadRecord is a record that could not be decoded; the runtime writes it to
// the job's dead-letter table in the same commit as the good rows.
type BadRecord struct {
	Topic     string // the connector's name for the stream (a topic, a path)
	Split     int32
	Position  int64
	Timestamp int64 // record time in epoch milliseconds, 0 if none
	Err       string
	Raw       []byte
}
