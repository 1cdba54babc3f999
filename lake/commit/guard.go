package commit

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/errkind"
)

// Errors a commit ends with when it must not (or need not) proceed.
var (
	// ErrFenced: a newer generation owns the job. Fatal for this writer.
	ErrFenced = errors.New("fenced by a newer generation")
	// ErrStale: a later epoch of the job is committed. Fatal.
	ErrStale = errors.New("stale epoch")
	// ErrDiscontiguous: the epoch's ranges leave a gap or overlap. Fatal.
	ErrDiscontiguous = errors.New("source ranges not contiguous")
	// ErrRolledBack: the table no longer contains the job's last commit.
	ErrRolledBack = errors.New("table rolled back behind the job's last commit")
)

// DuplicateError reports that the epoch is already committed.
type DuplicateError struct {
	SnapshotID int64
	Reason     string
}

func (e *DuplicateError) Error() string { return e.Reason }

// decisionError turns a non-Proceed decision into its error.
func decisionError(d Decision) error {
	switch d.Verdict {
	case Proceed:
		return nil
	case Duplicate:
		return &DuplicateError{SnapshotID: d.SnapshotID, Reason: d.Reason}
	case Fenced:
		return errkind.Wrap(errkind.Fatal, fmt.Errorf("%w: %s", ErrFenced, d.Reason))
	case Stale:
		return errkind.Wrap(errkind.Fatal, fmt.Errorf("%w: %s", ErrStale, d.Reason))
	default:
		return errkind.Wrap(errkind.Fatal, fmt.Errorf("%w: %s", ErrDiscontiguous, d.Reason))
	}
}

// FactsOf reads the facts Decide needs for job from table metadata: the main
// branch's ancestry (down to the job's newest epoch below `below`, when
// below > 0) and the job's fence.
func FactsOf(meta table.Metadata, job string, below uint64, floor Positions) (Facts, error) {
	f := Facts{Floor: floor}
	if v := meta.Properties()[FenceProperty(job)]; v != "" {
		g, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return f, fmt.Errorf("table property %s: bad generation %q", FenceProperty(job), v)
		}
		f.Fence = g
	}
	head := meta.CurrentSnapshot()
	if head == nil {
		return f, nil
	}
	for _, s := range table.AncestorsOf(head.SnapshotID, meta.SnapshotByID) {
		var props map[string]string
		if s.Summary != nil {
			props = s.Summary.Properties
		}
		sn, err := ParseSnap(s.SnapshotID, s.SequenceNumber, props)
		if err != nil {
			return f, err
		}
		f.Ancestry = append(f.Ancestry, sn)
		if below > 0 && sn.Job == job && sn.TxID != "" && sn.Epoch < below {
			break
		}
	}
	return f, nil
}

// guard is the ledger's check as an Iceberg requirement, so that the SQL
// catalog evaluates it against the very metadata its compare-and-swap replaces.
type guard struct {
	epoch Epoch
	txid  string
	floor Positions
}

func (g guard) GetType() string { return "wharf-ledger-guard" }

func (g guard) Validate(meta table.Metadata) error {
	if meta == nil {
		return nil // table creation: nothing can be committed yet
	}
	f, err := FactsOf(meta, g.epoch.Job, g.epoch.Number, g.floor)
	if err != nil {
		return errkind.Wrap(errkind.Fatal, err)
	}
	return decisionError(Decide(g.epoch, g.txid, f))
}

// fenceGuard admits a fence update only while no newer generation holds the
// table.
type fenceGuard struct {
	job string
	gen uint64
}

func (g fenceGuard) GetType() string { return "wharf-fence-guard" }

func (g fenceGuard) Validate(meta table.Metadata) error {
	f, err := FactsOf(meta, g.job, 0, nil)
	if err != nil {
		return errkind.Wrap(errkind.Fatal, err)
	}
	if f.Fence >= g.gen {
		return errkind.Wrap(errkind.Fatal, fmt.Errorf("%w: job %s generation %d: the table is fenced at generation %d", ErrFenced, g.job, g.gen, f.Fence))
	}
	return nil
}

// guardedCatalog adds a requirement to every commit of a table.
//
// inCAS says the inner catalog evaluates requirements in-process against the
// metadata it swaps (wharf's SQL catalog). Otherwise (REST) the
// requirement cannot travel, so it is checked here against freshly loaded
// metadata, whose main-branch snapshot iceberg-go's own ref assertion pins.
type guardedCatalog struct {
	inner table.CatalogIO
	req   table.Requirement
	inCAS bool
}

func (c guardedCatalog) LoadTable(ctx context.Context, ident table.Identifier) (*table.Table, error) {
	return c.inner.LoadTable(ctx, ident)
}

func (c guardedCatalog) CommitTable(ctx context.Context, ident table.Identifier, reqs []table.Requirement, updates []table.Update) (table.Metadata, string, error) {
	if c.inCAS {
		return c.inner.CommitTable(ctx, ident, append(reqs, c.req), updates)
	}
	fresh, err := c.inner.LoadTable(ctx, ident)
	if err != nil {
		return nil, "", errkind.Wrap(errkind.Retryable, fmt.Errorf("reload before commit: %w", err))
	}
	if err := c.req.Validate(fresh.Metadata()); err != nil {
		return nil, "", err
	}
	return c.inner.CommitTable(ctx, ident, reqs, updates)
}

// withGuard returns tbl whose commits go through a guarded catalog.
func withGuard(tbl *table.Table, cat table.CatalogIO, req table.Requirement, inCAS bool) *table.Table {
	return table.New(tbl.Identifier(), tbl.Metadata(), tbl.MetadataLocation(), tbl.FS,
		guardedCatalog{inner: cat, req: req, inCAS: inCAS})
}
