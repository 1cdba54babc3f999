package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
)

const testMetadata = `{
  "format-version": 2,
  "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
  "location": "s3://bucket/wh/db/t",
  "last-sequence-number": 2,
  "last-updated-ms": 1700000001000,
  "last-column-id": 3,
  "current-schema-id": 0,
  "schemas": [{"type": "struct", "schema-id": 0, "fields": [
    {"id": 1, "name": "id", "required": true, "type": "long"},
    {"id": 2, "name": "ts", "required": false, "type": "timestamp"},
    {"id": 3, "name": "amount", "required": false, "type": "decimal(10, 2)"}]}],
  "default-spec-id": 0,
  "partition-specs": [{"spec-id": 0, "fields": [{"name": "ts_day", "transform": "day", "source-id": 2, "field-id": 1000}]}],
  "last-partition-id": 1000,
  "default-sort-order-id": 1,
  "sort-orders": [{"order-id": 1, "fields": [{"transform": "identity", "source-id": 1, "direction": "asc", "null-order": "nulls-first"}]}],
  "properties": {"owner": "wharf", "s3.secret-access-key": "topsecretvalue", "client.session-token": "sess", "rest.token": "tok"},
  "current-snapshot-id": 22,
  "snapshots": [
    {"snapshot-id": 11, "sequence-number": 1, "timestamp-ms": 1700000000000, "manifest-list": "s3://bucket/wh/db/t/metadata/snap-11.avro",
     "summary": {"operation": "append", "added-records": "5", "wharf.txid": "abc"}, "schema-id": 0},
    {"snapshot-id": 22, "parent-snapshot-id": 11, "sequence-number": 2, "timestamp-ms": 1700000001000, "manifest-list": "s3://bucket/wh/db/t/metadata/snap-22.avro",
     "summary": {"operation": "overwrite", "deleted-records": "1"}, "schema-id": 0}],
  "snapshot-log": [{"snapshot-id": 11, "timestamp-ms": 1700000000000}, {"snapshot-id": 22, "timestamp-ms": 1700000001000}],
  "metadata-log": []
}`

func testTable(t *testing.T) *table.Table {
	t.Helper()
	md, err := table.ParseMetadataString(testMetadata)
	if err != nil {
		t.Fatal(err)
	}
	return table.New(table.Identifier{"db", "t"}, md, "s3://bucket/wh/db/t/metadata/v3.metadata.json", nil, nil)
}

func TestListTables(t *testing.T) {
	ts := newTestServer(t, &fakeBackend{tables: []table.Identifier{{"db", "b"}, {"a", "x", "t"}, {"db", "a"}}})
	code, _, body := do(t, ts, "GET", "/v1/tables", "", "")
	want := `{"tables":[{"namespace":"a.x","name":"t"},{"namespace":"db","name":"a"},{"namespace":"db","name":"b"}]}`
	if code != 200 || strings.TrimSpace(string(body)) != want {
		t.Fatalf("%d %s", code, body)
	}
	ts = newTestServer(t, &fakeBackend{})
	if code, _, body := do(t, ts, "GET", "/v1/tables", "", ""); code != 200 || strings.TrimSpace(string(body)) != `{"tables":[]}` {
		t.Fatalf("empty: %d %s", code, body)
	}
}

func TestGetTable(t *testing.T) {
	ts := newTestServer(t, &fakeBackend{tbl: testTable(t)})
	code, _, body := do(t, ts, "GET", "/v1/tables/db/t", "", "")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	for _, secret := range []string{"topsecretvalue", "sess", "rest.token"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("response leaks %q: %s", secret, body)
		}
	}
	var info TableInfo
	if err := json.Unmarshal(body, &info); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%s.%s uuid=%s v%d loc=%s fields=%v spec=%v sort=%v props=%v current=%d",
		info.Namespace, info.Name, info.UUID, info.FormatVersion, info.Location,
		info.Schema.Fields, info.PartitionSpec.Fields, info.SortOrder.Fields, info.Properties, *info.CurrentSnapshotID)
	want := "db.t uuid=9c12d441-03fe-4693-9a96-a0705ddf69c1 v2 loc=s3://bucket/wh/db/t " +
		"fields=[{1 id long true } {2 ts timestamp false } {3 amount decimal(10, 2) false }] " +
		"spec=[{ts day ts_day 1000}] sort=[{id identity asc nulls-first}] props=map[owner:wharf] current=22"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if len(info.Snapshots) != 2 {
		t.Fatalf("snapshots: %+v", info.Snapshots)
	}
	s0, s1 := info.Snapshots[0], info.Snapshots[1]
	if s0.SnapshotID != 11 || s0.ParentID != nil || s0.Operation != "append" || s0.Summary["wharf.txid"] != "abc" ||
		s1.SnapshotID != 22 || *s1.ParentID != 11 || s1.SequenceNumber != 2 || s1.TimestampMS != 1700000001000 ||
		s1.ManifestList != "s3://bucket/wh/db/t/metadata/snap-22.avro" || s1.Operation != "overwrite" {
		t.Errorf("snapshots: %+v", info.Snapshots)
	}
}

func TestGetTableErrors(t *testing.T) {
	fb := &fakeBackend{loadErr: fmt.Errorf("load db.t: %w", catalog.ErrNoSuchTable)}
	ts := newTestServer(t, fb)
	if code, _, body := do(t, ts, "GET", "/v1/tables/db/t", "", ""); code != 404 || errorOf(t, body).Code != "NOT_FOUND" {
		t.Errorf("missing table: %d %s", code, body)
	}
	fb.loadErr = fmt.Errorf("%w: db", catalog.ErrNoSuchNamespace)
	if code, _, body := do(t, ts, "GET", "/v1/tables/db/t", "", ""); code != 404 {
		t.Errorf("missing namespace: %d %s", code, body)
	}
	for _, path := range []string{
		"/v1/tables/db/%2e%2e", "/v1/tables/%2e%2e/t", "/v1/tables/db/a%00b", "/v1/tables/db./t",
		"/v1/tables/db/a%2Fb", "/v1/tables/db/" + strings.Repeat("n", 300), "/v1/tables/db/%ff",
	} {
		code, _, body := do(t, ts, "GET", path, "", "")
		if code != 400 || errorOf(t, body).Code != "INVALID_ARGUMENT" {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
}

func TestVerify(t *testing.T) {
	fb := &fakeBackend{report: &lake.VerifyReport{Table: "db.t", Snapshots: 2, Checks: []lake.VerifyCheck{
		{Name: "txid-unique", Checked: 2},
		{Name: "files-exist", Checked: 4, Violations: []string{"missing f.parquet"}},
	}}}
	ts := newTestServer(t, fb)
	code, _, body := do(t, ts, "POST", "/v1/tables/db/t/verify", "", "")
	want := `{"ok":false,"table":"db.t","snapshots":2,"rows":0,"checks":[{"name":"txid-unique","checked":2},{"name":"files-exist","checked":4,"violations":["missing f.parquet"]}]}`
	if code != 200 || strings.TrimSpace(string(body)) != want {
		t.Fatalf("%d %s", code, body)
	}
	fb.report.Checks = fb.report.Checks[:1]
	if _, _, body := do(t, ts, "POST", "/v1/tables/db/t/verify", "", ""); !strings.HasPrefix(string(body), `{"ok":true`) {
		t.Fatalf("%s", body)
	}
}
