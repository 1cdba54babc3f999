// Package errkind classifies errors at their source, the way franz-go's kerr
// errors carry whether they are retriable.
//
// Three classes matter to wharf:
//
//   - Retryable: nothing happened (a 409 conflict, a 503 SlowDown, a refused
//     connection). Retrying the same operation is safe.
//   - Ambiguous: the operation may or may not have taken effect (a timeout or a
//     5xx on a commit, a connection reset after the request was sent). The caller
//     must reconcile by reading state back; it must never clean up on the
//     assumption that nothing happened.
//   - Fatal: retrying cannot help (bad schema, denied credentials, a fenced writer).
//
// Errors that were never classified are Fatal: an unknown failure must not be
// retried into a duplicate, nor cleaned up into a loss.
package errkind

import (
	"errors"
	"fmt"
)

// Kind is the class of an error.
type Kind uint8

const (
	Fatal Kind = iota
	Retryable
	Ambiguous
)

func (k Kind) String() string {
	switch k {
	case Retryable:
		return "retryable"
	case Ambiguous:
		return "ambiguous"
	default:
		return "fatal"
	}
}

// Error wraps an error with its class.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap marks err with kind k. A nil err stays nil.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// Errorf formats an error of kind k; %w works as in fmt.Errorf.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// Of returns the class of err: the outermost classification in its chain, Fatal
// when there is none.
func Of(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Fatal
}

// IsRetryable reports whether err is safe to retry as is.
func IsRetryable(err error) bool { return err != nil && Of(err) == Retryable }

// IsAmbiguous reports whether err leaves the outcome unknown.
func IsAmbiguous(err error) bool { return err != nil && Of(err) == Ambiguous }
