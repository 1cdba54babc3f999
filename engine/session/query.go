package session

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/lake"
)

// Query limits; RELIABILITY.md Q3 and S4.
const (
	defaultQueryMemory = 512 << 20
	defaultMaxRows     = 1_000_000
)

// queryMemory is each query's memory budget (tests lower it).
var queryMemory int64 = defaultQueryMemory

// query runs an interactive SELECT.
func (s *Session) query(ctx context.Context, q *sql.Query) (*Result, error) {
	p, err := s.Prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.Run(ctx, p)
}

// memory is each query's memory budget.
func (s *Session) memory() int64 {
	if s.queryMemory > 0 {
		return s.queryMemory
	}
	return queryMemory
}

// explain answers EXPLAIN with the optimized plan and its pruning figures.
func (s *Session) explain(ctx context.Context, e *sql.Explain) (*Result, error) {
	q, ok := e.Statement.(*sql.Query)
	if !ok {
		return nil, &Error{Code: CodeUnsupported, Msg: "EXPLAIN works for queries so far", Pos: pos(e.Pos)}
	}
	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, NowMicros: time.Now().UnixMicro(), SessionTimeZone: "UTC"}
	node, err := s.plan(ctx, q, ev)
	if err != nil {
		return nil, err
	}
	text, err := plan.Explain(ctx, node)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		rows = append(rows, []string{line})
	}
	return stringRows([]string{"plan"}, rows), nil
}

func (s *Session) plan(ctx context.Context, q *sql.Query, ev *expr.EvalContext) (plan.Node, error) {
	node, err := plan.Bind(ctx, planCatalog{s, Database(ctx)}, q)
	if err != nil {
		return nil, planError(err)
	}
	node, err = plan.Optimize(node, ev)
	if err != nil {
		return nil, planError(err)
	}
	return node, nil
}

// planCatalog gives the binder the session's tables, with one-part names
// resolved in the call's database.
type planCatalog struct {
	s  *Session
	db string
}

func (c planCatalog) Resolve(n sql.ObjectName) (table.Identifier, error) { return tableIdent(c.db, n) }

// ForView resolves a view's names in the default database, whatever the
// database of the statement reading it (see createView).
func (c planCatalog) ForView(table.Identifier) plan.Catalog {
	return planCatalog{c.s, lake.DefaultNamespace}
}

// planError maps binder errors to statement errors.
func planError(err error) error {
	var pe *plan.Error
	if !errors.As(err, &pe) {
		return err
	}
	code := map[plan.Kind]Code{plan.Invalid: CodeInvalid, plan.NotFound: CodeNotFound, plan.Unsupported: CodeUnsupported}[pe.Kind]
	return &Error{Code: code, Msg: pe.Msg, Pos: pos(pe.Pos), Err: err}
}

// queryError maps execution limits to statement errors.
func queryError(err error) error {
	var mle *exec.MemoryLimitError
	var tmr *exec.ErrTooManyRows
	switch {
	case errors.As(err, &mle):
		return &Error{Code: CodeMemoryLimit, Msg: err.Error(), Err: err}
	case errors.As(err, &tmr):
		return &Error{Code: CodeTooLarge, Msg: err.Error(), Err: err}
	}
	return err
}
