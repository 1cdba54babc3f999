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
	return errAt(Unsupported, n.Position(), "%s is not supported yet (queries over one table with WHERE, ORDER BY and LIMIT work now)", what)
}

// suggest returns the candidate closest to name by edit distance, if it is
// close enough to be a likely typo.
func suggest(name string, candidates []string) string {
	best, bestD := "", len(name)/2+2
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] || a[i-1]^32 == b[j-1] && isLetter(a[i-1]) {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func isLetter(c byte) bool { return c|32 >= 'a' && c|32 <= 'z' }
