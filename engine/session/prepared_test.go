package session_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/lake"
)

// A prepared statement plans its scans once: its runs read the files
// planned then, so they work even with every manifest gone from disk.
func TestPreparedPlansScansOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	wh, err := lake.Open(ctx, lake.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	s := session.New(wh)
	mustExec(t, s, "CREATE TABLE kv (k BIGINT, v STRING)")
	mustExec(t, s, "INSERT INTO kv VALUES (1, 'a'), (2, 'b')")
	mustExec(t, s, "INSERT INTO kv VALUES (3, 'c'), (4, 'd')")
	for _, tc := range []struct{ sql, want string }{
		{"SELECT v FROM kv WHERE k = 3", "c"},            // filtered: planned from the manifests
		{"SELECT CAST(COUNT(*) AS STRING) FROM kv", "4"}, // from the planned files' counts
		{"SELECT MAX(v) FROM kv WHERE k < 3", "b"},       // several files, one pruned
	} {
		stmt, err := session.Parse(tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Prepare(ctx, stmt.(*sql.Query))
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if p.EstimatedBytes() <= 0 {
			t.Errorf("%s: estimated %d bytes", tc.sql, p.EstimatedBytes())
		}
		hideManifests(t, dir)
		for range 2 {
			res, err := s.Run(ctx, p)
			if err != nil {
				t.Fatalf("%s: run without manifests: %v", tc.sql, err)
			}
			if got := cells(res); len(got) != 1 || got[0][0] != tc.want {
				t.Errorf("%s = %v, want %s", tc.sql, got, tc.want)
			}
			res.Release()
		}
		restoreManifests(t, dir)
	}
}

// hideManifests renames every Avro file (manifest lists and manifests)
// under dir, so that planning a scan fails.
func hideManifests(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".avro") {
			n++
			return os.Rename(path, path+".hidden")
		}
		return err
	})
	if err != nil || n == 0 {
		t.Fatalf("hid %d manifests: %v", n, err)
	}
}

func restoreManifests(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".avro.hidden") {
			return os.Rename(path, strings.TrimSuffix(path, ".hidden"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
