package sql

import "fmt"

// Pos is a position in statement text: 1-based line and column (counted in
// characters), 0-based byte offset.
type Pos struct {
	Line, Column, Offset int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Error is a syntax error with the position it was found at.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s at line %d, column %d", e.Msg, e.Pos.Line, e.Pos.Column)
}

// maxDepth bounds the nesting of parentheses, subqueries, expressions and
// types, so hostile input fails with an error instead of exhausting the stack.
const maxDepth = 100

// bailout carries a syntax error up the recursive descent to the entry
// point, which recovers exactly this type; any other panic is a bug.
type bailout struct{ err *Error }
