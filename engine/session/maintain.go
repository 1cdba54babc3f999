package session

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/sql"
)

// The table maintenance procedures, named and shaped as Iceberg's Spark
// procedures are.

// rewriteDataFiles is CALL system.rewrite_data_files('db.table'): it
// compacts the table's small files into files of its target size, as one
// replace snapshot that changelog readers see as no change. A rewrite
// raced by appends is rebased onto them; by anything else, planned again.
func (s *Session) rewriteDataFiles(ctx context.Context, st *sql.Call) (*Result, error) {
	id, _, err := tableArgs(ctx, st, 1, 1)
	if err != nil {
		return nil, err
	}
	res, err := s.wh.Compact(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	r := stringRows([]string{"rewritten_data_files_count", "added_data_files_count", "rewritten_bytes_count"}, [][]string{{
		strconv.Itoa(res.RemovedDataFiles), strconv.Itoa(res.AddedDataFiles), strconv.FormatInt(res.BytesBefore, 10),
	}})
	if snap := res.Table.CurrentSnapshot(); snap != nil && res.RewrittenGroups > 0 {
		r.Stats.SnapshotID = snap.SnapshotID
	}
	return r, nil
}

// Iceberg's defaults for expire_snapshots and remove_orphan_files.
const (
	expireOlderThan  = 5 * 24 * time.Hour
	orphansOlderThan = 3 * 24 * time.Hour
)

// expireSnapshots is CALL system.expire_snapshots('db.table'[, 'older
// than']): it removes the snapshots older than the timestamp (default: 5
// days ago) but the newest, and keeps any a job's unrecorded epoch needs.
func (s *Session) expireSnapshots(ctx context.Context, st *sql.Call) (*Result, error) {
	id, age, err := s.maintainArgs(ctx, st, expireOlderThan)
	if err != nil {
		return nil, err
	}
	tbl, err := s.wh.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	before := len(tbl.Metadata().Snapshots())
	after, err := s.wh.ExpireSnapshots(ctx, id, 1, age)
	if err != nil {
		return nil, err
	}
	return stringRows([]string{"deleted_snapshots_count"}, [][]string{{strconv.Itoa(before - len(after.Metadata().Snapshots()))}}), nil
}

// removeOrphanFiles is CALL system.remove_orphan_files('db.table'[, 'older
// than']): it deletes the files under the table's location that no
// snapshot and no job's in-flight epoch references, older than the
// timestamp (default: 3 days ago; never younger than an hour, as a writer
// uploads before it records). It returns the files it deleted.
func (s *Session) removeOrphanFiles(ctx context.Context, st *sql.Call) (*Result, error) {
	id, age, err := s.maintainArgs(ctx, st, orphansOlderThan)
	if err != nil {
		return nil, err
	}
	deleted, err := s.wh.RemoveOrphans(ctx, id, age)
	if err != nil {
		return nil, err
	}
	rows := make([][]string, len(deleted))
	for i, f := range deleted {
		rows[i] = []string{f}
	}
	return stringRows([]string{"orphan_file_location"}, rows), nil
}

// maintainArgs are ('db.table'[, 'yyyy-mm-dd hh:mm:ss']): the table and
// how old what is removed must be.
func (s *Session) maintainArgs(ctx context.Context, st *sql.Call, def time.Duration) (id table.Identifier, age time.Duration, err error) {
	id, args, err := tableArgs(ctx, st, 1, 2)
	if err != nil {
		return nil, 0, err
	}
	if len(args) == 1 {
		return id, def, nil
	}
	for _, layout := range []string{time.DateTime + ".999999", time.DateOnly} {
		if ts, err := time.ParseInLocation(layout, args[1], time.UTC); err == nil {
			return id, max(time.Since(ts), 0), nil
		}
	}
	return nil, 0, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("%s: older than %q: want a timestamp such as '2026-11-20 00:00:00' (UTC)", st.Name.String(), args[1]), Pos: pos(st.Args[1].Position())}
}
