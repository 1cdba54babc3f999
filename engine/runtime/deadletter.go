package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/lake"
)

// Sink table properties that configure a job's dead letters.
const (
	// PropDeadLetterTable names the table (db.name) that receives the
	// records a job cannot decode; default: the sink's name + "_dead_letters".
	PropDeadLetterTable = "wharf.dead-letter.table"
	// PropDeadLetterBudget is how many undecodable records one epoch may
	// have before the job pauses (default DefaultDeadLetterBudget).
	PropDeadLetterBudget = "wharf.dead-letter.budget"
	// DefaultDeadLetterBudget is the budget when the table does not say.
	DefaultDeadLetterBudget = 1000
)

// deadLetterSchema is the dead-letter table's: where the record was, why it
// failed, and its bytes, so it can be replayed once fixed.
var deadLetterSchema = iceberg.NewSchema(0,
	iceberg.NestedField{ID: 1, Name: "job", Type: iceberg.PrimitiveTypes.String, Required: true},
	iceberg.NestedField{ID: 2, Name: "epoch", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 3, Name: "topic", Type: iceberg.PrimitiveTypes.String},
	iceberg.NestedField{ID: 4, Name: "partition", Type: iceberg.PrimitiveTypes.Int32, Required: true},
	iceberg.NestedField{ID: 5, Name: "offset", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 6, Name: "record_time", Type: iceberg.PrimitiveTypes.TimestampTz},
	iceberg.NestedField{ID: 7, Name: "error", Type: iceberg.PrimitiveTypes.String, Required: true},
	iceberg.NestedField{ID: 8, Name: "raw", Type: iceberg.PrimitiveTypes.Binary},
)

// ErrPaused stops a job whose epoch had more undecodable records than its
// budget; it waits in StatePaused to be resumed (after the input is fixed,
// or the budget raised).
var ErrPaused = errors.New("paused")

// deadLetters collects one epoch's undecodable records.
type deadLetters struct {
	job    string
	budget int
	tbl    *table.Table
	schema *arrow.Schema
	recs   []connector.BadRecord
}

// openDeadLetters loads (creating it if needed) the dead-letter table of a
// job writing target, as the target's properties configure it.
func openDeadLetters(ctx context.Context, wh *lake.Warehouse, job string, target *table.Table) (*deadLetters, error) {
	props := target.Properties()
	id := target.Identifier()
	name := id[len(id)-1] + "_dead_letters"
	dl := table.Identifier{id[0], name}
	if v := props[PropDeadLetterTable]; v != "" {
		parts, err := lake.Ident(strings.Split(v, ".")...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", PropDeadLetterTable, err)
		}
		dl = parts
	}
	budget := DefaultDeadLetterBudget
	if v := props[PropDeadLetterBudget]; v != "" {
		if _, err := fmt.Sscanf(v, "%d", &budget); err != nil || budget < 0 {
			return nil, fmt.Errorf("%s = %q: want a count of records (0 pauses at the first one)", PropDeadLetterBudget, v)
		}
	}
	tbl, err := wh.LoadTable(ctx, dl)
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		tbl, err = wh.CreateTable(ctx, dl, deadLetterSchema, lake.TableOptions{})
		if errors.Is(err, catalog.ErrTableAlreadyExists) {
			tbl, err = wh.LoadTable(ctx, dl) // another incarnation created it
		}
	}
	if err != nil {
		return nil, fmt.Errorf("dead-letter table %s: %w", strings.Join(dl, "."), err)
	}
	schema, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		return nil, err
	}
	return &deadLetters{job: job, budget: budget, tbl: tbl, schema: schema}, nil
}

// add takes a batch's undecodable records; past the budget the job pauses.
func (d *deadLetters) add(bad []connector.BadRecord) error {
	d.recs = append(d.recs, bad...)
	if len(d.recs) > d.budget {
		b := d.recs[len(d.recs)-1]
		return fmt.Errorf("%w: %d records of this epoch do not decode, over the budget of %d (%s); the last: record %d of %s partition %d: %s",
			ErrPaused, len(d.recs), d.budget, PropDeadLetterBudget, b.Position, b.Topic, b.Split, b.Err)
	}
	return nil
}

// files writes the epoch's dead letters and forgets them.
func (d *deadLetters) files(ctx context.Context, epoch uint64) ([]iceberg.DataFile, error) {
	if len(d.recs) == 0 {
		return nil, nil
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, d.schema)
	defer b.Release()
	for _, r := range d.recs {
		b.Field(0).(*array.StringBuilder).Append(d.job)
		b.Field(1).(*array.Int64Builder).Append(int64(epoch))
		b.Field(2).(*array.StringBuilder).Append(r.Topic)
		b.Field(3).(*array.Int32Builder).Append(r.Split)
		b.Field(4).(*array.Int64Builder).Append(r.Position)
		if r.Timestamp != 0 {
			b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(r.Timestamp * 1000))
		} else {
			b.Field(5).AppendNull()
		}
		b.Field(6).(*array.StringBuilder).Append(r.Err)
		b.Field(7).(*array.BinaryBuilder).Append(r.Raw)
	}
	rec := b.NewRecordBatch()
	files, err := lake.WriteFiles(ctx, d.tbl, d.schema, lake.Batches(rec))
	if err != nil {
		return nil, err
	}
	d.recs = d.recs[:0]
	return files, nil
}
