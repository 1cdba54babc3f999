package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/wharfdata/wharf/api"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/olap"
)

// POST /v1/sql's database (the JSON field, else X-Wharf-Database) is where
// that statement's one-part names resolve: concurrent callers on different
// databases, through one gate, each read their own t.
func TestSQLDatabasePerCall(t *testing.T) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	hs := httptest.NewServer(api.New(olap.New(session.New(wh))).Handler())
	t.Cleanup(hs.Close)
	post := func(body, header string) (string, error) {
		req, err := http.NewRequest(http.MethodPost, hs.URL+"/v1/sql", strings.NewReader(body))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set("X-Wharf-Database", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
		}
		return string(b), err
	}
	for _, q := range []string{
		`{"sql": "CREATE TABLE t (v STRING)", "database": "a"}`,
		`{"sql": "INSERT INTO t VALUES ('in a')", "database": "a"}`,
		`{"sql": "CREATE TABLE b.t (v STRING)"}`,
		`{"sql": "INSERT INTO b.t VALUES ('in b')"}`,
		`{"sql": "CREATE TABLE t (v STRING)"}`,
		`{"sql": "INSERT INTO t VALUES ('in default')"}`,
	} {
		if _, err := post(q, ""); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	clients := []struct{ name, body, header, want string }{
		{"field a", `{"sql": "SELECT v FROM t", "database": "a"}`, "", "in a"},
		{"header b", `{"sql": "SELECT v FROM t"}`, "b", "in b"},
		{"field wins", `{"sql": "SELECT v FROM t", "database": "a"}`, "b", "in a"},
		{"default", `{"sql": "SELECT v FROM t"}`, "", "in default"},
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(clients))
	for _, c := range clients {
		wg.Go(func() {
			for range 40 {
				body, err := post(c.body, c.header)
				var res api.SQLResponse
				if err == nil {
					err = json.Unmarshal([]byte(body), &res)
				}
				if err != nil || len(res.Rows) != 1 || string(res.Rows[0][0]) != `"`+c.want+`"` {
					errs <- fmt.Errorf("%s: %s (%v), want %q", c.name, body, err, c.want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A database that cannot exist is the caller's mistake: a 400.
	if _, err := post(`{"sql": "SELECT * FROM nope", "database": "no such db!"}`, ""); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("an invalid database name: %v", err)
	}
}
