package session

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// ResultKind says what a statement produced.
type ResultKind uint8

const (
	// ResultOK is a DDL or DML statement's acknowledgement.
	ResultOK ResultKind = iota
	// ResultRows is a query's rows.
	ResultRows
	// ResultJob is a continuous job that was started.
	ResultJob
)

// Result is what one statement returns. The result owns its batches: the
// caller reads them and then calls Release once.
type Result struct {
	Kind    ResultKind
	Schema  *arrow.Schema       // ResultRows: the columns, in order
	Batches []arrow.RecordBatch // ResultRows: the rows
	JobID   string              // ResultJob
	Stats   Stats
}

// Stats describes what a statement did.
type Stats struct {
	RowsAffected int64         // INSERT: rows written
	SnapshotID   int64         // INSERT: the snapshot that made them visible (0 = none)
	Elapsed      time.Duration // wall time of the statement
}

// Release frees the result's batches. Safe on a nil result and idempotent.
func (r *Result) Release() {
	if r == nil {
		return
	}
	for _, b := range r.Batches {
		b.Release()
	}
	r.Batches = nil
}
