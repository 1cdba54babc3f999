package lake

import (
	"context"

	"github.com/apache/iceberg-go/table"
)

// RemoveOrphansNow is RemoveOrphans without the minimum age, for tests that
// control every writer.
var RemoveOrphansNow = (*Warehouse).removeOrphans

// SetAfterCompactPlan installs a hook between a compaction's planning and its
// commit; nil removes it.
func SetAfterCompactPlan(f func()) { afterCompactPlan = f }

// PlanScanWith is PlanScan over the given manifest cache.
var PlanScanWith = planScan

// PlanFiles is iceberg-go's own planning of what PlanScan plans: the
// reference the cached planning must match.
func PlanFiles(ctx context.Context, tbl *table.Table, opts ScanOptions) ([]table.FileScanTask, error) {
	ps, err := planScan(ctx, tbl, opts, nil)
	if err != nil {
		return nil, err
	}
	return ps.tasks, nil
}

// Tasks are a planned scan's tasks.
func (p *PlannedScan) Tasks() []table.FileScanTask { return p.tasks }
