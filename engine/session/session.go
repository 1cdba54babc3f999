// Package session runs SQL statements against a warehouse: the entry point
// that the HTTP API, the CLI and (later) the ClickHouse front ends share.
//
// DDL, SHOW and DESCRIBE run here directly; SELECT and EXPLAIN go through
// the planner (engine/plan) and the operators (engine/exec); INSERT INTO and
// INSERT OVERWRITE over bounded inputs are batch jobs of one epoch,
// committed through the ledger (insert.go, insert_query.go).
package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/lake"
)

// Session executes statements. It is safe for concurrent use.
type Session struct {
	wh      *lake.Warehouse
	brokers string // the server's Kafka, for connector tables that name none
	jobs    *runtime.Manager
	// queryMemory is each query's memory budget; 0 = the package default.
	queryMemory int64

	mu   sync.Mutex
	temp map[string]lake.Definition // TEMPORARY views and tables by db.name
}

// Option configures New.
type Option func(*Session)

// WithBrokers names the Kafka cluster (the embedded broker or --kafka) that
// Kafka tables without 'properties.bootstrap.servers' read.
func WithBrokers(addrs string) Option { return func(s *Session) { s.brokers = addrs } }

// WithQueryMemory sets each interactive query's memory budget in bytes; a
// query over it fails with CodeTooLarge (default 512 MiB).
func WithQueryMemory(n int64) Option { return func(s *Session) { s.queryMemory = n } }

// New returns a session over wh.
func New(wh *lake.Warehouse, opts ...Option) *Session {
	s := &Session{wh: wh}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Exec runs one statement. A caller with readOnly set may only run
// statements that change nothing.
func (s *Session) Exec(ctx context.Context, text string, readOnly bool) (*Result, error) {
	start := time.Now()
	stmt, err := Parse(text)
	if err != nil {
		return nil, err
	}
	return s.ExecStatement(ctx, stmt, readOnly, start)
}

// Parse parses one statement, with errors as Exec returns them.
func Parse(text string) (sql.Statement, error) {
	stmt, err := sql.ParseOne(text)
	if err != nil {
		return nil, syntaxError(err)
	}
	return stmt, nil
}

// ExecStatement runs a parsed statement; start is when the caller received
// it (Stats.Elapsed counts from there).
func (s *Session) ExecStatement(ctx context.Context, stmt sql.Statement, readOnly bool, start time.Time) (*Result, error) {
	if readOnly && writes(stmt) {
		return nil, &Error{Code: CodeForbidden, Msg: "this token may only read: the statement changes data or schema", Pos: pos(stmt.Position())}
	}
	res, err := s.exec(ctx, stmt)
	if err != nil {
		return nil, Classify(err, stmt)
	}
	res.Stats.Elapsed = time.Since(start)
	return res, nil
}

func (s *Session) exec(ctx context.Context, stmt sql.Statement) (*Result, error) {
	switch st := stmt.(type) {
	case *sql.CreateTable:
		return s.createTable(ctx, st)
	case *sql.DropTable:
		return s.dropTable(ctx, st)
	case *sql.CreateDatabase:
		return s.createDatabase(ctx, st)
	case *sql.DropDatabase:
		return s.dropDatabase(ctx, st)
	case *sql.ShowTables:
		return s.showTables(ctx, st)
	case *sql.Show:
		switch st.Object {
		case sql.ShowDatabases:
			return s.showDatabases(ctx)
		case sql.ShowViews:
			return s.showViews(ctx)
		}
	case *sql.Call:
		return s.call(ctx, st)
	case *sql.StatementSet:
		return s.statementSet(ctx, st)
	case *sql.CreateView:
		return s.createView(ctx, st)
	case *sql.DropView:
		return s.dropView(ctx, st)
	case *sql.Describe:
		return s.describe(ctx, st)
	case *sql.Insert:
		return s.insert(ctx, st)
	case *sql.Query:
		return s.query(ctx, st)
	case *sql.Explain:
		return s.explain(ctx, st)
	case *sql.Set:
		if err := tablePropertySet(st); err != nil {
			return nil, err
		}
	}
	return nil, &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("%s is valid Flink SQL that wharf does not run yet", statementName(stmt)), Pos: pos(stmt.Position())}
}

// Warehouse is the warehouse the session runs over.
func (s *Session) Warehouse() *lake.Warehouse { return s.wh }

// ListTables lists every table of every namespace.
func (s *Session) ListTables(ctx context.Context) ([]table.Identifier, error) {
	return s.wh.ListTables(ctx)
}

// LoadTable loads a table's current metadata.
func (s *Session) LoadTable(ctx context.Context, ident table.Identifier) (*table.Table, error) {
	return s.wh.LoadTable(ctx, ident)
}

// Verify checks a table's invariants.
func (s *Session) Verify(ctx context.Context, ident table.Identifier) (*lake.VerifyReport, error) {
	tbl, err := s.wh.LoadTable(ctx, ident)
	if err != nil {
		return nil, err
	}
	return lake.Verify(ctx, tbl)
}

// dbKey is the context key of a call's current database.
type dbKey struct{}

// WithDatabase returns a context in which statements resolve one-part table
// names in db rather than in the default database ("" keeps the default).
// The database travels with each call, not in the Session, so concurrent
// callers of one Session (the front ends' clients) each have their own.
func WithDatabase(ctx context.Context, db string) context.Context {
	if db == "" {
		return ctx
	}
	return context.WithValue(ctx, dbKey{}, db)
}

// Database is the current database of a call's context.
func Database(ctx context.Context) string {
	if db, ok := ctx.Value(dbKey{}).(string); ok {
		return db
	}
	return lake.DefaultNamespace
}

// tableIdent resolves [catalog.][db.]name, a one-part name in db. Flink's
// default catalog and database names are accepted as aliases of wharf's.
func tableIdent(db string, n sql.ObjectName) (table.Identifier, error) {
	parts := make([]string, len(n.Parts))
	for i, p := range n.Parts {
		parts[i] = p.Name
	}
	if len(parts) == 3 {
		if parts[0] != "wharf" && parts[0] != "default_catalog" {
			return nil, &Error{Code: CodeNotFound, Msg: fmt.Sprintf("catalog %q does not exist (wharf has one catalog, \"wharf\")", parts[0]), Pos: pos(n.Pos)}
		}
		parts = parts[1:]
	}
	if len(parts) == 1 {
		parts = []string{db, parts[0]}
	}
	if len(parts) == 2 && parts[0] == "default_database" {
		parts[0] = lake.DefaultNamespace
	}
	id, err := lake.Ident(parts...)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: err.Error(), Pos: pos(n.Pos), Err: err}
	}
	return id, nil
}

func namespaceIdent(n sql.ObjectName) (table.Identifier, error) {
	last := n.Parts[len(n.Parts)-1].Name
	if last == "default_database" {
		last = lake.DefaultNamespace
	}
	id, err := lake.Ident(last, "x") // validates the namespace part
	if err != nil || len(n.Parts) > 2 {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("invalid database name %s", n.String()), Pos: pos(n.Pos)}
	}
	return id[:1], nil
}

func writes(stmt sql.Statement) bool {
	switch stmt.(type) {
	case *sql.Query, *sql.ShowTables, *sql.Show, *sql.ShowCreate, *sql.Describe, *sql.Explain:
		return false
	}
	return true
}

func pos(p sql.Pos) *Pos { return &Pos{Line: p.Line, Column: p.Column, Offset: p.Offset} }

func syntaxError(err error) error {
	var se *sql.Error
	if errors.As(err, &se) {
		return &Error{Code: CodeSyntax, Msg: se.Msg, Pos: pos(se.Pos), Err: err}
	}
	return &Error{Code: CodeSyntax, Msg: err.Error(), Err: err}
}

// Classify turns errors from below into statement errors a client can act on.
func Classify(err error, stmt sql.Statement) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	at := pos(stmt.Position())
	switch {
	case errors.Is(err, catalog.ErrNoSuchTable), errors.Is(err, catalog.ErrNoSuchNamespace), errors.Is(err, lake.ErrNoSnapshot):
		return &Error{Code: CodeNotFound, Msg: err.Error(), Pos: at, Err: err}
	case errors.Is(err, catalog.ErrTableAlreadyExists), errors.Is(err, catalog.ErrNamespaceAlreadyExists):
		return &Error{Code: CodeAlreadyExists, Msg: err.Error(), Pos: at, Err: err}
	case errors.Is(err, catalog.ErrNamespaceNotEmpty):
		return &Error{Code: CodeConflict, Msg: err.Error(), Pos: at, Err: err}
	case errors.Is(err, lake.ErrInvalidName), errors.Is(err, iceberg.ErrInvalidArgument):
		return &Error{Code: CodeInvalid, Msg: err.Error(), Pos: at, Err: err}
	}
	return &Error{Code: CodeInternal, Msg: err.Error(), Err: err}
}

func statementName(stmt sql.Statement) string {
	switch st := stmt.(type) {
	case *sql.Query:
		return "SELECT (interactive queries)"
	case *sql.Insert:
		if st.Overwrite {
			return "INSERT OVERWRITE"
		}
		return "INSERT … SELECT"
	}
	return fmt.Sprintf("%T", stmt)[len("*sql."):]
}
