// Package gensrctest holds what the tests and benchmarks of the generator
// connectors built on gensrc (datagen, nexmark) share. Tests only.
package gensrctest

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
)

// Alloc returns an allocator that must hold nothing when the test ends:
// every batch released, every source closed.
func Alloc(tb testing.TB) *memory.CheckedAllocator {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	tb.Cleanup(func() { alloc.AssertSize(tb, 0) })
	return alloc
}

// Start opens spec with open and starts it at from; the source is closed
// when the test ends (before an Alloc made earlier is checked).
func Start(tb testing.TB, open connector.OpenFunc, spec *connector.TableSpec, from map[int32]int64) connector.Source {
	tb.Helper()
	src, err := open(context.Background(), spec)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = src.Close() })
	if err := src.Start(context.Background(), from); err != nil {
		tb.Fatal(err)
	}
	return src
}

// BenchNext measures src.Next: an op is one batch, its bytes the Arrow
// buffers of the first batch; it reports rows per second besides.
func BenchNext(b *testing.B, src connector.Source) {
	var rows, bytes int64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		batch, err := src.Next(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		rows += batch.Rows.NumRows()
		if bytes == 0 {
			for _, c := range batch.Rows.Columns() {
				for _, buf := range c.Data().Buffers() {
					if buf != nil {
						bytes += int64(buf.Len())
					}
				}
			}
			b.SetBytes(bytes)
		}
		batch.Rows.Release()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// Paced runs read, which a paced source should take want to do by the
// wall clock, and fails t unless it took that within 2× either way: loose
// enough for a loaded machine, tight enough to catch pacing that is off or
// ignored.
func Paced(t *testing.T, want time.Duration, what string, read func()) {
	t.Helper()
	start := time.Now()
	read()
	if d := time.Since(start); d < want/2 || d > 2*want {
		t.Errorf("%s took %v, want %v within 2×", what, d, want)
	}
}
