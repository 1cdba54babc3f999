package restcat

import (
	"compress/gzip"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/klauspost/compress/zstd"
)

// TableChange is one table's part of a commit: requirements checked against
// its current metadata, then updates applied to it.
type TableChange struct {
	Ident        table.Identifier
	Requirements []table.Requirement
	Updates      []table.Update
}

// staged is one table change made ready for the swap: its new metadata is
// written at newLoc; oldLoc is what the pointer must still be ("" = create).
type staged struct {
	ident    table.Identifier
	ns, name string
	oldLoc   string
	newLoc   string
	meta     table.Metadata
	noop     bool // nothing changed: validated, not swapped
	written  bool // newLoc was written by this attempt
	lineage  []Lineage
}

// restRequirements are the requirement types of the REST spec; any other
// type can only come from an in-process caller.
var restRequirements = map[string]bool{
	"assert-create": true, "assert-table-uuid": true, "assert-ref-snapshot-id": true,
	"assert-default-spec-id": true, "assert-current-schema-id": true, "assert-default-sort-order-id": true,
	"assert-last-assigned-field-id": true, "assert-last-assigned-partition-id": true,
}

// errCASMiss: a pointer moved between staging and the swap.
var errCASMiss = errors.New("metadata location moved during commit")

// Commit applies changes to their tables atomically: each table's
// requirements are checked against its current metadata, its updates applied
// and written to a new metadata file, and then every table's pointer is
// swapped in one database transaction, each guarded by the location the
// requirements were checked against. Any failed requirement or moved pointer
// rolls back every swap. A pointer that moved is re-read and the commit
// re-validated, up to the retry count; a failed requirement is final.
//
// Errors: table.ErrCommitFailed (conflict; nothing applied), ErrLineage
// (the lineage index refuses it; nothing applied), the unchanged error of a
// failed requirement of a type outside the REST spec, catalog
// sentinels for missing tables or namespaces, ErrBadRequest, ErrNotApplied
// (a store failure before the commit; nothing applied), ErrCommitStateUnknown
// (the database commit itself failed).
func (s *Store) Commit(ctx context.Context, changes []TableChange) ([]LoadedTable, error) {
	if len(changes) == 0 {
		return nil, badRequest("a commit needs at least one table change")
	}
	seen := map[string]bool{}
	for _, c := range changes {
		if err := validIdent(c.Ident); err != nil {
			return nil, err
		}
		k := identString(c.Ident)
		if seen[k] {
			return nil, badRequest("table %s appears twice in one commit", k)
		}
		seen[k] = true
	}
	for attempt := 0; ; attempt++ {
		out, err := s.commitOnce(ctx, changes)
		if !errors.Is(err, errCASMiss) {
			return out, err
		}
		if attempt >= s.retries {
			return nil, fmt.Errorf("%w: %w after %d attempts", table.ErrCommitFailed, err, attempt+1)
		}
	}
}

func (s *Store) commitOnce(ctx context.Context, changes []TableChange) (_ []LoadedTable, err error) {
	stages := make([]*staged, 0, len(changes))
	// Files written by this attempt are removed unless the swap committed or
	// its outcome is unknown: an unreferenced metadata file is garbage, but
	// deleting one a committed pointer names would break the table.
	keep := false
	defer func() {
		if keep {
			return
		}
		for _, st := range stages {
			if st.written {
				s.removeFile(ctx, st.newLoc)
			}
		}
	}()
	for _, c := range changes {
		st, err := s.stage(ctx, c)
		if st != nil {
			stages = append(stages, st)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := s.fault(FaultBeforeSwaps); err != nil {
		return nil, err
	}
	// Swap in a fixed order so that two multi-table commits on PostgreSQL
	// take their row locks in the same order and cannot deadlock.
	order := slices.Clone(stages)
	slices.SortFunc(order, func(a, b *staged) int { return slices.Compare(a.ident, b.ident) })
	committed, err := s.swapAll(ctx, order)
	if committed {
		keep = true
	}
	if err != nil {
		return nil, err
	}
	out := make([]LoadedTable, len(stages))
	for i, st := range stages {
		loc := st.newLoc
		if st.noop {
			loc = st.oldLoc
		}
		out[i] = LoadedTable{Ident: st.ident, MetadataLocation: loc, Metadata: st.meta}
	}
	return out, nil
}

// stage validates one change against the table's current metadata and
// writes the resulting metadata file.
func (s *Store) stage(ctx context.Context, c TableChange) (*staged, error) {
	ns, name := split(c.Ident)
	st := &staged{ident: c.Ident, ns: ns, name: name}
	p, exists, err := s.pointerOf(ctx, s.db, ns, name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotApplied, err)
	}
	var base, current table.Metadata
	if exists {
		st.oldLoc = p.location
		if current, err = s.readMetadata(ctx, p.location); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotApplied, err)
		}
		base = current
	} else {
		if !slices.ContainsFunc(c.Requirements, func(r table.Requirement) bool { return r.GetType() == "assert-create" }) {
			return nil, fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, identString(c.Ident))
		}
		// A create through a commit (the second step of a staged create):
		// the updates build the table from empty metadata.
		if base, err = table.NewMetadata(iceberg.NewSchema(0), nil, table.UnsortedSortOrder, "", nil); err != nil {
			return nil, err
		}
	}
	for _, r := range c.Requirements {
		// current is nil for a table that does not exist, which is what
		// assert-create asks and every other requirement refuses.
		if err := r.Validate(current); err != nil {
			if !restRequirements[r.GetType()] {
				// An in-process caller's own check (wharf's ledger guard):
				// its verdict goes back as it is, so the caller's error
				// types survive and iceberg-go does not replay a verdict
				// that a refresh cannot change.
				return nil, fmt.Errorf("table %s: %w", identString(c.Ident), err)
			}
			return nil, fmt.Errorf("%w: table %s: %w", table.ErrCommitFailed, identString(c.Ident), err)
		}
	}
	meta, err := table.UpdateTableMetadata(base, c.Updates, st.oldLoc)
	if err != nil {
		return nil, fmt.Errorf("%w: table %s: %w", ErrBadRequest, identString(c.Ident), err)
	}
	st.meta = meta
	if exists && meta.Equals(current) {
		st.noop = true
		return st, nil
	}
	if st.lineage, err = lineageOf(c.Ident, current, meta); err != nil {
		return nil, err
	}
	if meta.Location() == "" {
		return nil, badRequest("table %s: the new metadata has no location", identString(c.Ident))
	}
	if st.newLoc, err = newMetadataLocation(meta, st.oldLoc); err != nil {
		return nil, fmt.Errorf("%w: table %s: %w", ErrBadRequest, identString(c.Ident), err)
	}
	st.written = true // a partial file is removed too
	if err := s.writeMetadata(ctx, st.newLoc, meta); err != nil {
		return st, fmt.Errorf("%w: %w", ErrNotApplied, err)
	}
	return st, nil
}

// swapAll moves every pointer in one transaction. committed reports that the
// transaction committed or may have (its commit call failed).
func (s *Store) swapAll(ctx context.Context, stages []*staged) (committed bool, err error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrNotApplied, err)
	}
	done := false
	defer func() {
		if !done {
			tx.rollback()
		}
	}()
	swapped := 0
	for _, st := range stages {
		if st.noop {
			continue
		}
		if st.oldLoc == "" {
			if err := s.insertTable(ctx, tx.q, st.ns, st.name, st.newLoc); err != nil {
				if errors.Is(err, catalog.ErrTableAlreadyExists) {
					return false, fmt.Errorf("%w: table %s was created concurrently", table.ErrCommitFailed, identString(st.ident))
				}
				if errors.Is(err, catalog.ErrNoSuchNamespace) {
					return false, err
				}
				return false, fmt.Errorf("%w: %w", ErrNotApplied, err)
			}
		} else {
			res, err := tx.q.ExecContext(ctx, s.q(`UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?`),
				st.newLoc, st.oldLoc, s.name, st.ns, st.name, st.oldLoc)
			if err != nil {
				return false, fmt.Errorf("%w: swapping %s: %w", ErrNotApplied, identString(st.ident), err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return false, fmt.Errorf("%w: swapping %s: %w", ErrNotApplied, identString(st.ident), err)
			}
			if n != 1 {
				return false, fmt.Errorf("%w: table %s", errCASMiss, identString(st.ident))
			}
		}
		swapped++
		if swapped == 1 {
			if err := s.fault(FaultAfterFirstSwap); err != nil {
				return false, err
			}
		}
	}
	var entries []Lineage
	for _, st := range stages {
		entries = append(entries, st.lineage...)
	}
	if err := s.indexLineage(ctx, tx.q, entries); err != nil {
		return false, err
	}
	if err := s.fault(FaultBeforeTxCommit); err != nil {
		return false, err
	}
	done = true
	if err := tx.commit(); err != nil {
		// The database may have applied it before the error reached us.
		return true, fmt.Errorf("%w: %w", ErrCommitStateUnknown, err)
	}
	return true, nil
}

// fault runs the test hook at point; its error fails the commit as a store
// error before the transaction committed.
func (s *Store) fault(point string) error {
	if s.hook == nil {
		return nil
	}
	if err := s.hook(point); err != nil {
		return fmt.Errorf("%w: at %s: %w", ErrNotApplied, point, err)
	}
	return nil
}

// writeTx runs fn in a write transaction.
func (s *Store) writeTx(ctx context.Context, fn func(q querier) error) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx.q); err != nil {
		tx.rollback()
		return err
	}
	return tx.commit()
}

// wtx is a write transaction. On SQLite it is a connection on which BEGIN
// IMMEDIATE took the write lock before anything was read, so two writers
// never both read and then fail to upgrade their locks mid-commit; database/sql
// cannot ask the driver for that per transaction, so the statements are
// issued on the connection itself.
type wtx struct {
	q        querier
	commit   func() error
	rollback func()
}

func (s *Store) begin(ctx context.Context) (*wtx, error) {
	if s.dialect != SQLite {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &wtx{q: tx, commit: tx.Commit, rollback: func() { _ = tx.Rollback() }}, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		_ = conn.Close()
		return nil, err
	}
	// A connection whose transaction could not be ended must not go back to
	// the pool still inside it: ErrBadConn from Raw discards it.
	discard := func() { _ = conn.Raw(func(any) error { return driver.ErrBadConn }) }
	return &wtx{
		q: conn,
		commit: func() error {
			// Not ctx: a commit must not be cut off half-way by a cancelled request.
			_, err := conn.ExecContext(context.Background(), "COMMIT")
			if err != nil {
				_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
				discard()
			}
			_ = conn.Close()
			return err
		},
		rollback: func() {
			if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
				discard()
			}
			_ = conn.Close()
		},
	}, nil
}

// ---- metadata files ----

func (s *Store) readMetadata(ctx context.Context, loc string) (table.Metadata, error) {
	tbl, err := table.NewFromLocation(ctx, nil, loc, iceio.LoadFSFunc(s.props, loc), nil)
	if err != nil {
		return nil, fmt.Errorf("reading metadata %s: %w", loc, err)
	}
	return tbl.Metadata(), nil
}

// metaVersionRE is the version prefix of a metadata file name
// (00001-<uuid>.metadata.json, or the legacy v1.metadata.json).
var metaVersionRE = regexp.MustCompile(`^v?(\d+)[-.]`)

// newMetadataLocation names the metadata file following oldLoc ("" = the first).
func newMetadataLocation(meta table.Metadata, oldLoc string) (string, error) {
	next := 0
	if oldLoc != "" {
		next = 1
		if m := metaVersionRE.FindStringSubmatch(path.Base(oldLoc)); m != nil {
			if v, err := strconv.Atoi(m[1]); err == nil {
				next = v + 1
			}
		}
	}
	lp, err := table.LoadLocationProvider(meta.Location(), meta.Properties())
	if err != nil {
		return "", err
	}
	return lp.NewTableMetadataFileLocation(next)
}

// writeMetadata writes meta to loc, compressed as the file name says, and
// syncs it when the file system can, so a pointer never names a file that a
// crash could lose.
func (s *Store) writeMetadata(ctx context.Context, loc string, meta table.Metadata) (err error) {
	fsys, err := iceio.LoadFS(ctx, s.props, loc)
	if err != nil {
		return fmt.Errorf("writing metadata %s: %w", loc, err)
	}
	wfs, ok := fsys.(iceio.WriteFileIO)
	if !ok {
		return fmt.Errorf("writing metadata %s: file system is read-only", loc)
	}
	f, err := wfs.Create(loc)
	if err != nil {
		return fmt.Errorf("writing metadata %s: %w", loc, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing metadata %s: %w", loc, cerr)
		}
	}()
	var w io.Writer = f
	var enc io.WriteCloser
	switch {
	case strings.HasSuffix(loc, ".gz.metadata.json"):
		enc = gzip.NewWriter(f)
	case strings.HasSuffix(loc, ".zstd.metadata.json"):
		if enc, err = zstd.NewWriter(f); err != nil {
			return err
		}
	}
	if enc != nil {
		w = enc
	}
	if err := json.NewEncoder(w).Encode(meta); err != nil {
		return fmt.Errorf("writing metadata %s: %w", loc, err)
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return fmt.Errorf("writing metadata %s: %w", loc, err)
		}
	}
	if syncer, ok := f.(interface{ Sync() error }); ok {
		if err := syncer.Sync(); err != nil {
			return fmt.Errorf("writing metadata %s: %w", loc, err)
		}
	}
	return nil
}

// removeFile deletes a metadata file no pointer references (best effort).
func (s *Store) removeFile(ctx context.Context, loc string) {
	fsys, err := iceio.LoadFS(context.WithoutCancel(ctx), s.props, loc)
	if err != nil {
		return
	}
	_ = fsys.Remove(loc)
}
