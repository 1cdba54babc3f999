package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/internal/redact"
)

// Exception is an error as ClickHouse clients expect it: a ClickHouse error
// code (its name comes with it) and a message. Both front ends send it.
type Exception struct {
	Code    proto.Error
	Message string
	Status  int // HTTP status
}

func (e *Exception) Error() string { return e.Message }

// Name is the ClickHouse name of the code, e.g. SYNTAX_ERROR.
func (e *Exception) Name() string { return e.Code.String() }

// Text is the message as ClickHouse words it:
// "Code: 62. DB::Exception: <message>. (SYNTAX_ERROR) (version …)".
func (e *Exception) Text() string {
	return fmt.Sprintf("Code: %d. %s", int(e.Code), e.display())
}

// display is the text without the code, as the native protocol carries it.
func (e *Exception) display() string {
	return fmt.Sprintf("DB::Exception: %s. (%s) (version %s (wharf))", strings.TrimSuffix(e.Message, "."), e.Name(), Version)
}

func exception(code proto.Error, status int, format string, args ...any) *Exception {
	return &Exception{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// errAuth is what a refused user or password gets.
func errAuth() *Exception {
	return exception(proto.ErrAuthenticationFailed, http.StatusForbidden,
		"default: Authentication failed: password is incorrect, or there is no user with such name (the password must be a wharf token)")
}

// toException classifies any error of a statement for ClickHouse clients.
// Messages go through redact; a position, when known, is part of the text.
func toException(err error) *Exception {
	var ex *Exception
	var se *session.Error
	var pe *posError
	switch {
	case errors.As(err, &ex):
		return ex
	case errors.Is(err, context.DeadlineExceeded):
		return exception(proto.ErrTimeoutExceeded, http.StatusGatewayTimeout, "Timeout exceeded: the statement took too long and was cancelled")
	case errors.Is(err, context.Canceled):
		return exception(proto.ErrQueryWasCancelled, 499, "Query was cancelled")
	case errors.As(err, &pe):
		return exception(proto.ErrSyntaxError, http.StatusBadRequest, "Syntax error: %s", pe.Error())
	case errors.As(err, &se):
		return sessionException(se)
	}
	return exception(proto.ErrUnknownException, http.StatusInternalServerError, "%s", redact.String(err.Error()))
}

func sessionException(se *session.Error) *Exception {
	msg := redact.String(se.Error())
	switch se.Code {
	case session.CodeSyntax:
		return exception(proto.ErrSyntaxError, http.StatusBadRequest, "Syntax error: %s", msg)
	case session.CodeInvalid:
		return exception(proto.ErrBadArguments, http.StatusBadRequest, "%s", msg)
	case session.CodeNotFound:
		lower := strings.ToLower(se.Msg)
		switch {
		case strings.HasPrefix(lower, "column"):
			return exception(proto.ErrUnknownIdentifier, http.StatusNotFound, "%s", msg)
		case strings.Contains(lower, "namespace") || strings.Contains(lower, "database"):
			return exception(proto.ErrUnknownDatabase, http.StatusNotFound, "%s", msg)
		}
		return exception(proto.ErrUnknownTable, http.StatusNotFound, "%s", msg)
	case session.CodeAlreadyExists:
		return exception(proto.ErrTableAlreadyExists, http.StatusBadRequest, "%s", msg)
	case session.CodeUnsupported:
		return exception(proto.ErrNotImplemented, http.StatusNotImplemented, "%s", msg)
	case session.CodeConflict:
		return exception(proto.ErrAborted, http.StatusConflict, "%s", msg)
	case session.CodeMemoryLimit:
		return exception(proto.ErrMemoryLimitExceeded, http.StatusInternalServerError, "Memory limit exceeded: %s", msg)
	case session.CodeOverloaded:
		return exception(proto.ErrTooManySimultaneousQueries, http.StatusTooManyRequests, "Too many simultaneous queries: %s", msg)
	case session.CodeTooLarge:
		return exception(proto.ErrTooManyRowsOrBytes, http.StatusRequestEntityTooLarge, "%s", msg)
	case session.CodeForbidden:
		return exception(proto.ErrReadonly, http.StatusForbidden, "Cannot execute query in readonly mode: %s", msg)
	}
	return exception(proto.ErrUnknownException, http.StatusInternalServerError, "%s", msg)
}
