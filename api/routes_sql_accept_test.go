package api

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/session"
)

func TestSQLAccept(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	fb := &fakeBackend{exec: func(string, bool) (*session.Result, error) {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer rb.Release()
		rb.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
		rb.Field(1).(*array.StringBuilder).AppendValues([]string{`a "q"`, ""}, []bool{true, false})
		return &session.Result{Kind: session.ResultRows, Schema: schema, Batches: []arrow.RecordBatch{rb.NewRecordBatch()}}, nil
	}}
	ts := newTestServer(t, fb)
	post := func(accept string) (string, []byte) {
		req, _ := http.NewRequest("POST", ts.URL+"/v1/sql", strings.NewReader(`{"sql":"SELECT 1"}`))
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", accept, resp.StatusCode, body)
		}
		return resp.Header.Get("Content-Type"), body
	}
	if ct, body := post("text/csv"); !strings.HasPrefix(ct, "text/csv") || string(body) != "\"id\",\"name\"\n1,\"a \"\"q\"\"\"\n2,\\N\n" {
		t.Errorf("CSV: %s %q", ct, body)
	}
	ct, body := post("application/vnd.apache.arrow.stream, application/json;q=0.5")
	rd, err := ipc.NewReader(bytes.NewReader(body))
	if err != nil || ct != "application/vnd.apache.arrow.stream" || !rd.Next() || rd.RecordBatch().NumRows() != 2 {
		t.Errorf("Arrow: %s %v", ct, err)
	}
	if ct, body := post("application/vnd.apache.parquet"); ct != "application/vnd.apache.parquet" || !bytes.HasPrefix(body, []byte("PAR1")) {
		t.Errorf("Parquet: %s %q", ct, body[:min(8, len(body))])
	}
	if ct, _ := post("application/json"); ct != "application/json" {
		t.Errorf("JSON: %s", ct)
	}
}
