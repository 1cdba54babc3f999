package lake

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// FileWriter writes batches pushed to it as a table's data files: a
// goroutine runs WriteFiles over them as they arrive, so a producer that
// pushes (a batch INSERT's pipeline, one epoch of a job) never holds all its
// rows. It is used from one goroutine.
type FileWriter struct {
	tbl    *table.Table
	schema *arrow.Schema
	rows   int64

	ch     chan arrow.RecordBatch
	exited chan struct{} // closed when the writer goroutine has returned
	files  []iceberg.DataFile
	err    error
	cancel context.CancelFunc
}

// NewFileWriter returns a writer of tbl's files for batches of schema.
func NewFileWriter(tbl *table.Table, schema *arrow.Schema) *FileWriter {
	return &FileWriter{tbl: tbl, schema: schema}
}

// Rows is how many rows were written.
func (w *FileWriter) Rows() int64 { return w.rows }

// Write takes rec (the writer releases it).
func (w *FileWriter) Write(ctx context.Context, rec arrow.RecordBatch) error {
	if w.ch == nil {
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		ch := make(chan arrow.RecordBatch, 2)
		w.ch, w.exited, w.cancel = ch, make(chan struct{}), cancel
		go func() {
			defer close(w.exited)
			w.files, w.err = WriteFiles(wctx, w.tbl, w.schema, func(yield func(arrow.RecordBatch, error) bool) {
				for b := range ch { // not w.ch: Close sets it to nil
					if !yield(b, nil) {
						return
					}
				}
			})
		}()
	}
	w.rows += rec.NumRows()
	select {
	case w.ch <- rec:
		return nil
	case <-w.exited:
		rec.Release()
		if w.err == nil {
			return errors.New("BUG: the epoch's file writer stopped early")
		}
		return w.err
	case <-ctx.Done():
		rec.Release()
		return ctx.Err()
	}
}

// Close ends the files and returns them, uncommitted (none if nothing was
// written, or if it was closed or aborted before).
func (w *FileWriter) Close() ([]iceberg.DataFile, error) {
	if w.ch == nil {
		return nil, nil
	}
	close(w.ch)
	w.ch = nil
	<-w.exited
	w.cancel()
	return w.files, w.err
}

// Abort stops the writer; files it wrote become orphans for RemoveOrphans.
// After Close it does nothing: a job aborts the epoch's writer on any
// failure, also one after the writer closed (a failed commit).
func (w *FileWriter) Abort() {
	if w.ch == nil {
		return
	}
	w.cancel()
	ch := w.ch
	w.ch = nil
	close(ch)
	for b := range ch {
		b.Release()
	}
	<-w.exited
}
