package exec

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/internal/errkind"
)

// DefaultLookupCacheTTL is how often a lookup join checks its table for a
// newer snapshot between barriers (Flink's lookup.cache.ttl).
const DefaultLookupCacheTTL = 10 * time.Second

// LookupJoinOptions tune a LookupJoin.
type LookupJoinOptions struct {
	// CacheTTL: between barriers, the table is checked for a newer
	// snapshot when the last check is older than this; 0 is
	// DefaultLookupCacheTTL. Every barrier checks too.
	CacheTTL time.Duration
	Now      func() time.Time // nil: time.Now
}

// LookupJoin is a continuous job's lookup join (plan.Join with Lookup):
// the table on the right is read at its current snapshot into a HashJoin's
// table (the batch join's build side, keyed on the join keys), and each
// input batch probes it. When the table has a newer snapshot, the table is
// read again and later rows see the new rows; rows joined before are not
// revised, as in Flink. It keeps no state a restart needs: the table is
// read afresh.
type LookupJoin struct {
	join     *plan.Join
	ev       *expr.EvalContext
	opt      LookupJoinOptions
	tbl      *table.Table
	snapshot int64 // of the table held; -1 before the first read
	hj       *HashJoin
	checked  time.Time
	reloads  int
}

// NewLookupJoin returns the lookup join of j, whose right side is a
// plan.Scan, possibly under filters and projections.
func NewLookupJoin(j *plan.Join, opt LookupJoinOptions, ev *expr.EvalContext) (*LookupJoin, error) {
	if !j.Lookup || (j.Kind != plan.JoinInner && j.Kind != plan.JoinLeft) {
		return nil, fmt.Errorf("BUG: NewLookupJoin of a %s join (lookup %v)", j.Kind, j.Lookup)
	}
	scan := lookupScan(j.Right)
	if scan == nil {
		return nil, fmt.Errorf("BUG: lookup join over %T, not an Iceberg table", j.Right)
	}
	if opt.CacheTTL <= 0 {
		opt.CacheTTL = DefaultLookupCacheTTL
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &LookupJoin{join: j, ev: ev, opt: opt, tbl: scan.Table, snapshot: -1}, nil
}

// lookupScan finds the scan under the filters and projections of n.
func lookupScan(n plan.Node) *plan.Scan {
	switch n := n.(type) {
	case *plan.Scan:
		return n
	case *plan.Filter:
		return lookupScan(n.Input)
	case *plan.Project:
		return lookupScan(n.Input)
	}
	return nil
}

// withTable is n with its scan reading tbl.
func withTable(n plan.Node, tbl *table.Table) plan.Node {
	switch n := n.(type) {
	case *plan.Scan:
		s := *n
		s.Table = tbl
		return &s
	case *plan.Filter:
		f := *n
		f.Input = withTable(n.Input, tbl)
		return &f
	case *plan.Project:
		p := *n
		p.Input = withTable(n.Input, tbl)
		return &p
	}
	return n
}

// refresh reloads the table's metadata and, when its snapshot changed (or
// nothing was read yet), rebuilds the join over the new snapshot.
func (l *LookupJoin) refresh(ctx context.Context) error {
	l.checked = l.opt.Now()
	fresh := *l.tbl
	if err := fresh.Refresh(ctx); err != nil {
		return errkind.Wrap(errkind.Retryable, fmt.Errorf("lookup join: reloading %v: %w", l.tbl.Identifier(), err))
	}
	snap := int64(0)
	if s := fresh.CurrentSnapshot(); s != nil {
		snap = s.SnapshotID
	}
	if snap == l.snapshot && l.hj != nil {
		return nil
	}
	j := *l.join
	j.Right = withTable(l.join.Right, &fresh)
	hj, err := buildJoin(ctx, &j, l.ev)
	if err != nil {
		return err
	}
	// Read the table now, not at the next batch, so that a reload costs
	// the barrier rather than a batch's latency.
	if err := hj.buildTable(ctx); err != nil {
		hj.Close()
		return err
	}
	if l.hj != nil {
		l.hj.Close()
		l.reloads++
	}
	l.hj, l.tbl, l.snapshot = hj, &fresh, snap
	return nil
}

func (l *LookupJoin) Process(ctx context.Context, b arrow.RecordBatch, out Emitter) error {
	if RowKinds(b) != nil {
		return fmt.Errorf("a lookup join over a changelog input (one that updates its rows) is not supported yet")
	}
	if l.hj == nil || l.opt.Now().Sub(l.checked) >= l.opt.CacheTTL {
		if err := l.refresh(ctx); err != nil {
			return err
		}
	}
	return l.hj.Process(ctx, b, out)
}

// OnBarrier checks the table for a newer snapshot.
func (l *LookupJoin) OnBarrier(ctx context.Context, _ uint64, _ Emitter) error {
	return l.refresh(ctx)
}

// Finish: the table's unmatched rows are never emitted (INNER or LEFT).
func (l *LookupJoin) Finish(context.Context, Emitter) error { return nil }

func (l *LookupJoin) Close() {
	if l.hj != nil {
		l.hj.Close()
		l.hj = nil
	}
}

// Snapshot is the table snapshot the join reads, and how many times it
// read a newer one.
func (l *LookupJoin) Snapshot() (id int64, reloads int) { return l.snapshot, l.reloads }

// StateBytes is the table held.
func (l *LookupJoin) StateBytes() int64 {
	if l.hj == nil {
		return 0
	}
	n := l.hj.charged
	for _, c := range l.hj.buildCols {
		n += int64(c.Data().SizeInBytes())
	}
	return n
}
