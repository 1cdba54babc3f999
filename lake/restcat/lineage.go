package restcat

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake/commit"
)

// The lineage index (DESIGN.md §5): every snapshot whose summary carries
// wharf's provenance keys gets one row in wharf_lineage_snapshots and one row
// per source partition in wharf_lineage_ranges, written in the database
// transaction that swaps the table's pointer. A snapshot is therefore indexed
// if and only if it was committed, and lineage questions are SQL:
//
//	what produced snapshot S:   wharf_lineage_snapshots by (table, snapshot_id),
//	                            its ranges by txid
//	what derives from T/P X..Y: wharf_lineage_ranges by (kind, name, partition)
//	                            where from_pos < Y and to_pos > X
//
// Rows are never deleted: they outlive snapshot expiry, which is what keeps a
// txid recognisable (and a job's ranges checkable) once its snapshot is gone.
var lineageDDL = []string{
	`CREATE TABLE IF NOT EXISTS wharf_lineage_snapshots (catalog_name VARCHAR NOT NULL, txid VARCHAR NOT NULL, table_namespace VARCHAR NOT NULL, table_name VARCHAR NOT NULL, table_uuid VARCHAR NOT NULL, snapshot_id BIGINT NOT NULL, sequence_number BIGINT NOT NULL, job VARCHAR NOT NULL, job_version VARCHAR NOT NULL, generation BIGINT NOT NULL, epoch BIGINT NOT NULL, watermark BIGINT, state VARCHAR, committed_at BIGINT NOT NULL, PRIMARY KEY (catalog_name, txid))`,
	`CREATE INDEX IF NOT EXISTS wharf_lineage_snapshots_table ON wharf_lineage_snapshots (catalog_name, table_namespace, table_name, snapshot_id)`,
	`CREATE INDEX IF NOT EXISTS wharf_lineage_snapshots_job ON wharf_lineage_snapshots (catalog_name, job, epoch)`,
	`CREATE TABLE IF NOT EXISTS wharf_lineage_ranges (catalog_name VARCHAR NOT NULL, txid VARCHAR NOT NULL, job VARCHAR NOT NULL, epoch BIGINT NOT NULL, source_kind VARCHAR NOT NULL, source_name VARCHAR NOT NULL, source_partition INTEGER NOT NULL, from_pos BIGINT NOT NULL, to_pos BIGINT NOT NULL, PRIMARY KEY (catalog_name, txid, source_kind, source_name, source_partition))`,
	`CREATE INDEX IF NOT EXISTS wharf_lineage_ranges_source ON wharf_lineage_ranges (catalog_name, source_kind, source_name, source_partition, from_pos)`,
	`CREATE INDEX IF NOT EXISTS wharf_lineage_ranges_job ON wharf_lineage_ranges (catalog_name, job, source_kind, source_name, source_partition, epoch)`,
}

// ErrLineage: a commit contradicts the lineage index — its source ranges
// leave a gap or overlap with the job's previous commit, or its txid is
// already committed. Nothing was applied; the REST answer is 409
// CommitFailed. It deliberately does not wrap table.ErrCommitFailed: the
// verdict does not change on a refresh, so iceberg-go must not replay it.
var ErrLineage = errors.New("lineage index refuses the commit")

// Lineage is one indexed snapshot: what a wharf job committed, from what.
type Lineage struct {
	Table          table.Identifier `json:"table"`
	TableUUID      string           `json:"table_uuid"`
	SnapshotID     int64            `json:"snapshot_id"`
	SequenceNumber int64            `json:"sequence_number"`
	TxID           string           `json:"txid"`
	Job            string           `json:"job"`
	JobVersion     string           `json:"job_version"`
	Generation     uint64           `json:"generation"`
	Epoch          uint64           `json:"epoch"`
	Watermark      *int64           `json:"watermark,omitempty"` // event time, ms
	State          string           `json:"state,omitempty"`
	CommittedAtMs  int64            `json:"committed_at_ms"` // the snapshot's timestamp
	Sources        []commit.Range   `json:"sources"`
}

// lineageOf returns the wharf snapshots that meta adds over base (nil: a new
// table), oldest first.
func lineageOf(id table.Identifier, base, meta table.Metadata) ([]Lineage, error) {
	var out []Lineage
	for _, s := range meta.Snapshots() {
		if base != nil && base.SnapshotByID(s.SnapshotID) != nil {
			continue
		}
		l, ok, err := lineageEntry(id, meta.TableUUID().String(), s)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b Lineage) int { return cmp.Compare(a.SequenceNumber, b.SequenceNumber) })
	return out, nil
}

// lineageEntry reads the index entry of one snapshot of table id. A snapshot
// without wharf.txid (a foreign writer's, a compaction's) has none (ok is
// false); malformed wharf keys refuse the commit, as the ledger would refuse
// to read them.
func lineageEntry(id table.Identifier, uuid string, s table.Snapshot) (l Lineage, ok bool, err error) {
	var sum map[string]string
	if s.Summary != nil {
		sum = s.Summary.Properties
	}
	sn, err := commit.ParseSnap(s.SnapshotID, s.SequenceNumber, sum)
	if err != nil {
		return l, false, badRequest("table %s: %v", identString(id), err)
	}
	if sn.TxID == "" {
		return l, false, nil
	}
	if sn.Job == "" {
		return l, false, badRequest("table %s: snapshot %d has %s but no %s", identString(id), s.SnapshotID, commit.KeyTxID, commit.KeyJob)
	}
	l = Lineage{
		Table: id, TableUUID: uuid, SnapshotID: sn.ID, SequenceNumber: sn.SequenceNumber,
		TxID: sn.TxID, Job: sn.Job, JobVersion: sum[commit.KeyJobVersion], Generation: sn.Generation, Epoch: sn.Epoch,
		State: sum[commit.KeyState], CommittedAtMs: s.TimestampMs, Sources: sn.Sources,
	}
	if w, has := sum[commit.KeyWatermark]; has {
		v, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			return l, false, badRequest("table %s: snapshot %d: bad %s %q", identString(id), s.SnapshotID, commit.KeyWatermark, w)
		}
		l.Watermark = &v
	}
	if err := commit.ValidateRanges(sn.Sources); err != nil { // the index keys on the partition
		return l, false, badRequest("table %s: snapshot %d: %s: %v", identString(id), s.SnapshotID, commit.KeySources, err)
	}
	return l, true, nil
}

// indexLineage writes the lineage of a commit's new snapshots inside its
// transaction, after every pointer is swapped, and refuses it when a txid is
// already indexed or a range is not contiguous with the job's latest indexed
// range of the same source partition.
//
// Contiguity is per job, across its tables: the tables of one epoch (a
// statement set, a data table and its dead-letter table) carry the same
// ranges, and a table the job writes only now and then must not look
// discontiguous on its own.
func (s *Store) indexLineage(ctx context.Context, q querier, entries []Lineage) error {
	if len(entries) == 0 {
		return nil
	}
	slices.SortStableFunc(entries, func(a, b Lineage) int {
		return cmp.Or(strings.Compare(a.Job, b.Job), cmp.Compare(a.Epoch, b.Epoch))
	})
	if s.dialect == Postgres {
		// Read committed lets two transactions read the same latest range;
		// a per-job lock (taken in job order, after the row locks of the
		// swaps) makes the check and the insert one step, as SQLite's
		// single writer does by itself.
		for i, e := range entries {
			if i > 0 && entries[i-1].Job == e.Job {
				continue
			}
			if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "wharf-lineage\x00"+s.name+"\x00"+e.Job); err != nil {
				return fmt.Errorf("%w: locking job %s: %w", ErrNotApplied, e.Job, err)
			}
		}
	}
	for _, e := range entries {
		if err := s.indexOne(ctx, q, e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) indexOne(ctx context.Context, q querier, e Lineage) error {
	var ns, name string
	var snap int64
	err := q.QueryRowContext(ctx, s.q(`SELECT table_namespace, table_name, snapshot_id FROM wharf_lineage_snapshots WHERE catalog_name = ? AND txid = ?`), s.name, e.TxID).Scan(&ns, &name, &snap)
	switch {
	case err == nil:
		return fmt.Errorf("%w: %w", ErrLineage, &commit.DuplicateError{SnapshotID: snap,
			Reason: fmt.Sprintf("job %s epoch %d: txid %s is already committed as snapshot %d of %s.%s", e.Job, e.Epoch, e.TxID, snap, ns, name)})
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: reading the lineage index: %w", ErrNotApplied, err)
	}
	for _, r := range e.Sources {
		if err := s.checkContiguous(ctx, q, e, r); err != nil {
			return err
		}
	}
	ns, name = split(e.Table)
	var wm sql.NullInt64
	if e.Watermark != nil {
		wm = sql.NullInt64{Int64: *e.Watermark, Valid: true}
	}
	if _, err := q.ExecContext(ctx, s.q(`INSERT INTO wharf_lineage_snapshots (catalog_name, txid, table_namespace, table_name, table_uuid, snapshot_id, sequence_number, job, job_version, generation, epoch, watermark, state, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		s.name, e.TxID, ns, name, e.TableUUID, e.SnapshotID, e.SequenceNumber, e.Job, e.JobVersion, int64(e.Generation), int64(e.Epoch), wm, e.State, e.CommittedAtMs); err != nil {
		return fmt.Errorf("%w: indexing snapshot %d of %s: %w", ErrNotApplied, e.SnapshotID, identString(e.Table), err)
	}
	for _, r := range e.Sources {
		if _, err := q.ExecContext(ctx, s.q(`INSERT INTO wharf_lineage_ranges (catalog_name, txid, job, epoch, source_kind, source_name, source_partition, from_pos, to_pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			s.name, e.TxID, e.Job, int64(e.Epoch), r.Kind, r.Name, r.Partition, r.From, r.To); err != nil {
			return fmt.Errorf("%w: indexing ranges of snapshot %d of %s: %w", ErrNotApplied, e.SnapshotID, identString(e.Table), err)
		}
	}
	return nil
}

// checkContiguous compares r with the job's latest indexed range of the same
// source partition: an earlier epoch must have ended where r starts, the same
// epoch (another table of a multi-table epoch) must have the same range, and
// a later epoch means this one comes too late. A job's first range for a
// partition is free.
func (s *Store) checkContiguous(ctx context.Context, q querier, e Lineage, r commit.Range) error {
	var epoch int64
	var from, to int64
	err := q.QueryRowContext(ctx, s.q(`SELECT epoch, from_pos, to_pos FROM wharf_lineage_ranges WHERE catalog_name = ? AND job = ? AND source_kind = ? AND source_name = ? AND source_partition = ? ORDER BY epoch DESC LIMIT 1`),
		s.name, e.Job, r.Kind, r.Name, r.Partition).Scan(&epoch, &from, &to)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: reading the lineage index: %w", ErrNotApplied, err)
	}
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%w: %w: job %s epoch %d (snapshot %d of %s): source %s: %s", ErrLineage, commit.ErrDiscontiguous,
			e.Job, e.Epoch, e.SnapshotID, identString(e.Table), r.Key(), fmt.Sprintf(format, args...))
	}
	switch prev := uint64(epoch); {
	case prev < e.Epoch && r.From != to:
		kind := "gap"
		if r.From < to {
			kind = "overlap"
		}
		return refuse("expected from %d (where epoch %d ended), got from %d (%s)", to, prev, r.From, kind)
	case prev == e.Epoch && (r.From != from || r.To != to):
		return refuse("epoch %d is indexed with range [%d,%d), got [%d,%d)", prev, from, to, r.From, r.To)
	case prev > e.Epoch:
		return refuse("epoch %d is already indexed; got epoch %d from %d", prev, e.Epoch, r.From)
	}
	return nil
}

// Lineage returns the indexed snapshots of an existing table, oldest first,
// with their source ranges. Snapshots that wharf did not write, and those committed
// before the index existed, are absent.
func (s *Store) Lineage(ctx context.Context, id table.Identifier) ([]Lineage, error) {
	if err := validIdent(id); err != nil {
		return nil, err
	}
	ns, name := split(id)
	if _, ok, err := s.pointerOf(ctx, s.db, ns, name); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, identString(id))
		}
		return nil, err
	}
	return s.queryLineage(ctx, `s.table_namespace = ? AND s.table_name = ?`, ns, name)
}

// DerivedFrom returns the indexed snapshots, of any table, computed from
// positions [from, to) of one source partition, oldest first: the snapshots
// whose range of that partition overlaps it.
func (s *Store) DerivedFrom(ctx context.Context, src commit.Key, from, to int64) ([]Lineage, error) {
	return s.queryLineage(ctx, `s.txid IN (SELECT txid FROM wharf_lineage_ranges WHERE catalog_name = ? AND source_kind = ? AND source_name = ? AND source_partition = ? AND from_pos < ? AND to_pos > ?)`,
		s.name, src.Kind, src.Name, src.Partition, to, from)
}

// queryLineage reads the snapshots matching where (over alias s) and their
// ranges.
func (s *Store) queryLineage(ctx context.Context, where string, args ...any) ([]Lineage, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT s.txid, s.table_namespace, s.table_name, s.table_uuid, s.snapshot_id, s.sequence_number, s.job, s.job_version, s.generation, s.epoch, s.watermark, s.state, s.committed_at, r.source_kind, r.source_name, r.source_partition, r.from_pos, r.to_pos
		FROM wharf_lineage_snapshots s LEFT JOIN wharf_lineage_ranges r ON r.catalog_name = s.catalog_name AND r.txid = s.txid
		WHERE s.catalog_name = ? AND `+where+` ORDER BY s.committed_at, s.sequence_number, s.txid, r.source_kind, r.source_name, r.source_partition`), append([]any{s.name}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("reading the lineage index: %w", err)
	}
	defer rows.Close()
	var out []Lineage
	for rows.Next() {
		var l Lineage
		var ns, name string
		var gen, epoch int64
		var wm sql.NullInt64
		var state sql.NullString
		var kind, srcName sql.NullString
		var part sql.NullInt32
		var from, to sql.NullInt64
		if err := rows.Scan(&l.TxID, &ns, &name, &l.TableUUID, &l.SnapshotID, &l.SequenceNumber, &l.Job, &l.JobVersion, &gen, &epoch, &wm, &state, &l.CommittedAtMs,
			&kind, &srcName, &part, &from, &to); err != nil {
			return nil, fmt.Errorf("reading the lineage index: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].TxID != l.TxID {
			l.Table = append(strings.Split(ns, "."), name)
			l.Generation, l.Epoch, l.State = uint64(gen), uint64(epoch), state.String
			if wm.Valid {
				l.Watermark = &wm.Int64
			}
			l.Sources = []commit.Range{}
			out = append(out, l)
		}
		if kind.Valid {
			last := &out[len(out)-1]
			last.Sources = append(last.Sources, commit.Range{Kind: kind.String, Name: srcName.String, Partition: part.Int32, From: from.Int64, To: to.Int64})
		}
	}
	return out, rows.Err()
}
