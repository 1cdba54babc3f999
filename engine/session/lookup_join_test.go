package session_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wharfdata/wharf/engine/session"
)

// TestLookupJoinJob runs a continuous job that enriches a Kafka stream from
// an Iceberg table (a lookup join, FOR SYSTEM_TIME AS OF), rewrites the
// table while the job runs, and checks that the rows read after the
// rewrite was seen carry the new values.
func TestLookupJoinJob(t *testing.T) {
	ctx := context.Background()
	b := newTopic(t, "orders", 4)
	s := newJobServer(t, session.WithBrokers(b.Addr())).s
	dim := func(label string) string {
		var rows []string
		for u := range 12 { // u12 has no row: the LEFT JOIN keeps its orders with NULL
			rows = append(rows, fmt.Sprintf("('u%d', '%s%d')", u, label, u))
		}
		return strings.Join(rows, ", ")
	}
	mustExec(t, s, `CREATE TABLE customers (name STRING, label STRING)`)
	mustExec(t, s, `INSERT INTO customers VALUES `+dim("old"))
	mustExec(t, s, `CREATE TABLE orders_src (id BIGINT NOT NULL, `+"`user`"+` STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3))
		WITH ('connector' = 'kafka', 'topic' = 'orders', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`)
	mustExec(t, s, `CREATE TABLE enriched (id BIGINT, customer STRING, label STRING, ts TIMESTAMP(3)) WITH ('wharf.commit-interval' = '200 ms')`)
	if _, err := s.Exec(ctx, "INSERT INTO enriched SELECT o.id, o.`user`, c.label, o.ts FROM orders_src AS o RIGHT JOIN customers FOR SYSTEM_TIME AS OF o.ts AS c ON o.`user` = c.name", false); err == nil || !strings.Contains(err.Error(), "INNER or LEFT") {
		t.Fatalf("a RIGHT lookup join: %v", err)
	}
	r := mustExec(t, s, "EXPLAIN SELECT o.id, o.`user`, c.label, o.ts FROM orders_src AS o LEFT JOIN customers FOR SYSTEM_TIME AS OF o.ts AS c ON o.`user` = c.name")
	if plan := strings.Join(render(t, r), "\n"); !strings.Contains(plan, "Join left lookup") {
		t.Fatalf("EXPLAIN:\n%s", plan)
	}
	r = mustExec(t, s, "INSERT INTO enriched SELECT o.id, o.`user`, c.label, o.ts FROM orders_src AS o LEFT JOIN customers FOR SYSTEM_TIME AS OF o.ts AS c ON o.`user` = c.name")
	if r.Kind != session.ResultJob {
		t.Fatalf("result %+v", r)
	}
	produce(t, b.Addr(), "orders", 0, 1000)
	waitRows(t, s, "enriched", 1000)
	// user is "u<id%13>", NULL for every 97th id.
	checkRows(t, s, `SELECT COUNT(*), COUNT(label), COUNT(DISTINCT label), MIN(label) FROM enriched WHERE label IS NULL OR label LIKE 'old%'`,
		fmt.Sprintf("1000|%d|12|old0", 1000-countUsers(0, 1000, 12)-nullUsers(0, 1000)))

	mustExec(t, s, `INSERT OVERWRITE customers VALUES `+dim("new"))
	// Rows keep coming; once one shows a new label, the table was reloaded,
	// and every row produced from then on must see the new labels.
	next := 1000
	deadline := time.Now().Add(60 * time.Second)
	for render(t, mustExec(t, s, `SELECT COUNT(*) FROM enriched WHERE label LIKE 'new%'`))[0] == "0" {
		if time.Now().After(deadline) {
			t.Fatal("the lookup join never read the rewritten table")
		}
		produce(t, b.Addr(), "orders", next, next+20)
		next += 20
		time.Sleep(100 * time.Millisecond)
	}
	produce(t, b.Addr(), "orders", 10_000, 11_000)
	waitRows(t, s, "enriched", next+1000)
	checkRows(t, s, `SELECT COUNT(*), COUNT(label), COUNT(DISTINCT label), MIN(label) FROM enriched WHERE id >= 10000 AND (label IS NULL OR label LIKE 'new%')`,
		fmt.Sprintf("1000|%d|12|new0", 1000-countUsers(10_000, 11_000, 12)-nullUsers(10_000, 11_000)))

	// As a batch query, a lookup join joins the table as it is now.
	labelled := render(t, mustExec(t, s, `SELECT COUNT(*) FROM enriched WHERE label IS NOT NULL`))[0]
	checkRows(t, s, `SELECT COUNT(*), MIN(c.label) FROM enriched AS e JOIN customers FOR SYSTEM_TIME AS OF e.ts AS c ON e.customer = c.name`, labelled+"|new0")
	for q, msg := range map[string]string{
		`SELECT * FROM enriched AS e JOIN customers FOR SYSTEM_TIME AS OF e.ts AS c ON e.customer <> c.name`: "needs an equality",
		`SELECT * FROM enriched AS e JOIN orders_src FOR SYSTEM_TIME AS OF e.ts AS c ON e.id = c.id`:         "needs an Iceberg table",
		`SELECT * FROM enriched AS e JOIN customers FOR SYSTEM_TIME AS OF e.id AS c ON e.customer = c.name`:  "needs a TIMESTAMP",
	} {
		if _, err := s.Exec(ctx, q, false); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want an error saying %q", q, err, msg)
		}
	}
}

// countUsers counts ids in [from, to) whose user "u<id%13>" is user u,
// and nullUsers those whose user is NULL (id%97 == 0).
func countUsers(from, to, u int) int {
	n := 0
	for i := from; i < to; i++ {
		if i%97 != 0 && i%13 == u {
			n++
		}
	}
	return n
}

func nullUsers(from, to int) int {
	n := 0
	for i := from; i < to; i++ {
		if i%97 == 0 {
			n++
		}
	}
	return n
}
