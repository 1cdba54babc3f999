package session

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/lake/commit"
)

// call runs CALL system.<procedure>(…).
func (s *Session) call(ctx context.Context, st *sql.Call) (*Result, error) {
	name := st.Name.String()
	switch strings.ToLower(name) {
	case "system.add_files":
		return s.addFiles(ctx, st)
	case "system.rewrite_data_files":
		return s.rewriteDataFiles(ctx, st)
	case "system.expire_snapshots":
		return s.expireSnapshots(ctx, st)
	case "system.remove_orphan_files":
		return s.removeOrphanFiles(ctx, st)
	}
	return nil, &Error{Code: CodeNotFound, Msg: fmt.Sprintf("no procedure %s (wharf has system.add_files, system.rewrite_data_files, system.expire_snapshots and system.remove_orphan_files)", name), Pos: pos(st.Name.Pos)}
}

// addFiles is CALL system.add_files('db.table', 'path or glob'): it
// registers existing Parquet files in an Iceberg table without rewriting
// them. Each file's schema must fit the table's (columns matched by field
// id, or by name for files written without ids); statistics come from the
// footers. It is a one-epoch job like any INSERT, so the snapshot carries
// its txid, and a file the table already references is refused.
func (s *Session) addFiles(ctx context.Context, st *sql.Call) (*Result, error) {
	id, args, err := tableArgs(ctx, st, 2, 2)
	if err != nil {
		return nil, err
	}
	tbl, err := s.wh.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	found, err := s.wh.Files().Glob(ctx, args[1])
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: err.Error(), Pos: pos(st.Args[1].Position()), Err: err}
	}
	if len(found) == 0 {
		return nil, &Error{Code: CodeNotFound, Msg: fmt.Sprintf("no files match %s", args[1]), Pos: pos(st.Args[1].Position())}
	}
	live, err := livePaths(ctx, tbl)
	if err != nil {
		return nil, err
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	var files []iceberg.DataFile
	var rows int64
	for _, f := range found {
		if !strings.HasSuffix(strings.ToLower(f.Path), ".parquet") {
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("%s: add_files registers Parquet files (*.parquet)", f.Path), Pos: pos(st.Args[1].Position())}
		}
		path := f.Path
		if strings.HasPrefix(path, "/") {
			path = "file://" + path
		}
		if live[path] {
			return nil, &Error{Code: CodeConflict, Msg: fmt.Sprintf("%s is already part of %s", f.Path, strings.Join(id, ".")), Pos: pos(st.Args[1].Position())}
		}
		df, err := table.FileToDataFile(ctx, fs, path, tbl.Schema(), tbl.Spec(), 0, tbl.Properties())
		if err != nil {
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("%s does not fit table %s: %v", f.Path, strings.Join(id, "."), err), Pos: pos(st.Args[1].Position()), Err: err}
		}
		files = append(files, df)
		rows += df.Count()
	}
	res, err := s.commitOneShot(ctx, st, []commit.Target{{Table: id, Files: files}}, nil)
	if err != nil {
		return nil, err
	}
	r := stringRows([]string{"added_files_count", "added_rows", "snapshot_id"}, [][]string{{
		strconv.Itoa(len(files)), strconv.FormatInt(rows, 10), strconv.FormatInt(res.SnapshotID, 10),
	}})
	r.Stats.RowsAffected, r.Stats.SnapshotID = rows, res.SnapshotID
	return r, nil
}

// livePaths are the files of the table's current snapshot.
func livePaths(ctx context.Context, tbl *table.Table) (map[string]bool, error) {
	out := map[string]bool{}
	for df, err := range commit.LiveFiles(ctx, tbl) {
		if err != nil {
			return nil, err
		}
		out[df.FilePath()] = true
	}
	return out, nil
}

// tableArgs evaluates a CALL's arguments, min to max constant strings of
// which the first is its table, 'db.table' or 'table', and resolves it.
func tableArgs(ctx context.Context, st *sql.Call, min, max int) (table.Identifier, []string, error) {
	args, err := stringArgs(ctx, st, min, max)
	if err != nil {
		return nil, nil, err
	}
	id, err := tableIdent(Database(ctx), sql.ObjectName{Pos: st.Args[0].Position(), Parts: idents(strings.Split(args[0], "."))})
	if err != nil {
		return nil, nil, err
	}
	return id, args, nil
}

// stringArgs evaluates a CALL's arguments, which must be min to max
// constant strings.
func stringArgs(ctx context.Context, st *sql.Call, min, max int) ([]string, error) {
	if len(st.Args) < min || len(st.Args) > max {
		want := strconv.Itoa(min)
		if max > min {
			want = fmt.Sprintf("%d to %d", min, max)
		}
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("%s takes %s arguments, got %d", st.Name.String(), want, len(st.Args)), Pos: pos(st.Pos)}
	}
	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator}
	out := make([]string, len(st.Args))
	for i, a := range st.Args {
		x, err := plan.BindConstant(ctx, a)
		if err == nil {
			x, err = expr.Fold(x, ev)
		}
		if err != nil {
			return nil, planError(err)
		}
		lit, ok := x.(*expr.Literal)
		sv, isStr := scalar.Scalar(nil), false
		if ok {
			sv = lit.Value
			_, isStr = sv.(*scalar.String)
		}
		if !isStr || !sv.IsValid() {
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("argument %d of %s must be a string", i+1, st.Name.String()), Pos: pos(a.Position())}
		}
		out[i] = string(sv.(*scalar.String).Value.Bytes())
	}
	return out, nil
}

func idents(parts []string) []sql.Ident {
	out := make([]sql.Ident, len(parts))
	for i, p := range parts {
		out[i] = sql.Ident{Name: p}
	}
	return out
}
