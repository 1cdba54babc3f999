package plan

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/sql"
)

// Object is what a table name in FROM refers to: an Iceberg table (Table
// and Fields), a view (View), or a connector table (Source). Exactly one of
// Table, View and Source is set.
type Object struct {
	Table  *table.Table
	Fields []arrow.Field // a scan's output, declared Flink types in metadata
	View   *sql.CreateView
	Source *SourceTable
}

// SourceTable is a connector table: Kafka, a generator, files.
type SourceTable struct {
	Spec *connector.TableSpec
	Open connector.OpenFunc
	// Bounded sources end (files, generators with a row count); the others
	// are read by continuous jobs.
	Bounded bool
	// Watermark is the table's WATERMARK FOR declaration, if any.
	Watermark *Watermark
}

// Watermark says how event time advances on a source: the watermark is the
// largest time seen in column Column minus Delay (microseconds).
type Watermark struct {
	Column int
	Delay  int64
	// IdleTimeout leaves a split that has sent nothing for this long out of
	// the watermark, so one quiet partition does not hold every window open
	// ('scan.watermark.idle-timeout'; 0: never).
	IdleTimeout time.Duration
}

// SourceScan reads a connector table from its start positions.
type SourceScan struct {
	Ident  table.Identifier
	Alias  string
	Source *SourceTable
	schema *arrow.Schema
}

// NewSourceScan reads src, yielding its columns.
func NewSourceScan(id table.Identifier, alias string, src *SourceTable) *SourceScan {
	return &SourceScan{Ident: id, Alias: alias, Source: src, schema: src.Spec.Schema()}
}

func (s *SourceScan) Schema() *arrow.Schema { return s.schema }
func (*SourceScan) Children() []Node        { return nil }

// Unbounded finds the first unbounded connector table n reads, nil if none.
func Unbounded(n Node) *SourceScan {
	if s, ok := n.(*SourceScan); ok && !s.Source.Bounded {
		return s
	}
	for _, c := range n.Children() {
		if s := Unbounded(c); s != nil {
			return s
		}
	}
	return nil
}
