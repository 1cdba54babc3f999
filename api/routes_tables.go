package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/internal/redact"
	"github.com/wharfdata/wharf/lake"
)

// TableRef names a table: its namespace (levels joined by '.') and name.
type TableRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// TableList is the body of GET /v1/tables.
type TableList struct {
	Tables []TableRef `json:"tables"`
}

// TableInfo is the body of GET /v1/tables/{namespace}/{table}.
type TableInfo struct {
	TableRef
	UUID              string            `json:"uuid"`
	FormatVersion     int               `json:"format_version"`
	Location          string            `json:"location"`
	Schema            SchemaInfo        `json:"schema"`
	PartitionSpec     SpecInfo          `json:"partition_spec"`
	SortOrder         SortInfo          `json:"sort_order"`
	Properties        map[string]string `json:"properties"`
	CurrentSnapshotID *int64            `json:"current_snapshot_id"`
	Snapshots         []SnapshotInfo    `json:"snapshots"`
}

// SchemaInfo is a table's current schema.
type SchemaInfo struct {
	SchemaID int         `json:"schema_id"`
	Fields   []FieldInfo `json:"fields"`
}

// FieldInfo is one top-level column; Type is the Iceberg type string
// (e.g. "long", "decimal(10, 2)", "struct<…>").
type FieldInfo struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
	Doc      string `json:"doc,omitempty"`
}

// SpecInfo is a partition spec.
type SpecInfo struct {
	SpecID int              `json:"spec_id"`
	Fields []PartitionField `json:"fields"`
}

// PartitionField is one partition field: the source column, its transform
// and the partition field's name.
type PartitionField struct {
	Source    string `json:"source"`
	Transform string `json:"transform"`
	Name      string `json:"name"`
	FieldID   int    `json:"field_id"`
}

// SortInfo is a sort order.
type SortInfo struct {
	OrderID int         `json:"order_id"`
	Fields  []SortField `json:"fields"`
}

// SortField is one sort key.
type SortField struct {
	Source    string `json:"source"`
	Transform string `json:"transform"`
	Direction string `json:"direction"`
	NullOrder string `json:"null_order"`
}

// SnapshotInfo is one snapshot with its summary.
type SnapshotInfo struct {
	SnapshotID     int64             `json:"snapshot_id"`
	ParentID       *int64            `json:"parent_id"`
	SequenceNumber int64             `json:"sequence_number"`
	TimestampMS    int64             `json:"timestamp_ms"`
	Operation      string            `json:"operation,omitempty"`
	ManifestList   string            `json:"manifest_list,omitempty"`
	Summary        map[string]string `json:"summary,omitempty"`
}

// VerifyResponse is the body of POST /v1/tables/{namespace}/{table}/verify.
type VerifyResponse struct {
	OK bool `json:"ok"`
	*lake.VerifyReport
}

func (s *Server) handleListTables(w http.ResponseWriter, r *http.Request, _ Scope) {
	idents, err := s.b.ListTables(r.Context())
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	out := TableList{Tables: make([]TableRef, 0, len(idents))}
	for _, id := range idents {
		if len(id) == 0 {
			continue
		}
		out.Tables = append(out.Tables, refOf(id))
	}
	slices.SortFunc(out.Tables, func(a, b TableRef) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetTable(w http.ResponseWriter, r *http.Request, _ Scope) {
	ident, err := identFromPath(r)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	tbl, err := s.b.LoadTable(r.Context(), ident)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tableInfo(ident, tbl))
}

func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request, _ Scope) {
	ident, err := identFromPath(r)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	rep, err := s.b.Verify(r.Context(), ident)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	if rep == nil {
		s.writeBackendError(w, r, fmt.Errorf("BUG: verify of %s returned no report", strings.Join(ident, ".")))
		return
	}
	writeJSON(w, http.StatusOK, VerifyResponse{OK: rep.OK(), VerifyReport: rep})
}

func refOf(id table.Identifier) TableRef {
	return TableRef{Namespace: strings.Join(id[:len(id)-1], "."), Name: id[len(id)-1]}
}

// maxNameLen bounds each identifier part.
const maxNameLen = 255

// identFromPath builds the table identifier from the path, rejecting names
// that could not be tables and could only be probes (.., slashes, control
// characters, oversized names).
func identFromPath(r *http.Request) (table.Identifier, error) {
	ns, name := r.PathValue("namespace"), r.PathValue("table")
	var ident table.Identifier
	for _, part := range strings.Split(ns, ".") {
		if err := checkName("namespace", part); err != nil {
			return nil, err
		}
		ident = append(ident, part)
	}
	if err := checkName("table", name); err != nil {
		return nil, err
	}
	return append(ident, name), nil
}

func checkName(what, s string) error {
	bad := func(why string) error {
		return &session.Error{Code: session.CodeInvalid, Msg: fmt.Sprintf("invalid %s name: %s", what, why)}
	}
	switch {
	case s == "":
		return bad("empty")
	case len(s) > maxNameLen:
		return bad(fmt.Sprintf("longer than %d bytes", maxNameLen))
	case !utf8.ValidString(s):
		return bad("not UTF-8")
	case s == "." || s == "..":
		return bad(`"." and ".." are not names`)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return bad("contains a control character, '/' or '\\'")
		}
	}
	return nil
}

// tableInfo describes tbl from its metadata.
func tableInfo(ident table.Identifier, tbl *table.Table) TableInfo {
	md := tbl.Metadata()
	sc := tbl.Schema()
	colName := func(id int) string {
		if n, ok := sc.FindColumnName(id); ok {
			return n
		}
		return fmt.Sprintf("#%d", id) // a dropped column
	}
	info := TableInfo{
		TableRef:      refOf(ident),
		UUID:          md.TableUUID().String(),
		FormatVersion: md.Version(),
		Location:      redact.URL(md.Location()),
		Schema:        SchemaInfo{SchemaID: sc.ID, Fields: []FieldInfo{}},
		Properties:    safeProps(tbl.Properties()),
		Snapshots:     []SnapshotInfo{},
	}
	for _, f := range sc.Fields() {
		info.Schema.Fields = append(info.Schema.Fields, FieldInfo{
			ID: f.ID, Name: f.Name, Type: f.Type.String(), Required: f.Required, Doc: f.Doc,
		})
	}
	spec := tbl.Spec()
	info.PartitionSpec = SpecInfo{SpecID: spec.ID(), Fields: []PartitionField{}}
	for _, pf := range spec.Fields() {
		info.PartitionSpec.Fields = append(info.PartitionSpec.Fields, PartitionField{
			Source: sourceNames(pf.SourceIDs, colName), Transform: pf.Transform.String(), Name: pf.Name, FieldID: pf.FieldID,
		})
	}
	so := tbl.SortOrder()
	info.SortOrder = SortInfo{OrderID: so.OrderID(), Fields: []SortField{}}
	for _, sf := range so.Fields() {
		info.SortOrder.Fields = append(info.SortOrder.Fields, SortField{
			Source: sourceNames(sf.SourceIDs, colName), Transform: sf.Transform.String(),
			Direction: string(sf.Direction), NullOrder: string(sf.NullOrder),
		})
	}
	if cur := tbl.CurrentSnapshot(); cur != nil {
		id := cur.SnapshotID
		info.CurrentSnapshotID = &id
	}
	for _, sn := range md.Snapshots() {
		si := SnapshotInfo{
			SnapshotID:     sn.SnapshotID,
			ParentID:       sn.ParentSnapshotID,
			SequenceNumber: sn.SequenceNumber,
			TimestampMS:    sn.TimestampMs,
			ManifestList:   redact.URL(sn.ManifestList),
		}
		if sn.Summary != nil {
			si.Operation = string(sn.Summary.Operation)
			si.Summary = safeProps(sn.Summary.Properties)
		}
		info.Snapshots = append(info.Snapshots, si)
	}
	return info
}

func sourceNames(ids []int, name func(int) string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = name(id)
	}
	return strings.Join(names, ", ")
}

// safeProps copies props without credential-like entries (keys naming a
// secret, password, token, access key or session) and with registered
// secrets masked in the values.
func safeProps(props iceberg.Properties) map[string]string {
	out := make(map[string]string, len(props))
	for k, v := range props {
		if redact.IsCredentialKey(k) || strings.Contains(strings.ToLower(k), "session") {
			continue
		}
		out[k] = redact.String(v)
	}
	return out
}
