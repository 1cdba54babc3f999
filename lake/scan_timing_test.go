package lake_test

import (
	"context"
	"testing"

	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/lake"
)

// BenchmarkPlanScanManyCommits plans a scan of a table of 200 single-file
// commits: iceberg-go's planning, the manifest cache cold (a new cache per
// plan) and warm, unfiltered and for a one-key lookup.
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
	// appendCommits gives commit i the one key -(i+1): the lookup keeps one file.
	lookup := lake.ScanOptions{Filter: iceberg.EqualTo(iceberg.Reference("key"), int64(-151))}
	for _, sc := range []struct {
		name  string
		opts  lake.ScanOptions
		files int
	}{{"all", lake.ScanOptions{}, 200}, {"lookup", lookup, 1}} {
		run := func(b *testing.B, cache func() *lake.ManifestCache) {
			b.ReportAllocs()
			for b.Loop() {
				ps, err := lake.PlanScanWith(ctx, tbl, sc.opts, cache())
				if err != nil {
					b.Fatal(err)
				}
				if ps.Stats.FilesKept != sc.files {
					b.Fatalf("%d files", ps.Stats.FilesKept)
				}
			}
		}
		b.Run(sc.name+"/iceberg-go", func(b *testing.B) { run(b, func() *lake.ManifestCache { return nil }) })
		b.Run(sc.name+"/cold", func(b *testing.B) {
			run(b, func() *lake.ManifestCache { return lake.NewManifestCache(lake.DefaultManifestCacheBytes) })
		})
		warm := lake.NewManifestCache(lake.DefaultManifestCacheBytes)
		b.Run(sc.name+"/warm", func(b *testing.B) { run(b, func() *lake.ManifestCache { return warm }) })
	}
}
