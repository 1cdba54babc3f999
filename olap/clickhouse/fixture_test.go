package clickhouse

import (
	"context"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// fixtureRows are the rows of shop.t as ClickHouse's TabSeparated prints
// them, ordered by id: every front end must return exactly these.
var fixtureRows = [][]string{
	{"1", "10", "1.5", "12.3", `tab\there`, "true", "2026-11-21", "2026-11-21 10:00:00.123"},
	{"2", `\N`, "-0.25", "-3", `quote \' and "dq"`, "false", "1969-12-31", "1960-01-01 00:00:00.000"},
	{"3", "3", `\N`, `\N`, `line\nbreak \\ back`, `\N`, `\N`, `\N`},
}

var fixtureTypes = []string{"Int64", "Nullable(Int32)", "Nullable(Float64)", "Nullable(Decimal(10, 2))", "Nullable(String)",
	"Nullable(Bool)", "Nullable(Date32)", "Nullable(DateTime64(3, 'UTC'))"}

var fixtureNames = []string{"id", "i", "d", "m", "s", "b", "dt", "ts"}

const fixtureQuery = "SELECT * FROM shop.t ORDER BY id"

// newBackend opens a warehouse in a temporary directory with table shop.t.
func newBackend(t testing.TB) *session.Session {
	t.Helper()
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	s := session.New(wh)
	for _, q := range []string{
		`CREATE TABLE shop.t (id BIGINT NOT NULL, i INT, d DOUBLE, m DECIMAL(10, 2), s STRING, b BOOLEAN, dt DATE, ts TIMESTAMP(3))`,
		"INSERT INTO shop.t VALUES (1, 10, 1.5, 12.30, 'tab\there', true, DATE '2026-11-21', TIMESTAMP '2026-11-21 10:00:00.123')",
		`INSERT INTO shop.t VALUES (2, NULL, -0.25, -3.00, 'quote '' and "dq"', false, DATE '1969-12-31', TIMESTAMP '1960-01-01 00:00:00')`,
		"INSERT INTO shop.t VALUES (3, 3, NULL, NULL, 'line\nbreak \\ back', NULL, NULL, NULL)",
	} {
		res, err := s.Exec(ctx, q, false)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		res.Release()
	}
	return s
}
