package olap

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/lake"
)

// The fixed cost through the gate: with the result cache (a hit: parse,
// normalize, check the pins, copy references) and without (the prepared
// plan and its planned scan are reused; the file is read). run/lookup is
// the uncached lookup's prepared plan run alone, without the gate: the
// difference to uncached/lookup is what the gate adds to a statement.
func BenchmarkGateFixedCost(b *testing.B) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer wh.Close()
	s := session.New(wh)
	var sb strings.Builder
	sb.WriteString("INSERT INTO kv VALUES ")
	for i := range 1000 {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, 'v%d')", i, i)
	}
	for _, q := range []string{"CREATE TABLE kv (k BIGINT, v STRING)", sb.String()} {
		if _, err := s.Exec(ctx, q, false); err != nil {
			b.Fatal(err)
		}
	}
	for _, gc := range []struct {
		name string
		cfg  Config
	}{{"cached", Config{}}, {"uncached", Config{ResultCacheBytes: -1}}} {
		g := New(s, WithConfig(gc.cfg))
		for _, bc := range []struct{ name, sql string }{
			{"select1", "SELECT 1"},
			{"lookup", "SELECT v FROM kv WHERE k = 417"},
		} {
			b.Run(gc.name+"/"+bc.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					r, err := g.Exec(ctx, bc.sql, true)
					if err != nil {
						b.Fatal(err)
					}
					r.Release()
				}
			})
		}
	}
	b.Run("run/lookup", func(b *testing.B) {
		stmt, err := session.Parse("SELECT v FROM kv WHERE k = 417")
		if err != nil {
			b.Fatal(err)
		}
		p, err := s.Prepare(ctx, stmt.(*sql.Query))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			r, err := s.Run(ctx, p)
			if err != nil {
				b.Fatal(err)
			}
			r.Release()
		}
	})
}
