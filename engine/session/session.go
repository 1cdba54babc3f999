// Package session runs SQL statements against a warehouse: the entry point
// that the HTTP API, the CLI and (later) the ClickHouse front ends share.
package session

import (
	"context"
	"errors"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
)

// Session executes statements. It is safe for concurrent use.
type Session struct {
	wh *lake.Warehouse
}

// New returns a session over wh.
func New(wh *lake.Warehouse) *Session { return &Session{wh: wh} }

// Exec runs one statement.
func (s *Session) Exec(ctx context.Context, sql string, readOnly bool) (*Result, error) {
	return nil, errors.New("session.Exec: not implemented yet")
}

// ListTables lists every table of every namespace.
func (s *Session) ListTables(ctx context.Context) ([]table.Identifier, error) {
	return nil, errors.New("session.ListTables: not implemented yet")
}

// LoadTable loads a table's current metadata.
func (s *Session) LoadTable(ctx context.Context, ident table.Identifier) (*table.Table, error) {
	return nil, errors.New("session.LoadTable: not implemented yet")
}

// Verify checks a table's invariants.
func (s *Session) Verify(ctx context.Context, ident table.Identifier) (*lake.VerifyReport, error) {
	return nil, errors.New("session.Verify: not implemented yet")
}
