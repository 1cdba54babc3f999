package plan

import (
	"fmt"

	"github.com/wharfdata/wharf/engine/sql"
)

// Kind classifies a planning error for clients.
type Kind uint8

const (
	Invalid     Kind = iota // the query is wrong: types, arity, ambiguity
	NotFound                // a table or column does not exist
	Unsupported             // valid Flink SQL that wharf does not plan yet
)

// Error is a planning error with the position it refers to.
type Error struct {
	Kind Kind
	Pos  sql.Pos
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func errAt(k Kind, pos sql.Pos, format string, args ...any) *Error {
	return &Error{Kind: k, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// unsupported is the error for a query construct planned in a later step.
func unsupported(n sql.Node, what string) *Error {
	return errAt(Unsupported, n.Position(), "%s is not supported yet (SELECT over tables, joins, derived tables and WITH queries, set operations, window functions, and IN, EXISTS and scalar subqueries, correlated or not, in WHERE work now)", what)
}
