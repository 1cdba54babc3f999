package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/olap"
)

// BenchmarkGate runs the uncached mix in process, through the same
// olap.Gate that wharf serve puts in front of POST /v1/sql, 64 goroutines
// at once and no HTTP, so that -cpuprofile shows where a server spends a
// statement (a refused one counts as done; rejected/op says how many):
//
//	go test -run '^$' -bench Gate -cpuprofile /tmp/gate.pprof ./load/
func BenchmarkGate(b *testing.B) {
	ctx := context.Background()
	rows := loadRows(10_000_000)
	w, err := cachedWarehouse(ctx, cacheRoot(b), rows, filesPerTable())
	if err != nil {
		b.Fatal(err)
	}
	wh, err := lake.Open(ctx, lake.Config{DataDir: w.Dir})
	if err != nil {
		b.Fatal(err)
	}
	defer wh.Close()
	// "iceberg-go" reads filtered scans with iceberg-go's reader instead of
	// lake's filter-first reader (the path before it), for before/after in
	// one run.
	// "uncached-files-1" reads one data file at a time per scan (the
	// filter-first reader's behaviour before concurrent file reads).
	// "uncached-page-cache-off" decodes the pages a scan reads row by row,
	// every time (the filter-first reader before its page cache);
	// "uncached-page-cache-256MiB" caches the default 256 MiB, enough for the
	// decoded pages of the key column (~76 MiB over 10M rows);
	// "uncached-page-cache-64MiB" has no room for them, let alone for
	// output columns' pages (which are cached only into free room).
	// "small-lane" classifies every SELECT as small, as if the first run of a
	// statement were judged by its pruned size rather than its tables' (see
	// the report in RESULTS.md).
	for _, sc := range []struct {
		name      string
		hot       int64
		cfg       olap.Config
		icebergGo bool
	}{
		{"cached", 1000, olap.Config{}, false},
		{"uncached", 0, olap.Config{}, false},
		{"uncached-page-cache-off", 0, olap.Config{PageCacheBytes: -1}, false},
		{"uncached-page-cache-256MiB", 0, olap.Config{PageCacheBytes: 256 << 20}, false},
		{"uncached-page-cache-64MiB", 0, olap.Config{PageCacheBytes: 64 << 20}, false},
		{"uncached-iceberg-go", 0, olap.Config{}, true},
		{"uncached-files-1", 0, olap.Config{ReaderFiles: 1}, false},
		{"uncached-small-lane", 0, olap.Config{HeavyBytes: 1 << 50}, false},
	} {
		b.Run(sc.name, func(b *testing.B) {
			lake.FilterFirst = !sc.icebergGo
			defer func() { lake.FilterFirst = true }()
			defer lake.SetReaderFiles(0) // olap.New sets the process's value
			defer lake.SetPageCacheBytes(lake.DefaultPageCacheBytes)
			g := olap.New(session.New(wh), olap.WithConfig(sc.cfg))
			b.ReportAllocs()
			mix := Mix{Rows: rows, Hot: sc.hot, AggShare: 0.2}
			if err := Warm(ctx, conns, mix.All(), gateDo(g)); err != nil {
				b.Fatal(err)
			}
			var seq, rejected atomic.Uint64
			b.SetParallelism(max(1, conns/runtime.GOMAXPROCS(0))) // conns goroutines in all
			before := lake.FilterFirstStats()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(3, seq.Add(1)))
				for pb.Next() {
					q := mix.Next(rng)
					rows, err := gateDo(g)(ctx, q)
					if err == nil {
						err = q.Check(rows, mix.Rows)
					}
					if errors.Is(err, ErrRejected) {
						rejected.Add(1)
					} else if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(rejected.Load())/float64(b.N), "rejected/op")
			// What the filter-first reader decoded per statement (0 for
			// iceberg-go's reader, which decodes whole row groups).
			after := lake.FilterFirstStats()
			b.ReportMetric(float64(after.Pages-before.Pages)/float64(b.N), "pages/op")
			b.ReportMetric(float64(after.PageBytes-before.PageBytes)/float64(b.N), "page-B/op")
		})
	}
}

// gateDo runs a query through g, rendering each value as its text.
func gateDo(g *olap.Gate) Do {
	return func(ctx context.Context, q Query) ([][]string, error) {
		res, err := g.Exec(ctx, q.SQL(), true)
		defer res.Release()
		if err != nil {
			var ce *session.Error
			if errors.As(err, &ce) && ce.Code == session.CodeOverloaded {
				return nil, fmt.Errorf("%w: %v", ErrRejected, err)
			}
			return nil, err
		}
		var out [][]string
		for _, rec := range res.Batches {
			for i := range int(rec.NumRows()) {
				row := make([]string, rec.NumCols())
				for c := range row {
					row[c] = rec.Column(c).ValueStr(i)
				}
				out = append(out, row)
			}
		}
		return out, nil
	}
}
