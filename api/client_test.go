package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

func TestClient(t *testing.T) {
	fb := &fakeBackend{
		exec: func(sql string, _ bool) (*session.Result, error) {
			if sql == "bad" {
				return nil, &session.Error{Code: session.CodeSyntax, Msg: "oops", Pos: &session.Pos{Line: 1, Column: 2}}
			}
			return &session.Result{Kind: session.ResultJob, JobID: "j1"}, nil
		},
		report: &lake.VerifyReport{Table: "db.t", Checks: []lake.VerifyCheck{{Name: "c", Checked: 1}}},
	}
	ts := newTestServer(t, fb, WithTokens(Token{ScopeWrite, writeTok}))
	ctx := context.Background()
	c := NewClient(ts.URL+"/", writeTok, ts.Client())
	raw, resp, err := c.SQL(ctx, "INSERT …")
	if err != nil || resp.JobID != "j1" || string(raw) != "{\"job_id\":\"j1\"}\n" {
		t.Fatalf("%s %+v %v", raw, resp, err)
	}
	_, _, err = c.SQL(ctx, "bad")
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != 400 || err.Error() != "SYNTAX_ERROR: oops (line 1, column 2)" {
		t.Fatalf("%v", err)
	}
	rep, err := c.Verify(ctx, "db", "t")
	if err != nil || !rep.OK || rep.Table != "db.t" {
		t.Fatalf("%+v %v", rep, err)
	}
	_, _, err = NewClient(ts.URL, "", ts.Client()).SQL(ctx, "x")
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		t.Fatalf("%v", err)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer plain.Close()
	_, _, err = NewClient(plain.URL, "", nil).SQL(ctx, "x")
	if err == nil || err.Error() != "HTTP_502: bad gateway" {
		t.Fatalf("%v", err)
	}
}
