package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/api"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

func testStdio(env map[string]string) (stdio, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return stdio{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}, &out, &errb
}

func TestWriteTable(t *testing.T) {
	resp := &api.SQLResponse{
		Columns: []api.Column{{Name: "id", Type: "BIGINT"}, {Name: "name", Type: "STRING"}, {Name: "ok", Type: "BOOLEAN"}, {Name: "tags", Type: "ARRAY<STRING>"}},
		Rows: [][]json.RawMessage{
			{json.RawMessage(`1`), json.RawMessage(`"Alice"`), json.RawMessage(`true`), json.RawMessage(`["a","b"]`)},
			{json.RawMessage(`"9007199254740993"`), json.RawMessage(`null`), json.RawMessage(`false`), json.RawMessage(`[]`)},
			{json.RawMessage(`3`), json.RawMessage(`"Zoë"`), json.RawMessage(`null`), json.RawMessage(`null`)},
		},
	}
	var b bytes.Buffer
	if err := writeTable(&b, resp); err != nil {
		t.Fatal(err)
	}
	want := `+------------------+--------+--------+-----------+
|               id |   name |     ok |      tags |
+------------------+--------+--------+-----------+
|                1 |  Alice |   TRUE | ["a","b"] |
| 9007199254740993 | <NULL> |  FALSE |        [] |
|                3 |    Zoë | <NULL> |    <NULL> |
+------------------+--------+--------+-----------+
3 rows in set
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	resp.Rows = resp.Rows[:1]
	_ = writeTable(&b, resp)
	if !strings.HasSuffix(b.String(), "+\n1 row in set\n") {
		t.Fatalf("one row: %s", b.String())
	}
	b.Reset()
	resp.Rows = nil
	_ = writeTable(&b, resp)
	if b.String() != "Empty set\n" {
		t.Fatalf("no rows: %q", b.String())
	}
}

func TestWriteCSV(t *testing.T) {
	resp := &api.SQLResponse{
		Columns: []api.Column{{Name: "id"}, {Name: "note"}, {Name: "m"}},
		Rows: [][]json.RawMessage{
			{json.RawMessage(`1`), json.RawMessage(`"a, \"quoted\"\nline"`), json.RawMessage(`{"k":1}`)},
			{json.RawMessage(`2`), json.RawMessage(`null`), json.RawMessage(`true`)},
		},
	}
	var b bytes.Buffer
	if err := writeCSV(&b, resp); err != nil {
		t.Fatal(err)
	}
	want := "id,note,m\n1,\"a, \"\"quoted\"\"\nline\",\"{\"\"k\"\":1}\"\n2,,true\n"
	if b.String() != want {
		t.Fatalf("got %q\nwant %q", b.String(), want)
	}
}

func TestParseSQLArgs(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr bool
		format  string
		file    string
		text    string
		server  string
	}{
		{args: []string{"SELECT 1"}, format: "table", text: "SELECT 1"},
		{args: []string{"SELECT 1", "--format", "csv", "--server", "http://h:1"}, format: "csv", text: "SELECT 1", server: "http://h:1"},
		{args: []string{"--format=json", "-f", "x.sql"}, format: "json", file: "x.sql"},
		{args: []string{"--", "-- comment\nSELECT 1"}, format: "table", text: "-- comment\nSELECT 1"},
		{args: []string{}, wantErr: true},
		{args: []string{"a", "b"}, wantErr: true},
		{args: []string{"-f", "x.sql", "SELECT 1"}, wantErr: true},
		{args: []string{"--format", "xml", "SELECT 1"}, wantErr: true},
		{args: []string{"--bogus", "SELECT 1"}, wantErr: true},
	}
	for _, tt := range tests {
		std, _, _ := testStdio(nil)
		a, err := parseSQLArgs(tt.args, std)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%q: no error", tt.args)
			}
			continue
		}
		if err != nil || a.format != tt.format || a.file != tt.file || a.text != tt.text || a.server != tt.server {
			t.Errorf("%q: %+v, %v", tt.args, a, err)
		}
	}
}

func TestResolveServer(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "addresses.json")
	if got := resolveServer("", file); got != defaultServer {
		t.Errorf("no file: %s", got)
	}
	if got := resolveServer("127.0.0.1:9999", file); got != "http://127.0.0.1:9999" {
		t.Errorf("flag without scheme: %s", got)
	}
	os.WriteFile(file, []byte(`{"http":"127.0.0.1:4321","broker":"127.0.0.1:1"}`), 0o644)
	if got := resolveServer("", file); got != "http://127.0.0.1:4321" {
		t.Errorf("from file: %s", got)
	}
	if got := resolveServer("https://x", file); got != "https://x" {
		t.Errorf("flag wins: %s", got)
	}
	os.WriteFile(file, []byte(`{"http":"0.0.0.0:4321"}`), 0o644)
	if got := resolveServer("", file); got != "http://127.0.0.1:4321" {
		t.Errorf("wildcard: %s", got)
	}
}

func TestInputPos(t *testing.T) {
	text := "CREATE TABLE a (x INT);\n\n  SELECT\n  bad"
	off := strings.Index(text, "SELECT")
	// "bad" is on line 2, column 3 of the statement.
	got := inputPos(text, off, session.Pos{Line: 2, Column: 3, Offset: 9})
	if got != (session.Pos{Line: 4, Column: 3, Offset: off + 9}) {
		t.Errorf("later line: %+v", got)
	}
	got = inputPos(text, off, session.Pos{Line: 1, Column: 1})
	if got.Line != 3 || got.Column != 3 {
		t.Errorf("first line: %+v", got)
	}
}

func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2}, {[]string{"nope"}, 2}, {[]string{"version"}, 0}, {[]string{"sql"}, 2},
		{[]string{"verify", "notable"}, 2}, {[]string{"serve", "extra"}, 2}, {[]string{"sql", "-h"}, 0},
	} {
		std, out, _ := testStdio(nil)
		if got := run(context.Background(), tc.args, std); got != tc.code {
			t.Errorf("%q: exit %d, want %d", tc.args, got, tc.code)
		}
		if len(tc.args) > 0 && tc.args[0] == "version" && !strings.HasPrefix(out.String(), "wharf ") {
			t.Errorf("version: %q", out.String())
		}
	}
}

// cliBackend answers statements by their text.
type cliBackend struct{ report *lake.VerifyReport }

func (b *cliBackend) Exec(_ context.Context, sql string, _ bool) (*session.Result, error) {
	switch {
	case strings.HasPrefix(sql, "CREATE"):
		return &session.Result{Kind: session.ResultOK}, nil
	case strings.HasPrefix(sql, "INSERT"):
		return &session.Result{Kind: session.ResultJob, JobID: "job-7"}, nil
	default:
		return nil, &session.Error{Code: session.CodeSyntax, Msg: "unexpected token", Pos: &session.Pos{Line: 1, Column: 3, Offset: 2}}
	}
}
func (b *cliBackend) ListTables(context.Context) ([]table.Identifier, error) { return nil, nil }
func (b *cliBackend) LoadTable(context.Context, table.Identifier) (*table.Table, error) {
	return nil, nil
}
func (b *cliBackend) Verify(context.Context, table.Identifier) (*lake.VerifyReport, error) {
	return b.report, nil
}

func TestSQLAndVerifyCommands(t *testing.T) {
	const tok = "cli-token-123456"
	be := &cliBackend{report: &lake.VerifyReport{Table: "db.t", Snapshots: 3, Checks: []lake.VerifyCheck{
		{Name: "txid-unique", Checked: 3}, {Name: "files-exist", Checked: 9, Violations: []string{"gone.parquet"}},
	}}}
	ts := httptest.NewServer(api.New(be, api.WithTokens(api.Token{Scope: api.ScopeWrite, Secret: tok})).Handler())
	defer ts.Close()
	file := filepath.Join(t.TempDir(), "x.sql")
	os.WriteFile(file, []byte("CREATE TABLE t (a INT);\nINSERT INTO t SELECT 1;\n\n  XX oops;\nCREATE TABLE never (a INT);"), 0o644)

	std, out, errb := testStdio(map[string]string{"WHARF_TOKEN": tok})
	code := run(context.Background(), []string{"sql", "--server", ts.URL, "-f", file}, std)
	if code != 1 {
		t.Fatalf("exit %d; stderr %s", code, errb)
	}
	if out.String() != "[INFO] Execute statement succeeded.\n[INFO] Job submitted. Job ID: job-7\n" {
		t.Errorf("stdout %q", out.String())
	}
	if want := "[ERROR] " + file + ": line 4, column 5: SYNTAX_ERROR: unexpected token\n"; errb.String() != want {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}

	std, out, _ = testStdio(nil)
	if code := run(context.Background(), []string{"sql", "--server", ts.URL, "--token", tok, "--format", "json", "CREATE TABLE x (a INT)"}, std); code != 0 || out.String() != "{\"ok\":true}\n" {
		t.Errorf("json: %d %q", code, out.String())
	}

	std, _, errb = testStdio(nil)
	if code := run(context.Background(), []string{"sql", "--server", ts.URL, "CREATE TABLE x (a INT)"}, std); code != 1 || !strings.Contains(errb.String(), "UNAUTHENTICATED") {
		t.Errorf("no token: %d %q", code, errb.String())
	}

	std, out, _ = testStdio(map[string]string{"WHARF_TOKEN": tok})
	if code := run(context.Background(), []string{"verify", "--server", ts.URL, "db.t"}, std); code != 1 {
		t.Errorf("verify with a violation: exit %d", code)
	}
	want := "table db.t: 3 snapshots\n" +
		"  ok    txid-unique  checked 3, 0 violations\n" +
		"  FAIL  files-exist  checked 9, 1 violations\n" +
		"        - gone.parquet\n" +
		"VIOLATIONS FOUND\n"
	if out.String() != want {
		t.Errorf("verify output\n%s\nwant\n%s", out.String(), want)
	}
	be.report.Checks = be.report.Checks[:1]
	std, _, _ = testStdio(map[string]string{"WHARF_TOKEN": tok})
	if code := run(context.Background(), []string{"verify", "--server", ts.URL, "db.t"}, std); code != 0 {
		t.Errorf("verify ok: exit %d", code)
	}
}
