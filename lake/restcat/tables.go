package restcat

import (
	"maps"
	"net/http"
	"slices"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// loadTableResult is the spec's LoadTableResult. metadata-location is absent
// for a staged create, which has no file yet.
type loadTableResult struct {
	MetadataLocation string             `json:"metadata-location,omitempty"`
	Metadata         table.Metadata     `json:"metadata"`
	Config           iceberg.Properties `json:"config"`
}

func (h *Handler) tableResult(t *LoadedTable) loadTableResult {
	return loadTableResult{MetadataLocation: t.MetadataLocation, Metadata: t.Metadata, Config: maps.Clone(h.tblConf)}
}

// createTableRequest is the spec's CreateTableRequest. The partition spec and
// write order refer to the request schema's field IDs (which the client may
// number as it likes), so they are decoded unbound and bound by
// table.NewMetadata, which also assigns the table's fresh IDs.
type createTableRequest struct {
	Name          string                        `json:"name"`
	Location      string                        `json:"location"`
	Schema        *iceberg.Schema               `json:"schema"`
	PartitionSpec *iceberg.UnboundPartitionSpec `json:"partition-spec"`
	WriteOrder    *table.UnboundSortOrder       `json:"write-order"`
	StageCreate   bool                          `json:"stage-create"`
	Properties    iceberg.Properties            `json:"properties"`
}

func (h *Handler) createTable(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req createTableRequest
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	id := append(slices.Clone(ns), req.Name)
	spec := CreateTableSpec{Schema: req.Schema, Location: req.Location, Properties: req.Properties, SortOrder: table.UnsortedSortOrder}
	if req.PartitionSpec != nil {
		spec.Spec = &req.PartitionSpec.PartitionSpec
	}
	if req.WriteOrder != nil {
		spec.SortOrder = req.WriteOrder.SortOrder
	}
	if req.StageCreate {
		// Nothing is stored: the client commits the table later with an
		// assert-create requirement (and usually its first snapshot).
		if ok, err := h.store.TableExists(r.Context(), id); err != nil || ok {
			if err == nil {
				err = alreadyExists(id)
			}
			h.fail(w, r, err)
			return
		}
		meta, err := h.store.NewTableMetadata(r.Context(), id, spec)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, h.tableResult(&LoadedTable{Ident: id, Metadata: meta}))
		return
	}
	t, err := h.store.CreateTable(r.Context(), id, spec)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.tableResult(t))
}

func (h *Handler) registerTable(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req struct {
		Name             string `json:"name"`
		MetadataLocation string `json:"metadata-location"`
		Overwrite        bool   `json:"overwrite"`
	}
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.store.RegisterTable(r.Context(), append(slices.Clone(ns), req.Name), req.MetadataLocation, req.Overwrite)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.tableResult(t))
}

func (h *Handler) listTables(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	token, size, err := pageParams(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	limit := 0
	if size > 0 {
		limit = size + 1 // one more tells whether there is a next page
	}
	ids, err := h.store.ListTables(r.Context(), ns, token, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp := struct {
		Identifiers   []restIdent `json:"identifiers"`
		NextPageToken *string     `json:"next-page-token,omitempty"`
	}{Identifiers: []restIdent{}}
	if size > 0 && len(ids) > size {
		ids = ids[:size]
		next := ids[size-1][len(ns)]
		resp.NextPageToken = &next
	}
	for _, id := range ids {
		resp.Identifiers = append(resp.Identifiers, toRestIdent(id))
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *Handler) loadTable(w http.ResponseWriter, r *http.Request) {
	id, err := pathTable(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// snapshots=refs is a hint the spec lets a server ignore: all snapshots
	// are returned.
	t, err := h.store.LoadTable(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.tableResult(t))
}

func (h *Handler) tableExists(w http.ResponseWriter, r *http.Request) {
	id, err := pathTable(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok, err := h.store.TableExists(r.Context(), id)
	h.answerExists(w, r, ok, err)
}

// commitTableRequest is the spec's CommitTableRequest, and one entry of a
// CommitTransactionRequest.
type commitTableRequest struct {
	Identifier   *restIdent         `json:"identifier"`
	Requirements table.Requirements `json:"requirements"`
	Updates      table.Updates      `json:"updates"`
}

func (h *Handler) commitTable(w http.ResponseWriter, r *http.Request) {
	id, err := pathTable(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req commitTableRequest
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Identifier != nil {
		bid, err := req.Identifier.ident()
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !slices.Equal(bid, id) {
			h.fail(w, r, badRequest("body identifier %s does not match the path's table %s", identString(bid), identString(id)))
			return
		}
	}
	out, err := h.store.Commit(r.Context(), []TableChange{{Ident: id, Requirements: req.Requirements, Updates: req.Updates}})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		MetadataLocation string         `json:"metadata-location"`
		Metadata         table.Metadata `json:"metadata"`
	}{out[0].MetadataLocation, out[0].Metadata})
}

func (h *Handler) dropTable(w http.ResponseWriter, r *http.Request) {
	id, err := pathTable(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	purge := r.URL.Query().Get("purgeRequested") == "true"
	purgeErr, err := h.store.DropTable(r.Context(), id, purge)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if purgeErr != nil {
		// The table is dropped; leftover files are orphan cleanup's.
		h.log.Warn("dropped table but could not delete all its files", "table", identString(id), "err", purgeErr)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) renameTable(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Source      restIdent `json:"source"`
		Destination restIdent `json:"destination"`
	}
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	from, err := req.Source.ident()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	to, err := req.Destination.ident()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.RenameTable(r.Context(), from, to); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// reportMetrics accepts scan and commit reports and drops them: wharf keeps
// no client telemetry, but clients that report must not see errors.
func (h *Handler) reportMetrics(w http.ResponseWriter, r *http.Request) {
	if _, err := pathTable(r); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
