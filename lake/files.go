package lake

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wharfdata/wharf/lake/objstore"
)

// FileInfo is one file a pattern matched.
type FileInfo struct {
	Path string // as it is read back: /abs/path or s3://bucket/key
	Size int64
}

// FileSystem reads files outside the warehouse's tables (imports, the
// filesystem connector, add_files) with the warehouse's storage settings:
// local paths and file:// URLs, and s3:// URLs through the warehouse's S3
// endpoint and credentials.
type FileSystem struct{ s3 objstore.S3Config }

// Files returns the warehouse's file system.
func (w *Warehouse) Files() FileSystem { return FileSystem{s3: w.cfg.S3} }

// Glob lists the files that pattern names, sorted by path: one file, every
// file under a directory (a trailing '/'), or a glob with '*', '?' and
// '[…]' inside path segments ('**' is not supported). Hidden files (a name
// starting with '.' or '_', like Spark's _SUCCESS) are skipped.
func (fs FileSystem) Glob(ctx context.Context, pattern string) ([]FileInfo, error) {
	scheme, bucket, p, err := splitURL(pattern)
	if err != nil {
		return nil, err
	}
	if strings.Contains(p, "**") {
		return nil, fmt.Errorf("path %q: '**' is not supported; use one '*' per directory level", pattern)
	}
	if scheme == "file" {
		return globLocal(p)
	}
	// S3: list under the longest prefix without a glob character, then match.
	base := p[:strings.IndexAny(p+"*", "*?[")]
	base = base[:strings.LastIndex(base, "/")+1]
	st, err := objstore.Open(ctx, "s3://"+bucket, fs.s3)
	if err != nil {
		return nil, err
	}
	objs, err := st.List(ctx, base)
	if err != nil {
		return nil, err
	}
	var out []FileInfo
	for _, o := range objs {
		if !matches(p, o.Key) {
			continue
		}
		out = append(out, FileInfo{Path: "s3://" + bucket + "/" + o.Key, Size: o.Size})
	}
	return out, nil
}

// ReadFile returns a whole file.
func (fs FileSystem) ReadFile(ctx context.Context, name string) ([]byte, error) {
	scheme, bucket, p, err := splitURL(name)
	if err != nil {
		return nil, err
	}
	if scheme == "file" {
		return os.ReadFile(p)
	}
	st, err := objstore.Open(ctx, "s3://"+bucket, fs.s3)
	if err != nil {
		return nil, err
	}
	return st.Get(ctx, p)
}

// matches says whether key is named by pattern p: a directory (ending in
// '/') names every file under it; otherwise segments match by path.Match.
func matches(p, key string) bool {
	if hidden(path.Base(key)) {
		return false
	}
	if strings.HasSuffix(p, "/") || p == "" {
		return strings.HasPrefix(key, p)
	}
	ok, _ := path.Match(p, key)
	return ok
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }

func globLocal(p string) ([]FileInfo, error) {
	var names []string
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		err := filepath.WalkDir(p, func(name string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && name != p && hidden(d.Name()) {
				return filepath.SkipDir
			}
			if !d.IsDir() && !hidden(d.Name()) {
				names = append(names, name)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", p, err)
		}
		names = m
	}
	var out []FileInfo
	for _, n := range names {
		st, err := os.Stat(n)
		if err != nil {
			return nil, err
		}
		if st.IsDir() || hidden(filepath.Base(n)) {
			continue
		}
		out = append(out, FileInfo{Path: n, Size: st.Size()})
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// splitURL splits a file name into its scheme ("file" or "s3"), bucket and
// path (absolute for files, a key for S3). It does not parse a URL: a glob's
// '?' is no query.
func splitURL(name string) (scheme, bucket, p string, err error) {
	switch {
	case strings.HasPrefix(name, "/"):
		return "file", "", filepath.Clean(name) + trailingSlash(name), nil
	case strings.HasPrefix(name, "file://"):
		rest := strings.TrimPrefix(strings.TrimPrefix(name, "file://"), "localhost")
		if !strings.HasPrefix(rest, "/") {
			return "", "", "", fmt.Errorf("path %.200q: want file:///absolute/path", name)
		}
		return "file", "", filepath.Clean(rest) + trailingSlash(rest), nil
	case strings.HasPrefix(name, "s3://"), strings.HasPrefix(name, "s3a://"):
		rest := name[strings.Index(name, "://")+3:]
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return "", "", "", fmt.Errorf("path %.200q: want s3://bucket/key", name)
		}
		return "s3", bucket, key, nil
	}
	return "", "", "", fmt.Errorf("path %.200q: want an absolute local path, file:///… or s3://bucket/…", name)
}

func trailingSlash(p string) string {
	if strings.HasSuffix(p, "/") && p != "/" {
		return "/"
	}
	return ""
}
