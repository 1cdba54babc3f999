package lake_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/catalog"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// TestCatalogs runs the same life of a table on each catalog kind wharf
// opens from a URI: create, list, a job with a crash and a recovery, verify,
// drop.
func TestCatalogs(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			wh := warehouseOn(t, kind)
			id := createEvents(t, wh)
			ids, err := wh.ListTables(ctx)
			if err != nil || len(ids) != 1 || ids[0][1] != "events" {
				t.Fatalf("list: %v %v", ids, err)
			}
			src := source{parts: 3, perPart: 200}
			j := jobRun{wh: wh, ident: id, job: "copy", src: src, perPart: 50,
				opts: []commit.Option{commit.WithHook(crashOnce(commit.FPAfterCommit, 2))}}
			if err := j.run(ctx); !errors.Is(err, errCrash) {
				t.Fatalf("first run: %v", err)
			}
			j.opts = nil
			if err := j.run(ctx); err != nil {
				t.Fatal(err)
			}
			checkExact(t, wh, id, src)
			if err := wh.DropTable(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, err := wh.LoadTable(ctx, id); !errors.Is(err, catalog.ErrNoSuchTable) {
				t.Fatalf("after drop: %v", err)
			}
		})
	}
}

func TestOpenRejectsUnknownCatalog(t *testing.T) {
	_, err := lake.Open(context.Background(), lake.Config{DataDir: t.TempDir(), Catalog: "mysql://u:hunter22@h/db"})
	if err == nil {
		t.Fatal("unknown scheme accepted")
	}
	if got := err.Error(); !strings.Contains(got, "unknown scheme") || strings.Contains(got, "hunter22") {
		t.Fatalf("error %q: want the scheme named and the password redacted", got)
	}
}
