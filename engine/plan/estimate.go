package plan

import (
	"context"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/lake"
)

// Row estimates order joins (see reorder.go) and show in EXPLAIN. They are
// heuristics, made without column statistics:
//
//   - an Iceberg scan: the record counts of the files left after pruning;
//     when no file was pruned, times the selectivity of the pushed filter
//     (iceberg-go filters rows exactly, so its conjuncts still select);
//   - a filter: its input times the condition's selectivity (equality 0.1,
//     ranges 1/3, see selectivity);
//   - an aggregation: one row without keys, else a tenth of its input;
//   - an equi-join: its larger input (a key/foreign-key join); a cross
//     join the product; a residual condition a third of that;
//   - an unbounded connector table: infinite, so that it always stays
//     the streamed (probe) side; a bounded one defaultRows.
type estimator struct {
	ctx    context.Context
	scans  map[*Scan]*lake.PlannedScan
	rowsOf map[Node]float64
}

// defaultRows stands for inputs whose size is unknown.
const defaultRows = 1000

func newEstimator(ctx context.Context) *estimator {
	return &estimator{ctx: ctx, scans: map[*Scan]*lake.PlannedScan{}, rowsOf: map[Node]float64{}}
}

// plan plans a scan's files once per estimator.
func (e *estimator) plan(s *Scan) (*lake.PlannedScan, error) {
	if ps, ok := e.scans[s]; ok {
		return ps, nil
	}
	ps, err := s.Files(e.ctx)
	if err != nil {
		return nil, err
	}
	e.scans[s] = ps
	return ps, nil
}

// rows estimates n's output rows.
func (e *estimator) rows(n Node) float64 {
	if r, ok := e.rowsOf[n]; ok {
		return r
	}
	r := e.estimate(n)
	if math.IsNaN(r) { // no rows of infinitely many: keep it unbounded
		r = math.Inf(1)
	}
	e.rowsOf[n] = r
	return r
}

func (e *estimator) estimate(n Node) float64 {
	switch n := n.(type) {
	case *Scan:
		if n.Table == nil {
			return defaultRows
		}
		if r, ok := summaryRows(n); ok {
			return r
		}
		ps, err := e.plan(n)
		if err != nil {
			return defaultRows // the scan fails when it runs, with the error
		}
		r := float64(ps.Stats.RecordsKept)
		if n.Filter != nil && ps.Stats.FilesKept == ps.Stats.FilesTotal {
			r *= icebergSelectivity(n.Filter)
		}
		return r
	case *Values:
		return float64(len(n.Rows))
	case *SourceScan:
		if !n.Source.Bounded {
			return math.Inf(1)
		}
		return defaultRows
	case *Filter:
		return e.rows(n.Input) * selectivity(n.Cond)
	case *Limit:
		r := max(e.rows(n.Input)-float64(n.Offset), 0)
		if n.N >= 0 {
			r = min(r, float64(n.N))
		}
		return r
	case *Aggregate:
		if len(n.GroupBy) == 0 {
			return 1
		}
		return max(1, e.rows(n.Input)/10)
	case *Join:
		return e.joinRows(n)
	case *Union:
		var r float64
		for _, in := range n.Inputs {
			r += e.rows(in)
		}
		return r
	case *SingleRow:
		return 1
	}
	// Project, Sort, Window, Repeat: as many rows as their input.
	if kids := n.Children(); len(kids) == 1 {
		return e.rows(kids[0])
	}
	return defaultRows
}

// summaryRows reads an unfiltered scan's rows from its snapshot's summary,
// without planning its files.
func summaryRows(s *Scan) (float64, bool) {
	if s.Filter != nil {
		return 0, false
	}
	snap := s.Table.CurrentSnapshot()
	switch {
	case s.SnapshotID != 0:
		snap = s.Table.SnapshotByID(s.SnapshotID)
	case !s.AsOf.IsZero():
		snap = s.Table.SnapshotAsOf(s.AsOf.UnixMilli(), true)
	}
	if snap == nil {
		return 0, s.SnapshotID == 0 && s.AsOf.IsZero() // an empty table has no rows
	}
	if snap.Summary == nil {
		return 0, false
	}
	r, err := strconv.ParseInt(snap.Summary.Properties["total-records"], 10, 64)
	return float64(r), err == nil
}

func (e *estimator) joinRows(j *Join) float64 {
	l, r := e.rows(j.Left), e.rows(j.Right)
	if j.Kind == JoinSemi || j.Kind == JoinAnti {
		return l / 2
	}
	inner := l * r
	if l == 0 || r == 0 {
		inner = 0 // not NaN when the other side is unbounded
	}
	if len(j.LeftKeys) > 0 {
		inner = max(l, r)
	}
	if j.Residual != nil {
		inner *= selectivity(j.Residual)
	}
	switch j.Kind {
	case JoinLeft:
		return max(inner, l)
	case JoinRight:
		return max(inner, r)
	case JoinFull:
		return max(inner, l+r)
	}
	return inner
}

// selectivity guesses the fraction of rows for which cond is TRUE.
func selectivity(cond expr.Expr) float64 {
	c, ok := cond.(*expr.Call)
	if !ok {
		if l, isLit := cond.(*expr.Literal); isLit {
			if v, isBool := l.Value.(*scalar.Boolean); isBool && v.Valid && v.Value {
				return 1
			}
			return 0 // FALSE or NULL
		}
		return 0.5
	}
	switch c.Func.Name {
	case "AND":
		return selectivity(c.Args[0]) * selectivity(c.Args[1])
	case "OR":
		a, b := selectivity(c.Args[0]), selectivity(c.Args[1])
		return a + b - a*b
	case "NOT":
		return 1 - selectivity(c.Args[0])
	}
	return opSelectivity(c.Func.Name, len(c.Args)-1)
}

// opSelectivity is the selectivity of one comparison (list: the values of
// an IN list).
func opSelectivity(op string, list int) float64 {
	switch op {
	case "=", "IS NULL", "IS NOT DISTINCT FROM":
		return 0.1
	case "<>", "IS NOT NULL", "IS DISTINCT FROM":
		return 0.9
	case "<", "<=", ">", ">=":
		return 1.0 / 3
	case "LIKE", "SIMILAR TO":
		return 0.25
	case "IN":
		return min(0.1*float64(list), 0.5)
	}
	return 0.5
}

// icebergSelectivity is selectivity for a filter pushed into a scan.
func icebergSelectivity(f iceberg.BooleanExpression) float64 {
	s, err := iceberg.VisitExpr[float64](f, icebergSel{})
	if err != nil {
		return 0.5
	}
	return s
}

type icebergSel struct{}

var icebergOps = map[iceberg.Operation]string{
	iceberg.OpEQ: "=", iceberg.OpNEQ: "<>", iceberg.OpLT: "<", iceberg.OpLTEQ: "<=", iceberg.OpGT: ">",
	iceberg.OpGTEQ: ">=", iceberg.OpIsNull: "IS NULL", iceberg.OpNotNull: "IS NOT NULL",
}

func (icebergSel) VisitTrue() float64            { return 1 }
func (icebergSel) VisitFalse() float64           { return 0 }
func (icebergSel) VisitNot(c float64) float64    { return 1 - c }
func (icebergSel) VisitAnd(l, r float64) float64 { return l * r }
func (icebergSel) VisitOr(l, r float64) float64  { return l + r - l*r }
func (icebergSel) VisitUnbound(p iceberg.UnboundPredicate) float64 {
	return opSelectivity(icebergOps[p.Op()], 1)
}
func (icebergSel) VisitBound(p iceberg.BoundPredicate) float64 {
	return opSelectivity(icebergOps[p.Op()], 1)
}
