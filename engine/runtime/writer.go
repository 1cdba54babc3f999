package runtime

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
)

// epochWriter streams one epoch's batches into Parquet data files: a
// goroutine runs lake.WriteFiles over the batches as they are pushed, so an
// epoch's rows are never all in memory.
type epochWriter struct {
	tbl    *table.Table
	schema *arrow.Schema
	rows   int64

	ch     chan arrow.RecordBatch
	exited chan struct{} // closed when the writer goroutine has returned
	files  []iceberg.DataFile
	err    error
	cancel context.CancelFunc
}

func (w *epochWriter) write(ctx context.Context, rec arrow.RecordBatch) error {
	if w.ch == nil {
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		w.ch, w.exited, w.cancel = make(chan arrow.RecordBatch, 2), make(chan struct{}), cancel
		go func() {
			defer close(w.exited)
			w.files, w.err = lake.WriteFiles(wctx, w.tbl, w.schema, func(yield func(arrow.RecordBatch, error) bool) {
				for b := range w.ch {
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

// close ends the epoch's files and returns them (none if nothing was
// written).
func (w *epochWriter) close() ([]iceberg.DataFile, error) {
	if w.ch == nil {
		return nil, nil
	}
	close(w.ch)
	<-w.exited
	w.cancel()
	return w.files, w.err
}

// abort stops the writer; files it wrote become orphans for RemoveOrphans.
func (w *epochWriter) abort() {
	if w.ch == nil {
		return
	}
	w.cancel()
	close(w.ch)
	for b := range w.ch {
		b.Release()
	}
	<-w.exited
}
