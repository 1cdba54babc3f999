package lake

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/compaction"

	"github.com/wharfdata/wharf/lake/commit"
)

// ExpireSnapshots removes all but the newest retainLast snapshots of the main
// branch, older than olderThan. It keeps, beyond that, any snapshot that
// carries an epoch whose commit the job has not yet recorded: recovery must
// still find its txid there, or it would commit the epoch twice. Source
// positions survive expiry anyway: they are in the jobs' committed records (F3).
func (w *Warehouse) ExpireSnapshots(ctx context.Context, id table.Identifier, retainLast int, olderThan time.Duration) (*table.Table, error) {
	tbl, err := w.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	pending, err := commit.Pending(ctx, w.records)
	if err != nil {
		return nil, fmt.Errorf("expire %v: read pending commits: %w", id, err)
	}
	keep := keepDepth(tbl.Metadata(), pending)
	tx := tbl.NewTransaction()
	if err := tx.ExpireSnapshots(table.WithRetainLast(max(retainLast, keep)), table.WithOlderThan(olderThan)); err != nil {
		return nil, err
	}
	return tx.Commit(ctx)
}

// keepDepth is how many main-branch snapshots, newest first, must stay so that
// every pending epoch's snapshot does.
func keepDepth(meta table.Metadata, pending []commit.Prepared) int {
	txids := map[string]bool{}
	for _, p := range pending {
		for _, pt := range p.Tables() {
			if pt.Table.UUID == meta.TableUUID().String() {
				txids[pt.TxID] = true
			}
		}
	}
	head := meta.CurrentSnapshot()
	if head == nil || len(txids) == 0 {
		return 0
	}
	keep := 0
	for i, s := range table.AncestorsOf(head.SnapshotID, meta.SnapshotByID) {
		if s.Summary != nil && txids[s.Summary.Properties[commit.KeyTxID]] {
			keep = i + 1
		}
	}
	return keep
}

// MinOrphanAge is the youngest a file may be to count as an orphan: a writer
// uploads data files before it writes its prepared record, so a younger
// unreferenced file may belong to a commit in flight.
const MinOrphanAge = time.Hour

// RemoveOrphans deletes files under the table's location that no snapshot
// references, are older than olderThan (at least MinOrphanAge), and belong to
// no pending commit. It returns the files it deleted.
func (w *Warehouse) RemoveOrphans(ctx context.Context, id table.Identifier, olderThan time.Duration) ([]string, error) {
	return w.removeOrphans(ctx, id, max(olderThan, MinOrphanAge))
}

func (w *Warehouse) removeOrphans(ctx context.Context, id table.Identifier, olderThan time.Duration) ([]string, error) {
	tbl, err := w.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	pending, err := commit.Pending(ctx, w.records)
	if err != nil {
		return nil, fmt.Errorf("orphans %v: read pending commits: %w", id, err)
	}
	inFlight := map[string]bool{}
	for _, p := range pending {
		for _, pt := range p.Tables() {
			for _, f := range pt.Files {
				inFlight[f] = true
			}
			for _, d := range pt.Deletes {
				inFlight[d.Path] = true
			}
		}
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := tbl.PlanOrphanFiles(ctx, table.WithFilesOlderThan(olderThan))
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, path := range plan.Files() {
		if inFlight[path] {
			continue
		}
		if err := fs.Remove(path); err != nil {
			return deleted, fmt.Errorf("remove orphan %s: %w", path, err)
		}
		deleted = append(deleted, path)
	}
	return deleted, nil
}

// Compact rewrites the table's small files into files of about targetSize
// (0: the table's target file size). The rewrite commits as a replace
// snapshot: a concurrent append is rebased onto it by the catalog retry, and a
// changelog reader sees no change.
//
// Under a busy writer the rewrite can lose the race for the branch head more
// often than iceberg-go retries; it is then planned again from the new head,
// up to compactAttempts times.
func (w *Warehouse) Compact(ctx context.Context, id table.Identifier, targetSize int64) (*table.RewriteResult, error) {
	var err error
	for attempt := 0; attempt < compactAttempts; attempt++ {
		var res *table.RewriteResult
		res, err = w.compactOnce(ctx, id, targetSize)
		if !errors.Is(err, table.ErrCommitFailed) {
			return res, err
		}
	}
	return nil, fmt.Errorf("compact %v: lost the commit race %d times: %w", id, compactAttempts, err)
}

const compactAttempts = 5

// afterCompactPlan, when set (tests only), runs between a compaction's
// planning and its commit: where a concurrent append forces a rebase.
var afterCompactPlan func()

func (w *Warehouse) compactOnce(ctx context.Context, id table.Identifier, targetSize int64) (*table.RewriteResult, error) {
	tbl, err := w.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	cfg := compaction.DefaultConfig()
	if targetSize > 0 {
		cfg.TargetFileSizeBytes = targetSize
		cfg.MinFileSizeBytes = targetSize * 3 / 4
		cfg.MaxFileSizeBytes = targetSize * 9 / 5
	}
	cfg.MinInputFiles = 2
	plan, err := compaction.Analyze(ctx, tbl, cfg)
	if err != nil {
		return nil, err
	}
	groups := make([]table.CompactionTaskGroup, 0, len(plan.Groups))
	for _, g := range plan.Groups {
		groups = append(groups, table.CompactionTaskGroup{PartitionKey: g.PartitionKey, Tasks: g.Tasks, TotalSizeBytes: g.TotalSizeBytes})
	}
	if len(groups) == 0 {
		return &table.RewriteResult{Table: tbl}, nil
	}
	if afterCompactPlan != nil {
		afterCompactPlan()
	}
	return tbl.RewriteDataFiles(ctx, groups, table.RewriteDataFilesOptions{})
}
