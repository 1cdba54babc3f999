package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// LineageIndex is what GET /v1/lineage reads: the warehouse's lineage index
// (*lake.Warehouse).
type LineageIndex interface {
	Lineage(ctx context.Context, id table.Identifier) ([]lake.Lineage, error)
}

// WithLineage serves /v1/lineage/{namespace}/{table} from l.
func WithLineage(l LineageIndex) Option { return func(s *Server) { s.lineage = l } }

// LineageResponse is the body of GET /v1/lineage/{namespace}/{table}: the
// table's snapshots that wharf jobs committed, oldest first, each with the
// job, version, epoch, txid, watermark and source ranges that produced it.
type LineageResponse struct {
	Table     string         `json:"table"`
	Snapshots []lake.Lineage `json:"snapshots"`
}

func (s *Server) handleLineage(w http.ResponseWriter, r *http.Request, _ Scope) {
	ident, err := identFromPath(r)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	if s.lineage == nil {
		writeError(w, http.StatusNotImplemented, string(session.CodeUnsupported), "this server's catalog keeps no lineage index", nil)
		return
	}
	snaps, err := s.lineage.Lineage(r.Context(), ident)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	if snaps == nil {
		snaps = []lake.Lineage{}
	}
	writeJSON(w, http.StatusOK, LineageResponse{Table: strings.Join(ident, "."), Snapshots: snaps})
}
