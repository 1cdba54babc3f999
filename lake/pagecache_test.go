package lake

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/lake/parquetw"
)

// poisoning overwrites what it frees, so that a page read after the last
// reference to it was released shows as wrong rows rather than passing
// (Go's allocator leaves freed bytes as they were until they are reused).
type poisoning struct{ memory.Allocator }

func (p poisoning) Free(b []byte) {
	for i := range b {
		b[i] = 0xA5
	}
	p.Allocator.Free(b)
}

// newCheckedPoisoning is a checked allocator over a poisoning one.
func newCheckedPoisoning() *memory.CheckedAllocator {
	return memory.NewCheckedAllocator(poisoning{memory.NewGoAllocator()})
}

// readPath renders the rows filter keeps of the file at path through a
// reader of fuzzSchema decoding into mem, with page cache pages (nil: none).
func readPath(t *testing.T, fio *memFS, path string, filter iceberg.BooleanExpression, mem memory.Allocator, pages *PageCache) string {
	t.Helper()
	return render(t, scanPath(t, fio, path, filter, mem, pages))
}

// scanPath is the scan readPath renders.
func scanPath(t *testing.T, fio *memFS, path string, filter iceberg.BooleanExpression, mem memory.Allocator, pages *PageCache) iter.Seq2[arrow.RecordBatch, error] {
	t.Helper()
	r, ok, err := newFirstReader(fio, NewFooterCache(1<<20), fuzzSchema, fuzzSchema, filter, nil, mem)
	if err != nil || !ok {
		t.Fatalf("reader: %v %v", ok, err)
	}
	r.pages = pages
	return func(yield func(arrow.RecordBatch, error) bool) {
		err := r.readFile(context.Background(), path, int64(len(fio.files[path])), yield)
		if err != nil && !errors.Is(err, errStopped) {
			yield(nil, err)
		}
	}
}

// TestPageCache: a lookup read again takes its filter column from the
// cache; the
// same path with another size is another file; the byte bound holds,
// evicting; what an entry is charged is what its arrays allocated; and
// every row is the row read without the cache.
func TestPageCache(t *testing.T) {
	R := func(s string) iceberg.Reference { return iceberg.Reference(s) }
	// b's page of id 150 has the ordinal of a's, other rows.
	a, b := fuzzRows(t, 0, 300), fuzzRows(t, 1, 600)
	// One page of 32 rows holds 128-159 exactly.
	whole := fuzzRowsWith(t, 0, 300, parquetw.EncoderOptions{PageRowLimit: 32})
	fio := &memFS{files: map[string][]byte{"a": a, "whole": whole}}
	mem := newCheckedPoisoning()
	cmem := newCheckedPoisoning()
	c := NewPageCache(64<<20, cmem)
	lookup := iceberg.EqualTo(R("id"), int64(150))

	check := func(what, path string, f iceberg.BooleanExpression) {
		t.Helper()
		want := readPath(t, fio, path, f, mem, nil)
		if got := readPath(t, fio, path, f, mem, c); got != want {
			t.Fatalf("%s:\n got %.300s\nwant %.300s", what, got, want)
		}
		mem.AssertSize(t, 0)
	}
	check("cold lookup", "a", lookup)
	cold := c.Stats()
	if cold.Misses == 0 || cold.Files != 1 {
		t.Fatalf("a cold lookup: %+v, want the filter column's page cached, no other", cold)
	}
	// Read again, the pages the cold read cached (the filter column's) are
	// hits; those it decoded for their rows only are misses again, their
	// second: cached now, and hits the third time.
	check("warm lookup", "a", lookup)
	outPages := cold.Misses - cold.Files
	warm := c.Stats()
	if warm.Misses-cold.Misses != outPages || warm.Hits-cold.Hits != cold.Hits+cold.Files || warm.Files != cold.Files+outPages {
		t.Fatalf("warm lookup: %+v after %+v, want %d more hits, %d more misses and pages", warm, cold, cold.Hits+cold.Files, outPages)
	}
	check("hot lookup", "a", lookup)
	if s := c.Stats(); s.Misses != warm.Misses || s.Hits-warm.Hits != warm.Hits-cold.Hits+outPages {
		t.Fatalf("hot lookup: %+v after %+v, want only hits", s, warm)
	}
	// Its buffers are what the cache is charged, beyond a fixed overhead
	// per page.
	if s := c.Stats(); s.Bytes-s.Files*pageEntryOverhead != int64(cmem.CurrentAlloc()) {
		t.Fatalf("charged %d bytes for %d pages, their buffers hold %d", s.Bytes, s.Files, cmem.CurrentAlloc())
	}

	// Path "a" now holds b's bytes: another size, so other pages.
	fio.files["a"] = b
	before := c.Stats()
	check("rewritten file", "a", lookup)
	if s := c.Stats(); s.Misses == before.Misses || s.Files <= before.Files {
		t.Fatalf("a file of another size at a cached path was served from the cache: %+v", s)
	}

	// Every page of b under a bound of a few pages: evictions, and never
	// more held than the bound.
	c.lru.resize(0)
	cmem.AssertSize(t, 0)
	const bound = 6 << 10 // a few pages of 32 rows
	c.lru.resize(bound)
	for _, f := range []iceberg.BooleanExpression{iceberg.GreaterThanEqual(R("id"), int64(0)), iceberg.NotEqualTo(R("s"), "bb"), lookup} {
		check(fmt.Sprintf("bounded %s", f), "a", f)
		if s := c.Stats(); s.Bytes > bound || s.Evictions == 0 {
			t.Fatalf("%s: %+v, want at most %d bytes, evictions", f, s, bound)
		}
	}
	// Batches never hold the cache's buffers (a result kept for long
	// would pin whole pages): with every batch of scans that keep all the
	// rows of their filter column kept, the cache lets go of everything.
	c.lru.resize(64 << 20)
	var held []arrow.RecordBatch
	page := iceberg.NewAnd(iceberg.GreaterThanEqual(R("id"), int64(128)), iceberg.LessThan(R("id"), int64(160)))
	for _, f := range []iceberg.BooleanExpression{iceberg.GreaterThanEqual(R("id"), int64(0)), lookup, page} {
		for range 2 { // cold, then from the cache
			for b, err := range scanPath(t, fio, "whole", f, mem, c) {
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, b)
			}
		}
	}
	if c.Stats().Hits == 0 {
		t.Fatal("no page read from the cache")
	}
	c.lru.resize(0)
	cmem.AssertSize(t, 0)
	for _, b := range held {
		b.Release()
	}
	mem.AssertSize(t, 0)
}

// TestPageCacheAdmission: an output column's page is admitted on its
// second miss among the last seenPages misses with no eviction between,
// once (a page admitted starts over), not when more misses came between;
// admitted, it is cached only into free room, evicting nothing, nor is it
// admitted when the cache lacks room for its decoded floor.
func TestPageCacheAdmission(t *testing.T) {
	key := func(i int) pageKey { return pageKey{file: fileKey{"f", 1}, page: i, arrowType: "int64"} }
	var m missedPages
	if m.again(key(0), 0) || !m.again(key(0), 0) || m.again(key(0), 0) {
		t.Fatal("page 0: want admitted on its second miss only, then counted afresh")
	}
	if m.again(key(1), 0) || m.again(key(1), 1) || !m.again(key(1), 1) {
		t.Fatal("page 1: want admitted on a second miss with no eviction since the first only")
	}
	for n, want := range map[int]bool{seenPages: true, seenPages + 1: false} {
		var m missedPages
		for i := range n {
			if m.again(key(i), 0) {
				t.Fatalf("page %d admitted on its first miss", i)
			}
		}
		if m.again(key(0), 0) != want || len(m.at) > seenPages {
			t.Fatalf("page 0 missed again %d misses later: admitted %v, want %v (%d keys indexed)", n, !want, want, len(m.at))
		}
	}
	mem := newCheckedPoisoning()
	ints := func(n int) arrow.Array {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues(make([]int64, n), nil)
		return b.NewArray()
	}
	filter, out := ints(1000), ints(1000)
	size := arrayBytes(filter.Data()) + pageEntryOverhead
	floor := decodedFloor(arrow.PrimitiveTypes.Int64, 1000, 100) + pageEntryOverhead
	c := NewPageCache(size+floor-1, mem) // room for the filter page, not the floor of the other
	c.put(key(1), filter, false)
	for miss := range 2 {
		if c.admit(key(2), arrow.PrimitiveTypes.Int64, 1000, 100) {
			t.Fatalf("an output page admitted on miss %d without room for its decoded floor", miss+1)
		}
	}
	c.put(key(2), out, true)
	if s := c.Stats(); s.Files != 1 || s.Evictions != 0 {
		t.Fatalf("an output page without room: %+v, want the filter page alone held, nothing evicted", s)
	}
	if a, ok := c.get(key(1)); !ok {
		t.Fatal("the filter page was evicted")
	} else {
		a.Release()
	}
	c.lru.resize(2 * size)
	if c.admit(key(2), arrow.PrimitiveTypes.Int64, 1000, 100) || !c.admit(key(2), arrow.PrimitiveTypes.Int64, 1000, 100) {
		t.Fatal("an output page with room: want admitted on its second miss only")
	}
	c.put(key(2), out, true)
	if s := c.Stats(); s.Files != 2 || s.Evictions != 0 {
		t.Fatalf("an output page with room: %+v, want both pages held", s)
	}
	filter.Release()
	out.Release()
	c.lru.resize(0)
	mem.AssertSize(t, 0)
}

// TestPageCacheConcurrent: many scans of the same files at once through one
// small cache, whose entries are evicted while other scans read them, read
// the rows of reading without the cache, and every buffer is freed once the
// cache lets go of its pages.
func TestPageCacheConcurrent(t *testing.T) {
	R := func(s string) iceberg.Reference { return iceberg.Reference(s) }
	fio := &memFS{files: map[string][]byte{}}
	for i := range 3 {
		fio.files[fmt.Sprint(i)] = fuzzRowsWith(t, 1000*i, 400, parquetw.EncoderOptions{MaxRowGroupRows: 100, PageSize: 256, PageRowLimit: 16})
	}
	filters := []iceberg.BooleanExpression{
		iceberg.GreaterThanEqual(R("id"), int64(0)),
		iceberg.EqualTo(R("id"), int64(1234)),
		iceberg.NotEqualTo(R("s"), "bb"),
		iceberg.NewOr(iceberg.LessThan(R("id"), int64(50)), iceberg.EqualTo(R("b"), true)),
	}
	want := map[string]string{}
	for i, f := range filters {
		for path := range fio.files {
			want[fmt.Sprint(i, path)] = readPath(t, fio, path, f, memory.DefaultAllocator, nil)
		}
	}
	for _, bound := range []int64{64 << 20, 16 << 10} {
		mem, cmem := newCheckedPoisoning(), newCheckedPoisoning()
		c := NewPageCache(bound, cmem)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range 12 {
					i, path := (g+n)%len(filters), fmt.Sprint((g*7+n)%3)
					if got := readPath(t, fio, path, filters[i], mem, c); got != want[fmt.Sprint(i, path)] {
						errs <- fmt.Errorf("bound %d, filter %s, file %s:\n got %.300s\nwant %.300s", bound, filters[i], path, got, want[fmt.Sprint(i, path)])
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		mem.AssertSize(t, 0)
		s := c.Stats()
		if s.Hits == 0 || (bound < 1<<20 && s.Evictions == 0) {
			t.Fatalf("bound %d: %+v, want hits and, under a small bound, evictions", bound, s)
		}
		c.lru.resize(0)
		cmem.AssertSize(t, 0)
	}
}
