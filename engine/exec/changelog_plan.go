package exec

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

// Updating says whether a continuous job's plan n produces a changelog
// (rows it later retracts): a GROUP BY over an unbounded input that is not
// a window aggregation over an append-only one, a Top-N, an outer join of
// two unbounded inputs that is not a window or interval join, or anything
// over these. Its results then need a sink that applies updates (a table
// with a PRIMARY KEY).
func Updating(n plan.Node) bool {
	switch n := n.(type) {
	case *plan.Aggregate:
		return plan.Unbounded(n) != nil && !isWindowAgg(n)
	case *plan.Join:
		if !n.Lookup && plan.Unbounded(n.Left) != nil && plan.Unbounded(n.Right) != nil && streamJoinUpdating(n) {
			return true
		}
	case *plan.Filter:
		if _, ok := n.Input.(*plan.Window); ok && plan.Unbounded(n) != nil {
			return true
		}
	}
	for _, c := range n.Children() {
		if Updating(c) {
			return true
		}
	}
	return false
}

// isWindowAgg says whether an aggregation groups by a window TVF's
// window_start and window_end over an append-only input: then each
// window's results are final when the watermark passes its end.
func isWindowAgg(n *plan.Aggregate) bool {
	start, end, _, ok := plan.WindowColumns(n.Input)
	return ok && n.GroupsBy(start) && n.GroupsBy(end) && !Updating(n.Input)
}

// buildGroupAgg builds a continuous GROUP BY.
func buildGroupAgg(n *plan.Aggregate, ev *expr.EvalContext) (*GroupAgg, error) {
	keys, types, specs, err := compileAggregate(n)
	if err != nil {
		return nil, err
	}
	return NewGroupAgg(n.Schema(), keys, types, specs, Updating(n.Input), ev)
}

// StreamOptions are a continuous job's settings for its keyed operators.
type StreamOptions struct {
	// Parallelism is the number of instances of each keyed operator (a
	// GROUP BY, a Top-N, a window aggregation with a key besides the
	// window, a SESSION window TVF with PARTITION BY), each on a worker of
	// its own (see exchange); 0 or 1: one, on the job's goroutine.
	Parallelism int
	// AggPhase says whether a GROUP BY runs in two phases.
	AggPhase AggPhase
	// StateTTL is the stream joins' StreamJoinOptions.TTL (Flink's
	// table.exec.state.ttl); 0 keeps rows for as long as they can match.
	// GROUP BY and Top-N keep their state: a group that expired would
	// start again from nothing and overwrite its row in the sink.
	StateTTL time.Duration
}

func (o StreamOptions) workers() int { return max(1, o.Parallelism) }

// AggPhase chooses how a continuous GROUP BY aggregates: at once, by the
// instance that owns the key, or in two phases (a local aggregation of
// each worker's share of the input, then a global one of the partial
// results), so that a hot key does not load one worker with all its rows.
type AggPhase int8

const (
	// AggPhaseAuto runs two phases over several workers where every
	// aggregate can (as Flink's AUTO does), one phase otherwise.
	AggPhaseAuto AggPhase = iota
	AggPhaseOne
	// AggPhaseTwo runs two phases, even on one worker, and refuses a GROUP
	// BY with an aggregate that cannot (CheckTwoPhase).
	AggPhaseTwo
)

// aggPhaseNames are the spellings ParseAggPhase takes, wharf's first.
var aggPhaseNames = map[string]AggPhase{
	"auto": AggPhaseAuto, "one-phase": AggPhaseOne, "two-phase": AggPhaseTwo,
	"one_phase": AggPhaseOne, "two_phase": AggPhaseTwo, // Flink's, which it writes upper-case
}

// ParseAggPhase reads an AggPhase, case-insensitively: auto, one-phase or
// two-phase, or Flink's AUTO, ONE_PHASE or TWO_PHASE.
func ParseAggPhase(s string) (AggPhase, bool) {
	p, ok := aggPhaseNames[strings.ToLower(strings.TrimSpace(s))]
	return p, ok
}

func (p AggPhase) String() string {
	switch p {
	case AggPhaseOne:
		return "one-phase"
	case AggPhaseTwo:
		return "two-phase"
	}
	return "auto"
}

// CheckTwoPhase reports, naming the aggregate, why a continuous GROUP BY
// cannot run in two phases, or nil.
func CheckTwoPhase(n *plan.Aggregate) error {
	changelog := Updating(n.Input)
	for i := range n.Aggs {
		a := &n.Aggs[i]
		s := AggSpec{Func: a.Func, Distinct: a.Distinct}
		if a.Arg != nil {
			s.ArgType = a.Arg.Type()
		}
		if why := partialBlocker(&s, changelog); why != "" {
			return fmt.Errorf("%s cannot be aggregated in two phases: %s", a, why)
		}
	}
	return nil
}

// buildGroupAggWith builds a continuous GROUP BY on opts' workers, in one
// phase or two (see AggPhase).
func buildGroupAggWith(n *plan.Aggregate, ev *expr.EvalContext, opts StreamOptions) (Operator, error) {
	g, err := buildGroupAgg(n, ev) // its errors first, whatever the workers
	if err != nil {
		return nil, err
	}
	if opts.workers() == 1 && opts.AggPhase != AggPhaseTwo {
		return g, nil
	}
	twoPhase := opts.AggPhase != AggPhaseOne
	if err := CheckTwoPhase(n); err != nil {
		if opts.AggPhase == AggPhaseTwo {
			return nil, err
		}
		twoPhase = false
	}
	newPhase := func(phase aggPhase) func() (Operator, error) {
		return func() (Operator, error) {
			keys, types, specs, err := compileAggregate(n)
			if err != nil {
				return nil, err
			}
			g, err := newGroupAgg(n.Schema(), keys, types, specs, Updating(n.Input), phase, ev)
			if err != nil {
				return nil, err
			}
			return g, nil
		}
	}
	if twoPhase {
		return newTwoPhaseExchange(opts.workers(), len(n.GroupBy), ev, newPhase(localPhase), newPhase(globalPhase))
	}
	keys, _, _, err := compileAggregate(n)
	if err != nil {
		return nil, err
	}
	return newKeyedExchange(opts.workers(), keys, ev, newPhase(onePhase))
}

// buildRankWith builds a continuous Top-N on opts' workers, partitioned
// by its PARTITION BY columns.
func buildRankWith(f *plan.Filter, w *plan.Window, ev *expr.EvalContext, opts StreamOptions) (Operator, error) {
	r, err := buildRank(f, w, ev)
	if err != nil {
		return nil, err
	}
	if opts.workers() == 1 {
		return r, nil
	}
	keys := make([]expr.Evaluator, len(w.Partition))
	for i, p := range w.Partition {
		if keys[i], err = expr.Compile(p); err != nil {
			return nil, err
		}
	}
	return newKeyedExchange(opts.workers(), keys, ev, func() (Operator, error) {
		r, err := buildRank(f, w, ev)
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}

// buildWindowAggWith builds a continuous window aggregation on opts'
// workers, keyed by its GROUP BY columns other than the window's bounds:
// every window of a key is on one worker, which closes it, fires it early
// and rebuilds it by replay whole. Without such a column (one group per
// window, as Nexmark q7's MAX(price) per window) no key splits the rows,
// and one instance aggregates them all.
func buildWindowAggWith(n *plan.Aggregate, ev *expr.EvalContext, opts StreamOptions) (Operator, error) {
	start, end, _, _ := plan.WindowColumns(n.Input)
	newOp := func() (Operator, error) {
		return NewWindowAgg(func() (*HashAgg, error) { return buildAggregate(n, ev) }, start, end, ev.Alloc), nil
	}
	if opts.workers() == 1 {
		return newOp()
	}
	var keys []expr.Evaluator
	for _, g := range n.GroupBy {
		if c, ok := g.(*expr.Column); ok && (c.Index == start || c.Index == end) {
			continue
		}
		k, err := expr.Compile(g)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return newOp()
	}
	return newKeyedExchange(opts.workers(), keys, ev, newOp)
}

// buildSessionTVFWith builds a SESSION window TVF on opts' workers, keyed
// by its PARTITION BY columns: a session is one key's, so each instance
// keeps and closes its keys' sessions whole. It runs in an exchange of its
// own, apart from the window aggregation after it, whose GROUP BY need not
// hold the PARTITION BY columns (then one group's rows would come from
// several workers): the aggregation's exchange routes the closed sessions'
// rows again, by its own keys. Without PARTITION BY, every row may join
// one session: one instance keeps them all.
func buildSessionTVFWith(n *plan.WindowTVF, ev *expr.EvalContext, opts StreamOptions) (Operator, error) {
	if opts.workers() == 1 || len(n.Partition) == 0 {
		return NewSessionTVF(n, ev.Alloc), nil
	}
	keys := make([]expr.Evaluator, len(n.Partition))
	for i, c := range n.Partition {
		f := n.Input.Schema().Field(c)
		k, err := expr.Compile(&expr.Column{Index: c, Name: f.Name, DataType: f.Type})
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return newKeyedExchange(opts.workers(), keys, ev, func() (Operator, error) { return NewSessionTVF(n, ev.Alloc), nil })
}

// buildRank builds a continuous Top-N from a Filter over a Window: the
// window must be one ROW_NUMBER() with PARTITION BY columns, and the
// filter rownum <= N, rownum < N or rownum = 1.
func buildRank(f *plan.Filter, w *plan.Window, ev *expr.EvalContext) (*Rank, error) {
	if Updating(w.Input) {
		return nil, fmt.Errorf("a continuous Top-N (ROW_NUMBER() OVER … filtered by its number) over an updating input is not supported yet")
	}
	if len(w.Funcs) != 1 || w.Funcs[0].Func != "ROW_NUMBER" {
		return nil, fmt.Errorf("over an unbounded source, OVER windows are supported as Top-N only: ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) filtered by rownum <= N")
	}
	n, err := topNLimit(f.Cond, w.Input.Schema().NumFields())
	if err != nil {
		return nil, err
	}
	part := make([]int, len(w.Partition))
	for i, p := range w.Partition {
		c, ok := p.(*expr.Column)
		if !ok {
			return nil, fmt.Errorf("BUG: window partition key %s is not a column", p)
		}
		part[i] = c.Index
	}
	order := make([]SortKey, len(w.Order))
	for i, k := range w.Order {
		order[i] = SortKey{Column: k.Column, Descending: k.Descending, NullsFirst: k.NullsFirst}
	}
	// Deduplication keeping the last row: ORDER BY a time DESC, N = 1.
	keepLast := n == 1 && len(order) == 1 && order[0].Descending &&
		w.Input.Schema().Field(order[0].Column).Type.ID() == arrow.TIMESTAMP
	return NewRank(f.Schema(), part, order, int(n), keepLast, ev)
}

// topNLimit reads N from a Top-N filter on column rownum.
func topNLimit(cond expr.Expr, rownum int) (int64, error) {
	bad := fmt.Errorf("over an unbounded source, a filter on ROW_NUMBER() must be rownum <= N, rownum < N or rownum = 1 (a Top-N), not %s", cond)
	c, ok := cond.(*expr.Call)
	if !ok || len(c.Args) != 2 {
		return 0, bad
	}
	if col, ok := c.Args[0].(*expr.Column); !ok || col.Index != rownum {
		return 0, bad
	}
	v, ok := intLiteral(c.Args[1])
	if !ok {
		return 0, bad
	}
	switch {
	case c.Func.Name == "<=" && v >= 1:
		return v, nil
	case c.Func.Name == "<" && v >= 2:
		return v - 1, nil
	case c.Func.Name == "=" && v == 1:
		return 1, nil
	}
	return 0, bad
}

// intLiteral is the value of an integer literal, perhaps cast.
func intLiteral(e expr.Expr) (int64, bool) {
	if c, ok := e.(*expr.Cast); ok {
		e = c.Arg
	}
	l, ok := e.(*expr.Literal)
	if !ok || !l.Value.IsValid() {
		return 0, false
	}
	switch v := l.Value.(type) {
	case *scalar.Int8:
		return int64(v.Value), true
	case *scalar.Int16:
		return int64(v.Value), true
	case *scalar.Int32:
		return int64(v.Value), true
	case *scalar.Int64:
		return v.Value, true
	}
	return 0, false
}

// CheckGroupAgg reports, without building it, why a continuous GROUP BY
// could not run (an aggregate it cannot update), or nil.
func CheckGroupAgg(n *plan.Aggregate) error {
	_, err := buildGroupAgg(n, nil)
	return err
}

// CheckTopN reports why a filter over an OVER window is not a continuous
// Top-N that can run, or nil.
func CheckTopN(f *plan.Filter, w *plan.Window) error {
	_, err := buildRank(f, w, nil)
	return err
}
