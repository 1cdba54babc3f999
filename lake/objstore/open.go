package objstore

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Open returns the store for a warehouse location:
//
//	file:///abs/dir or /abs/dir   local files (NewLocal)
//	s3://bucket/prefix            S3 or an S3-compatible server (NewS3 with s3)
//	mem://                        a new, empty in-memory store (NewMem)
//
// Paths must be absolute and free of ".." segments, also percent-encoded ones.
func Open(ctx context.Context, location string, s3 S3Config) (Store, error) {
	if strings.HasPrefix(location, "/") {
		return openLocal(location, location)
	}
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("objstore: location %.200q: %w", location, err)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("objstore: location %.200q: no user, query or fragment allowed", location)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("objstore: location %.200q: want file:///absolute/dir (three slashes)", location)
		}
		return openLocal(location, u.Path)
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("objstore: location %.200q: want s3://bucket/prefix", location)
		}
		return NewS3(ctx, s3, u.Host, strings.TrimPrefix(u.Path, "/"))
	case "mem":
		if u.Host != "" || u.Path != "" {
			return nil, fmt.Errorf("objstore: location %.200q: want mem://", location)
		}
		return NewMem(), nil
	}
	return nil, fmt.Errorf("objstore: unsupported location %.200q: want file:///abs/dir, /abs/dir, s3://bucket/prefix or mem://", location)
}

func openLocal(location, dir string) (Store, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("objstore: location %.200q: the directory must be absolute", location)
	}
	for _, seg := range strings.Split(dir, "/") {
		if seg == ".." || seg == "." {
			return nil, fmt.Errorf("objstore: location %.200q: %q segments are not allowed", location, seg)
		}
	}
	if strings.ContainsRune(dir, 0) {
		return nil, fmt.Errorf("objstore: location %.200q: NUL in path", location)
	}
	return NewLocal(dir)
}
