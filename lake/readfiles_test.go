package lake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake/parquetw"
)

// manyFiles writes n small files of fuzzSchema (ids 1000·i onwards, 150 to
// 450 rows each, in row groups of 50 rows: more batches than a file's
// reader may hold) and returns them and their scan tasks; the tasks at
// indexes in fallback are left to the fallback reader (they cover part of
// their file, as a split task would).
func manyFiles(t *testing.T, n int, fallback ...int) (*memFS, []table.FileScanTask) {
	t.Helper()
	fio := &memFS{files: map[string][]byte{}, fail: map[string]error{}}
	tasks := make([]table.FileScanTask, n)
	for i := range tasks {
		path := fmt.Sprintf("data/%03d.parquet", i)
		rows := 150 + 100*(i%4)
		fio.files[path] = fuzzRowsWith(t, 1000*i, rows, parquetw.EncoderOptions{MaxRowGroupRows: 50, PageSize: 256, PageRowLimit: 16})
		b, err := iceberg.NewDataFileBuilder(*iceberg.UnpartitionedSpec, iceberg.EntryContentData, path, iceberg.ParquetFile,
			nil, nil, nil, int64(rows), int64(len(fio.files[path])))
		if err != nil {
			t.Fatal(err)
		}
		tasks[i] = table.FileScanTask{File: b.Build()}
	}
	for _, i := range fallback {
		tasks[i].Length = tasks[i].File.FileSizeBytes() - 1
	}
	return fio, tasks
}

// render writes the rows of a scan as text, failing on an error.
func render(t *testing.T, seq iter.Seq2[arrow.RecordBatch, error]) string {
	t.Helper()
	var sb strings.Builder
	for b, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		for r := range int(b.NumRows()) {
			for c := range int(b.NumCols()) {
				sb.WriteString(b.Column(c).ValueStr(r))
				sb.WriteByte('|')
			}
			sb.WriteByte('\n')
		}
		b.Release()
	}
	return sb.String()
}

// readersRunning counts the other goroutines running a function of
// readConcurrent (by name, which inlining may prefix), waiting up to a
// second for them to be gone: the sequence returns once each has called
// wg.Done, which a goroutine does just before it ends, not after.
func readersRunning() int {
	n := readersInStacks()
	for deadline := time.Now().Add(time.Second); n != 0 && time.Now().Before(deadline); n = readersInStacks() {
		time.Sleep(time.Millisecond)
	}
	return n
}

func readersInStacks() int {
	self := make([]byte, 64)
	self = self[:runtime.Stack(self, false)]
	self = self[:bytes.IndexByte(self, '[')] // "goroutine N "
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if !bytes.HasPrefix(g, self) && bytes.Contains(g, []byte("(*firstReader).readConcurrent")) {
			n++
		}
	}
	return n
}

// newManyReader returns a reader of fuzzSchema over fio reading files at
// once, decoding into mem, through pages (nil: no page cache), and a
// fallback that reads a task's whole file with a second, sequential reader
// (so its rows are the filter-first ones).
func newManyReader(t *testing.T, fio *memFS, filter iceberg.BooleanExpression, files int, mem memory.Allocator, pages *PageCache) (*firstReader, fallbackFunc) {
	t.Helper()
	cache := NewFooterCache(1 << 20)
	r, ok, err := newFirstReader(fio, cache, fuzzSchema, fuzzSchema, filter, nil, mem)
	if err != nil || !ok {
		t.Fatalf("reader: %v %v", ok, err)
	}
	r.files, r.pages = files, pages
	whole, _, _ := newFirstReader(fio, cache, fuzzSchema, fuzzSchema, filter, nil, mem)
	whole.pages = pages
	fallback := func(ctx context.Context, task table.FileScanTask) (iter.Seq2[arrow.RecordBatch, error], error) {
		return func(yield func(arrow.RecordBatch, error) bool) {
			err := whole.readFile(ctx, task.File.FilePath(), task.File.FileSizeBytes(), yield)
			if err != nil && !errors.Is(err, errStopped) {
				yield(nil, err)
			}
		}, nil
	}
	return r, fallback
}

// TestReadConcurrentSameRows: reading up to k files at once yields exactly
// the rows of reading them one by one, in the same order (task order, the
// fallback tasks in their place), for filters keeping all, most, few or no
// rows of each file.
func TestReadConcurrentSameRows(t *testing.T) {
	ctx := context.Background()
	fio, tasks := manyFiles(t, 40, 3, 4, 17, 39)
	R := func(s string) iceberg.Reference { return iceberg.Reference(s) }
	filters := []iceberg.BooleanExpression{
		iceberg.GreaterThanEqual(R("id"), int64(0)),
		iceberg.NotEqualTo(R("s"), "bb"),
		iceberg.NewOr(iceberg.EqualTo(R("id"), int64(5017)), iceberg.LessThan(R("id"), int64(1003))),
		iceberg.EqualTo(R("id"), int64(-1)),
		iceberg.NewAnd(iceberg.GreaterThan(R("id"), int64(20_000)), iceberg.EqualTo(R("b"), true)),
	}
	// The pages of every file stay cached across the reads, through a
	// cache of its own allocator.
	cmem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	pages := NewPageCache(64<<20, cmem)
	for i, f := range filters {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		seqR, fb := newManyReader(t, fio, f, 1, mem, nil)
		want := render(t, seqR.read(ctx, tasks, fb))
		if i == 0 && strings.Count(want, "\n") != 40*300 {
			t.Fatalf("filter %s: %d rows, want every row", f, strings.Count(want, "\n"))
		}
		for _, k := range []int{1, 2, 3, 8, 64} {
			for _, pc := range []*PageCache{nil, pages} {
				r, fb := newManyReader(t, fio, f, k, mem, pc)
				if got := render(t, r.read(ctx, tasks, fb)); got != want {
					t.Fatalf("filter %s, %d files at once, page cache %v:\n got %.300s\nwant %.300s", f, k, pc != nil, got, want)
				}
			}
		}
		mem.AssertSize(t, 0)
		if n := readersRunning(); n != 0 {
			t.Fatalf("%d file readers still running", n)
		}
	}
	if s := pages.Stats(); s.Hits == 0 || s.Misses == 0 {
		t.Fatalf("page cache not used: %+v", s)
	}
	pages.lru.resize(0)
	cmem.AssertSize(t, 0)
}

// TestReadConcurrentError: a file that cannot be read fails the scan with
// its error (whether its metadata was cached or not), the other readers
// stop, and no batch is left unreleased; so too when the consumer stops
// early or the context is cancelled.
func TestReadConcurrentError(t *testing.T) {
	bad := errors.New("disk on fire")
	all := iceberg.GreaterThanEqual(iceberg.Reference("id"), int64(0))
	for _, tc := range []struct {
		name   string
		failAt int // the task whose file fails; -1 none
		warm   bool
		stopAt int // stop after this many batches; -1 never
		cancel bool
	}{
		{"first file", 0, false, -1, false},
		{"middle file", 21, false, -1, false},
		{"middle file, metadata cached", 21, true, -1, false},
		{"last file", 39, true, -1, false},
		{"consumer stops", -1, false, 5, false},
		{"context cancelled", -1, false, -1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fio, tasks := manyFiles(t, 40, 10)
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			r, fb := newManyReader(t, fio, all, 4, mem, nil)
			if tc.warm {
				render(t, r.read(context.Background(), tasks, fb))
			}
			if tc.failAt >= 0 {
				fio.fail[tasks[tc.failAt].File.FilePath()] = bad
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var err error
			n := 0
			for b, e := range r.read(ctx, tasks, fb) {
				if e != nil {
					err = e
					break
				}
				b.Release()
				if n++; n == tc.stopAt {
					break
				}
				if tc.cancel && n == 3 {
					cancel()
				}
			}
			switch {
			case tc.failAt >= 0 && !errors.Is(err, bad):
				t.Fatalf("error %v, want %v", err, bad)
			case tc.failAt >= 0 && !strings.Contains(err.Error(), tasks[tc.failAt].File.FilePath()):
				t.Fatalf("error %q does not name the file", err)
			case tc.cancel && !errors.Is(err, context.Canceled):
				t.Fatalf("error %v, want context.Canceled", err)
			case tc.stopAt >= 0 && (err != nil || n != tc.stopAt):
				t.Fatalf("stopped after %d batches with %v", n, err)
			}
			if n := readersRunning(); n != 0 {
				t.Fatalf("%d file readers still running", n)
			}
			mem.AssertSize(t, 0)
		})
	}
}

// TestReadConcurrentPanic: a panic in a file's reader reaches the
// consumer's goroutine, where reading one file at a time would raise it
// (and where the engine recovers its memory-limit panics).
func TestReadConcurrentPanic(t *testing.T) {
	fio, tasks := manyFiles(t, 12, 5)
	r, _ := newManyReader(t, fio, iceberg.GreaterThanEqual(iceberg.Reference("id"), int64(0)), 3, memory.DefaultAllocator, nil)
	boom := func(context.Context, table.FileScanTask) (iter.Seq2[arrow.RecordBatch, error], error) {
		panic("boom")
	}
	defer func() {
		if p := recover(); p != "boom" {
			t.Fatalf("recovered %v, want boom", p)
		}
		if n := readersRunning(); n != 0 {
			t.Fatalf("%d file readers still running", n)
		}
	}()
	for b, err := range r.read(context.Background(), tasks, boom) {
		if err != nil {
			t.Fatalf("error %v, want a panic", err)
		}
		b.Release()
	}
	t.Fatal("no panic")
}
