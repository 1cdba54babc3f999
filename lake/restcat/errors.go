package restcat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// Errors of the store that have no iceberg-go sentinel. The store also
// returns iceberg-go's catalog sentinels (ErrNoSuchTable, ErrNoSuchNamespace,
// ErrTableAlreadyExists, ErrNamespaceAlreadyExists, ErrNamespaceNotEmpty) and
// table.ErrCommitFailed for a conflict; errorOf maps each to its REST type.
var (
	// ErrBadRequest: the request is malformed or names something invalid.
	ErrBadRequest = errors.New("bad request")
	// ErrUnprocessable: well-formed but contradictory (a property both set
	// and removed).
	ErrUnprocessable = errors.New("unprocessable request")
	// ErrNotApplied: the store failed before its transaction committed, so
	// nothing was applied. The client may retry.
	ErrNotApplied = errors.New("catalog store error; nothing was committed")
	// ErrCommitStateUnknown: the store failed while committing; the commit
	// may or may not have been applied. The client must reload, not retry blindly.
	ErrCommitStateUnknown = errors.New("commit state unknown")
)

// Error is one error in the REST spec's error model.
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// errorBody is the REST spec's ErrorModel wrapped in {"error": …}.
type errorBody struct {
	Error errorModel `json:"error"`
}

type errorModel struct {
	Message string   `json:"message"`
	Type    string   `json:"type"`
	Code    int      `json:"code"`
	Stack   []string `json:"stack,omitempty"`
}

// REST spec error types.
const (
	TypeBadRequest          = "BadRequestException"
	TypeNotAuthorized       = "NotAuthorizedException"
	TypeForbidden           = "ForbiddenException"
	TypeNoSuchTable         = "NoSuchTableException"
	TypeNoSuchNamespace     = "NoSuchNamespaceException"
	TypeAlreadyExists       = "AlreadyExistsException"
	TypeNamespaceNotEmpty   = "NamespaceNotEmptyException"
	TypeCommitFailed        = "CommitFailedException"
	TypeCommitStateUnknown  = "CommitStateUnknownException"
	TypeUnprocessable       = "UnprocessableEntityException"
	TypeServiceUnavailable  = "ServiceUnavailableException"
	TypeNotImplemented      = "UnsupportedOperationException"
	TypeInternalServerError = "InternalServerError"
)

// WriteError writes one error in the REST error model. The HTTP API uses it
// for the authentication and scope errors it answers on /iceberg/ itself.
func WriteError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, errorBody{Error: errorModel{Message: msg, Type: typ, Code: status}})
}

// errorOf maps a store error to its REST error. Errors with no mapping are
// internal; their message still goes out (it names no secret: the store's
// messages carry identifiers and locations only).
func errorOf(err error) *Error {
	var re *Error
	switch {
	case errors.As(err, &re):
		return re
	case errors.Is(err, catalog.ErrNoSuchTable):
		return &Error{http.StatusNotFound, TypeNoSuchTable, err.Error()}
	case errors.Is(err, catalog.ErrNoSuchNamespace):
		return &Error{http.StatusNotFound, TypeNoSuchNamespace, err.Error()}
	case errors.Is(err, catalog.ErrTableAlreadyExists), errors.Is(err, catalog.ErrNamespaceAlreadyExists):
		return &Error{http.StatusConflict, TypeAlreadyExists, err.Error()}
	case errors.Is(err, catalog.ErrNamespaceNotEmpty):
		return &Error{http.StatusConflict, TypeNamespaceNotEmpty, err.Error()}
	case errors.Is(err, table.ErrCommitFailed), errors.Is(err, ErrLineage):
		return &Error{http.StatusConflict, TypeCommitFailed, err.Error()}
	case errors.Is(err, ErrUnprocessable):
		return &Error{http.StatusUnprocessableEntity, TypeUnprocessable, err.Error()}
	case errors.Is(err, ErrBadRequest), errors.Is(err, iceberg.ErrInvalidArgument),
		errors.Is(err, table.ErrInvalidRequirement), errors.Is(err, iceberg.ErrInvalidSchema):
		return &Error{http.StatusBadRequest, TypeBadRequest, err.Error()}
	case errors.Is(err, ErrCommitStateUnknown):
		return &Error{http.StatusInternalServerError, TypeCommitStateUnknown, err.Error()}
	case errors.Is(err, ErrNotApplied):
		return &Error{http.StatusServiceUnavailable, TypeServiceUnavailable, err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{http.StatusServiceUnavailable, TypeServiceUnavailable, "request timed out: " + err.Error()}
	default:
		return &Error{http.StatusInternalServerError, TypeInternalServerError, err.Error()}
	}
}

// fail answers with the REST error for err and logs server-side failures.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := errorOf(err)
	if e.Status >= 500 {
		h.log.Error("iceberg REST request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	}
	WriteError(w, e.Status, e.Type, e.Message)
}

func badRequest(format string, args ...any) error {
	return &Error{http.StatusBadRequest, TypeBadRequest, fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Table metadata that iceberg-go built but cannot encode is a bug
		// there or here; the client still gets a well-formed error.
		slog.Error("restcat: encoding response", "err", err)
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{Error: errorModel{Message: "encoding response: " + err.Error(), Type: TypeInternalServerError, Code: status}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
