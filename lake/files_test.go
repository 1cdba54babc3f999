package lake_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/internal/testkit"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/objstore"
)

// TestFileSystemGlob lists and reads files by pattern on local disk and on
// MinIO alike: globs within a segment, directories recursively, hidden
// files (_SUCCESS, .crc) skipped.
func TestFileSystemGlob(t *testing.T) {
	ctx := context.Background()
	names := []string{"d/a.parquet", "d/b.parquet", "d/_SUCCESS", "d/.a.crc", "d/sub/c.parquet", "d/x.csv"}
	m := testkit.MinIO(t)
	bucket := m.NewBucket(t)
	st, err := objstore.Open(ctx, "s3://"+bucket, m.S3Config())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range names {
		if err := st.Put(ctx, n, []byte(n)); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir(), S3: m.S3Config()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	fs := wh.Files()
	for _, root := range []string{"s3://" + bucket, dir, "file://" + dir} {
		prefix := strings.TrimPrefix(root, "file://")
		for _, c := range []struct{ pattern, want string }{
			{"/d/*.parquet", "d/a.parquet d/b.parquet"},
			{"/d/", "d/a.parquet d/b.parquet d/sub/c.parquet d/x.csv"},
			{"/d/?.csv", "d/x.csv"},
			{"/d/nothing-*", ""},
		} {
			got, err := fs.Glob(ctx, root+c.pattern)
			if err != nil {
				t.Fatalf("%s%s: %v", root, c.pattern, err)
			}
			var rel []string
			for _, f := range got {
				rel = append(rel, strings.TrimPrefix(strings.TrimPrefix(f.Path, prefix), "/"))
				b, err := fs.ReadFile(ctx, f.Path)
				if err != nil || string(b) != rel[len(rel)-1] || f.Size != int64(len(b)) {
					t.Fatalf("read %s: %q %v (size %d)", f.Path, b, err, f.Size)
				}
			}
			if strings.Join(rel, " ") != c.want {
				t.Errorf("%s%s: got %q, want %q", root, c.pattern, strings.Join(rel, " "), c.want)
			}
		}
	}
	for _, bad := range []string{"relative/path", "s3:///nobucket", "http://x/y", "/d/**/x"} {
		if _, err := fs.Glob(ctx, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
