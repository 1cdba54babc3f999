package clickhouse

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ClickHouse/ch-go"
	"github.com/ClickHouse/ch-go/proto"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/olap"
)

// The client's database (native hello, USE, HTTP database parameter or
// X-ClickHouse-Database) applies to its own statements only: clients on
// different databases, at once, through one gate (whose prepared plans and
// result cache are shared), each read their own table t.
func TestDatabasePerClient(t *testing.T) {
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	gate := olap.New(session.New(wh))
	for _, q := range []string{
		"CREATE TABLE a.t (v STRING NOT NULL)", "INSERT INTO a.t VALUES ('in a')",
		"CREATE TABLE b.t (v STRING NOT NULL)", "INSERT INTO b.t VALUES ('in b')",
		"CREATE TABLE t (v STRING NOT NULL)", "INSERT INTO t VALUES ('in default')",
	} {
		res, err := gate.Exec(ctx, q, false)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		res.Release()
	}
	addr := startNative(t, gate)
	hs := httptest.NewServer(New(gate).HTTPHandler())
	t.Cleanup(hs.Close)

	native := func(db string, use string) func() (string, error) {
		c := dial(t, addr, ch.Options{Database: db})
		if use != "" {
			if err := c.Do(ctx, ch.Query{Body: "USE " + use}); err != nil {
				t.Fatal(err)
			}
		}
		return func() (string, error) {
			var v proto.ColStr
			err := c.Do(ctx, ch.Query{Body: "SELECT v FROM t", Result: proto.Results{{Name: "v", Data: &v}}})
			if err != nil || v.Rows() != 1 {
				return "", fmt.Errorf("%d rows: %v", v.Rows(), err)
			}
			return v.Row(0), nil
		}
	}
	overHTTP := func(param, header string) func() (string, error) {
		return func() (string, error) {
			req, err := http.NewRequest(http.MethodPost, hs.URL+"/?database="+param, strings.NewReader("SELECT v FROM t"))
			if err != nil {
				return "", err
			}
			if header != "" {
				req.Header.Set("X-ClickHouse-Database", header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return strings.TrimSuffix(string(b), "\n"), err
		}
	}
	clients := []struct {
		name, want string
		run        func() (string, error)
	}{
		{"native hello a", "in a", native("a", "")},
		{"native hello b", "in b", native("b", "")},
		{"native USE b", "in b", native("", "b")},
		{"native default", "in default", native("", "")},
		{"http database=a", "in a", overHTTP("a", "")},
		{"http X-ClickHouse-Database: b", "in b", overHTTP("", "b")},
		{"http default", "in default", overHTTP("", "")},
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(clients))
	for _, c := range clients {
		wg.Go(func() {
			for range 40 {
				got, err := c.run()
				if err != nil || got != c.want {
					errs <- fmt.Errorf("%s: got %q (%v), want %q", c.name, got, err, c.want)
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
}
