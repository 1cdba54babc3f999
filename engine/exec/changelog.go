package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Changelogs. An operator whose results change after it emitted them (a
// non-windowed GROUP BY, a Top-N, an outer or regular join over updates)
// emits a changelog: its batches carry one more column than its plan
// node's schema, the last one, named RowKindColumn, of type INT8, never
// NULL, holding a RowKind per row. A batch without that column is all
// inserts. Operators that only filter or compute columns (Filter, Project)
// carry the column through; operators that consume a changelog (an
// aggregate over an aggregate, the upsert sink) apply -U and -D as
// retractions.
//
// Order matters within a changelog: for one key, an operator emits -U
// before the +U that replaces it, in the same batch or an earlier one.
const RowKindColumn = "_row_kind"

// RowKind is a changelog row's kind; the values are Flink's RowKind bytes.
type RowKind int8

const (
	Insert       RowKind = 0 // +I
	UpdateBefore RowKind = 1 // -U: retracts a row emitted earlier
	UpdateAfter  RowKind = 2 // +U: the row that replaces it
	Delete       RowKind = 3 // -D
)

// Retracts says whether rows of kind k withdraw an earlier row.
func (k RowKind) Retracts() bool { return k == UpdateBefore || k == Delete }

func (k RowKind) String() string {
	switch k {
	case Insert:
		return "+I"
	case UpdateBefore:
		return "-U"
	case UpdateAfter:
		return "+U"
	case Delete:
		return "-D"
	}
	return "?"
}

// RowKindField is the changelog column's field.
var RowKindField = arrow.Field{Name: RowKindColumn, Type: arrow.PrimitiveTypes.Int8}

// RowKinds returns b's changelog column, or nil when b is all inserts.
func RowKinds(b arrow.RecordBatch) *array.Int8 {
	n := int(b.NumCols())
	if n == 0 || b.Schema().Field(n-1).Name != RowKindColumn {
		return nil
	}
	kinds, _ := b.Column(n - 1).(*array.Int8)
	return kinds
}

// Snapshotter is implemented by operators whose state cannot be rebuilt by
// replaying a bounded part of the input (a non-windowed aggregate, a
// Top-N, a regular join). At every barrier, after OnBarrier, the runtime
// appends the operator's state to dst; the bytes are stored with the
// epoch's commit (DESIGN.md §4). After a restart, before the first batch,
// the runtime passes the bytes of the last committed epoch to
// RestoreState. The encoding is the operator's own; it should carry a
// version byte so that a newer wharf can refuse, with a clear error, state
// it cannot read.
type Snapshotter interface {
	SnapshotState(dst []byte) ([]byte, error)
	RestoreState(state []byte) error
}

// IncrementalSnapshotter is a Snapshotter whose state grows with its input
// (a regular join keeps every row): rewriting all of it every epoch costs
// the job time quadratic in its length. SnapshotDelta appends only what
// changed since the last SnapshotState or SnapshotDelta (both start a new
// delta); ApplyDelta, after RestoreState of a full snapshot, applies the
// deltas taken after it, oldest first, giving the state of the last. A
// restored operator has no changes to report until it receives rows.
type IncrementalSnapshotter interface {
	Snapshotter
	SnapshotDelta(dst []byte) ([]byte, error)
	ApplyDelta(delta []byte) error
}

// TwoInput is implemented by operators with two inputs (streaming joins).
// Process receives the left input's batches and ProcessRight the right
// input's, always from the one goroutine that drives the job: the two are
// never called concurrently. Ownership and errors are as for Process.
// Barriers and watermarks reach a two-input operator once, after both
// inputs have passed them.
type TwoInput interface {
	Operator
	ProcessRight(ctx context.Context, batch arrow.RecordBatch, out Emitter) error
}

// StateSizer is implemented by operators that keep state between batches:
// StateBytes is an estimate of what they hold, reported per operator in
// the job's status.
type StateSizer interface {
	StateBytes() int64
}
