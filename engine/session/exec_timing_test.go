package session_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// The fixed cost of a statement through Session.Exec (parse, load the
// table, plan, pin, run): SELECT 1, and a per-key lookup on a small table.
func BenchmarkExecFixedCost(b *testing.B) {
	s := newSessionB(b)
	ctx := context.Background()
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
	for _, bc := range []struct{ name, sql string }{
		{"select1", "SELECT 1"},
		{"lookup", "SELECT v FROM kv WHERE k = 417"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := s.Exec(ctx, bc.sql, true)
				if err != nil {
					b.Fatal(err)
				}
				r.Release()
			}
		})
	}
}

func newSessionB(b *testing.B) *session.Session {
	b.Helper()
	wh, err := lake.Open(context.Background(), lake.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = wh.Close() })
	return session.New(wh)
}
