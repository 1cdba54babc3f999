package objstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/lake/objstore"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		location string
		want     string // "" = opens, else part of the error
	}{
		{"mem://", ""},
		{"file://" + dir, ""},
		{"file://localhost" + dir, ""},
		{dir, ""},
		{filepath.Join(dir, "new", "sub"), ""},
		{"relative/dir", "unsupported location"},
		{"./wharf-data", "unsupported location"},
		{"file://host/dir", "three slashes"},
		{"file://relative", "three slashes"},
		{"file:relative", "must be absolute"},
		{dir + "/../escape", `".." segments`},
		{"file://" + dir + "/%2e%2e/escape", `".." segments`},
		{"file://" + dir + "?x=1", "no user, query or fragment"},
		{"mem://name", "want mem://"},
		{"s3://", "want s3://bucket/prefix"},
		{"s3://bucket/a/../b", `".." segment`},
		{"s3://bucket/a%2F%2E%2E%2Fb", `".." segment`},
		{"s3://Bad_Bucket/x", "invalid S3 bucket name"},
		{"ftp://host/x", "unsupported location"},
		{"", "unsupported location"},
	} {
		s, err := objstore.Open(ctx, tc.location, objstore.S3Config{AccessKeyID: "id", SecretAccessKey: "secret"})
		if tc.want == "" {
			if err != nil {
				t.Errorf("Open(%q): %v", tc.location, err)
				continue
			}
			if err := s.Put(ctx, "k", []byte("v")); err != nil {
				t.Errorf("Open(%q).Put: %v", tc.location, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", tc.location, err, tc.want)
		}
	}
}
