package lake

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sync"
	"testing"

	icebergio "github.com/apache/iceberg-go/io"

	"github.com/wharfdata/wharf/lake/parquetw"
)

// memFS serves in-memory files by name; reads of the files in fail return
// that error, and every open is counted.
type memFS struct {
	files map[string][]byte
	fail  map[string]error
	mu    sync.Mutex
	opens int
}

func (m *memFS) Open(name string) (icebergio.File, error) {
	b, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", name, fs.ErrNotExist)
	}
	m.mu.Lock()
	m.opens++
	m.mu.Unlock()
	return &failingFile{memFile{bytes.NewReader(b)}, m.fail[name]}, nil
}

func (m *memFS) Remove(string) error { return nil }

type failingFile struct {
	memFile
	err error
}

func (f *failingFile) ReadAt(p []byte, off int64) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	return f.memFile.ReadAt(p, off)
}

func (m *memFS) openCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.opens
}

// TestFooterCache: an open after a miss is a hit that reads nothing; the
// same path with another size is a miss (another file); the byte bound
// evicts the least recently used; a held file's pages are read through the
// scan's handle, never through the reader it was parsed from.
func TestFooterCache(t *testing.T) {
	a, b := fuzzRows(t, 0, 300), fuzzRows(t, 0, 600)
	fio := &memFS{files: map[string][]byte{"a": a, "b": b, "c": fuzzRows(t, 1000, 300)}}
	c := NewFooterCache(1 << 30)
	open := func(path string, size int64) {
		t.Helper()
		pf, h, err := c.open(fio, path, size)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if got := pf.NumRows(); got == 0 {
			t.Fatalf("%s: no rows", path)
		}
	}
	want := func(hits, misses, evictions, files int64) {
		t.Helper()
		s := c.Stats()
		if s.Hits != hits || s.Misses != misses || s.Evictions != evictions || s.Files != files {
			t.Fatalf("stats %+v, want %d hits, %d misses, %d evictions, %d files", s, hits, misses, evictions, files)
		}
	}
	open("a", int64(len(a)))
	want(0, 1, 0, 1)
	opens := fio.openCount()
	open("a", int64(len(a)))
	want(1, 1, 0, 1)
	if n := fio.openCount() - opens; n != 0 {
		t.Fatalf("a hit opened the file %d times", n)
	}
	// Path "a" now holds b's bytes: another size, so another file.
	fio.files["a"] = b
	open("a", int64(len(b)))
	want(1, 2, 0, 2)
	open("a", int64(len(b)))
	want(2, 2, 0, 2)

	// Room for two of c, d, e (the same shape): a third evicts the
	// least recently used.
	for _, name := range []string{"c", "d", "e"} {
		fio.files[name] = fuzzRows(t, map[string]int{"c": 1000, "d": 2000, "e": 3000}[name], 300)
	}
	size := func(name string) int64 { return int64(len(fio.files[name])) }
	c = NewFooterCache(1 << 30)
	open("c", size("c"))
	one := c.Stats().Bytes
	c.resize(2*one + one/2)
	open("d", size("d"))
	open("c", size("c")) // c is now the most recent
	want(1, 2, 0, 2)
	open("e", size("e")) // evicts d
	want(1, 3, 1, 2)
	if s := c.Stats(); s.Bytes > 2*one+one/2 {
		t.Fatalf("holds %d bytes over the bound %d", s.Bytes, 2*one+one/2)
	}
	open("c", size("c"))
	want(2, 3, 1, 2)
	open("d", size("d")) // read again
	want(2, 4, 2, 2)

	// A held file read through the reader it was parsed from fails
	// clearly instead of reading a closed or foreign handle.
	pf, h, err := c.open(fio, "c", int64(len(fio.files["c"])))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := pf.ReadAt(make([]byte, 4), 0); !errors.Is(err, errDetached) {
		t.Fatalf("read through the parsed file: %v, want errDetached", err)
	}
}

// TestFooterCacheOpenError: a file that cannot be read is an error naming
// it, and is not cached.
func TestFooterCacheOpenError(t *testing.T) {
	bad := errors.New("disk on fire")
	fio := &memFS{files: map[string][]byte{"x": fuzzFile(t), "short": []byte("PAR1")}, fail: map[string]error{"x": bad}}
	c := NewFooterCache(1 << 30)
	if _, _, err := c.open(fio, "x", int64(len(fio.files["x"]))); !errors.Is(err, bad) {
		t.Fatalf("got %v, want %v", err, bad)
	}
	if _, _, err := c.open(fio, "short", 4); err == nil {
		t.Fatal("a 4-byte file opened")
	}
	if s := c.Stats(); s.Files != 0 || s.Bytes != 0 {
		t.Fatalf("failed opens cached: %+v", s)
	}
}

// TestParsedSizeEstimate: what the cache counts for a parsed file is
// within a factor of two of the heap it holds, for files of many pages and
// of many row groups.
func TestParsedSizeEstimate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts parquetw.EncoderOptions
		n    int // files: some tens of MB held
	}{
		{"pages", parquetw.EncoderOptions{PageSize: 256, PageRowLimit: 32}, 600},
		{"row-groups", parquetw.EncoderOptions{MaxRowGroupRows: 30}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			file := fuzzRowsWith(t, 0, 3000, tc.opts)
			fio := &memFS{files: map[string][]byte{}}
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprint("f", i)
				fio.files[names[i]] = file
			}
			c := NewFooterCache(1 << 40)
			for _, name := range names {
				_, h, err := c.open(fio, name, int64(len(file)))
				if err != nil {
					t.Fatal(err)
				}
				h.Close()
			}
			est := c.Stats().Bytes
			// What dropping the cache frees, measured back to back so that
			// other tests' garbage weighs little.
			heap := func() int64 {
				var m runtime.MemStats
				runtime.GC()
				runtime.GC()
				runtime.ReadMemStats(&m)
				return int64(m.HeapAlloc)
			}
			alive := heap()
			runtime.KeepAlive(c)
			c = nil
			held := alive - heap()
			t.Logf("%d parsed files: estimate %d bytes, the cache held %d bytes (ratio %.2f)", n, est, held, float64(est)/float64(held))
			if est*2 < held || est > 2*held {
				t.Fatalf("estimate %d bytes for %d bytes held", est, held)
			}
		})
	}
}
