package exec

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

// TimeBounds say when the watermark makes a joined row unmatchable: a
// left row whose time column LeftCol holds t can match no row still to
// come once the watermark reaches t + LeftLife, and likewise for the
// right side. Rows still to come have times at or after the watermark.
type TimeBounds struct {
	LeftCol, RightCol   int
	LeftLife, RightLife int64 // microseconds
}

// JoinTimeBounds recognizes the two join shapes whose state the watermark
// bounds, for a StreamJoin's Bounds:
//
//   - A window join: a pair of equi-join keys that are both window_end of
//     event-time window TVFs (passed through projections, filters and
//     window aggregations' GROUP BY), as in Nexmark q5 and q8. A row of
//     window end E matches nothing once the watermark reaches E: by then
//     both inputs have emitted every row of that window.
//   - An interval join: the residual bounds one side's event time by the
//     other's, l.t + lo <= r.t <= l.t + hi (BETWEEN, <, <=, >, >=, with
//     constant day-time intervals), where each is its source's WATERMARK
//     column or a window_end as above (Nexmark q7). A left row dies when
//     the watermark passes t + hi, a right row when it passes t - lo.
//
// ok is false for any other join, which then keeps its rows until a TTL.
func JoinTimeBounds(j *plan.Join) (b TimeBounds, ok bool) {
	for i := range j.LeftKeys {
		l, lok := j.LeftKeys[i].(*expr.Column)
		r, rok := j.RightKeys[i].(*expr.Column)
		if lok && rok && windowEnd(j.Left, l.Index) && windowEnd(j.Right, r.Index) {
			return TimeBounds{LeftCol: l.Index, RightCol: r.Index}, true
		}
	}
	if j.Residual == nil {
		return TimeBounds{}, false
	}
	nl := j.Left.Schema().NumFields()
	// For each pair of time columns, the bounds found on r.t - l.t.
	type pair struct{ l, r int }
	type bounds struct{ lo, hi int64 }
	found := map[pair]*bounds{}
	var order []pair
	for _, c := range plan.Conjuncts(j.Residual) {
		x, y, strict, ok := comparison(c)
		if !ok {
			continue
		}
		// x <= y (or <): x.col + x.off <= y.col + y.off.
		var p pair
		var lower bool // a bound from below on r.t - l.t
		var d int64
		switch {
		case x.col < nl && y.col >= nl: // l + xo <= r + yo: r - l >= xo - yo
			p, lower, d = pair{x.col, y.col - nl}, true, x.off-y.off
		case x.col >= nl && y.col < nl: // r + xo <= l + yo: r - l <= yo - xo
			p, lower, d = pair{y.col, x.col - nl}, false, y.off-x.off
		default:
			continue
		}
		bd := found[p]
		if bd == nil {
			bd = &bounds{lo: math.MinInt64, hi: math.MaxInt64}
			found[p] = bd
			order = append(order, p)
		}
		if lower {
			if strict {
				d++
			}
			bd.lo = max(bd.lo, d)
		} else {
			if strict {
				d--
			}
			bd.hi = min(bd.hi, d)
		}
	}
	for _, p := range order {
		bd := found[p]
		if bd.lo == math.MinInt64 || bd.hi == math.MaxInt64 || !eventTime(j.Left, p.l) || !eventTime(j.Right, p.r) {
			continue
		}
		return TimeBounds{LeftCol: p.l, RightCol: p.r, LeftLife: bd.hi + 1, RightLife: 1 - bd.lo}, true
	}
	return TimeBounds{}, false
}

// timeTerm is a TIMESTAMP column plus a constant offset (microseconds).
type timeTerm struct {
	col int
	off int64
}

// comparison reads c as x <= y (strict: x < y) over time terms.
func comparison(c expr.Expr) (x, y timeTerm, strict, ok bool) {
	call, isCall := c.(*expr.Call)
	if !isCall || len(call.Args) != 2 {
		return x, y, false, false
	}
	a, aok := term(call.Args[0])
	b, bok := term(call.Args[1])
	if !aok || !bok {
		return x, y, false, false
	}
	switch call.Func.Name {
	case "<=":
		return a, b, false, true
	case "<":
		return a, b, true, true
	case ">=":
		return b, a, false, true
	case ">":
		return b, a, true, true
	}
	return x, y, false, false
}

// term reads e as a TIMESTAMP column, or one plus or minus a constant
// day-time interval.
func term(e expr.Expr) (timeTerm, bool) {
	switch e := e.(type) {
	case *expr.Column:
		return timeTerm{col: e.Index}, e.DataType.ID() == arrow.TIMESTAMP
	case *expr.Call:
		if len(e.Args) != 2 || e.Func.Name != "+" && e.Func.Name != "-" {
			return timeTerm{}, false
		}
		t, ok := term(e.Args[0])
		d, dok := durationMicros(e.Args[1])
		if !ok || !dok {
			return timeTerm{}, false
		}
		if e.Func.Name == "-" {
			d = -d
		}
		return timeTerm{col: t.col, off: t.off + d}, true
	}
	return timeTerm{}, false
}

// durationMicros reads a constant day-time interval.
func durationMicros(e expr.Expr) (int64, bool) {
	if c, ok := e.(*expr.Cast); ok {
		e = c.Arg
	}
	lit, ok := e.(*expr.Literal)
	if !ok || !lit.Value.IsValid() {
		return 0, false
	}
	d, ok := lit.Value.(*scalar.Duration)
	if !ok {
		return 0, false
	}
	return toMicros(int64(d.Value), d.Type.(*arrow.DurationType).Unit), true
}

// eventTime says whether the rows still to come to output column col of
// n are at or after the watermark: a WATERMARK column, or a window_end
// (an open window's end is after the watermark; a window aggregation
// emits a window when the watermark reaches its end, before the join sees
// that watermark).
func eventTime(n plan.Node, col int) bool { return watermarked(n, col) || windowEnd(n, col) }

// watermarked says whether output column col of n is its source's
// WATERMARK column, passed through unchanged.
func watermarked(n plan.Node, col int) bool {
	switch n := n.(type) {
	case *plan.Filter:
		return watermarked(n.Input, col)
	case *plan.Project:
		c, ok := n.Exprs[col].(*expr.Column)
		return ok && watermarked(n.Input, c.Index)
	case *plan.WindowTVF:
		return col < n.Input.Schema().NumFields() && watermarked(n.Input, col)
	case *plan.SourceScan:
		return n.Source.Watermark != nil && n.Source.Watermark.Column == col
	}
	return false
}

// windowEnd says whether output column col of n is the window_end of an
// event-time window TVF (not SESSION, whose windows grow), passed
// through unchanged or grouped by.
func windowEnd(n plan.Node, col int) bool {
	switch n := n.(type) {
	case *plan.Filter:
		return windowEnd(n.Input, col)
	case *plan.Project:
		c, ok := n.Exprs[col].(*expr.Column)
		return ok && windowEnd(n.Input, c.Index)
	case *plan.Aggregate:
		if col >= len(n.GroupBy) {
			return false
		}
		c, ok := n.GroupBy[col].(*expr.Column)
		return ok && windowEnd(n.Input, c.Index)
	case *plan.WindowTVF:
		base := n.Input.Schema().NumFields()
		if col < base {
			return windowEnd(n.Input, col)
		}
		return col == base+1 && n.Kind != "SESSION" && watermarked(n.Input, n.TimeCol)
	}
	return false
}
