package session

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/sql"
)

// WithJobs lets INSERT over an unbounded input start continuous jobs on m.
func WithJobs(m *runtime.Manager) Option { return func(s *Session) { s.jobs = m } }

// streamable checks that a continuous job's plan is one the runtime runs —
// filters, projections, lookup joins and joins of two unbounded inputs,
// window aggregations (GROUP BY window_start, window_end of a window TVF on
// the source's watermark column), GROUP BYs without windows and Top-Ns
// (which update their results, see exec.Updating) — and returns its
// longest window.
func streamable(n plan.Node, at sql.Pos) (maxWindow int64, err error) {
	var walk func(n plan.Node) error
	walk = func(n plan.Node) error {
		switch n := n.(type) {
		case *plan.SourceScan:
			return nil
		case *plan.Filter:
			if w, ok := n.Input.(*plan.Window); ok {
				if err := exec.CheckTopN(n, w); err != nil {
					return &Error{Code: CodeUnsupported, Msg: err.Error(), Pos: pos(at)}
				}
				return walk(w.Input)
			}
			return walk(n.Input)
		case *plan.Project:
			return walk(n.Input)
		case *plan.WindowTVF:
			if err := onWatermark(n, at); err != nil {
				return err
			}
			if n.Kind != "SESSION" { // sessions snapshot their rows; the others replay
				maxWindow = max(maxWindow, n.Size)
			}
			return walk(n.Input)
		case *plan.Join:
			// A lookup join reads a table, not a stream, on its right.
			if n.Lookup && plan.Unbounded(n.Right) == nil {
				return walk(n.Left)
			}
			// A join of two streams (exec.StreamJoin).
			if !n.Lookup && plan.Unbounded(n.Left) != nil && plan.Unbounded(n.Right) != nil && n.Kind != plan.JoinSemi && n.Kind != plan.JoinAnti {
				if err := walk(n.Left); err != nil {
					return err
				}
				return walk(n.Right)
			}
		case *plan.Aggregate:
			if !exec.Updating(n) {
				// A window aggregation: its windows close on the watermark.
				return walk(n.Input)
			}
			if err := exec.CheckGroupAgg(n); err != nil {
				return &Error{Code: CodeUnsupported, Msg: err.Error(), Pos: pos(at)}
			}
			return walk(n.Input)
		}
		what := fmt.Sprintf("%T", n)[len("*plan."):]
		return &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("continuous jobs run filters, projections, joins of two streams, lookup joins, one window aggregation, GROUP BYs and Top-Ns so far; %s over an unbounded source (a join of a stream with a table not read FOR SYSTEM_TIME AS OF, ORDER BY, LIMIT, other OVER windows, several window aggregations) comes next", what), Pos: pos(at)}
	}
	return maxWindow, walk(n)
}

// onWatermark checks that a window TVF's time column is the source's
// WATERMARK column, passed down unchanged.
func onWatermark(t *plan.WindowTVF, at sql.Pos) error {
	col, n := t.TimeCol, t.Input
	for {
		switch x := n.(type) {
		case *plan.Filter:
			n = x.Input
			continue
		case *plan.Project:
			c, ok := x.Exprs[col].(*expr.Column)
			if !ok {
				break
			}
			col, n = c.Index, x.Input
			continue
		case *plan.SourceScan:
			if x.Source.Watermark == nil {
				return &Error{Code: CodeInvalid, Msg: fmt.Sprintf("windows over %s need event time: declare WATERMARK FOR %s AS %s - INTERVAL '…' SECOND on the table", strings.Join(x.Ident, "."), t.Input.Schema().Field(t.TimeCol).Name, t.Input.Schema().Field(t.TimeCol).Name), Pos: pos(at)}
			}
			if x.Source.Watermark.Column != col {
				return &Error{Code: CodeInvalid, Msg: fmt.Sprintf("the window's time column must be %s's WATERMARK column", strings.Join(x.Ident, ".")), Pos: pos(at)}
			}
			return nil
		}
		return &Error{Code: CodeInvalid, Msg: "the window's time column must be the source's WATERMARK column, unchanged", Pos: pos(at)}
	}
}

// updatingInto refuses a query that updates its results (exec.Updating,
// or a window aggregation fired early) into a table without a PRIMARY
// KEY, which could only append them.
func updatingInto(n plan.Node, early bool, t *insertTarget, at sql.Pos) error {
	if len(t.tbl.Schema().IdentifierFieldIDs) > 0 {
		return nil
	}
	what := "a GROUP BY without a window, or a Top-N"
	switch {
	case early:
		what = fmt.Sprintf("a window aggregation fired early by '%s'; the key would be its window and group columns", runtime.PropEarlyFire)
	case !exec.Updating(n):
		return nil
	}
	return &Error{Code: CodeInvalid, Msg: fmt.Sprintf("table %s doesn't support consuming update changes, which the query produces (%s): declare a PRIMARY KEY (…) NOT ENFORCED on it", t.name(), what), Pos: pos(at)}
}

// earlyFire reads the early firing delay of the job's window aggregation
// from the sink table's property (runtime.PropEarlyFire): 0 without it.
// The aggregation must be the job's last stateful step, its rows reaching
// the sink through projections and filters only, since an operator
// consuming them (another aggregation, a join, a Top-N) would have to
// take their updates back. SESSION windows are known only when they
// close, so they have no partial results to fire.
func earlyFire(n plan.Node, t *insertTarget, at sql.Pos) (time.Duration, error) {
	v := t.props[runtime.PropEarlyFire]
	if v == "" {
		return 0, nil
	}
	d, err := flinkDuration(v)
	if err != nil || d <= 0 {
		return 0, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("table %s: '%s' = '%s': want a positive duration such as '5 s'", t.name(), runtime.PropEarlyFire, v), Pos: pos(at)}
	}
	for {
		switch x := n.(type) {
		case *plan.Project:
			n = x.Input
			continue
		case *plan.Filter:
			if _, ok := x.Input.(*plan.Window); !ok {
				n = x.Input
				continue
			}
		case *plan.Aggregate:
			_, _, tvf, windowed := plan.WindowColumns(x.Input)
			switch {
			case exec.Updating(x) || !windowed:
			case tvf.Kind == "SESSION":
				return 0, &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("table %s: '%s': a SESSION window is known only when it closes, so it has no partial results to fire early", t.name(), runtime.PropEarlyFire), Pos: pos(at)}
			case aggregates(x.Input):
				return 0, &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("table %s: '%s': early firing applies to one window aggregation; this job groups windows again", t.name(), runtime.PropEarlyFire), Pos: pos(at)}
			default:
				return d, nil
			}
		}
		return 0, &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("table %s: '%s': early firing applies to a job whose last step is a window aggregation (GROUP BY window_start, window_end of a TUMBLE, HOP or CUMULATE), followed only by projections and filters", t.name(), runtime.PropEarlyFire), Pos: pos(at)}
	}
}

// tablePropertySets are Flink's session options that wharf takes as
// sink table properties instead, by key prefix: what they set, and the
// property with an example value.
var tablePropertySets = []struct{ prefix, what, prop, example string }{
	{"table.exec.emit.early-fire.", "early firing", runtime.PropEarlyFire, "5 s"},
	{"parallelism.default", "a job's parallelism", runtime.PropParallelism, "4"},
	{"table.exec.resource.default-parallelism", "a job's parallelism", runtime.PropParallelism, "4"},
	{"table.optimizer.agg-phase-strategy", "how a GROUP BY aggregates", runtime.PropAggPhase, "two-phase"},
	{"table.exec.state.ttl", "the state TTL of a job's joins", runtime.PropStateTTL, "1 h"},
}

// tablePropertySet refuses Flink's session options for what a job runs
// with, showing the way wharf takes them: a job is planned again, without
// the session that submitted it, at every restart, so what it runs with
// is kept with its sink table.
func tablePropertySet(st *sql.Set) error {
	if st.Option == nil {
		return nil
	}
	for _, o := range tablePropertySets {
		if strings.HasPrefix(st.Option.Key, o.prefix) {
			return &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("SET '%s' is not taken: %s is a property of the sink table, kept with it across restarts: CREATE TABLE … WITH ('%s' = '%s')", st.Option.Key, o.what, o.prop, o.example), Pos: pos(st.Option.Pos)}
		}
	}
	return nil
}

// parallelism reads how the job runs its keyed operators from the sink
// table's properties (runtime.PropParallelism, runtime.PropAggPhase).
// Two phases asked for a GROUP BY with an aggregate that cannot run so
// are refused, naming the aggregate; 'auto' runs it in one.
func parallelism(n plan.Node, t *insertTarget, at sql.Pos) (int, exec.AggPhase, error) {
	workers := 1
	if v, ok := t.props[runtime.PropParallelism]; ok {
		w, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || w < 1 || w > runtime.MaxParallelism {
			return 0, 0, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("table %s: '%s' = '%s': want a number of workers from 1 to %d", t.name(), runtime.PropParallelism, v, runtime.MaxParallelism), Pos: pos(at)}
		}
		workers = w
	}
	v, ok := t.props[runtime.PropAggPhase]
	if !ok {
		return workers, exec.AggPhaseAuto, nil
	}
	phase, ok := exec.ParseAggPhase(v)
	if !ok {
		return 0, 0, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("table %s: '%s' = '%s': want auto, one-phase or two-phase (or Flink's AUTO, ONE_PHASE, TWO_PHASE)", t.name(), runtime.PropAggPhase, v), Pos: pos(at)}
	}
	if phase != exec.AggPhaseTwo {
		return workers, phase, nil
	}
	var check func(n plan.Node) error
	check = func(n plan.Node) error {
		if a, ok := n.(*plan.Aggregate); ok && exec.Updating(a) { // a GROUP BY without a window
			if err := exec.CheckTwoPhase(a); err != nil {
				return &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("table %s: '%s' = '%s': %v; 'auto' runs it in one phase", t.name(), runtime.PropAggPhase, v, err), Pos: pos(at)}
			}
		}
		for _, c := range n.Children() {
			if err := check(c); err != nil {
				return err
			}
		}
		return nil
	}
	return workers, phase, check(n)
}

// aggregates says whether n aggregates anywhere.
func aggregates(n plan.Node) bool {
	if _, ok := n.(*plan.Aggregate); ok {
		return true
	}
	return slices.ContainsFunc(n.Children(), aggregates)
}

// submitJob starts INSERT … SELECT over an unbounded source as a
// continuous job, after checking that it plans.
func (s *Session) submitJob(ctx context.Context, st *sql.Insert) (*Result, error) {
	if s.jobs == nil {
		return nil, &Error{Code: CodeUnsupported, Msg: "this server runs no continuous jobs", Pos: pos(st.Pos)}
	}
	if st.Overwrite {
		return nil, &Error{Code: CodeInvalid, Msg: "INSERT OVERWRITE needs a bounded input; an unbounded one never finishes replacing", Pos: pos(st.Pos)}
	}
	text := st.String()
	p, err := s.PlanJob(ctx, text)
	if err != nil {
		return nil, err
	}
	err = runtime.Check(ctx, p)
	p.Release()
	if err != nil {
		return nil, &Error{Code: CodeUnsupported, Msg: err.Error(), Pos: pos(st.Source.Pos)}
	}
	id, err := s.jobs.Submit(ctx, text)
	if err != nil {
		return nil, err
	}
	return &Result{Kind: ResultJob, JobID: id}, nil
}

// PlanJob plans a continuous job's INSERT (runtime.Planner): the target,
// the query, and the coercion of its rows to the table's columns.
func (s *Session) PlanJob(ctx context.Context, text string) (*runtime.Plan, error) {
	stmt, err := sql.ParseOne(text)
	if err != nil {
		return nil, syntaxError(err)
	}
	st, ok := stmt.(*sql.Insert)
	if !ok {
		return nil, &Error{Code: CodeInvalid, Msg: "a continuous job is an INSERT INTO … SELECT", Pos: pos(stmt.Position())}
	}
	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, NowMicros: time.Now().UnixMicro(), SessionTimeZone: "UTC"}
	t, err := s.resolveTarget(ctx, st, ev)
	if err != nil {
		return nil, err
	}
	node, err := s.plan(ctx, st.Source, ev)
	if err != nil {
		t.release()
		return nil, err
	}
	if plan.Unbounded(node) == nil {
		t.release()
		return nil, &Error{Code: CodeInvalid, Msg: "the query reads no unbounded source; run it as a batch INSERT", Pos: pos(st.Pos)}
	}
	maxWindow, err := streamable(node, st.Source.Pos)
	if err != nil {
		t.release()
		return nil, err
	}
	early, err := earlyFire(node, t, st.Pos)
	if err != nil {
		t.release()
		return nil, err
	}
	workers, phase, err := parallelism(node, t, st.Pos)
	if err != nil {
		t.release()
		return nil, err
	}
	if err := updatingInto(node, early > 0, t, st.Source.Pos); err != nil {
		t.release()
		return nil, err
	}
	out := node.Schema().Fields()
	if len(out) != len(t.fill) {
		t.release()
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("the query produces %d columns but %d are inserted into %s", len(out), len(t.fill), t.name()), Pos: pos(st.Source.Pos)}
	}
	co, err := newCoercer(t, out, ev)
	if err != nil {
		t.release()
		return nil, at(err, st.Source.Pos)
	}
	interval := runtime.DefaultInterval
	if v := t.props[runtime.PropCommitInterval]; v != "" {
		if interval, err = flinkDuration(v); err != nil || interval <= 0 {
			co.release()
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("table %s: '%s' = '%s': want a positive duration such as '10 s'", t.name(), runtime.PropCommitInterval, v), Pos: pos(st.Pos)}
		}
	}
	var ttl time.Duration
	if v, ok := t.props[runtime.PropStateTTL]; ok {
		if ttl, err = flinkDuration(v); err != nil || ttl <= 0 {
			co.release()
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("table %s: '%s' = '%s': want a positive duration such as '1 h'", t.name(), runtime.PropStateTTL, v), Pos: pos(st.Pos)}
		}
	}
	return &runtime.Plan{
		Target: t.id, Table: t.tbl, Node: node, Schema: t.schema,
		Coerce: co.apply, Release: co.release, Interval: interval,
		Watermark: plan.Unbounded(node).Source.Watermark, MaxWindow: maxWindow,
		EarlyFire: early, Stream: exec.StreamOptions{Parallelism: workers, AggPhase: phase, StateTTL: ttl},
	}, nil
}
