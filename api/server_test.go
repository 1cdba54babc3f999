package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/internal/redact"
	"github.com/wharfdata/wharf/lake"
)

// fakeBackend is an in-process Backend whose answers the test sets.
type fakeBackend struct {
	exec       func(sql string, readOnly bool) (*session.Result, error)
	lastRO     bool
	calls      int
	tables     []table.Identifier
	tbl        *table.Table
	loadErr    error
	report     *lake.VerifyReport
	panicInGet bool
}

func (f *fakeBackend) Exec(_ context.Context, sql string, readOnly bool) (*session.Result, error) {
	f.lastRO = readOnly
	f.calls++
	if f.exec == nil {
		return &session.Result{Kind: session.ResultOK}, nil
	}
	return f.exec(sql, readOnly)
}

func (f *fakeBackend) ListTables(context.Context) ([]table.Identifier, error) { return f.tables, nil }

func (f *fakeBackend) LoadTable(_ context.Context, id table.Identifier) (*table.Table, error) {
	if f.panicInGet {
		panic("boom")
	}
	if f.loadErr != nil {
		return nil, f.loadErr
	}
	return f.tbl, nil
}

func (f *fakeBackend) Verify(context.Context, table.Identifier) (*lake.VerifyReport, error) {
	return f.report, nil
}

const (
	readTok  = "read-token-0123456789"
	writeTok = "write-token-0123456789"
)

func newTestServer(t *testing.T, b Backend, opts ...Option) *httptest.Server {
	t.Helper()
	opts = append([]Option{WithRegisterer(prometheus.NewRegistry())}, opts...)
	ts := httptest.NewServer(New(b, opts...).Handler())
	t.Cleanup(ts.Close)
	return ts
}

func do(t *testing.T, ts *httptest.Server, method, path, token, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

func errorOf(t *testing.T, body []byte) ErrorDetail {
	t.Helper()
	var eb ErrorBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil || eb.Error.Code == "" {
		t.Fatalf("not an error body (%v): %s", err, body)
	}
	return eb.Error
}

// TestAuthEveryRoute calls every route of the route table without a token and
// with a wrong one: all but /healthz must answer 401.
func TestAuthEveryRoute(t *testing.T) {
	srv := New(&fakeBackend{}, WithTokens(Token{ScopeRead, readTok}), WithRegisterer(prometheus.NewRegistry()))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, rt := range srv.routeTbl {
		path := strings.NewReplacer("{namespace}", "db", "{table}", "t").Replace(rt.pattern)
		for _, tok := range []string{"", "wrong-token-0123456789", readTok + "x"} {
			code, hdr, body := do(t, ts, rt.method, path, tok, `{"sql":"SELECT 1"}`)
			if rt.public {
				if code != http.StatusOK {
					t.Errorf("%s %s: public route answered %d", rt.method, rt.pattern, code)
				}
				continue
			}
			if code != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with token %q: %d %q, want 401 with WWW-Authenticate", rt.method, rt.pattern, tok, code, hdr.Get("WWW-Authenticate"))
			}
			if rt.restErrors {
				// Iceberg REST clients parse the REST spec's error model.
				var eb struct {
					Error struct {
						Message string `json:"message"`
						Type    string `json:"type"`
						Code    int    `json:"code"`
					} `json:"error"`
				}
				if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code != http.StatusUnauthorized || eb.Error.Type != "NotAuthorizedException" {
					t.Errorf("%s: not a REST error body (%v): %s", rt.pattern, err, body)
				}
				continue
			}
			if e := errorOf(t, body); e.Code != codeUnauthenticated {
				t.Errorf("code %q", e.Code)
			}
		}
	}
	if len(srv.routeTbl) < 7 {
		t.Fatalf("route table has %d routes", len(srv.routeTbl))
	}
}

func TestAuthScopes(t *testing.T) {
	fb := &fakeBackend{}
	ts := newTestServer(t, fb, WithTokens(Token{ScopeRead, readTok}, Token{ScopeWrite, writeTok}))
	for _, tc := range []struct {
		tok      string
		readOnly bool
	}{{readTok, true}, {writeTok, false}} {
		code, _, body := do(t, ts, "POST", "/v1/sql", tc.tok, `{"sql":"CREATE TABLE t (a INT)"}`)
		if code != 200 || fb.lastRO != tc.readOnly {
			t.Fatalf("token %s: %d %s readOnly=%v", tc.tok, code, body, fb.lastRO)
		}
	}
	// Auth off: full access.
	fb2 := &fakeBackend{}
	ts2 := newTestServer(t, fb2)
	if code, _, _ := do(t, ts2, "POST", "/v1/sql", "", `{"sql":"x"}`); code != 200 || fb2.lastRO {
		t.Fatalf("auth off: %d readOnly=%v", code, fb2.lastRO)
	}
}

func TestParseTokens(t *testing.T) {
	toks, err := ParseTokenFile(strings.NewReader("# comment\n\nread  aaaaaaaa1\nwrite bbbbbbbb2\n"))
	if err != nil || len(toks) != 2 || toks[0] != (Token{ScopeRead, "aaaaaaaa1"}) || toks[1].Scope != ScopeWrite {
		t.Fatalf("got %v, %v", toks, err)
	}
	for _, bad := range []string{"admin cccccccc3", "read", "read short", "read a b"} {
		if _, err := ParseTokenFile(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if tok, err := ParseToken("write:cccccccc3"); err != nil || tok.Scope != ScopeWrite || tok.Secret != "cccccccc3" {
		t.Fatalf("got %v, %v", tok, err)
	}
	for _, bad := range []string{"cccccccc3", "root:cccccccc3", "read:short"} {
		if _, err := ParseToken(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestHealthAndMetrics(t *testing.T) {
	ts := newTestServer(t, &fakeBackend{})
	code, _, body := do(t, ts, "GET", "/healthz", "", "")
	if code != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Fatalf("healthz: %d %s", code, body)
	}
	do(t, ts, "POST", "/v1/sql", "", `{"sql":"x"}`)
	code, _, body = do(t, ts, "GET", "/metrics", "", "")
	for _, want := range []string{
		`wharf_http_requests_total{method="POST",route="/v1/sql",status="200"} 1`,
		`wharf_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
		`wharf_http_requests_in_flight 1`,
	} {
		if code != 200 || !bytes.Contains(body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The private default registry carries the Go and process collectors.
	s := New(&fakeBackend{})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "go_goroutines") {
		t.Error("default registry lacks Go collector")
	}
}

func TestSQLRequestValidation(t *testing.T) {
	ts := newTestServer(t, &fakeBackend{}, WithMaxBodyBytes(1024), WithMaxSQLBytes(100))
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"unknown field", `{"sql":"SELECT 1","x":1}`, 400, "INVALID_ARGUMENT"},
		{"not json", `SELECT 1`, 400, "INVALID_ARGUMENT"},
		{"empty body", ``, 400, "INVALID_ARGUMENT"},
		{"trailing data", `{"sql":"SELECT 1"} {}`, 400, "INVALID_ARGUMENT"},
		{"empty sql", `{"sql":"  \n"}`, 400, "INVALID_ARGUMENT"},
		{"sql too long", `{"sql":"` + strings.Repeat("x", 101) + `"}`, 413, "TOO_LARGE"},
		{"body too large", `{"sql":"` + strings.Repeat("x", 2000) + `"}`, 413, "TOO_LARGE"},
	}
	for _, tt := range tests {
		code, _, body := do(t, ts, "POST", "/v1/sql", "", tt.body)
		if e := errorOf(t, body); code != tt.status || e.Code != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, code, body, tt.status, tt.code)
		}
	}
}

func TestSQLErrors(t *testing.T) {
	const canary = "CANARY-secret-in-error-9876"
	redact.Register(canary)
	var logs bytes.Buffer
	pos := &session.Pos{Line: 2, Column: 5, Offset: 12}
	tests := []struct {
		err    error
		status int
		code   string
		pos    bool
	}{
		{&session.Error{Code: session.CodeSyntax, Msg: "unexpected FROM", Pos: pos}, 400, "SYNTAX_ERROR", true},
		{&session.Error{Code: session.CodeInvalid, Msg: "bad"}, 400, "INVALID_ARGUMENT", false},
		{fmt.Errorf("wrapped: %w", &session.Error{Code: session.CodeNotFound, Msg: "no table"}), 404, "NOT_FOUND", false},
		{&session.Error{Code: session.CodeAlreadyExists, Msg: "exists"}, 409, "ALREADY_EXISTS", false},
		{&session.Error{Code: session.CodeConflict, Msg: "retry"}, 409, "CONFLICT", false},
		{&session.Error{Code: session.CodeForbidden, Msg: "read-only"}, 403, "FORBIDDEN", false},
		{&session.Error{Code: session.CodeTooLarge, Msg: "big"}, 413, "TOO_LARGE", false},
		{&session.Error{Code: session.CodeMemoryLimit, Msg: "over budget"}, 422, "MEMORY_LIMIT", false},
		{&session.Error{Code: session.CodeOverloaded, Msg: "lane full"}, 429, "OVERLOADED", false},
		{&session.Error{Code: session.CodeUnsupported, Msg: "later"}, 501, "UNSUPPORTED", false},
		{&session.Error{Code: session.CodeInternal, Msg: "disk " + canary}, 500, "INTERNAL", false},
		{&session.Error{Code: "WEIRD", Msg: "?"}, 500, "INTERNAL", false},
		{fmt.Errorf("load: %w", catalog.ErrNoSuchTable), 404, "NOT_FOUND", false},
		{errors.New("s3 said " + canary), 500, "INTERNAL", false},
	}
	for _, tt := range tests {
		fb := &fakeBackend{exec: func(string, bool) (*session.Result, error) { return nil, tt.err }}
		ts := newTestServer(t, fb, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		code, _, body := do(t, ts, "POST", "/v1/sql", "", `{"sql":"SELECT"}`)
		e := errorOf(t, body)
		if code != tt.status || e.Code != tt.code || (e.Position != nil) != tt.pos {
			t.Errorf("%v: %d %s", tt.err, code, body)
		}
		if bytes.Contains(body, []byte(canary)) {
			t.Errorf("error body leaks a secret: %s", body)
		}
	}
	if bytes.Contains(logs.Bytes(), []byte(canary)) {
		t.Errorf("log leaks a secret: %s", logs.String())
	}
	if !bytes.Contains(logs.Bytes(), []byte("[REDACTED]")) {
		t.Errorf("internal errors not logged: %s", logs.String())
	}
}

func TestSQLResults(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	batch := func(ids []int64, names []string, valid []bool) arrow.RecordBatch {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer rb.Release()
		rb.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
		rb.Field(1).(*array.StringBuilder).AppendValues(names, valid)
		return rb.NewRecordBatch()
	}
	fb := &fakeBackend{}
	ts := newTestServer(t, fb)
	tests := []struct {
		name string
		res  func() *session.Result
		want string
	}{
		{"rows", func() *session.Result {
			return &session.Result{Kind: session.ResultRows, Schema: schema, Stats: session.Stats{Elapsed: 1500 * time.Microsecond},
				Batches: []arrow.RecordBatch{batch([]int64{1, 2}, []string{"a", ""}, []bool{true, false}), batch([]int64{3}, []string{"c"}, nil)}}
		}, `{"columns":[{"name":"id","type":"BIGINT NOT NULL"},{"name":"name","type":"STRING"}],"rows":[[1,"a"],[2,null],[3,"c"]],"stats":{"rows":3,"elapsed_ms":1.5}}`},
		{"no rows", func() *session.Result {
			return &session.Result{Kind: session.ResultRows, Schema: schema}
		}, `{"columns":[{"name":"id","type":"BIGINT NOT NULL"},{"name":"name","type":"STRING"}],"rows":[],"stats":{"rows":0,"elapsed_ms":0}}`},
		{"ok", func() *session.Result { return &session.Result{Kind: session.ResultOK} }, `{"ok":true}`},
		{"ok with stats", func() *session.Result {
			return &session.Result{Kind: session.ResultOK, Stats: session.Stats{RowsAffected: 10, SnapshotID: 77}}
		}, `{"ok":true,"stats":{"rows_affected":10,"snapshot_id":77}}`},
		{"job", func() *session.Result { return &session.Result{Kind: session.ResultJob, JobID: "job-1"} }, `{"job_id":"job-1"}`},
	}
	for _, tt := range tests {
		var res *session.Result
		fb.exec = func(string, bool) (*session.Result, error) { res = tt.res(); return res, nil }
		code, hdr, body := do(t, ts, "POST", "/v1/sql", "", `{"sql":"SELECT 1"}`)
		if code != 200 || strings.TrimSpace(string(body)) != tt.want || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s\nwant %s", tt.name, code, body, tt.want)
		}
		if res.Batches != nil {
			t.Errorf("%s: result not released", tt.name)
		}
	}
}

// A result from the gate's cache is encoded once: later hits write the kept
// bytes with their own elapsed time; a result that streams is not kept.
func TestSQLResultEncodingsKept(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	batch := func(n int) arrow.RecordBatch {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer rb.Release()
		for i := range n {
			rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("row-%d-%s", i, strings.Repeat("x", 20)))
		}
		return rb.NewRecordBatch()
	}
	enc := session.NewEncodings(1 << 20)
	var rows int
	elapsed := time.Millisecond
	fb := &fakeBackend{exec: func(string, bool) (*session.Result, error) {
		return &session.Result{Kind: session.ResultRows, Schema: schema, Batches: []arrow.RecordBatch{batch(rows)},
			Stats: session.Stats{Elapsed: elapsed}, Encodings: enc}, nil
	}}
	ts := newTestServer(t, fb)
	rows = 2
	_, _, first := do(t, ts, "POST", "/v1/sql", "", `{"sql":"SELECT s FROM t"}`)
	if _, ok := enc.Get(jsonRowsFormat); !ok {
		t.Fatal("a small result's answer was not kept")
	}
	// The kept bytes answer, whatever the batches now hold.
	rows, elapsed = 3, 2500*time.Microsecond
	_, _, second := do(t, ts, "POST", "/v1/sql", "", `{"sql":"SELECT s FROM t"}`)
	want := strings.Replace(string(first), `"elapsed_ms":1}`, `"elapsed_ms":2.5}`, 1)
	if string(second) != want || !strings.Contains(want, `"rows":2,`) {
		t.Errorf("second answer\n%s\nwant\n%s", second, want)
	}

	enc = session.NewEncodings(1 << 20)
	rows = 5000 // over flushAt: streamed, not kept
	code, _, body := do(t, ts, "POST", "/v1/sql", "", `{"sql":"SELECT s FROM t"}`)
	var resp SQLResponse
	if err := json.Unmarshal(body, &resp); err != nil || code != 200 || len(resp.Rows) != rows {
		t.Fatalf("%d, %v, %d rows", code, err, len(resp.Rows))
	}
	if _, ok := enc.Get(jsonRowsFormat); ok {
		t.Error("a streamed answer was kept")
	}
	// Nothing is kept beyond the allowance.
	small := session.NewEncodings(10)
	small.Put("f", make([]byte, 11))
	if _, ok := small.Get("f"); ok {
		t.Error("kept over the allowance")
	}
}

func TestLargeResultStreams(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	const n = 20000
	for i := range n {
		rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("row-%d-%s", i, strings.Repeat("x", 20)))
	}
	rec := rb.NewRecordBatch()
	rb.Release()
	fb := &fakeBackend{exec: func(string, bool) (*session.Result, error) {
		return &session.Result{Kind: session.ResultRows, Schema: schema, Batches: []arrow.RecordBatch{rec}}, nil
	}}
	ts := newTestServer(t, fb)
	code, _, body := do(t, ts, "POST", "/v1/sql", "", `{"sql":"SELECT s FROM t"}`)
	var resp SQLResponse
	if err := json.Unmarshal(body, &resp); err != nil || code != 200 || len(resp.Rows) != n || resp.Stats.Rows != n {
		t.Fatalf("%d, %v, %d rows", code, err, len(resp.Rows))
	}
}

func TestPanicRecovered(t *testing.T) {
	var logs bytes.Buffer
	ts := newTestServer(t, &fakeBackend{panicInGet: true}, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	code, _, body := do(t, ts, "GET", "/v1/tables/db/t", "", "")
	if e := errorOf(t, body); code != 500 || e.Code != "INTERNAL" {
		t.Fatalf("%d %s", code, body)
	}
	if !strings.Contains(logs.String(), "panic") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
	if code, _, _ := do(t, ts, "GET", "/healthz", "", ""); code != 200 {
		t.Fatal("server down after a panic")
	}
}

func TestUnmatchedRoutes(t *testing.T) {
	ts := newTestServer(t, &fakeBackend{})
	code, _, body := do(t, ts, "GET", "/v2/nothing", "", "")
	if e := errorOf(t, body); code != 404 || e.Code != "NOT_FOUND" {
		t.Errorf("404: %d %s", code, body)
	}
	code, hdr, body := do(t, ts, "GET", "/v1/sql", "", "")
	if e := errorOf(t, body); code != 405 || e.Code != codeMethodNotAllowed || !strings.Contains(hdr.Get("Allow"), "POST") {
		t.Errorf("405: %d %s %v", code, body, hdr)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	fb := &fakeBackend{}
	ts := newTestServer(t, fb)
	req, _ := http.NewRequest("POST", ts.URL+"/v1/sql", strings.NewReader(`{"sql":"DROP TABLE t"}`))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || errorOf(t, body).Code != "FORBIDDEN" || fb.calls != 0 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
