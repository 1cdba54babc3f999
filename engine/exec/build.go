package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/lake"
)

// Query is a plan ready to run: its source, operators (in pipeline order),
// and the figures of the scan it planned.
type Query struct {
	Source    Source
	Operators []Operator
	Schema    *arrow.Schema
	Scan      *lake.ScanStats // nil without a table scan
	// Stream is the unbounded source of a continuous job's pipeline
	// (BuildStream); Source is nil then, and the job drives the operators.
	Stream *plan.SourceScan
	// Right holds, by operator index, the right input of each two-input
	// operator of a continuous job (a streaming join): a query of its own
	// whose output feeds that operator's ProcessRight (see Graph).
	Right map[int]*Query

	streaming bool
	opts      StreamOptions
}

// Build turns a plan into a pipeline: a scan or VALUES, then filters,
// projections, aggregations, joins (each join's right input is a pipeline
// of its own, which the join runs first), a sort and a limit. The scan's files are planned here; the
// expressions are compiled once.
func Build(ctx context.Context, root plan.Node, ev *expr.EvalContext) (*Query, error) {
	q := &Query{Schema: root.Schema()}
	if err := q.add(ctx, root, ev); err != nil {
		return nil, err
	}
	return q, nil
}

// BuildStream builds the operators of a continuous job whose plan reads
// one unbounded connector table: the job feeds that source's batches to the
// operators itself (see Pipeline), epoch by epoch.
func BuildStream(ctx context.Context, root plan.Node, ev *expr.EvalContext) (*Query, error) {
	return BuildStreamWith(ctx, root, ev, StreamOptions{})
}

// BuildStreamWith is BuildStream with a job's settings for its keyed
// operators.
func BuildStreamWith(ctx context.Context, root plan.Node, ev *expr.EvalContext, opts StreamOptions) (*Query, error) {
	q := &Query{Schema: root.Schema(), streaming: true, opts: opts}
	if err := q.add(ctx, root, ev); err != nil {
		return nil, err
	}
	if q.Stream == nil {
		return nil, fmt.Errorf("BUG: BuildStream of a plan without an unbounded source")
	}
	return q, nil
}

// add builds n's input first, then appends n's operator.
func (q *Query) add(ctx context.Context, n plan.Node, ev *expr.EvalContext) error {
	switch n := n.(type) {
	case *plan.Scan:
		ps, err := n.Files(ctx)
		if err != nil {
			return err
		}
		// The readers decode on goroutines of their own: into the budget's
		// unchecked view (the default allocator without one), checked between
		// batches.
		budget, _ := ev.Alloc.(*Budget)
		_, batches, err := ps.Read(compute.WithAllocator(ctx, budget.Unchecked()))
		if err != nil {
			return err
		}
		q.Source, q.Scan = BatchSource{Batches: batches, Budget: budget}, &ps.Stats
	case *plan.SourceScan:
		if q.streaming && !n.Source.Bounded {
			q.Stream = n
			return nil
		}
		if !n.Source.Bounded {
			return fmt.Errorf("%s is an unbounded %s table: read it in a continuous job (INSERT INTO a lake table SELECT … FROM it)", strings.Join(n.Ident, "."), n.Source.Spec.Options["connector"])
		}
		budget, _ := ev.Alloc.(*Budget)
		q.Source = ConnectorSource{Table: n.Source, Budget: budget}
	case *plan.Values:
		src, err := valuesSource(n, ev)
		if err != nil {
			return err
		}
		q.Source = src
	case *plan.WindowTVF:
		if err := q.add(ctx, n.Input, ev); err != nil {
			return err
		}
		if n.Kind == "SESSION" {
			op, err := buildSessionTVFWith(n, ev, q.opts)
			if err != nil {
				return err
			}
			q.Operators = append(q.Operators, op)
			break
		}
		q.Operators = append(q.Operators, NewWindowTVF(n, ev.Alloc))
	case *plan.Filter:
		if w, ok := n.Input.(*plan.Window); ok && q.streaming && plan.Unbounded(w) != nil {
			if err := q.add(ctx, w.Input, ev); err != nil {
				return err
			}
			r, err := buildRankWith(n, w, ev, q.opts)
			if err != nil {
				return err
			}
			q.Operators = append(q.Operators, r)
			break
		}
		if err := q.add(ctx, n.Input, ev); err != nil {
			return err
		}
		cond, err := expr.Compile(n.Cond)
		if err != nil {
			return err
		}
		q.Operators = append(q.Operators, NewFilter(cond, ev))
	case *plan.Project:
		if err := q.add(ctx, n.Input, ev); err != nil {
			return err
		}
		evs := make([]expr.Evaluator, len(n.Exprs))
		for i, e := range n.Exprs {
			c, err := expr.Compile(e)
			if err != nil {
				return err
			}
			evs[i] = c
		}
		q.Operators = append(q.Operators, NewProject(n.Schema(), evs, ev))
	case *plan.Sort:
		if err := q.add(ctx, n.Input, ev); err != nil {
			return err
		}
		q.Operators = append(q.Operators, NewSort(sortKeys(n), -1, ev.Alloc))
	case *plan.Limit:
		// ORDER BY … LIMIT: the sort keeps only the rows the limit can pass
		// (top-N), so its memory is bounded by the limit, not the input.
		if s, ok := n.Input.(*plan.Sort); ok && n.N >= 0 {
			if err := q.add(ctx, s.Input, ev); err != nil {
				return err
			}
			q.Operators = append(q.Operators, NewSort(sortKeys(s), n.N+n.Offset, ev.Alloc))
		} else if err := q.add(ctx, n.Input, ev); err != nil {
			return err
		}
		if n.N == 0 {
			// LIMIT 0: the input is planned (its errors still surface) but
			// never read.
			q.Source, q.Operators = BatchSource{Batches: func(func(arrow.RecordBatch, error) bool) {}}, nil
			return nil
		}
		q.Operators = append(q.Operators, NewLimit(n.N, n.Offset))
	case *plan.Aggregate:
		if ok, err := q.countFromMetadata(ctx, n, ev.Alloc); ok || err != nil {
			return err
		}
		if err := q.add(ctx, n.Input, ev); err != nil {
			return err
		}
		if q.streaming && isWindowAgg(n) {
			w, err := buildWindowAggWith(n, ev, q.opts)
			if err != nil {
				return err
			}
			q.Operators = append(q.Operators, w)
			break
		}
		if q.streaming && plan.Unbounded(n) != nil {
			g, err := buildGroupAggWith(n, ev, q.opts)
			if err != nil {
				return err
			}
			q.Operators = append(q.Operators, g)
			break
		}
		agg, err := buildAggregate(n, ev)
		if err != nil {
			return err
		}
		q.Operators = append(q.Operators, agg)
	case *plan.Join:
		if q.streaming && n.Lookup {
			// A lookup join probes the table looked up, read by the join.
			if err := q.add(ctx, n.Left, ev); err != nil {
				return err
			}
			j, err := NewLookupJoin(n, LookupJoinOptions{}, ev)
			if err != nil {
				return err
			}
			q.Operators = append(q.Operators, j)
			break
		}
		if q.streaming && plan.Unbounded(n.Right) != nil {
			return q.addStreamJoin(ctx, n, ev)
		}
		// The left input is the probe side, in this pipeline; the right is
		// built (run to its end and held) by the join.
		if err := q.add(ctx, n.Left, ev); err != nil {
			return err
		}
		j, err := buildJoin(ctx, n, ev)
		if err != nil {
			return err
		}
		q.Operators = append(q.Operators, j)
	case *plan.Union:
		src := &UnionSource{Schema: n.Schema()}
		for _, in := range n.Inputs {
			b, err := Build(ctx, in, ev)
			if err != nil {
				return err
			}
			if q.Scan == nil {
				q.Scan = b.Scan
			}
			src.Inputs = append(src.Inputs, b)
		}
		q.Source = src
	case *plan.SingleRow:
		if err := q.add(ctx, n.Input, ev); err != nil {
			return err
		}
		q.Operators = append(q.Operators, NewSingleRow(n.Schema(), ev.Alloc))
	case *plan.Repeat:
		if err := q.add(ctx, n.Input, ev); err != nil {
			return err
		}
		q.Operators = append(q.Operators, NewRepeat(n.Schema(), ev.Alloc))
	case *plan.Window:
		if err := q.add(ctx, n.Input, ev); err != nil {
			return err
		}
		w, err := buildWindow(n, ev)
		if err != nil {
			return err
		}
		q.Operators = append(q.Operators, w)
	default:
		return fmt.Errorf("BUG: cannot execute %T", n)
	}
	return nil
}

// countFromMetadata answers SELECT COUNT(*), … FROM t (no WHERE, no GROUP
// BY, nothing but COUNT(*)) from the data files' record counts, when the
// scan can say (no delete files): ok reports whether it did.
func (q *Query) countFromMetadata(ctx context.Context, n *plan.Aggregate, alloc memory.Allocator) (ok bool, err error) {
	scan, isScan := n.Input.(*plan.Scan)
	if !isScan || scan.Filter != nil || len(n.GroupBy) > 0 || len(n.Aggs) == 0 {
		return false, nil
	}
	for _, a := range n.Aggs {
		if a.Func != "COUNT" || a.Arg != nil || a.Filter != nil || a.Distinct || a.Type.ID() != arrow.INT64 {
			return false, nil
		}
	}
	ps, err := scan.Files(ctx) // record counts do not depend on the projection
	if err != nil {
		return false, err
	}
	rows, ok := ps.RowCount()
	if !ok {
		return false, nil
	}
	schema := n.Schema()
	one := func(yield func(arrow.RecordBatch, error) bool) {
		cols := make([]arrow.Array, schema.NumFields())
		for i := range cols {
			b := array.NewInt64Builder(alloc)
			b.Append(rows)
			cols[i] = b.NewArray()
			b.Release()
		}
		batch := array.NewRecordBatch(schema, cols, 1)
		for _, c := range cols {
			c.Release()
		}
		yield(batch, nil)
	}
	q.Source, q.Scan = BatchSource{Batches: one}, &ps.Stats
	return true, nil
}

func buildAggregate(n *plan.Aggregate, ev *expr.EvalContext) (*HashAgg, error) {
	keys, types, specs, err := compileAggregate(n)
	if err != nil {
		return nil, err
	}
	return NewHashAgg(n.Schema(), keys, types, specs, ev)
}

// compileAggregate compiles an aggregation's keys and calls.
func compileAggregate(n *plan.Aggregate) ([]expr.Evaluator, []arrow.DataType, []AggSpec, error) {
	keys := make([]expr.Evaluator, len(n.GroupBy))
	types := make([]arrow.DataType, len(n.GroupBy))
	for i, g := range n.GroupBy {
		c, err := expr.Compile(g)
		if err != nil {
			return nil, nil, nil, err
		}
		keys[i], types[i] = c, g.Type()
	}
	specs := make([]AggSpec, len(n.Aggs))
	for i, a := range n.Aggs {
		s := AggSpec{Func: a.Func, Distinct: a.Distinct, Sep: a.Sep, Type: a.Type}
		if a.Arg != nil {
			c, err := expr.Compile(a.Arg)
			if err != nil {
				return nil, nil, nil, err
			}
			s.Arg, s.ArgType = c, a.Arg.Type()
		}
		if a.Filter != nil {
			c, err := expr.Compile(a.Filter)
			if err != nil {
				return nil, nil, nil, err
			}
			s.Filter = c
		}
		specs[i] = s
	}
	return keys, types, specs, nil
}

var joinKinds = map[plan.JoinKind]JoinKind{
	plan.JoinInner: JoinInner, plan.JoinLeft: JoinProbeOuter, plan.JoinRight: JoinBuildOuter,
	plan.JoinFull: JoinFullOuter, plan.JoinSemi: JoinSemi, plan.JoinAnti: JoinAnti,
}

func buildJoin(ctx context.Context, n *plan.Join, ev *expr.EvalContext) (*HashJoin, error) {
	kind, ok := joinKinds[n.Kind]
	if !ok {
		return nil, fmt.Errorf("BUG: join kind %s", n.Kind)
	}
	build, err := Build(ctx, n.Right, ev)
	if err != nil {
		return nil, err
	}
	spec := HashJoinSpec{Kind: kind, Schema: n.Schema(), Build: build}
	for i := range n.LeftKeys {
		p, err := expr.Compile(n.LeftKeys[i])
		if err != nil {
			return nil, err
		}
		b, err := expr.Compile(n.RightKeys[i])
		if err != nil {
			return nil, err
		}
		spec.ProbeKeys = append(spec.ProbeKeys, p)
		spec.BuildKeys = append(spec.BuildKeys, b)
		spec.KeyTypes = append(spec.KeyTypes, n.LeftKeys[i].Type())
	}
	if n.Residual != nil {
		if spec.Residual, err = expr.Compile(n.Residual); err != nil {
			return nil, err
		}
	}
	return NewHashJoin(spec, ev)
}

func sortKeys(s *plan.Sort) []SortKey {
	keys := make([]SortKey, len(s.Keys))
	for i, k := range s.Keys {
		keys[i] = SortKey{Column: k.Column, Descending: k.Descending, NullsFirst: k.NullsFirst}
	}
	return keys
}

// valuesSource evaluates constant rows into one batch.
func valuesSource(v *plan.Values, ev *expr.EvalContext) (Source, error) {
	schema := v.Schema()
	// One row with no columns (SELECT 1): an empty batch of length 1 drives
	// the projection above it.
	if schema.NumFields() == 0 {
		b := array.NewRecordBatch(schema, nil, int64(len(v.Rows)))
		return BatchSource{Batches: func(yield func(arrow.RecordBatch, error) bool) { yield(b, nil) }}, nil
	}
	return nil, fmt.Errorf("VALUES with columns is not supported yet")
}

func buildWindow(n *plan.Window, ev *expr.EvalContext) (*Window, error) {
	part := make([]int, len(n.Partition))
	for i, p := range n.Partition {
		c, ok := p.(*expr.Column)
		if !ok {
			return nil, fmt.Errorf("BUG: window partition key %s is not a column", p)
		}
		part[i] = c.Index
	}
	order := make([]SortKey, len(n.Order))
	for i, k := range n.Order {
		order[i] = SortKey{Column: k.Column, Descending: k.Descending, NullsFirst: k.NullsFirst}
	}
	funcs := make([]WindowFunc, len(n.Funcs))
	for i, c := range n.Funcs {
		f := WindowFunc{Func: c.Func, N: c.N, Type: c.Type, Frame: WindowFrame{
			Rows: c.Frame.Rows, Start: BoundKind(c.Frame.Start), End: BoundKind(c.Frame.End),
			StartN: c.Frame.StartN, EndN: c.Frame.EndN,
		}}
		for _, a := range c.Args {
			e, err := expr.Compile(a)
			if err != nil {
				return nil, err
			}
			f.Args, f.ArgTypes = append(f.Args, e), append(f.ArgTypes, a.Type())
		}
		funcs[i] = f
	}
	return NewWindow(n.Schema(), part, order, funcs, ev), nil
}

// addStreamJoin builds a join of two unbounded inputs: the left input is
// this query's chain, the right one a query of its own (see Graph).
func (q *Query) addStreamJoin(ctx context.Context, n *plan.Join, ev *expr.EvalContext) error {
	if err := q.add(ctx, n.Left, ev); err != nil {
		return err
	}
	right := &Query{Schema: n.Right.Schema(), streaming: true, opts: q.opts}
	if err := right.add(ctx, n.Right, ev); err != nil {
		return err
	}
	j, err := newStreamJoin(n, q.opts.StateTTL, ev)
	if err != nil {
		return err
	}
	if q.Right == nil {
		q.Right = map[int]*Query{}
	}
	q.Right[len(q.Operators)] = right
	q.Operators = append(q.Operators, j)
	return nil
}
