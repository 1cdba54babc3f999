package session

import "fmt"

// Code classifies a statement error for clients; the HTTP layer maps it to a
// status.
type Code string

const (
	CodeSyntax        Code = "SYNTAX_ERROR"     // the text does not parse
	CodeInvalid       Code = "INVALID_ARGUMENT" // parses, but is wrong (types, options, arity)
	CodeNotFound      Code = "NOT_FOUND"        // a table, namespace or column is missing
	CodeAlreadyExists Code = "ALREADY_EXISTS"   // CREATE of something that exists
	CodeUnsupported   Code = "UNSUPPORTED"      // valid Flink SQL that wharf does not run yet
	CodeConflict      Code = "CONFLICT"         // a concurrent change won; retry may succeed
	CodeTooLarge      Code = "TOO_LARGE"        // over a size or count limit
	CodeForbidden     Code = "FORBIDDEN"        // the caller's scope does not allow the statement
	CodeMemoryLimit   Code = "MEMORY_LIMIT"     // the query went over its memory budget and was stopped
	CodeOverloaded    Code = "OVERLOADED"       // admission control refused the query: too many waiting; retry later
	CodeInternal      Code = "INTERNAL"         // wharf's fault or the storage's
)

// Pos is a position in statement text: 1-based line and column, 0-based byte
// offset.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Offset int `json:"offset"`
}

// Error is a statement error that a client can act on.
type Error struct {
	Code Code
	Msg  string
	Pos  *Pos // where in the statement, when known
	Err  error
}

func (e *Error) Error() string {
	if e.Pos != nil {
		return fmt.Sprintf("%s at line %d, column %d", e.Msg, e.Pos.Line, e.Pos.Column)
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }
