package session

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/engine/sql"
)

// SetQueryMemory sets the per-query memory budget for a test and returns
// the function that restores it.
func SetQueryMemory(n int64) (restore func()) {
	old := queryMemory
	queryMemory = n
	return func() { queryMemory = old }
}

// RunBudget runs the SELECT text under budget, for tests that look at what
// the query charged to it.
func (s *Session) RunBudget(ctx context.Context, text string, budget *exec.Budget) (*Result, error) {
	stmt, err := sql.ParseOne(text)
	if err != nil {
		return nil, err
	}
	q, ok := stmt.(*sql.Query)
	if !ok {
		return nil, fmt.Errorf("not a query: %s", text)
	}
	p, err := s.Prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, p, budget)
}

// PlanInsertQuery binds and optimizes the query of an INSERT … SELECT,
// for tests that run parts of its plan themselves.
func (s *Session) PlanInsertQuery(ctx context.Context, text string) (plan.Node, error) {
	stmt, err := sql.ParseOne(text)
	if err != nil {
		return nil, err
	}
	st, ok := stmt.(*sql.Insert)
	if !ok {
		return nil, fmt.Errorf("not an INSERT: %s", text)
	}
	return s.plan(ctx, st.Source, &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, SessionTimeZone: "UTC"})
}
