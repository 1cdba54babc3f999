package commit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake/objstore"
)

// Failpoints, in protocol order. A hook returning an error at one of them
// makes the ledger stop there, as a crash would.
const (
	FPAfterUpload    = "after-upload"    // files uploaded, no pre-commit record
	FPAfterPrepare   = "after-prepare"   // pre-commit record written, no catalog commit
	FPBeforeCatalog  = "before-catalog"  // about to send the catalog commit (each attempt)
	FPAfterCommit    = "after-commit"    // catalog commit done, no committed record
	FPAfterRecord    = "after-record"    // committed record written, caller not told
	FPRecoverClaimed = "recover-claimed" // generation claimed, tables not fenced
	FPRecoverFenced  = "recover-fenced"  // tables fenced, pending epochs not resolved
)

// Ledger commits one job's epochs exactly once. It is not safe for concurrent
// use: a job commits its epochs in order.
type Ledger struct {
	store objstore.Store
	cat   table.CatalogIO
	inCAS bool
	job   string
	hook  func(point string) error
	log   *slog.Logger
	// maxAttempts bounds the attempts of one epoch's commit; iceberg-go retries
	// conflicts inside each attempt (commit.retry.num-retries).
	maxAttempts int

	gen       uint64
	positions Positions
	state     string // of the last committed epoch
	watermark *int64
	next      uint64 // the next epoch number
}

// Option configures a Ledger.
type Option func(*Ledger)

// WithHook installs a failpoint hook (tests).
func WithHook(h func(point string) error) Option { return func(l *Ledger) { l.hook = h } }

// WithLogger sets the logger.
func WithLogger(log *slog.Logger) Option { return func(l *Ledger) { l.log = log } }

// WithMaxAttempts bounds the attempts per epoch commit (default 8).
func WithMaxAttempts(n int) Option { return func(l *Ledger) { l.maxAttempts = n } }

// New returns a ledger for job. cat is the catalog the job's tables live in;
// inCAS says it evaluates requirements inside its compare-and-swap (see the
// package doc). Call Recover before the first Commit.
func New(store objstore.Store, cat table.CatalogIO, inCAS bool, job string, opts ...Option) (*Ledger, error) {
	if err := validJob(job); err != nil {
		return nil, err
	}
	l := &Ledger{store: store, cat: cat, inCAS: inCAS, job: job, log: slog.Default(), maxAttempts: 8}
	for _, o := range opts {
		o(l)
	}
	return l, nil
}

func (l *Ledger) fail(point string) error {
	if l.hook == nil {
		return nil
	}
	return l.hook(point)
}

// Resume is where a recovered job continues.
type Resume struct {
	Generation uint64
	NextEpoch  uint64
	Positions  Positions // next position per source partition; absent = never read
	Finished   []uint64  // pending epochs that recovery committed or found committed
	// Aborted are pending epochs that can never commit (their position
	// deletes name data files a compaction or overwrite removed since)
	// and landed nowhere: their records are gone, and the job computes
	// them again from the positions and state below.
	Aborted []uint64
	// State and Watermark are those of the last committed epoch.
	State     string
	Watermark *int64
}

// Recover starts a new generation of the job on tables: it claims the next
// generation, fences every table against older ones, and resolves epochs that
// an earlier incarnation prepared but did not record as committed — finishing
// their commit with the same files, or recognising that it landed. It may be
// run again after it fails part-way.
func (l *Ledger) Recover(ctx context.Context, tables []table.Identifier) (*Resume, error) {
	recs, err := listJob(ctx, l.store, l.job)
	if err != nil {
		return nil, fmt.Errorf("job %s: list records: %w", l.job, err)
	}
	gen := recs.maxGeneration + 1
	for ; ; gen++ {
		err := l.store.CreateIfAbsent(ctx, generationsPrefix(l.job)+pad(gen), []byte(time.Now().UTC().Format(time.RFC3339Nano)))
		if errors.Is(err, objstore.ErrExists) {
			continue // a concurrent incarnation took it; the next one is ours
		}
		if err != nil {
			return nil, fmt.Errorf("job %s: claim generation %d: %w", l.job, gen, err)
		}
		break
	}
	l.gen = gen
	if err := l.fail(FPRecoverClaimed); err != nil {
		return nil, err
	}
	for _, id := range tables {
		if err := l.fence(ctx, id); err != nil {
			return nil, err
		}
	}
	if err := l.fail(FPRecoverFenced); err != nil {
		return nil, err
	}

	res := &Resume{Generation: gen}
	var last uint64
	for e := range recs.committed {
		last = max(last, e)
	}
	if last > 0 {
		var c Committed
		if err := readRecord(ctx, l.store, committedKey(l.job, last), &c); err != nil {
			return nil, fmt.Errorf("job %s: %w", l.job, err)
		}
		if err := l.checkNotRolledBack(ctx, c); err != nil {
			return nil, err
		}
		l.positions = c.Positions
		l.state, l.watermark = c.State, c.Watermark
	}
	pending := make([]uint64, 0, len(recs.prepared))
	for e := range recs.prepared {
		if e > last {
			pending = append(pending, e)
		}
	}
	slices.Sort(pending)
	for i, e := range pending {
		err := l.finish(ctx, e)
		if errors.Is(err, errAborted) {
			// Later epochs were computed on this one's output: none
			// landed either (epochs commit in order), and all go.
			for _, later := range pending[i:] {
				if err := l.abort(ctx, later); err != nil {
					return nil, err
				}
				res.Aborted = append(res.Aborted, later)
			}
			break
		}
		if err != nil {
			return nil, err
		}
		res.Finished = append(res.Finished, e)
		last = e
	}
	l.next = last + 1
	res.NextEpoch = l.next
	res.Positions = l.positions
	res.State, res.Watermark = l.state, l.watermark
	return res, nil
}

// fence sets the table's fence to this generation, refusing if a newer one
// got there first.
func (l *Ledger) fence(ctx context.Context, id table.Identifier) error {
	prop := FenceProperty(l.job)
	want := strconv.FormatUint(l.gen, 10)
	return l.retry(ctx, "fence "+identString(id), func(attempt int) (bool, error) {
		tbl, err := l.cat.LoadTable(ctx, id)
		if err != nil {
			return false, errkind.Wrap(errkind.Retryable, fmt.Errorf("load %s: %w", identString(id), err))
		}
		if tbl.Properties()[prop] == want {
			return true, nil // an earlier attempt landed
		}
		tx := withGuard(tbl, l.cat, fenceGuard{job: l.job, gen: l.gen}, l.inCAS).NewTransaction()
		if err := tx.SetProperties(iceberg.Properties{prop: want}); err != nil {
			return false, err
		}
		_, err = tx.Commit(ctx)
		return err == nil, classifyCommit(err)
	})
}

// BeginOneShot readies a ledger for a job that runs exactly once under a
// unique id (a batch INSERT): its single epoch 1 needs no generation claim or
// fence, since no other incarnation can exist. Retries within the statement
// are still deduplicated by the txid.
func (l *Ledger) BeginOneShot() {
	l.gen, l.next = 1, 1
}

// Target is what an epoch commits to one table.
type Target struct {
	Table table.Identifier
	Files []iceberg.DataFile
	// Replace, when set, makes the epoch an overwrite (INSERT OVERWRITE): the
	// live data and delete files it selects, judged against the table as it
	// is at commit time, leave in the same snapshot that adds Files. A
	// concurrent append that lands first is therefore replaced too, as the
	// statement asked; one that lands later survives.
	Replace func(iceberg.DataFile) bool
	// Deletes are position delete files committed in the same snapshot as
	// Files (a row delta): an upsert's retractions of rows it replaces. Each
	// names one live data file (see PositionDeleteFile). Not with Replace.
	Deletes []iceberg.DataFile
}

// work is what an epoch stages in one table.
type work struct {
	files, deletes []iceberg.DataFile
	replace        func(iceberg.DataFile) bool
}

// Result is the outcome of a commit. TxID and SnapshotID are the first
// table's; Tables has every table's.
type Result struct {
	TxID       string
	SnapshotID int64
	Tables     []CommittedTable
	// Duplicate is true when the epoch had already been committed (by this or an
	// earlier incarnation): nothing new became visible.
	Duplicate bool
}

// Commit makes epoch e visible in the target tables exactly once. The files
// must already be uploaded. e.Job and e.Generation are filled in by the ledger.
//
// Several targets commit in one catalog transaction, all or nothing, each
// table under its own txid and guard; the catalog must offer multi-table
// transactions (wharf's SQL catalog, or a REST catalog). A target with no
// files, no deletes and no Replace has nothing to make visible and is left
// out.
func (l *Ledger) Commit(ctx context.Context, e Epoch, targets ...Target) (Result, error) {
	if l.gen == 0 {
		return Result{}, errors.New("BUG: Ledger.Commit before Recover")
	}
	if e.Number != l.next {
		return Result{}, fmt.Errorf("BUG: epoch %d committed out of order (next is %d)", e.Number, l.next)
	}
	if len(targets) == 0 {
		return Result{}, errkind.Errorf(errkind.Fatal, "job %s epoch %d: no target table", l.job, e.Number)
	}
	if len(targets) > 1 {
		kept := slices.DeleteFunc(slices.Clone(targets), func(t Target) bool { return len(t.Files) == 0 && len(t.Deletes) == 0 && t.Replace == nil })
		if len(kept) == 0 {
			kept = targets[:1] // an empty epoch commits as a single-table one does
		}
		targets = kept
	}
	if err := l.checkMulti(len(targets)); err != nil {
		return Result{}, err
	}
	e.Job, e.Generation = l.job, l.gen
	if err := ValidateRanges(e.Sources); err != nil {
		return Result{}, errkind.Wrap(errkind.Fatal, err)
	}
	if err := l.fail(FPAfterUpload); err != nil {
		return Result{}, err
	}
	p := Prepared{Epoch: e}
	works := make([]work, len(targets))
	seen := map[string]bool{}
	for i, t := range targets {
		if seen[identString(t.Table)] {
			return Result{}, errkind.Errorf(errkind.Fatal, "job %s epoch %d: table %s is targeted twice", l.job, e.Number, identString(t.Table))
		}
		seen[identString(t.Table)] = true
		if len(t.Deletes) > 0 && t.Replace != nil {
			return Result{}, errkind.Errorf(errkind.Fatal, "job %s epoch %d: table %s: an overwrite cannot also carry position deletes", l.job, e.Number, identString(t.Table))
		}
		refs, err := deleteRefs(t.Deletes)
		if err != nil {
			return Result{}, err
		}
		tbl, err := l.cat.LoadTable(ctx, t.Table)
		if err != nil {
			return Result{}, errkind.Wrap(errkind.Retryable, fmt.Errorf("load %s: %w", identString(t.Table), err))
		}
		ref := TableRef{Ident: t.Table, UUID: tbl.Metadata().TableUUID().String()}
		pt := PreparedTable{TxID: TxID(l.job, ref.UUID, e.Number), Table: ref, Deletes: refs}
		for _, f := range t.Files {
			pt.Files = append(pt.Files, f.FilePath())
		}
		if i == 0 {
			p.PreparedTable = pt
		} else {
			p.Others = append(p.Others, pt)
		}
		works[i] = work{files: t.Files, deletes: t.Deletes, replace: t.Replace}
	}
	if err := createRecord(ctx, l.store, preparedKey(l.job, e.Number), p); err != nil {
		var ce *conflictError
		if errors.As(err, &ce) {
			// Another incarnation prepared this epoch: if it is newer, say so.
			if recs, lerr := listJob(ctx, l.store, l.job); lerr == nil && recs.maxGeneration > l.gen {
				return Result{}, errkind.Errorf(errkind.Fatal, "%w: job %s generation %d: generation %d has started", ErrFenced, l.job, l.gen, recs.maxGeneration)
			}
		}
		return Result{}, fmt.Errorf("job %s epoch %d: pre-commit record: %w", l.job, e.Number, err)
	}
	if err := l.fail(FPAfterPrepare); err != nil {
		return Result{}, err
	}
	res, err := l.commitPrepared(ctx, p, works)
	if errors.Is(err, ErrDeletedFileGone) {
		// It can never commit, and landed nowhere: its record goes, and
		// the job's next incarnation computes it again.
		if aerr := l.abort(ctx, e.Number); aerr != nil {
			return res, errors.Join(err, aerr)
		}
		return res, errkind.Errorf(errkind.Retryable, "epoch aborted, to be computed again from the last committed one: %w", err)
	}
	return res, err
}

// checkMulti refuses an epoch of n tables when the catalog cannot commit
// them atomically.
func (l *Ledger) checkMulti(n int) error {
	if n == 1 {
		return nil
	}
	if _, ok := l.cat.(catalog.TransactionalCatalog); !ok {
		return errkind.Errorf(errkind.Fatal, "job %s: an epoch of %d tables needs a catalog with multi-table transactions (wharf's SQL catalog or a REST catalog); this one has none", l.job, n)
	}
	return nil
}

// commitPrepared runs steps 3 and 4 of the protocol for a prepared epoch:
// works[i] belongs to its i-th table (Prepared.Tables).
func (l *Ledger) commitPrepared(ctx context.Context, p Prepared, works []work) (Result, error) {
	var res Result
	var tables []CommittedTable
	var err error
	if len(p.Others) == 0 {
		res, tables, err = l.commitOne(ctx, p, works[0])
	} else {
		res, tables, err = l.commitMany(ctx, p, works)
	}
	if err != nil {
		return res, fmt.Errorf("job %s epoch %d: %w", l.job, p.Epoch.Number, err)
	}
	if err := l.fail(FPAfterCommit); err != nil {
		return res, err
	}
	return res, l.record(ctx, p, tables)
}

// commitOne commits a single-table epoch through iceberg-go's transaction,
// whose refresh-and-replay absorbs conflicts with other writers.
func (l *Ledger) commitOne(ctx context.Context, p Prepared, w work) (Result, []CommittedTable, error) {
	e := p.Epoch
	e.Generation = l.gen // a recovering generation finishes an older one's epoch
	res := Result{TxID: p.TxID}
	var committed table.Metadata
	err := l.retry(ctx, fmt.Sprintf("commit epoch %d", e.Number), func(attempt int) (bool, error) {
		tbl, err := l.loadPrepared(ctx, p.PreparedTable)
		if err != nil {
			return false, err
		}
		if attempt > 0 {
			// The previous attempt's outcome may be unknown: look before retrying.
			f, err := FactsOf(tbl.Metadata(), l.job, 0, nil)
			if err != nil {
				return false, errkind.Wrap(errkind.Fatal, err)
			}
			if id, ok := findTxID(f, p.TxID); ok {
				res.SnapshotID, committed = id, tbl.Metadata()
				return true, nil
			}
		}
		g := guard{epoch: e, txid: p.TxID, floor: l.positions}
		tx := withGuard(tbl, l.cat, g, l.inCAS).NewTransaction()
		if err := stage(ctx, tx, tbl, w, e.Properties(p.TxID)); err != nil {
			// Manifest writes failed, or the files were refused: either way
			// nothing is committed, and a retry reconciles first.
			return false, errkind.Wrap(errkind.Ambiguous, fmt.Errorf("stage files: %w", err))
		}
		if err := l.fail(FPBeforeCatalog); err != nil {
			return false, err
		}
		after, err := tx.Commit(ctx)
		var dup *DuplicateError
		switch {
		case err == nil:
			committed = after.Metadata()
			res.SnapshotID = after.CurrentSnapshot().SnapshotID
			return true, nil
		case errors.As(err, &dup):
			res.SnapshotID, res.Duplicate = dup.SnapshotID, true
			committed = tbl.Metadata()
			return true, nil
		}
		return false, classifyCommit(err)
	})
	if err != nil {
		return res, nil, err
	}
	ct := committedTable(p.PreparedTable, res.SnapshotID, committed)
	res.Tables = []CommittedTable{ct}
	return res, res.Tables, nil
}

// commitMany commits a multi-table epoch in one catalog transaction. A
// conflict on any table fails the whole transaction, which the next attempt
// rebuilds from freshly loaded tables after looking for the txids: a
// multi-table commit has no refresh-and-replay inside iceberg-go.
func (l *Ledger) commitMany(ctx context.Context, p Prepared, works []work) (Result, []CommittedTable, error) {
	if err := l.checkMulti(len(p.Tables())); err != nil {
		return Result{}, nil, err
	}
	tc := l.cat.(catalog.TransactionalCatalog)
	e := p.Epoch
	e.Generation = l.gen
	res := Result{TxID: p.TxID}
	var tables []CommittedTable
	err := l.retry(ctx, fmt.Sprintf("commit epoch %d", e.Number), func(attempt int) (bool, error) {
		found, tbls, err := l.locate(ctx, p)
		if err != nil {
			return false, err
		}
		if found != nil {
			// Committed by an earlier attempt (then not a duplicate) or an
			// earlier incarnation.
			tables, res.Duplicate = found, attempt == 0
			return true, nil
		}
		commits := make([]table.TableCommit, len(tbls))
		for i, tbl := range tbls {
			pt := p.Tables()[i]
			g := guard{epoch: e, txid: pt.TxID, floor: l.positions}
			if !l.inCAS {
				// The requirement cannot travel to a REST catalog: check the
				// metadata just loaded, whose head the ref assertion pins.
				if err := g.Validate(tbl.Metadata()); err != nil {
					return false, l.duplicateIsAmbiguous(err)
				}
			}
			tx := tbl.NewTransaction()
			if err := stage(ctx, tx, tbl, works[i], e.Properties(pt.TxID)); err != nil {
				return false, errkind.Wrap(errkind.Ambiguous, fmt.Errorf("stage files of %s: %w", identString(pt.Table.Ident), err))
			}
			c, err := tx.TableCommit()
			if err != nil {
				return false, errkind.Wrap(errkind.Fatal, fmt.Errorf("commit of %s: %w", identString(pt.Table.Ident), err))
			}
			if l.inCAS {
				c.Requirements = append(c.Requirements, g)
			}
			commits[i] = c
		}
		if err := l.fail(FPBeforeCatalog); err != nil {
			return false, err
		}
		if err := tc.CommitTransaction(ctx, commits); err != nil {
			return false, l.duplicateIsAmbiguous(classifyCommit(err))
		}
		// The transaction answers no metadata: read the snapshot ids back.
		// Should that fail, the next attempt's locate does it.
		found, _, err = l.locate(ctx, p)
		if err == nil && found == nil {
			err = errkind.Errorf(errkind.Ambiguous, "the catalog accepted the commit but no table shows its txid")
		}
		if err != nil {
			return false, err
		}
		tables = found
		return true, nil
	})
	if err != nil {
		return res, nil, err
	}
	res.SnapshotID, res.Tables = tables[0].SnapshotID, tables
	return res, tables, nil
}

// duplicateIsAmbiguous turns a guard's duplicate verdict on one table of a
// multi-table epoch into an ambiguous outcome: the tables commit together, so
// the next attempt's locate finds the txid in every one of them.
func (l *Ledger) duplicateIsAmbiguous(err error) error {
	var dup *DuplicateError
	if errors.As(err, &dup) {
		return errkind.Wrap(errkind.Ambiguous, err)
	}
	return err
}

// locate loads the tables of a prepared multi-table epoch and looks for their
// txids. found lists every table's commit when the epoch is committed, and is
// nil when it is not; a txid present in some tables only is fatal, since the
// tables are only ever committed together.
func (l *Ledger) locate(ctx context.Context, p Prepared) (found []CommittedTable, tbls []*table.Table, err error) {
	var missing []string
	for _, pt := range p.Tables() {
		tbl, err := l.loadPrepared(ctx, pt)
		if err != nil {
			return nil, nil, err
		}
		f, err := FactsOf(tbl.Metadata(), l.job, 0, nil)
		if err != nil {
			return nil, nil, errkind.Wrap(errkind.Fatal, err)
		}
		if id, ok := findTxID(f, pt.TxID); ok {
			found = append(found, committedTable(pt, id, tbl.Metadata()))
		} else {
			missing = append(missing, identString(pt.Table.Ident))
		}
		tbls = append(tbls, tbl)
	}
	switch {
	case len(missing) == 0:
		return found, tbls, nil
	case len(found) == 0:
		return nil, tbls, nil
	}
	return nil, nil, errkind.Errorf(errkind.Fatal, "epoch %d is committed to %s but not to %s (expired or rolled back by another writer?)",
		p.Epoch.Number, identString(found[0].Table.Ident), strings.Join(missing, ", "))
}

// loadPrepared loads a prepared table and checks it is still the same table.
func (l *Ledger) loadPrepared(ctx context.Context, pt PreparedTable) (*table.Table, error) {
	tbl, err := l.cat.LoadTable(ctx, pt.Table.Ident)
	if err != nil {
		return nil, errkind.Wrap(errkind.Retryable, fmt.Errorf("load %s: %w", identString(pt.Table.Ident), err))
	}
	if got := tbl.Metadata().TableUUID().String(); got != pt.Table.UUID {
		return nil, errkind.Errorf(errkind.Fatal, "table %s was replaced (uuid %s, prepared against %s)", identString(pt.Table.Ident), got, pt.Table.UUID)
	}
	return tbl, nil
}

// committedTable is one table's part of a committed record. meta is the
// table's metadata after the commit; a snapshot missing from it (expired, so
// known only to the lineage index) leaves the sequence number 0.
func committedTable(pt PreparedTable, snapshotID int64, meta table.Metadata) CommittedTable {
	c := CommittedTable{TxID: pt.TxID, Table: pt.Table, SnapshotID: snapshotID}
	if meta != nil {
		if snap := meta.SnapshotByID(snapshotID); snap != nil {
			c.SequenceNumber = snap.SequenceNumber
		}
	}
	return c
}

// record writes the committed record of a prepared epoch (step 4) and moves
// the ledger past it.
func (l *Ledger) record(ctx context.Context, p Prepared, tables []CommittedTable) error {
	e := p.Epoch
	c := Committed{Epoch: e.Number, Generation: l.gen, CommittedTable: tables[0], Positions: l.positions.Advance(e.Sources),
		State: e.State, Watermark: e.Watermark}
	if len(tables) > 1 {
		c.Others = tables[1:]
	}
	if err := createRecord(ctx, l.store, committedKey(l.job, e.Number), c); err != nil {
		var ce *conflictError
		if !errors.As(err, &ce) {
			return fmt.Errorf("job %s epoch %d: committed record: %w", l.job, e.Number, err)
		}
		// An earlier incarnation recorded this epoch; its record stands.
		if err := readRecord(ctx, l.store, committedKey(l.job, e.Number), &c); err != nil {
			return err
		}
	}
	l.positions = c.Positions
	l.state, l.watermark = c.State, c.Watermark
	l.next = e.Number + 1
	return l.fail(FPAfterRecord)
}

// finish resolves a prepared epoch during recovery.
func (l *Ledger) finish(ctx context.Context, epoch uint64) error {
	var p Prepared
	if err := readRecord(ctx, l.store, preparedKey(l.job, epoch), &p); err != nil {
		return fmt.Errorf("job %s: %w", l.job, err)
	}
	if err := l.checkMulti(len(p.Tables())); err != nil {
		return err
	}
	found, tbls, err := l.locate(ctx, p)
	if err != nil {
		return fmt.Errorf("job %s epoch %d: %w", l.job, epoch, err)
	}
	if found != nil {
		// The commit landed before the crash: record it, commit nothing.
		return l.record(ctx, p, found)
	}
	// Not committed: rebuild the file entries from the uploaded files.
	works := make([]work, len(tbls))
	for i, tbl := range tbls {
		fs, err := tbl.FS(ctx)
		if err != nil {
			return err
		}
		for _, path := range p.Tables()[i].Files {
			df, err := table.FileToDataFile(ctx, fs, path, tbl.Schema(), tbl.Spec(), 0, tbl.Properties())
			if err != nil {
				return fmt.Errorf("job %s epoch %d: prepared file %s: %w", l.job, epoch, path, err)
			}
			works[i].files = append(works[i].files, df)
		}
		if works[i].deletes, err = rebuildDeletes(ctx, tbl, p.Tables()[i].Deletes); err != nil {
			if errors.Is(err, ErrDeletedFileGone) {
				return errAborted
			}
			return fmt.Errorf("job %s epoch %d: %w", l.job, epoch, err)
		}
	}
	l.next = epoch
	_, err = l.commitPrepared(ctx, p, works)
	if errors.Is(err, ErrDeletedFileGone) {
		// Validation refused it before the catalog saw it, and every
		// earlier attempt was looked for first: it landed nowhere.
		return errAborted
	}
	return err
}

// errAborted: finish found the epoch can never commit and landed nowhere.
var errAborted = errors.New("epoch aborted")

// abort removes the records of a pending epoch that landed nowhere, so the
// job computes it again. Its uploaded files become orphans.
func (l *Ledger) abort(ctx context.Context, epoch uint64) error {
	var p Prepared
	if err := readRecord(ctx, l.store, preparedKey(l.job, epoch), &p); err != nil {
		return fmt.Errorf("job %s: %w", l.job, err)
	}
	found, _, err := l.locate(ctx, p)
	if err != nil {
		return fmt.Errorf("job %s epoch %d: %w", l.job, epoch, err)
	}
	if found != nil {
		return errkind.Errorf(errkind.Fatal, "BUG: job %s epoch %d: aborting an epoch that landed", l.job, epoch)
	}
	if err := l.store.Delete(ctx, preparedKey(l.job, epoch)); err != nil {
		return fmt.Errorf("job %s epoch %d: remove the prepared record: %w", l.job, epoch, err)
	}
	return nil
}

// checkNotRolledBack refuses to continue on a table whose main branch no
// longer contains the job's last recorded commit (C6): recommitting on top of
// a rollback would silently resurrect or lose data.
func (l *Ledger) checkNotRolledBack(ctx context.Context, c Committed) error {
	for _, ct := range c.Tables() {
		if err := l.checkTableNotRolledBack(ctx, c.Epoch, ct); err != nil {
			return err
		}
	}
	return nil
}

func (l *Ledger) checkTableNotRolledBack(ctx context.Context, epoch uint64, c CommittedTable) error {
	tbl, err := l.cat.LoadTable(ctx, c.Table.Ident)
	if err != nil {
		return fmt.Errorf("job %s: load %s: %w", l.job, identString(c.Table.Ident), err)
	}
	meta := tbl.Metadata()
	head := meta.CurrentSnapshot()
	if meta.SnapshotByID(c.SnapshotID) != nil {
		if head == nil || !table.IsAncestorOf(head.SnapshotID, c.SnapshotID, meta.SnapshotByID) {
			return errkind.Errorf(errkind.Fatal, "%w: job %s committed snapshot %d (epoch %d) to %s, which is no longer on its main branch",
				ErrRolledBack, l.job, c.SnapshotID, epoch, identString(c.Table.Ident))
		}
		return nil
	}
	// Expired: sequence numbers only grow, so a head below ours went back.
	if head == nil || head.SequenceNumber < c.SequenceNumber {
		return errkind.Errorf(errkind.Fatal, "%w: job %s committed sequence number %d (epoch %d) to %s, but its head is older",
			ErrRolledBack, l.job, c.SequenceNumber, epoch, identString(c.Table.Ident))
	}
	return nil
}

// retry runs op until it reports done, a fatal error, or the attempts run out.
// Retryable and ambiguous errors are retried with jittered backoff; op itself
// reconciles an ambiguous outcome at the start of the next attempt.
func (l *Ledger) retry(ctx context.Context, what string, op func(attempt int) (bool, error)) error {
	var last error
	for attempt := 0; attempt < l.maxAttempts; attempt++ {
		if attempt > 0 {
			d := min(time.Duration(1<<min(attempt, 10))*20*time.Millisecond, 5*time.Second)
			d = d/2 + rand.N(d/2+1)
			l.log.Warn("ledger retry", "job", l.job, "op", what, "attempt", attempt, "wait", d, "err", last)
			select {
			case <-ctx.Done():
				return errors.Join(ctx.Err(), last)
			case <-time.After(d):
			}
		}
		done, err := op(attempt)
		if done {
			return nil
		}
		if err == nil {
			return fmt.Errorf("BUG: %s: not done and no error", what)
		}
		if k := errkind.Of(err); k != errkind.Retryable && k != errkind.Ambiguous {
			return err
		}
		last = err
	}
	// Still retryable: the caller may replay the whole epoch later; its txid
	// does not change, so a late landing of any attempt is still found.
	return errkind.Wrap(errkind.Retryable, fmt.Errorf("%s: gave up after %d attempts: %w", what, l.maxAttempts, last))
}

// classifyCommit classifies an error from an Iceberg commit.
func classifyCommit(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrFenced) || errors.Is(err, ErrStale) || errors.Is(err, ErrDiscontiguous):
		return err // the guard's verdict, already fatal
	case errors.Is(err, table.ErrDataFilesMissing):
		// A concurrent commit removed a data file the epoch deletes from:
		// the same deletes can never apply.
		return errkind.Wrap(errkind.Fatal, fmt.Errorf("%w: %w", ErrDeletedFileGone, err))
	case errors.Is(err, table.ErrCommitFailed):
		// A clean conflict: iceberg-go's own retries ran out; nothing landed.
		return errkind.Wrap(errkind.Retryable, err)
	default:
		// Timeouts, 5xx, broken connections: the commit may have landed. The
		// next attempt reloads and looks before it writes again.
		return errkind.Wrap(errkind.Ambiguous, err)
	}
}

func findTxID(f Facts, txid string) (int64, bool) {
	for _, s := range f.Ancestry {
		if s.TxID == txid {
			return s.ID, true
		}
	}
	return 0, false
}

func identString(id table.Identifier) string {
	s := ""
	for i, p := range id {
		if i > 0 {
			s += "."
		}
		s += p
	}
	return s
}

// Generation is the ledger's generation (0 before Recover).
func (l *Ledger) Generation() uint64 { return l.gen }

// Positions is the job's committed positions.
func (l *Ledger) Positions() Positions { return l.positions }

// stage adds an epoch's files to tx: with position deletes as one row
// delta, and for an overwrite also removing the live files that replace
// selects, all in one snapshot.
func stage(ctx context.Context, tx *table.Transaction, tbl *table.Table, w work, props iceberg.Properties) error {
	files, replace := w.files, w.replace
	if len(files) == 0 && len(w.deletes) == 0 && replace == nil {
		return emptySnapshot(ctx, tx, tbl, props)
	}
	if len(w.deletes) > 0 {
		return tx.NewRowDelta(props).AddRows(files...).AddDeletes(w.deletes...).Commit(ctx)
	}
	if replace == nil {
		return tx.AddDataFiles(ctx, files, props)
	}
	var data, deletes []iceberg.DataFile
	for df, err := range LiveFiles(ctx, tbl) {
		if err != nil {
			return err
		}
		if replace(df) {
			if df.ContentType() == iceberg.EntryContentData {
				data = append(data, df)
			} else {
				deletes = append(deletes, df)
			}
		}
	}
	if len(data) == 0 && len(deletes) == 0 {
		return tx.AddDataFiles(ctx, files, props)
	}
	return tx.ReplaceFiles(ctx, data, files, deletes, props)
}

// emptySnapshot stages a snapshot that changes no data: an epoch that
// consumed input but produced no rows still commits its positions, state
// and lineage (as Flink's Iceberg sink commits an empty snapshot after
// max-continuous-empty-commits), and a batch statement of no rows is
// recorded like any other. iceberg-go makes a snapshot only through an
// append, so it appends from a reader of no batches: no file is written.
func emptySnapshot(ctx context.Context, tx *table.Transaction, tbl *table.Table, props iceberg.Properties) error {
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		return err
	}
	rdr, err := array.NewRecordReader(sc, nil)
	if err != nil {
		return err
	}
	defer rdr.Release()
	return tx.Append(ctx, rdr, props)
}
