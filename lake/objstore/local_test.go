package objstore_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wharfdata/wharf/lake/objstore"
	"github.com/wharfdata/wharf/lake/objstore/objstoretest"
)

func newLocal(t *testing.T) (objstore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func TestLocalConformance(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store {
		s, _ := newLocal(t)
		return s
	})
}

// filesUnder lists every file under dir, temp files included.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestLocalLayout(t *testing.T) {
	s, dir := newLocal(t)
	ctx := context.Background()
	if err := s.Put(ctx, "a/b/c.json", []byte("put")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIfAbsent(ctx, "a/d", []byte("created")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIfAbsent(ctx, "a/d", []byte("lost")); err == nil {
		t.Fatal("second CreateIfAbsent succeeded")
	}
	// Objects are plain files under dir and nothing else is left behind.
	if got := filesUnder(t, dir); !slices.Equal(got, []string{"a/b/c.json", "a/d"}) {
		t.Fatalf("files = %q", got)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "a", "d")); err != nil || string(data) != "created" {
		t.Fatalf("a/d = %q, %v", data, err)
	}
}

func TestLocalTempFilesNeverListed(t *testing.T) {
	s, dir := newLocal(t)
	ctx := context.Background()
	// Leftovers of a crash mid-Put.
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".wharf-tmp-0000000000000001", "sub/.wharf-tmp-0000000000000002"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// And writes in flight while listing.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := []string{"sub/x", "y"}[w]
				if err := s.Put(ctx, key, make([]byte, 64<<10)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 200 {
		infos, err := s.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range infos {
			if strings.Contains(o.Key, ".wharf-tmp-") {
				close(stop)
				wg.Wait()
				t.Fatalf("List returned the temp file %q", o.Key)
			}
		}
	}
	close(stop)
	wg.Wait()
}

func TestLocalStaysInsideDir(t *testing.T) {
	s, dir := newLocal(t)
	ctx := context.Background()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Symlinks planted in the warehouse must not lead out of it.
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "file-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "dir-link")); err != nil {
		t.Fatal(err)
	}
	if data, err := s.Get(ctx, "file-link"); err == nil {
		t.Errorf("Get through a symlink out of the store read %q", data)
	}
	if data, err := s.Get(ctx, "dir-link/secret"); err == nil {
		t.Errorf("Get through a symlinked directory read %q", data)
	}
	if err := s.Put(ctx, "dir-link/planted", []byte("x")); err == nil {
		t.Error("Put through a symlinked directory succeeded")
	}
	if err := s.CreateIfAbsent(ctx, "dir-link/planted", []byte("x")); err == nil {
		t.Error("CreateIfAbsent through a symlinked directory succeeded")
	}
	if got := filesUnder(t, outside); !slices.Equal(got, []string{"secret"}) {
		t.Errorf("files outside the store = %q", got)
	}
	// Hostile keys are rejected before they reach the file system.
	for _, key := range []string{"../escape", "/etc/passwd", "a/../../escape"} {
		if err := s.Put(ctx, key, []byte("x")); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

func TestNewLocalErrors(t *testing.T) {
	if _, err := objstore.NewLocal(""); err == nil {
		t.Error(`NewLocal("") succeeded`)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := objstore.NewLocal(file); err == nil {
		t.Error("NewLocal(a file) succeeded")
	}
}
