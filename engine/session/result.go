package session

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
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
	// Encodings, when set, is shared by every result served from one
	// cached entry: a front end keeps there the bytes it wrote for these
	// rows, and the next hit writes them without encoding again.
	Encodings *Encodings
}

// Encodings are a result's rows as front ends wrote them, by format, within
// a byte allowance (the result cache counts it in the entry's size). Safe
// for concurrent use; a nil *Encodings keeps nothing.
type Encodings struct {
	m    sync.Map // format → []byte
	room atomic.Int64
}

// NewEncodings returns an empty set that keeps up to room bytes.
func NewEncodings(room int64) *Encodings {
	e := &Encodings{}
	e.room.Store(room)
	return e
}

// Get returns the bytes kept for format; the caller must not modify them.
func (e *Encodings) Get(format string) ([]byte, bool) {
	if e == nil {
		return nil, false
	}
	v, ok := e.m.Load(format)
	if !ok {
		return nil, false
	}
	return v.([]byte), true
}

// Put keeps a copy of b for format if there is room and none is kept yet.
func (e *Encodings) Put(format string, b []byte) {
	if e == nil {
		return
	}
	n := int64(len(b))
	if e.room.Add(-n) < 0 {
		e.room.Add(n)
		return
	}
	if _, loaded := e.m.LoadOrStore(format, bytes.Clone(b)); loaded {
		e.room.Add(n)
	}
}

// Stats describes what a statement did.
type Stats struct {
	RowsAffected int64         // INSERT: rows written
	SnapshotID   int64         // INSERT: the snapshot that made them visible; SELECT: the snapshot read (0 = none)
	BytesScanned int64         // SELECT: data file bytes left to read after pruning
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

// stringRows builds a result of string columns.
func stringRows(cols []string, rows [][]string) *Result {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			b.Field(i).(*array.StringBuilder).Append(v)
		}
	}
	return &Result{Kind: ResultRows, Schema: schema, Batches: []arrow.RecordBatch{b.NewRecordBatch()}}
}
