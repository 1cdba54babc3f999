package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharfdata/wharf/lake"
)

// FuzzRequests feeds arbitrary SQL bodies and table paths to the server.
// Invariants: no panic, no 5xx (the fake backend never fails), and every
// non-2xx answer is a JSON error body with a code.
func FuzzRequests(f *testing.F) {
	f.Add(`{"sql":"SELECT 1"}`, "db", "t")
	f.Add(`{"sql":"SELECT 1","database":"a.b\u0000"}`, "db", "t")
	f.Add(`{"sql":""}`, "..", "%2e%2e")
	f.Add(`{"sql":"x","extra":true}`, "a.b", "c\x00")
	f.Add(`[`, "", "t")
	f.Add(`{"sql":"\ud800"} trailing`, "db", strings.Repeat("x", 300))
	h := New(&fakeBackend{report: &lake.VerifyReport{}}, WithRegisterer(prometheus.NewRegistry()), WithMaxBodyBytes(256), WithMaxSQLBytes(64)).Handler()
	f.Fuzz(func(t *testing.T, body, ns, tbl string) {
		check := func(rec *httptest.ResponseRecorder) {
			if rec.Code >= 500 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if rec.Code >= 300 && rec.Code != 301 && rec.Code != 307 && rec.Code != 308 {
				var eb ErrorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" {
					t.Fatalf("status %d with a non-error body: %q", rec.Code, rec.Body)
				}
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/sql", strings.NewReader(body)))
		check(rec)

		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = "/v1/tables/" + ns + "/" + tbl + "/verify"
		req.URL.RawPath = ""
		req.Method = "POST"
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		check(rec)
	})
}

// plainSQL takes a body as it is only when encoding/json's strict decoding
// reads the same statement from it.
func FuzzPlainSQL(f *testing.F) {
	for _, s := range []string{`{"sql":"SELECT 1"}`, `{"sql":"SELECT 'é'"} ` + "\n", `{"sql":"a\"b"}`, `{"sql":"\u0041"}`,
		`{"sql":"x"}"}`, `{"sql":""}`, "{\"sql\":\"\xff\"}", `{"sql":"a","database":"d"}`, ` {"sql":"a"}`, `{"sql":"a"} {}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		sql, ok := plainSQL([]byte(body))
		if !ok {
			return
		}
		var req SQLRequest
		if err := decodeStrict(strings.NewReader(body), &req); err != nil || req.SQL != sql || req.Database != "" {
			t.Fatalf("plainSQL(%q) = %q; encoding/json: %+v, %v", body, sql, req, err)
		}
	})
}
