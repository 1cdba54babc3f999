package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wharfdata/wharf/engine/session"
)

// blockingBackend runs every statement until it is cancelled, and reports
// the cancellation the way the session does (wrapped in a statement error).
type blockingBackend struct{ fakeBackend }

func (b *blockingBackend) Exec(ctx context.Context, _ string, _ bool) (*session.Result, error) {
	<-ctx.Done()
	return nil, &session.Error{Code: session.CodeInternal, Msg: ctx.Err().Error(), Err: ctx.Err()}
}

// TestStatementTimeout (RELIABILITY S4): a statement over its deadline is
// cancelled within the deadline + 1 s and answered 504.
func TestStatementTimeout(t *testing.T) {
	srv := New(&blockingBackend{}, WithStatementTimeout(200*time.Millisecond))
	start := time.Now()
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/sql", strings.NewReader(`{"sql":"SELECT 1"}`)))
	if took := time.Since(start); took > 1200*time.Millisecond {
		t.Fatalf("answered after %s", took)
	}
	if rec.Code != http.StatusGatewayTimeout || !strings.Contains(rec.Body.String(), "DEADLINE_EXCEEDED") {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body)
	}
}
