package lake_test

import (
	"context"
	"testing"

	"github.com/wharfdata/wharf/lake"
)

// BenchmarkPlanScanManyCommits plans a scan of a table of 200 single-file
// commits: iceberg-go's planning, the manifest cache cold (a new cache per
// plan) and warm.
func BenchmarkPlanScanManyCommits(b *testing.B) {
	ctx := context.Background()
	wh := newWarehouse(b, false, "")
	id, _ := lake.Ident("bench")
	if _, err := wh.CreateTable(ctx, id, icebergSchema, lake.TableOptions{}); err != nil {
		b.Fatal(err)
	}
	appendCommits(b, wh, id, 0, 200)
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, cache func() *lake.ManifestCache) {
		b.ReportAllocs()
		for b.Loop() {
			ps, err := lake.PlanScanWith(ctx, tbl, lake.ScanOptions{}, cache())
			if err != nil {
				b.Fatal(err)
			}
			if ps.Stats.FilesKept != 200 {
				b.Fatalf("%d files", ps.Stats.FilesKept)
			}
		}
	}
	b.Run("iceberg-go", func(b *testing.B) { run(b, func() *lake.ManifestCache { return nil }) })
	b.Run("cold", func(b *testing.B) {
		run(b, func() *lake.ManifestCache { return lake.NewManifestCache(lake.DefaultManifestCacheBytes) })
	})
	warm := lake.NewManifestCache(lake.DefaultManifestCacheBytes)
	b.Run("warm", func(b *testing.B) { run(b, func() *lake.ManifestCache { return warm }) })
}
