package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/apache/iceberg-go/catalog"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/internal/redact"
)

// Codes the HTTP layer uses besides the session's.
const (
	codeUnauthenticated  = "UNAUTHENTICATED"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	codeCancelled        = "CANCELLED"
	codeDeadline         = "DEADLINE_EXCEEDED"
	codeInternal         = string(session.CodeInternal)
	codeNotFound         = session.CodeNotFound
)

// statusClientClosed is nginx's status for a client that went away.
const statusClientClosed = 499

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong and, for statement errors, where.
type ErrorDetail struct {
	Code     string       `json:"code"`
	Message  string       `json:"message"`
	Position *session.Pos `json:"position,omitempty"`
}

// statusOf maps a session error code to an HTTP status.
func statusOf(c session.Code) int {
	switch c {
	case session.CodeSyntax, session.CodeInvalid:
		return http.StatusBadRequest
	case session.CodeNotFound:
		return http.StatusNotFound
	case session.CodeAlreadyExists, session.CodeConflict:
		return http.StatusConflict
	case session.CodeForbidden:
		return http.StatusForbidden
	case session.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case session.CodeUnsupported:
		return http.StatusNotImplemented
	case session.CodeMemoryLimit:
		// The request was fine; what it asks for is over a limit of this server.
		return http.StatusUnprocessableEntity
	case session.CodeOverloaded:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// writeBackendError answers with the status and body err calls for. Messages
// pass through redact; internal errors are logged and get a generic message.
func (s *Server) writeBackendError(w http.ResponseWriter, r *http.Request, err error) {
	var se *session.Error
	switch {
	case errors.As(err, &se) && se.Code != session.CodeInternal && statusOf(se.Code) != http.StatusInternalServerError:
		if se.Code == session.CodeOverloaded {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, statusOf(se.Code), string(se.Code), redact.String(se.Msg), se.Pos)
	case errors.Is(err, catalog.ErrNoSuchTable), errors.Is(err, catalog.ErrNoSuchNamespace):
		writeError(w, http.StatusNotFound, string(session.CodeNotFound), redact.String(err.Error()), nil)
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, codeDeadline, "the request took too long and was cancelled", nil)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads this, and it is not an error of ours.
		writeError(w, statusClientClosed, codeCancelled, "request cancelled", nil)
	default:
		msg := redact.String(err.Error())
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", msg)
		writeError(w, http.StatusInternalServerError, codeInternal, "internal error: "+msg, nil)
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string, pos *session.Pos) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, Position: pos}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own response types get here; failing to encode one is a bug.
		panic("BUG: encoding response: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
