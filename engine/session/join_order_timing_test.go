package session_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// BenchmarkJoinOrder runs joins written in a poor order: a small input on
// the probe (left) side, and a chain whose first join is a cross join. The
// planner's estimates reorder both (reorder.go).
func BenchmarkJoinOrder(b *testing.B) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer wh.Close()
	s := session.New(wh)
	exec := func(q string) {
		r, err := s.Exec(ctx, q, false)
		if err != nil {
			b.Fatalf("%s: %v", q, err)
		}
		r.Release()
	}
	exec(`CREATE TABLE fact (id BIGINT, a BIGINT, c BIGINT)`)
	exec(`CREATE TABLE d1 (k BIGINT, x BIGINT)`)
	exec(`CREATE TABLE d2 (k BIGINT, y BIGINT)`)
	const factRows, chunk = 100_000, 10_000
	for lo := 0; lo < factRows; lo += chunk {
		rows := make([]string, 0, chunk)
		for i := lo; i < lo+chunk; i++ {
			rows = append(rows, fmt.Sprintf("(%d, %d, %d)", i, i%200, i%50))
		}
		exec("INSERT INTO fact VALUES " + strings.Join(rows, ", "))
	}
	var r1, r2 []string
	for i := range 200 {
		r1 = append(r1, fmt.Sprintf("(%d, %d)", i, i%7))
	}
	for i := range 50 {
		r2 = append(r2, fmt.Sprintf("(%d, %d)", i, i%3))
	}
	exec("INSERT INTO d1 VALUES " + strings.Join(r1, ", "))
	exec("INSERT INTO d2 VALUES " + strings.Join(r2, ", "))
	for _, c := range []struct{ name, sql string }{
		{"small_left", "SELECT COUNT(*), SUM(f.c) FROM d1 JOIN fact AS f ON f.a = d1.k"},
		{"cross_first", "SELECT COUNT(*), SUM(d2.y) FROM d1, d2, fact AS f WHERE f.a = d1.k AND f.c = d2.k AND d1.x < 3"},
		{"cross_of_facts", "SELECT COUNT(*) FROM fact AS f, fact AS g, d1 WHERE f.a = d1.k AND g.id = d1.k AND g.id < 40"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				exec(c.sql)
			}
		})
	}
}
