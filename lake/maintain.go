package lake

import (
	"context"

	"github.com/apache/iceberg-go/table"
)

// ExpireSnapshots removes all but the newest retainLast snapshots of the main
// branch. wharf's source positions survive it: they live in the job's
// committed records as well as in snapshot summaries (F3).
func ExpireSnapshots(ctx context.Context, tbl *table.Table, retainLast int) (*table.Table, error) {
	tx := tbl.NewTransaction()
	if err := tx.ExpireSnapshots(table.WithRetainLast(retainLast), table.WithOlderThan(0)); err != nil {
		return nil, err
	}
	return tx.Commit(ctx)
}
