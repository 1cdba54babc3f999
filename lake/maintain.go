package lake

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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
// (0: the table's target file size) and commits them as one replace snapshot,
// which a changelog reader sees as no change.
//
// The rewrite is written once and its commit rebased onto whatever appends
// land meanwhile: a writer committing every few hundred milliseconds would
// otherwise win every race against a rewrite that takes longer than that. Any
// other concurrent change (a delete, an overwrite, another rewrite, expiry
// of the planned snapshot) may touch the files being rewritten; the outputs
// are then removed and the rewrite planned again from the new head, up to
// compactAttempts times. A rewrite that loses rebaseAttempts commit races in
// a row gives up with table.ErrCommitFailed, its outputs removed.
func (w *Warehouse) Compact(ctx context.Context, id table.Identifier, targetSize int64) (*table.RewriteResult, error) {
	var err error
	for attempt := 0; attempt < compactAttempts; attempt++ {
		var res *table.RewriteResult
		res, err = w.compactOnce(ctx, id, targetSize)
		if !errors.Is(err, errStaleRewrite) {
			return res, err
		}
	}
	return nil, fmt.Errorf("compact %v: gave up after %d plans: %w", id, compactAttempts, err)
}

const (
	compactAttempts = 5
	// rebaseAttempts bounds the commits of one written rewrite; each is a
	// reload and a manifest list, far cheaper than the rewrite.
	rebaseAttempts = 30
)

// errStaleRewrite: a concurrent change other than an append landed after the
// rewrite was planned.
var errStaleRewrite = errors.New("the table changed under the rewrite")

// afterCompactPlan, when set (tests only), runs between a compaction's
// rewrite and its commit: where a concurrent append forces a rebase.
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
	res := &table.RewriteResult{Table: tbl}
	if len(plan.Groups) == 0 {
		return res, nil
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	var written []table.CompactionGroupResult
	// Until a commit is attempted whose outcome is unknown, nothing can
	// reference the outputs: they are removed on every early return.
	committing := false
	defer func() {
		if committing {
			return
		}
		for _, gr := range written {
			for _, f := range gr.NewDataFiles {
				_ = fs.Remove(f.FilePath())
			}
		}
	}()
	for _, g := range plan.Groups {
		gr, err := table.ExecuteCompactionGroup(ctx, tbl, table.CompactionTaskGroup{PartitionKey: g.PartitionKey, Tasks: g.Tasks, TotalSizeBytes: g.TotalSizeBytes})
		if err != nil {
			return nil, fmt.Errorf("compact %v: rewrite partition %q: %w", id, g.PartitionKey, err)
		}
		if len(gr.OldDataFiles) == 0 && len(gr.NewDataFiles) == 0 {
			continue
		}
		written = append(written, gr)
		res.RewrittenGroups++
		res.AddedDataFiles += len(gr.NewDataFiles)
		res.RemovedDataFiles += len(gr.OldDataFiles)
		res.RemovedPositionDeleteFiles += len(gr.SafePosDeletes)
		res.RemovedDeletionVectorFiles += len(gr.SafeDeletionVectors)
		res.BytesBefore += gr.BytesBefore
		res.BytesAfter += gr.BytesAfter
	}
	if len(written) == 0 {
		return res, nil
	}
	if afterCompactPlan != nil {
		afterCompactPlan()
	}
	planned := tbl.CurrentSnapshot().SnapshotID
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			head, err := w.LoadTable(ctx, id)
			if err != nil {
				return nil, err
			}
			if err := rebaseOver(head.Metadata(), planned); err != nil {
				return nil, fmt.Errorf("compact %v: %w", id, err)
			}
			tbl = head
		}
		tx := tbl.NewTransaction()
		rw := tx.NewRewrite(nil)
		for _, gr := range written {
			rw.ApplyResult(gr)
		}
		if err := rw.Commit(ctx); err != nil {
			return nil, fmt.Errorf("compact %v: stage rewrite: %w", id, err)
		}
		committing = true
		next, err := tx.Commit(ctx)
		if next != nil || err == nil {
			res.Table = next
			return res, err
		}
		if !errors.Is(err, table.ErrCommitFailed) {
			// Unknown outcome: the outputs may be live now. Orphan
			// cleanup removes them if they are not.
			return nil, fmt.Errorf("compact %v: commit outcome unknown: %w", id, err)
		}
		committing = false
		if attempt+1 == rebaseAttempts {
			return nil, fmt.Errorf("compact %v: lost the commit race %d times: %w", id, rebaseAttempts, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}

// rebaseOver says whether a rewrite planned at snapshot planned may commit
// onto meta's head: only if every snapshot since is an append, which adds
// files and touches none of those rewritten.
func rebaseOver(meta table.Metadata, planned int64) error {
	head := meta.CurrentSnapshot()
	if head == nil {
		return fmt.Errorf("%w: the table has no snapshot", errStaleRewrite)
	}
	for _, s := range table.AncestorsOf(head.SnapshotID, meta.SnapshotByID) {
		if s.SnapshotID == planned {
			return nil
		}
		if s.Summary == nil || s.Summary.Operation != table.OpAppend {
			op := "unknown"
			if s.Summary != nil {
				op = string(s.Summary.Operation)
			}
			return fmt.Errorf("%w: snapshot %d (%s) landed after it was planned", errStaleRewrite, s.SnapshotID, op)
		}
	}
	return fmt.Errorf("%w: the snapshot it was planned from (%d) is no longer an ancestor of the head", errStaleRewrite, planned)
}
