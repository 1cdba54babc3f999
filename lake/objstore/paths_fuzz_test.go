package objstore

import (
	"errors"
	"path"
	"strings"
	"testing"
)

// FuzzPathsJoin (RELIABILITY S5): whatever a user supplies, a key Paths
// accepts stays under its root — it cleans to itself, never climbs out, and
// never reaches the local store's temp-file namespace.
func FuzzPathsJoin(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "%2e%2e/x", "/abs", "a//b", "a\x00b", "s3://other-bucket/k", strings.Repeat("x", 300), ".wharf-tmp-1", "ok name/ünï"} {
		f.Add(s)
	}
	root, err := NewPaths("tenant/t1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		key, err := root.Join(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("Join(%q): unclassified error %v", in, err)
			}
			return
		}
		if !strings.HasPrefix(key, "tenant/t1/") || path.Clean(key) != key || len(key) > MaxKeyLen {
			t.Fatalf("Join(%q) = %q escapes or is not clean", in, key)
		}
		for _, seg := range strings.Split(key, "/") {
			if seg == ".." || seg == "." || strings.HasPrefix(seg, tempPrefix) {
				t.Fatalf("Join(%q) = %q has segment %q", in, key, seg)
			}
		}
		if ValidateKey(key) != nil {
			t.Fatalf("Join(%q) = %q, which ValidateKey refuses", in, key)
		}
	})
}
