// Package plan turns parsed queries into logical plans: the binder resolves
// names and types (with positions in its errors), the optimizer folds
// constants, pushes filters and projections into Iceberg scans and orders
// joins by estimated size (reorder.go, estimate.go), and Explain prints the
// result with the scan's pruning figures and the row estimates.
//
// The planner covers queries over tables and their joins (inner, outer and
// cross, ON and USING, nested; see Join): projection, WHERE, GROUP BY with
// aggregate functions, HAVING, SELECT DISTINCT, ORDER BY, LIMIT/OFFSET, time
// travel; INTERVAL literals; WITH queries and derived tables (see
// bind_query.go); UNION [ALL], INTERSECT [ALL] and EXCEPT [ALL] (Union,
// Repeat); IN, NOT IN, [NOT] EXISTS on WHERE conditions, correlated or not,
// and scalar subqueries, uncorrelated or aggregates correlated by
// equalities (see bind_subquery.go, bind_correlated.go); window functions
// with ROWS and RANGE frames (Window, see bind_window.go); GROUPING SETS,
// ROLLUP and CUBE with GROUPING and GROUPING_ID (see bind_grouping.go).
// Other subquery shapes and GROUP_ID come next; the binder says so, with
// a position, when it meets them.
package plan

import (
	"context"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/lake"
)

// Node is a logical plan node.
type Node interface {
	// Schema describes the node's output columns.
	Schema() *arrow.Schema
	// Children are the node's inputs.
	Children() []Node
}

// Scan reads an Iceberg table. The optimizer narrows Columns and sets Filter;
// both are pushed into iceberg-go's planner and reader.
type Scan struct {
	Ident  table.Identifier
	Table  *table.Table
	Alias  string
	Fields []arrow.Field // output, in order: the table's columns, or the pushed projection
	// Filter is the part of the query's WHERE that Iceberg evaluates: it
	// prunes partitions, files and row groups, and filters rows exactly.
	Filter iceberg.BooleanExpression
	// Time travel: SnapshotID wins over AsOf; both zero = current.
	SnapshotID int64
	AsOf       time.Time
	// Planned is the scan's files when they were planned ahead, once for
	// every run of a prepared statement (session.Prepare); nil = plan
	// them when the scan runs. Set before the plan is shared, never after.
	Planned *lake.PlannedScan
}

// Options are the lake scan options of s: its projection, filter and
// snapshot.
func (s *Scan) Options() lake.ScanOptions {
	return lake.ScanOptions{Columns: fieldNames(s.Fields), Filter: s.Filter, SnapshotID: s.SnapshotID, AsOf: s.AsOf}
}

// Files returns the scan's planned files: Planned if set, else planned now.
func (s *Scan) Files(ctx context.Context) (*lake.PlannedScan, error) {
	if s.Planned != nil {
		return s.Planned, nil
	}
	return lake.PlanScan(ctx, s.Table, s.Options())
}

// Values produces constant rows (SELECT without FROM).
type Values struct {
	Rows   [][]expr.Expr
	schema *arrow.Schema
}

// Filter keeps the rows where Cond is TRUE.
type Filter struct {
	Input Node
	Cond  expr.Expr
}

// Project computes Exprs over its input, named by Names.
type Project struct {
	Input  Node
	Exprs  []expr.Expr
	Names  []string
	schema *arrow.Schema
}

// SortKey orders by one input column.
type SortKey struct {
	Column     int
	Descending bool
	NullsFirst bool
}

// Sort orders its input.
type Sort struct {
	Input Node
	Keys  []SortKey
}

// Limit skips Offset rows and passes at most N (N < 0: all).
type Limit struct {
	Input     Node
	N, Offset int64
}

// Aggregate groups its input by the GroupBy expressions and computes Aggs
// per group. Its output is the group keys, in order, then one column per
// aggregate. Without GroupBy it yields exactly one row, also over no input.
// The select list and HAVING are a Project and a Filter above it.
type Aggregate struct {
	Input   Node
	GroupBy []expr.Expr // over Input
	Aggs    []AggCall
	schema  *arrow.Schema
}

// GroupsBy says whether a's keys include input column col itself.
func (a *Aggregate) GroupsBy(col int) bool {
	for _, g := range a.GroupBy {
		if c, ok := g.(*expr.Column); ok && c.Index == col {
			return true
		}
	}
	return false
}

// AggCall is one aggregate function call over the Aggregate's input.
type AggCall struct {
	Func     string    // canonical: COUNT, SUM, AVG, MIN, MAX, STDDEV_POP, STDDEV_SAMP, VAR_POP, VAR_SAMP, FIRST_VALUE, LAST_VALUE, LISTAGG, APPROX_COUNT_DISTINCT
	Arg      expr.Expr // nil for COUNT(*)
	Distinct bool      // fold each distinct (group, value) once
	Filter   expr.Expr // FILTER (WHERE …); nil: every row
	Sep      string    // LISTAGG's separator
	Type     arrow.DataType
	NotNull  bool // COUNT and APPROX_COUNT_DISTINCT are never NULL
}

// String prints the call in Flink SQL.
func (a *AggCall) String() string {
	var b strings.Builder
	b.WriteString(a.Func + "(")
	if a.Distinct {
		b.WriteString("DISTINCT ")
	}
	if a.Arg == nil {
		b.WriteString("*")
	} else {
		b.WriteString(a.Arg.String())
	}
	if a.Func == "LISTAGG" && a.Sep != "," {
		b.WriteString(", " + expr.Lit(scalar.NewStringScalar(a.Sep)).String())
	}
	b.WriteString(")")
	if a.Filter != nil {
		b.WriteString(" FILTER (WHERE " + a.Filter.String() + ")")
	}
	return b.String()
}

// NewAggregate builds an aggregation, deriving its schema: group keys named
// after the column they pass through (with its metadata) or their
// expression, aggregates after their call.
func NewAggregate(input Node, groupBy []expr.Expr, aggs []AggCall) *Aggregate {
	in := input.Schema()
	fields := make([]arrow.Field, 0, len(groupBy)+len(aggs))
	for _, g := range groupBy {
		f := arrow.Field{Name: g.String(), Type: g.Type(), Nullable: true}
		if c, ok := g.(*expr.Column); ok {
			src := in.Field(c.Index)
			f.Name, f.Nullable, f.Metadata = c.Name, src.Nullable, src.Metadata
		}
		fields = append(fields, f)
	}
	for i := range aggs {
		fields = append(fields, arrow.Field{Name: aggs[i].String(), Type: aggs[i].Type, Nullable: !aggs[i].NotNull})
	}
	return &Aggregate{Input: input, GroupBy: groupBy, Aggs: aggs, schema: arrow.NewSchema(fields, nil)}
}

func (s *Scan) Schema() *arrow.Schema      { return arrow.NewSchema(s.Fields, nil) }
func (v *Values) Schema() *arrow.Schema    { return v.schema }
func (f *Filter) Schema() *arrow.Schema    { return f.Input.Schema() }
func (p *Project) Schema() *arrow.Schema   { return p.schema }
func (s *Sort) Schema() *arrow.Schema      { return s.Input.Schema() }
func (l *Limit) Schema() *arrow.Schema     { return l.Input.Schema() }
func (a *Aggregate) Schema() *arrow.Schema { return a.schema }

func (*Scan) Children() []Node        { return nil }
func (*Values) Children() []Node      { return nil }
func (f *Filter) Children() []Node    { return []Node{f.Input} }
func (p *Project) Children() []Node   { return []Node{p.Input} }
func (s *Sort) Children() []Node      { return []Node{s.Input} }
func (l *Limit) Children() []Node     { return []Node{l.Input} }
func (a *Aggregate) Children() []Node { return []Node{a.Input} }

// NewProject builds a projection, deriving its schema from the expressions.
// fields, when given, supply metadata (a column's declared Flink type) for
// expressions that pass a column through.
func NewProject(input Node, exprs []expr.Expr, names []string) *Project {
	fields := make([]arrow.Field, len(exprs))
	in := input.Schema()
	for i, e := range exprs {
		fields[i] = arrow.Field{Name: names[i], Type: e.Type(), Nullable: true}
		if c, ok := e.(*expr.Column); ok {
			src := in.Field(c.Index)
			fields[i].Nullable, fields[i].Metadata = src.Nullable, src.Metadata
		}
	}
	return &Project{Input: input, Exprs: exprs, Names: names, schema: arrow.NewSchema(fields, nil)}
}
