package lake

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go/table"
)

// readerFiles is how many data files the filter-first reader reads at once
// per scan; 0 means GOMAXPROCS.
var readerFiles atomic.Int64

// SetReaderFiles sets how many data files the filter-first reader reads at
// once per scan (config knob olap.Config.ReaderFiles); n <= 0 restores the
// default, GOMAXPROCS. Scans already reading keep their setting.
func SetReaderFiles(n int) { readerFiles.Store(int64(max(n, 0))) }

// ReaderFiles returns the number of data files the filter-first reader reads
// at once per scan.
func ReaderFiles() int {
	if n := readerFiles.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// batchesAhead is how many batches a file's reader may decode before the
// consumer takes them: with the one being handed over, what a file in
// flight holds (row groups of up to maxBatchRows rows, or slices of one).
const batchesAhead = 2

// A fileItem is a batch a file's reader handed over.
type fileItem struct{ b arrow.RecordBatch }

// errReaderPanicked cancels the other files' readers when one panicked; the
// panic is raised again in the consumer's goroutine.
var errReaderPanicked = errors.New("a data file's reader panicked")

// readConcurrent yields what read yields — the batches of tasks in task
// order, fallback tasks included — reading up to r.files tasks at once,
// each by its own goroutine: the task after the window starts once the
// consumer has taken every batch of the window's first. A file in flight
// holds at most batchesAhead+1 batches, so a scan holds at most r.files
// files' worth of that. The first error of any file (in time) is yielded
// once the batches before it in order are, and cancels the other files; a
// consumer that stops, or a cancelled ctx, cancels them too. Every goroutine
// has ended when the sequence returns, and every batch not yielded is
// released. A panic in a file's reader is raised again in the consumer's
// goroutine, where it would have happened reading one file at a time.
func (r *firstReader) readConcurrent(ctx context.Context, tasks []table.FileScanTask, fallback fallbackFunc) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		ctx, cancel := context.WithCancelCause(ctx)
		var (
			wg       sync.WaitGroup
			outs     = make([]chan fileItem, len(tasks))
			started  int
			panicked atomic.Pointer[any]
		)
		start := func(i int) {
			ch := make(chan fileItem, batchesAhead)
			outs[i] = ch
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(ch)
				defer func() {
					if p := recover(); p != nil {
						panicked.CompareAndSwap(nil, &p)
						cancel(errReaderPanicked)
					}
				}()
				err := r.task(ctx, tasks[i], fallback, func(b arrow.RecordBatch, _ error) bool {
					select {
					case ch <- fileItem{b}:
						return true
					case <-ctx.Done():
						b.Release()
						return false
					}
				})
				if err != nil && !errors.Is(err, errStopped) {
					cancel(err) // the first cause is kept
				}
			}()
		}
		defer func() {
			cancel(nil)
			for _, ch := range outs[:started] {
				for it := range ch {
					it.b.Release()
				}
			}
			wg.Wait()
			if p := panicked.Load(); p != nil {
				panic(*p)
			}
		}()
		for ; started < min(r.files, len(tasks)); started++ {
			start(started)
		}
		for i := range tasks {
			for it := range outs[i] {
				if !yield(it.b, nil) {
					return
				}
			}
			// outs[i] is closed: its task is done, failed or cancelled.
			if ctx.Err() != nil {
				if panicked.Load() == nil {
					yield(nil, context.Cause(ctx))
				}
				return
			}
			if started < len(tasks) {
				start(started)
				started++
			}
		}
	}
}
