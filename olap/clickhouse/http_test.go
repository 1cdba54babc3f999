package clickhouse

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

type httpReply struct {
	status int
	header http.Header
	body   string
}

func httpDo(t *testing.T, method, base, query string, body string, hdr map[string]string) httpReply {
	t.Helper()
	req, err := http.NewRequest(method, base+"/?"+query, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpReply{resp.StatusCode, resp.Header, string(b)}
}

func q(sql string, extra ...string) string {
	v := url.Values{"query": {sql}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v.Encode()
}

func tsv(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "\t") + "\n")
	}
	return b.String()
}

func startHTTP(t *testing.T, opts ...Option) string {
	srv := New(newBackend(t), opts...)
	hs := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestHTTPTextFormats(t *testing.T) {
	base := startHTTP(t)
	header := strings.Join(fixtureNames, "\t") + "\n"
	// ClickHouse's TabSeparated escapes quotes: DateTime64(3, \'UTC\').
	types := strings.ReplaceAll(strings.Join(fixtureTypes, "\t"), "'", `\'`) + "\n"
	csvRows := `1,10,1.5,12.3,"tab	here",true,"2026-11-21","2026-11-21 10:00:00.123"
2,\N,-0.25,-3,"quote ' and ""dq""",false,"1969-12-31","1960-01-01 00:00:00.000"
3,3,\N,\N,"line
break \ back",\N,\N,\N
`
	for _, tc := range []struct {
		name, query, want, format string
	}{
		{"default", q(fixtureQuery), tsv(fixtureRows), "TabSeparated"},
		{"clause", q(fixtureQuery + " FORMAT TSV"), tsv(fixtureRows), "TabSeparated"},
		{"names", q(fixtureQuery + " FORMAT TabSeparatedWithNames"), header + tsv(fixtureRows), "TabSeparatedWithNames"},
		{"types", q(fixtureQuery+" SETTINGS max_threads = 1 FORMAT TSVWithNamesAndTypes;", "max_block_size", "10"), header + types + tsv(fixtureRows), "TabSeparatedWithNamesAndTypes"},
		{"default_format", q(fixtureQuery, "default_format", "CSV"), csvRows, "CSV"},
		{"csv names", q(fixtureQuery + " FORMAT CSVWithNames"), `"id","i","d","m","s","b","dt","ts"` + "\n" + csvRows, "CSVWithNames"},
		{"format in a string", q("SELECT 'x FORMAT JSON' -- FORMAT CSV\n"), "x FORMAT JSON\n", "TabSeparated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httpDo(t, "GET", base, tc.query, "", nil)
			if r.status != 200 || r.body != tc.want {
				t.Fatalf("status %d body\n%q\nwant\n%q", r.status, r.body, tc.want)
			}
			if got := r.header.Get("X-ClickHouse-Format"); got != tc.format {
				t.Errorf("X-ClickHouse-Format %q, want %q", got, tc.format)
			}
			if r.header.Get("X-ClickHouse-Query-Id") == "" || !strings.Contains(r.header.Get("X-ClickHouse-Summary"), `"result_rows"`) {
				t.Errorf("missing headers: %v", r.header)
			}
		})
	}
}

func TestHTTPJSONFormats(t *testing.T) {
	base := startHTTP(t)
	r := httpDo(t, "GET", base, q(fixtureQuery+" FORMAT JSON"), "", nil)
	var doc struct {
		Meta       []struct{ Name, Type string }
		Data       []map[string]any
		Rows       int
		Statistics map[string]float64
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.body)
	}
	if doc.Rows != 3 || len(doc.Meta) != len(fixtureNames) || doc.Meta[7].Type != fixtureTypes[7] {
		t.Fatalf("doc %+v", doc)
	}
	row := doc.Data[0]
	want := map[string]any{"id": "1", "i": 10.0, "d": 1.5, "m": 12.3, "s": "tab\there", "b": true, "dt": "2026-11-21",
		"ts": "2026-11-21 10:00:00.123"}
	for k, v := range want {
		if gb, _ := json.Marshal(row[k]); string(gb) != mustJSON(v) {
			t.Errorf("%s = %s, want %s", k, gb, mustJSON(v))
		}
	}
	if doc.Data[1]["i"] != nil || doc.Data[1]["s"] != `quote ' and "dq"` {
		t.Errorf("row 2 %v", doc.Data[1])
	}
	if _, ok := doc.Statistics["elapsed"]; !ok {
		t.Errorf("statistics %v", doc.Statistics)
	}

	r = httpDo(t, "GET", base, q(fixtureQuery+" FORMAT JSONEachRow", "output_format_json_quote_64bit_integers", "0"), "", nil)
	lines := strings.Split(strings.TrimSpace(r.body), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[2], `{"id":3,"i":3,"d":null,"m":null,"s":"line\nbreak \\ back"`) {
		t.Fatalf("JSONEachRow\n%s", r.body)
	}

	r = httpDo(t, "GET", base, q("SELECT id, s FROM shop.t WHERE id = 2 FORMAT JSONCompact"), "", nil)
	var compact struct{ Data [][]any }
	if err := json.Unmarshal([]byte(r.body), &compact); err != nil || len(compact.Data) != 1 || compact.Data[0][0] != "2" {
		t.Fatalf("JSONCompact %v\n%s", err, r.body)
	}
}

// TestHTTPBinaryFormats checks that Parquet and ArrowStream carry exactly
// the batches session.Exec returns.
func TestHTTPBinaryFormats(t *testing.T) {
	sess := newBackend(t)
	hs := httptest.NewServer(New(sess).HTTPHandler())
	defer hs.Close()
	direct, err := sess.Exec(context.Background(), fixtureQuery, true)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Release()
	want := concat(t, direct.Schema, direct.Batches)

	r := httpDo(t, "POST", hs.URL, "default_format=ArrowStream", fixtureQuery, nil)
	rd, err := ipc.NewReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("%v: %q", err, r.body)
	}
	var got []arrow.RecordBatch
	for rd.Next() {
		b := rd.RecordBatch()
		b.Retain()
		got = append(got, b)
	}
	if !array.RecordEqual(concat(t, rd.Schema(), got), want) {
		t.Errorf("ArrowStream differs from session.Exec")
	}

	r = httpDo(t, "POST", hs.URL, "", fixtureQuery+" FORMAT Parquet", nil)
	pf, err := file.NewParquetReader(bytes.NewReader([]byte(r.body)))
	if err != nil {
		t.Fatalf("%v: %q", err, r.body)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != 3 {
		t.Fatalf("parquet rows %d", tbl.NumRows())
	}
	for c := range int(tbl.NumCols()) {
		if !array.Equal(tbl.Column(c).Data().Chunk(0), want.Column(c)) {
			t.Errorf("parquet column %s differs", tbl.Schema().Field(c).Name)
		}
	}
}

// concat joins batches into one record.
func concat(t *testing.T, sc *arrow.Schema, batches []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, sc.NumFields())
	for c := range cols {
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		col, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		cols[c] = col
	}
	n := int64(0)
	if len(cols) > 0 {
		n = int64(cols[0].Len())
	}
	return array.NewRecordBatch(sc, cols, n)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestHTTPRequests(t *testing.T) {
	base := startHTTP(t)
	for _, tc := range []struct {
		name, method, query, body, want string
		hdr                             map[string]string
	}{
		{"ping", "GET", "", "", "Ok.\n", nil},
		{"post body", "POST", "", "SELECT id FROM shop.t WHERE id = 2", "2\n", nil},
		{"post param and body", "POST", q("SELECT id FROM shop.t"), "WHERE id > 1 ORDER BY id FORMAT CSV", "2\n3\n", nil},
		{"database param", "GET", q("SHOW TABLES", "database", "shop"), "", "t\n", nil},
		{"database header", "GET", q("SELECT currentDatabase()"), "", "shop\n", map[string]string{"X-ClickHouse-Database": "shop"}},
		{"version", "GET", q("SELECT version(), timezone() AS tz"), "", Version + "\tUTC\n", nil},
		{"select 1", "GET", q("SELECT 1"), "", "1\n", nil},
		{"show databases", "GET", q("SHOW DATABASES"), "", "shop\n", nil},
		{"describe", "GET", q("DESCRIBE TABLE shop.t FORMAT TSV"), "", "id\tInt64\t\t\t\t\t\ni\tNullable(Int32)", nil},
		{"exists", "GET", q("EXISTS TABLE shop.t"), "", "1\n", nil},
		{"not exists", "GET", q("EXISTS shop.nope"), "", "0\n", nil},
		{"system.tables", "GET", q("SELECT database, name, engine FROM system.tables WHERE database = 'shop' ORDER BY name"), "", "shop\tt\tIceberg\n", nil},
		{"system.columns", "GET", q("SELECT name, type, position FROM system.columns WHERE database = 'shop' AND table = 't' AND name LIKE 't%' ORDER BY name DESC"), "", "ts\tNullable(DateTime64(3, \\'UTC\\'))\t8\n", nil},
		{"system.databases", "GET", q("SELECT name FROM system.databases WHERE name = currentDatabase()", "database", "shop"), "", "shop\n", nil},
		{"system count", "GET", q("SELECT count() FROM system.columns WHERE table = 't'"), "", "8\n", nil},
		{"ddl", "POST", "", "CREATE TABLE shop.u (x INT)", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.query
			r := httpDo(t, tc.method, base, path, tc.body, tc.hdr)
			if tc.name == "ping" {
				resp, err := http.Get(base + "/ping")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r = httpReply{resp.StatusCode, resp.Header, string(b)}
			}
			if r.status != 200 || !strings.HasPrefix(r.body, tc.want) || tc.want == "" && r.body != "" {
				t.Fatalf("status %d body %q, want prefix %q", r.status, r.body, tc.want)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	base := startHTTP(t)
	for _, tc := range []struct {
		name, method, query, body string
		status, code              int
		name2                     string
	}{
		{"syntax", "GET", q("SELEC 1"), "", 400, 62, "SYNTAX_ERROR"},
		{"unknown table", "GET", q("SELECT * FROM shop.nope"), "", 404, 60, "UNKNOWN_TABLE"},
		{"unknown column", "GET", q("SELECT nope FROM shop.t"), "", 404, 47, "UNKNOWN_IDENTIFIER"},
		{"GET is read-only", "GET", q("INSERT INTO shop.t (id) VALUES (9)"), "", 403, 164, "READONLY"},
		{"readonly setting", "POST", q("DROP TABLE shop.t", "readonly", "1"), "", 403, 164, "READONLY"},
		{"unknown format", "GET", q("SELECT 1 FORMAT Pretty"), "", 400, 73, "UNKNOWN_FORMAT"},
		{"unterminated string", "GET", q("SELECT 'x"), "", 400, 62, "SYNTAX_ERROR"},
		{"two statements", "POST", "", "SELECT 1; SELECT 2", 400, 62, "SYNTAX_ERROR"},
		{"unknown system table", "GET", q("SELECT * FROM system.parts"), "", 404, 60, "UNKNOWN_TABLE"},
		{"bad path", "GET", "", "", 404, 78, "UNKNOWN_TYPE_OF_QUERY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r httpReply
			if tc.name == "bad path" {
				resp, err := http.Get(base + "/nope")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r = httpReply{resp.StatusCode, resp.Header, string(b)}
			} else {
				r = httpDo(t, tc.method, base, tc.query, tc.body, nil)
			}
			prefix := "Code: " + strconv.Itoa(tc.code) + ". DB::Exception: "
			if r.status != tc.status || !strings.HasPrefix(r.body, prefix) || !strings.Contains(r.body, "("+tc.name2+")") ||
				r.header.Get("X-ClickHouse-Exception-Code") != strconv.Itoa(tc.code) {
				t.Fatalf("status %d, body %q, code header %q", r.status, r.body, r.header.Get("X-ClickHouse-Exception-Code"))
			}
		})
	}
}

func TestHTTPAuth(t *testing.T) {
	base := startHTTP(t, WithAuthorizer(testAuthorizer))
	for _, tc := range []struct {
		name   string
		method string
		query  string
		body   string
		hdr    map[string]string
		status int
	}{
		{"no credentials", "GET", q("SELECT 1"), "", nil, 403},
		{"wrong key", "GET", q("SELECT 1"), "", map[string]string{"X-ClickHouse-User": "default", "X-ClickHouse-Key": "nope"}, 403},
		{"read key", "GET", q("SELECT 1"), "", map[string]string{"X-ClickHouse-Key": "reader-token"}, 200},
		{"read key cannot write", "POST", "", "CREATE TABLE shop.v (x INT)", map[string]string{"X-ClickHouse-Key": "reader-token"}, 403},
		{"password param", "POST", q("CREATE TABLE shop.w (x INT)", "user", "default", "password", "writer-token"), "", nil, 200},
		{"basic auth", "POST", "", "CREATE TABLE shop.x (x INT)", map[string]string{"Authorization": "Basic ZGVmYXVsdDp3cml0ZXItdG9rZW4="}, 200},
		{"ping needs nothing", "GET", "", "", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httpDo(t, tc.method, base, tc.query, tc.body, tc.hdr)
			if r.status != tc.status {
				t.Fatalf("status %d, body %q", r.status, r.body)
			}
			if tc.status == 403 && tc.name != "read key cannot write" && !strings.Contains(r.body, "(AUTHENTICATION_FAILED)") {
				t.Fatalf("body %q", r.body)
			}
		})
	}
}

// testAuthorizer knows a read token and a write token.
func testAuthorizer(_, password string) (readOnly, ok bool) {
	switch password {
	case "reader-token":
		return true, true
	case "writer-token":
		return false, true
	}
	return false, false
}
