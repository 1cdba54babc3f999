package runtime

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake"
)

// tableWriter writes a job's target table epoch by epoch: begin, rows
// through sink, flush, then committed or abort.
type tableWriter interface {
	sink() exec.Emitter
	begin()
	flush(ctx context.Context) (data, deletes []iceberg.DataFile, err error)
	committed()
	abort()
	rows() int64
}

// newTableWriter appends to a table without a primary key and upserts into
// one with a key (as Flink's upsert sinks do, also for append-only input),
// so a key never holds two rows.
func newTableWriter(ctx context.Context, p *Plan) (tableWriter, error) {
	// Coercion errors (a NULL in a NOT NULL column) repeat on every retry.
	coerce := func(b arrow.RecordBatch, done int64) (arrow.RecordBatch, error) {
		rec, err := p.Coerce(b, done)
		return rec, errkind.Wrap(errkind.Fatal, err)
	}
	if len(p.Table.Schema().IdentifierFieldIDs) == 0 {
		return &appendWriter{p: p, s: &exec.FileSink{Coerce: coerce}}, nil
	}
	w, err := lake.NewUpsertWriter(ctx, p.Table, p.Schema)
	if err != nil {
		return nil, err
	}
	return &upsertWriter{w: w, s: &exec.UpsertSink{Coerce: coerce, W: w}}, nil
}

// appendWriter writes each epoch's rows to new data files.
type appendWriter struct {
	p *Plan
	s *exec.FileSink
}

func (a *appendWriter) sink() exec.Emitter { return a.s }
func (a *appendWriter) begin()             { a.s.W = lake.NewFileWriter(a.p.Table, a.p.Schema) }
func (a *appendWriter) committed()         {}
func (a *appendWriter) rows() int64        { return a.s.W.Rows() }

func (a *appendWriter) flush(context.Context) ([]iceberg.DataFile, []iceberg.DataFile, error) {
	files, err := a.s.W.Close()
	return files, nil, err
}

// abort stops an epoch's writer; its files become orphans.
func (a *appendWriter) abort() {
	if a.s.W != nil {
		a.s.W.Abort()
	}
}

// upsertWriter replaces rows by key through position deletes.
type upsertWriter struct {
	w *lake.UpsertWriter
	s *exec.UpsertSink
}

func (u *upsertWriter) sink() exec.Emitter { return u.s }
func (u *upsertWriter) begin()             {}
func (u *upsertWriter) committed()         { u.w.Committed() }
func (u *upsertWriter) abort()             { u.w.Abort() }
func (u *upsertWriter) rows() int64        { return u.w.Rows() }

func (u *upsertWriter) flush(ctx context.Context) ([]iceberg.DataFile, []iceberg.DataFile, error) {
	return u.w.Flush(ctx)
}
