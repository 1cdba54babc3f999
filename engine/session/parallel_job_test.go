package session_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharfdata/wharf/engine/exec"
)

// TestNexmarkParallelEqualsBatch runs stateful Nexmark queries with their
// keyed operators (window aggregations included) on two workers, in one
// phase and in two, crashed and restarted as
// TestNexmarkStreamingEqualsBatch does: their tables must equal the batch
// result all the same.
func TestNexmarkParallelEqualsBatch(t *testing.T) {
	j := newJobServer(t)
	for _, c := range []struct{ q, with, want string }{
		// COUNT with FILTER, MIN, MAX, AVG and SUM of BIGINT: two phases.
		{"q17", "'wharf.parallelism' = '2', 'wharf.agg-phase' = 'two-phase'", "Exchange[GroupAgg]"},
		// COUNT(DISTINCT …): 'auto' runs one phase.
		{"q16", "'wharf.parallelism' = '2'", "Exchange[GroupAgg]"},
		// A GROUP BY (MAX over a join of two streams) over which another
		// one (AVG over its updates) runs.
		{"q4", "'wharf.parallelism' = '2', 'wharf.agg-phase' = 'AUTO'", "Exchange[GroupAgg]"},
		// Top-N, partitioned by auction.
		{"q19", "'wharf.parallelism' = '2'", "Exchange[Rank]"},
		// HOP windows: the count per auction on two workers, rebuilt by
		// replay after the crash; the MAX per window (no key to split by)
		// on one.
		{"q5", "'wharf.parallelism' = '2'", "Exchange[windowAgg] windowAgg"},
		// TUMBLE windows per auction, joined with their bids: exact, where
		// q5 checks a subset only.
		{"bidwindow", "'wharf.parallelism' = '2'", "Exchange[windowAgg]"},
	} {
		t.Run(c.q, func(t *testing.T) {
			st := nexmarkEqualsBatch(t, j, c.q, c.with)
			var ops []string
			for _, o := range st.Operators {
				ops = append(ops, o.Operator)
			}
			t.Logf("%s: operators %v", c.q, ops)
			for _, want := range strings.Fields(c.want) {
				if !slices.ContainsFunc(ops, func(op string) bool { return strings.HasSuffix(op, ":"+want) }) {
					t.Errorf("the job ran operators %v, not %s", ops, want)
				}
			}
		})
	}
}

// TestParallelismProperties checks the sink table properties for a job's
// workers, aggregation phases and join state TTL, and refuses the Flink options that
// would set them for a session only.
func TestParallelismProperties(t *testing.T) {
	ctx := context.Background()
	s := newJobServer(t).s
	mustExec(t, s, `CREATE TABLE bid (`+bidColumns+`) WITH ('connector' = 'nexmark', 'table' = 'bid')`)
	for name, with := range map[string]string{
		"many": `'wharf.parallelism' = 'many'`, "zero": `'wharf.parallelism' = '0'`, "huge": `'wharf.parallelism' = '65'`,
		"sometimes": `'wharf.agg-phase' = 'sometimes'`, "two": `'wharf.parallelism' = ' 3 ', 'wharf.agg-phase' = 'Two_Phase'`,
		"one": `'wharf.parallelism' = '64', 'wharf.agg-phase' = 'ONE-PHASE'`, "plain": `'wharf.commit-interval' = '1 s'`,
		"ttl": `'wharf.state.ttl' = '90 s'`, "never": `'wharf.state.ttl' = 'never'`,
	} {
		mustExec(t, s, `CREATE TABLE `+name+` (auction BIGINT, n BIGINT, b BIGINT, PRIMARY KEY (auction) NOT ENFORCED) WITH (`+with+`)`)
	}
	for _, c := range []struct {
		into, agg string
		want      exec.StreamOptions
	}{
		{"two", "MAX(price)", exec.StreamOptions{Parallelism: 3, AggPhase: exec.AggPhaseTwo}},
		{"one", "COUNT(DISTINCT bidder)", exec.StreamOptions{Parallelism: 64, AggPhase: exec.AggPhaseOne}},
		{"plain", "COUNT(DISTINCT bidder)", exec.StreamOptions{Parallelism: 1, AggPhase: exec.AggPhaseAuto}},
		{"ttl", "COUNT(DISTINCT bidder)", exec.StreamOptions{Parallelism: 1, StateTTL: 90 * time.Second}},
	} {
		p, err := s.PlanJob(ctx, `INSERT INTO `+c.into+` SELECT auction, COUNT(*), `+c.agg+` FROM bid GROUP BY auction`)
		if err != nil {
			t.Fatalf("%s: %v", c.into, err)
		}
		p.Release()
		if p.Stream != c.want {
			t.Errorf("%s: %+v; want %+v", c.into, p.Stream, c.want)
		}
	}
	group := ` SELECT auction, COUNT(*), %s FROM bid GROUP BY auction`
	checkErrorsAs(t, s, false, []errCase{
		{`INSERT INTO many` + strings.Replace(group, "%s", "1", 1), "INVALID_ARGUMENT", "table default.many: 'wharf.parallelism' = 'many': want a number of workers from 1 to 64", 1, 1},
		{`INSERT INTO zero` + strings.Replace(group, "%s", "1", 1), "INVALID_ARGUMENT", "'wharf.parallelism' = '0': want a number of workers from 1 to 64", 1, 1},
		{`INSERT INTO huge` + strings.Replace(group, "%s", "1", 1), "INVALID_ARGUMENT", "'wharf.parallelism' = '65': want a number of workers from 1 to 64", 1, 1},
		{`INSERT INTO sometimes` + strings.Replace(group, "%s", "1", 1), "INVALID_ARGUMENT", "table default.sometimes: 'wharf.agg-phase' = 'sometimes': want auto, one-phase or two-phase", 1, 1},
		{`INSERT INTO two` + strings.Replace(group, "%s", "COUNT(DISTINCT bidder)", 1), "UNSUPPORTED", "table default.two: 'wharf.agg-phase' = 'Two_Phase': COUNT(DISTINCT bidder) cannot be aggregated in two phases: a DISTINCT aggregate", 1, 1},
		{`INSERT INTO two SELECT auction, COUNT(*), MAX(n) FROM (SELECT auction, bidder, COUNT(*) AS n FROM bid GROUP BY auction, bidder) GROUP BY auction`, "UNSUPPORTED", "MAX(n) cannot be aggregated in two phases: MIN and MAX over an updating input", 1, 1},
		{`SET 'parallelism.default' = '4'`, "UNSUPPORTED", "SET 'parallelism.default' is not taken: a job's parallelism is a property of the sink table, kept with it across restarts: CREATE TABLE … WITH ('wharf.parallelism' = '4')", 1, 5},
		{`SET 'table.optimizer.agg-phase-strategy' = 'TWO_PHASE'`, "UNSUPPORTED", "CREATE TABLE … WITH ('wharf.agg-phase' = 'two-phase')", 1, 5},
		{`SET 'table.exec.emit.early-fire.delay' = '5 s'`, "UNSUPPORTED", "CREATE TABLE … WITH ('wharf.early-fire.delay' = '5 s')", 1, 5},
		{`INSERT INTO never` + strings.Replace(group, "%s", "1", 1), "INVALID_ARGUMENT", "table default.never: 'wharf.state.ttl' = 'never': want a positive duration such as '1 h'", 1, 1},
		{`SET 'table.exec.state.ttl' = '1 h'`, "UNSUPPORTED", "SET 'table.exec.state.ttl' is not taken: the state TTL of a job's joins is a property of the sink table, kept with it across restarts: CREATE TABLE … WITH ('wharf.state.ttl' = '1 h')", 1, 5},
	})
}
