// Package objstoretest is the conformance suite every objstore.Store must
// pass. Run it from the store's tests:
//
//	objstoretest.Run(t, func(t *testing.T) objstore.Store { return objstore.NewMem() })
//
// newStore is called once per subtest and must return an empty store.
package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wharfdata/wharf/lake/objstore"
)

// Run runs the suite against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) objstore.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s objstore.Store)
	}{
		{"GetMissing", testGetMissing},
		{"PutGetOverwrite", testPutGetOverwrite},
		{"BuffersNotShared", testBuffersNotShared},
		{"Delete", testDelete},
		{"List", testList},
		{"EmptyObject", testEmptyObject},
		{"LargeObject", testLargeObject},
		{"ExoticKeys", testExoticKeys},
		{"InvalidKeys", testInvalidKeys},
		{"CreateIfAbsent", testCreateIfAbsent},
		{"CreateIfAbsentRace", testCreateIfAbsentRace},
		{"CreateDeleteRace", testCreateDeleteRace},
		{"PutAtomic", testPutAtomic},
		{"CanceledContext", testCanceledContext},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustPut(t *testing.T, s objstore.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(ctx(t), key, data); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s objstore.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(ctx(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %s, want %s", key, short(got), short(want))
	}
}

func keysOf(t *testing.T, s objstore.Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(ctx(t), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	keys := make([]string, 0, len(infos))
	for _, o := range infos {
		keys = append(keys, o.Key)
	}
	return keys
}

func short(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q… (%d bytes)", b[:40], len(b))
	}
	return fmt.Sprintf("%q", b)
}

func testGetMissing(t *testing.T, s objstore.Store) {
	for _, key := range []string{"missing", "a/b/missing"} {
		_, err := s.Get(ctx(t), key)
		if !errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("Get(%q) = %v, want ErrNotExist", key, err)
		}
	}
	// A key that is only the parent of other keys is not an object.
	mustPut(t, s, "dir/child", []byte("x"))
	if _, err := s.Get(ctx(t), "dir"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("Get(parent of a key) = %v, want ErrNotExist", err)
	}
}

func testPutGetOverwrite(t *testing.T, s objstore.Store) {
	mustPut(t, s, "k", []byte("one"))
	mustGet(t, s, "k", []byte("one"))
	mustPut(t, s, "k", []byte("second version"))
	mustGet(t, s, "k", []byte("second version"))
	mustPut(t, s, "k", []byte("3"))
	mustGet(t, s, "k", []byte("3"))
	mustPut(t, s, "deep/nested/path/k", []byte("nested"))
	mustGet(t, s, "deep/nested/path/k", []byte("nested"))
}

func testBuffersNotShared(t *testing.T, s objstore.Store) {
	buf := []byte("original")
	mustPut(t, s, "k", buf)
	copy(buf, "CHANGED!")
	got, err := s.Get(ctx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "original" {
		t.Fatalf("the store kept the caller's buffer: got %q after Put", got)
	}
	copy(got, "CHANGED!")
	mustGet(t, s, "k", []byte("original"))
}

func testDelete(t *testing.T, s objstore.Store) {
	mustPut(t, s, "a/k", []byte("v"))
	mustPut(t, s, "a/other", []byte("w"))
	if err := s.Delete(ctx(t), "a/k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx(t), "a/k"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("Get after Delete = %v, want ErrNotExist", err)
	}
	if err := s.Delete(ctx(t), "a/k"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("second Delete = %v, want ErrNotExist", err)
	}
	if err := s.Delete(ctx(t), "a"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("Delete(parent of a key) = %v, want ErrNotExist", err)
	}
	mustGet(t, s, "a/other", []byte("w"))
	if got := keysOf(t, s, ""); !slices.Equal(got, []string{"a/other"}) {
		t.Errorf("List after Delete = %q", got)
	}
	// A deleted key can be created again.
	if err := s.CreateIfAbsent(ctx(t), "a/k", []byte("again")); err != nil {
		t.Fatalf("CreateIfAbsent after Delete: %v", err)
	}
	mustGet(t, s, "a/k", []byte("again"))
}

func testList(t *testing.T, s objstore.Store) {
	if got := keysOf(t, s, ""); len(got) != 0 {
		t.Fatalf("List of an empty store = %q", got)
	}
	// Inserted out of order; "a.c" sorts before "a/b" bytewise ('.' < '/').
	keys := []string{"b", "a/b/c", "a/b", "a.c", "a/b1", "a/b/d/e", "ab", "a/c", "z/z/z/z"}
	for i, k := range keys {
		if k == "a/b" {
			continue // "a/b" is also a parent here; only S3 allows both.
		}
		mustPut(t, s, k, bytes.Repeat([]byte{'x'}, i))
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a.c", "a/b/c", "a/b/d/e", "a/b1", "a/c", "ab", "b", "z/z/z/z"}},
		{"a", []string{"a.c", "a/b/c", "a/b/d/e", "a/b1", "a/c", "ab"}},
		{"a/", []string{"a/b/c", "a/b/d/e", "a/b1", "a/c"}},
		{"a/b", []string{"a/b/c", "a/b/d/e", "a/b1"}},
		{"a/b/", []string{"a/b/c", "a/b/d/e"}},
		{"a/b/d/e", []string{"a/b/d/e"}},
		{"z/z/", []string{"z/z/z/z"}},
		{"nothing", []string{}},
		{"nothing/", []string{}},
		{"a/b/c/", []string{}},
	} {
		if got := keysOf(t, s, tc.prefix); !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
	infos, err := s.List(ctx(t), "a/b/d/")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Size != 5 || infos[0].ModTime.IsZero() {
		t.Errorf("List(a/b/d/) = %+v, want one object of 5 bytes with a ModTime", infos)
	} else if d := time.Since(infos[0].ModTime); d < -time.Minute || d > time.Hour {
		t.Errorf("ModTime %v is not about now", infos[0].ModTime)
	}
}

func testEmptyObject(t *testing.T, s objstore.Store) {
	mustPut(t, s, "empty", nil)
	mustGet(t, s, "empty", []byte{})
	if err := s.CreateIfAbsent(ctx(t), "empty2", []byte{}); err != nil {
		t.Fatal(err)
	}
	err := s.CreateIfAbsent(ctx(t), "empty2", []byte("not empty"))
	var ee *objstore.ExistsError
	if !errors.As(err, &ee) || len(ee.Existing) != 0 {
		t.Fatalf("CreateIfAbsent over an empty object = %v, want ExistsError with no bytes", err)
	}
	infos, err := s.List(ctx(t), "empty")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].Size != 0 || infos[1].Size != 0 {
		t.Errorf("List(empty) = %+v, want two objects of size 0", infos)
	}
}

func testLargeObject(t *testing.T, s objstore.Store) {
	const size = 8 << 20
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	mustPut(t, s, "large/put", data)
	mustGet(t, s, "large/put", data)
	if err := s.CreateIfAbsent(ctx(t), "large/create", data); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, "large/create", data)
	infos, err := s.List(ctx(t), "large/")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].Size != size || infos[1].Size != size {
		t.Errorf("List(large/) = %+v, want two objects of %d bytes", infos, size)
	}
}

func testExoticKeys(t *testing.T, s objstore.Store) {
	keys := []string{
		"with space/and more spaces .json",
		"ünïcødé/雪/🦆.bin",
		"%2e%2e/literal-percent",
		"a+b=c&d;e,f@g$h!(i)'j~",
		"...",
		".hidden",
	}
	for _, k := range keys {
		mustPut(t, s, k, []byte(k))
	}
	for _, k := range keys {
		mustGet(t, s, k, []byte(k))
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if got := keysOf(t, s, ""); !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	if got := keysOf(t, s, "ünïcødé/雪/"); !slices.Equal(got, []string{"ünïcødé/雪/🦆.bin"}) {
		t.Errorf("List(unicode prefix) = %q", got)
	}
}

func testInvalidKeys(t *testing.T, s objstore.Store) {
	for _, key := range []string{"", "../escape", "a/../../escape", "/abs", "a//b", "a/", `a\b`, "nul\x00", string(make([]byte, 2000))} {
		if err := s.Put(ctx(t), key, []byte("x")); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("Put(%.20q) = %v, want ErrInvalidKey", key, err)
		}
		if err := s.CreateIfAbsent(ctx(t), key, []byte("x")); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("CreateIfAbsent(%.20q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Get(ctx(t), key); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("Get(%.20q) = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx(t), key); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("Delete(%.20q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if _, err := s.List(ctx(t), "../"); !errors.Is(err, objstore.ErrInvalidKey) {
		t.Errorf("List(../) = %v, want ErrInvalidKey", err)
	}
	if got := keysOf(t, s, ""); len(got) != 0 {
		t.Errorf("invalid keys created objects: %q", got)
	}
}

func testCreateIfAbsent(t *testing.T, s objstore.Store) {
	if err := s.CreateIfAbsent(ctx(t), "claim", []byte("first")); err != nil {
		t.Fatalf("first CreateIfAbsent: %v", err)
	}
	err := s.CreateIfAbsent(ctx(t), "claim", []byte("second"))
	var ee *objstore.ExistsError
	if !errors.As(err, &ee) || !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("second CreateIfAbsent = %v, want *ExistsError", err)
	}
	if ee.Key != "claim" || string(ee.Existing) != "first" {
		t.Errorf("ExistsError = {Key: %q, Existing: %q}, want {claim, first}", ee.Key, ee.Existing)
	}
	// Same bytes again is still a conflict: only the store's own retries may
	// treat it as success.
	if err := s.CreateIfAbsent(ctx(t), "claim", []byte("first")); !errors.As(err, &ee) {
		t.Errorf("CreateIfAbsent with equal bytes = %v, want *ExistsError", err)
	}
	mustGet(t, s, "claim", []byte("first"))
	// Put still overwrites.
	mustPut(t, s, "claim", []byte("put"))
	mustGet(t, s, "claim", []byte("put"))
}

// testCreateIfAbsentRace has 16 writers race for each of 50 keys: exactly one
// wins each key and every loser sees the winner's bytes.
func testCreateIfAbsentRace(t *testing.T, s objstore.Store) {
	const writers, keys = 16, 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners = make(map[string][]int)
		seen    = make(map[string][][]byte) // what the losers were told
	)
	for w := range writers {
		wg.Go(func() {
			for k := range keys {
				key := fmt.Sprintf("race/%02d", k)
				data := fmt.Appendf(nil, "writer %d", w)
				err := s.CreateIfAbsent(ctx(t), key, data)
				var ee *objstore.ExistsError
				mu.Lock()
				switch {
				case err == nil:
					winners[key] = append(winners[key], w)
				case errors.As(err, &ee):
					seen[key] = append(seen[key], ee.Existing)
				default:
					t.Errorf("CreateIfAbsent(%s) by writer %d: %v", key, w, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for k := range keys {
		key := fmt.Sprintf("race/%02d", k)
		if len(winners[key]) != 1 {
			t.Errorf("%s: winners %v, want exactly one", key, winners[key])
			continue
		}
		want := fmt.Appendf(nil, "writer %d", winners[key][0])
		for _, got := range seen[key] {
			if !bytes.Equal(got, want) {
				t.Errorf("%s: a loser was shown %q, the winner wrote %q", key, got, want)
			}
		}
		if len(seen[key]) != writers-1 {
			t.Errorf("%s: %d losers, want %d", key, len(seen[key]), writers-1)
		}
		mustGet(t, s, key, want)
	}
}

// testCreateDeleteRace creates and deletes one key concurrently: a create
// that loses sees an object (never "not found"), a delete sees one or none.
func testCreateDeleteRace(t *testing.T, s objstore.Store) {
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for range 100 {
				if w%2 == 0 {
					err := s.CreateIfAbsent(ctx(t), "contested", []byte("v"))
					var ee *objstore.ExistsError
					if err != nil && !(errors.As(err, &ee) && string(ee.Existing) == "v") {
						t.Errorf("CreateIfAbsent racing Delete = %v, want nil or ExistsError with v", err)
						return
					}
				} else if err := s.Delete(ctx(t), "contested"); err != nil && !errors.Is(err, objstore.ErrNotExist) {
					t.Errorf("Delete racing CreateIfAbsent = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// testPutAtomic overwrites one key with two contents while readers read it:
// a reader sees one of them whole, never a mix or a part.
func testPutAtomic(t *testing.T, s objstore.Store) {
	a, b := bytes.Repeat([]byte{'a'}, 256<<10), bytes.Repeat([]byte{'b'}, 256<<10)
	mustPut(t, s, "atomic", a)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range 20 {
			if err := s.Put(ctx(t), "atomic", [][]byte{b, a}[i%2]); err != nil {
				t.Errorf("Put: %v", err)
				return
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := s.Get(ctx(t), "atomic")
				if err != nil {
					t.Errorf("Get during Put: %v", err)
					return
				}
				if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
					t.Errorf("Get during Put returned a torn object: %s", short(got))
					return
				}
			}
		})
	}
	wg.Wait()
	if got := keysOf(t, s, ""); !slices.Equal(got, []string{"atomic"}) {
		t.Errorf("List after Puts = %q, want just the object", got)
	}
}

func testCanceledContext(t *testing.T, s objstore.Store) {
	mustPut(t, s, "exists", []byte("v"))
	c, cancel := context.WithCancel(t.Context())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context = %v, want context.Canceled", op, err)
		}
	}
	_, err := s.Get(c, "exists")
	check("Get", err)
	check("Put", s.Put(c, "new", []byte("v")))
	check("CreateIfAbsent", s.CreateIfAbsent(c, "new2", []byte("v")))
	check("Delete", s.Delete(c, "exists"))
	_, err = s.List(c, "")
	check("List", err)
	// Nothing was applied.
	if got := keysOf(t, s, ""); !slices.Equal(got, []string{"exists"}) {
		t.Errorf("after canceled calls List = %q, want [exists]", got)
	}
}
