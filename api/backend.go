package api

import (
	"context"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// Backend is what the HTTP API serves. The server binary wires the engine's
// session into it; handler tests use an in-process fake.
//
// Errors: *session.Error carries a code and position for statement errors;
// catalog.ErrNoSuchTable / catalog.ErrNoSuchNamespace (iceberg-go) mean 404;
// anything else is a 500 whose message must not leak credentials (the backend
// already redacts them).
type Backend interface {
	// Exec runs one SQL statement. readOnly is true for callers with the
	// read-only scope: the backend rejects statements that change anything.
	Exec(ctx context.Context, sql string, readOnly bool) (*session.Result, error)
	// ListTables lists every table of every namespace.
	ListTables(ctx context.Context) ([]table.Identifier, error)
	// LoadTable loads a table's current metadata.
	LoadTable(ctx context.Context, ident table.Identifier) (*table.Table, error)
	// Verify checks a table's invariants (lake.Verify).
	Verify(ctx context.Context, ident table.Identifier) (*lake.VerifyReport, error)
}
