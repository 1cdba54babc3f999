package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/lake"
)

// PropLateRowsTable is the sink table property naming a table (db.name)
// that receives the rows a job's window aggregation finds late (their
// window had closed), in the same commit as the epoch's results; unset,
// late rows are only counted.
const PropLateRowsTable = "wharf.late-rows.table"

// lateRows collects one epoch's late rows for the late-rows table. Rows
// replayed after a restart are not routed again (they were committed, or
// were late then too): late rows of the one batch per split that straddles
// the restart point are only counted.
type lateRows struct {
	tbl     *table.Table
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	active  bool // the batch being pushed is new input, not replay
}

// openLateRows loads or creates the late-rows table the target names, with
// the columns the window aggregation reads; nil when none is named.
func openLateRows(ctx context.Context, wh *lake.Warehouse, target *table.Table, node plan.Node) (*lateRows, error) {
	name := target.Properties()[PropLateRowsTable]
	if name == "" {
		return nil, nil
	}
	aggs := windowAggregates(node, nil)
	if len(aggs) == 0 {
		return nil, fmt.Errorf("%s: the job has no window aggregation, so no rows can be late", PropLateRowsTable)
	}
	if len(aggs) > 1 {
		return nil, fmt.Errorf("%s: the job has %d window aggregations, whose late rows differ in columns: one table cannot keep them", PropLateRowsTable, len(aggs))
	}
	agg := aggs[0]
	id, err := lake.Ident(strings.Split(name, ".")...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PropLateRowsTable, err)
	}
	tbl, err := wh.LoadTable(ctx, id)
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		var sc *iceberg.Schema
		if sc, err = table.ArrowSchemaToIcebergWithFreshIDs(agg.Input.Schema(), false); err == nil {
			tbl, err = wh.CreateTable(ctx, id, sc, lake.TableOptions{})
			if errors.Is(err, catalog.ErrTableAlreadyExists) {
				tbl, err = wh.LoadTable(ctx, id)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("late-rows table %s: %w", name, err)
	}
	schema, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		return nil, err
	}
	if schema.NumFields() != agg.Input.Schema().NumFields() {
		return nil, fmt.Errorf("late-rows table %s has %d columns; the window aggregation's rows have %d", name, schema.NumFields(), agg.Input.Schema().NumFields())
	}
	return &lateRows{tbl: tbl, schema: schema}, nil
}

// windowAggregates appends n's window aggregations (those that do not
// update their results) to out.
func windowAggregates(n plan.Node, out []*plan.Aggregate) []*plan.Aggregate {
	if a, ok := n.(*plan.Aggregate); ok && !exec.Updating(a) {
		out = append(out, a)
	}
	for _, c := range n.Children() {
		out = windowAggregates(c, out)
	}
	return out
}

// add takes late rows (owning the batch).
func (l *lateRows) add(b arrow.RecordBatch) {
	if !l.active {
		b.Release()
		return
	}
	l.batches = append(l.batches, b)
}

// files writes the epoch's late rows and forgets them.
func (l *lateRows) files(ctx context.Context) ([]iceberg.DataFile, error) {
	if len(l.batches) == 0 {
		return nil, nil
	}
	recs := make([]arrow.RecordBatch, len(l.batches))
	for i, b := range l.batches {
		recs[i] = array.NewRecordBatch(l.schema, b.Columns(), b.NumRows())
		b.Release()
	}
	l.batches = nil
	return lake.WriteFiles(ctx, l.tbl, l.schema, lake.Batches(recs...))
}

func (l *lateRows) release() {
	for _, b := range l.batches {
		b.Release()
	}
	l.batches = nil
}
