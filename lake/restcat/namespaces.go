package restcat

import (
	"net/http"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

type namespaceBody struct {
	Namespace  table.Identifier   `json:"namespace"`
	Properties iceberg.Properties `json:"properties"`
}

func (h *Handler) listNamespaces(w http.ResponseWriter, r *http.Request) {
	var parent table.Identifier
	if p := r.URL.Query().Get("parent"); p != "" {
		parent = strings.Split(p, nsSeparator)
		if err := validNamespace(parent); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	token, size, err := pageParams(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	all, err := h.store.ListNamespaces(r.Context(), parent)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The page token is the last namespace of the previous page; the list
	// is sorted, so the next page starts after it.
	page := make([]table.Identifier, 0, len(all))
	for _, ns := range all {
		if token == "" || nsKey(ns) > token {
			page = append(page, ns)
		}
	}
	resp := struct {
		Namespaces    []table.Identifier `json:"namespaces"`
		NextPageToken *string            `json:"next-page-token,omitempty"`
	}{Namespaces: page}
	if size > 0 && len(page) > size {
		resp.Namespaces = page[:size]
		next := nsKey(page[size-1])
		resp.NextPageToken = &next
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *Handler) createNamespace(w http.ResponseWriter, r *http.Request) {
	var req namespaceBody
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.CreateNamespace(r.Context(), req.Namespace, req.Properties); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Properties == nil {
		req.Properties = iceberg.Properties{}
	}
	writeJSON(w, http.StatusOK, req)
}

func (h *Handler) loadNamespace(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	props, err := h.store.NamespaceProperties(r.Context(), ns)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, namespaceBody{Namespace: ns, Properties: props})
}

func (h *Handler) namespaceExists(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok, err := h.store.NamespaceExists(r.Context(), ns)
	h.answerExists(w, r, ok, err)
}

func (h *Handler) dropNamespace(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.DropNamespace(r.Context(), ns); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) updateNamespace(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req struct {
		Removals []string           `json:"removals"`
		Updates  iceberg.Properties `json:"updates"`
	}
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	sum, err := h.store.UpdateNamespaceProperties(r.Context(), ns, req.Removals, req.Updates)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

// answerExists answers a HEAD existence check: 204 when it exists, 404 when
// not, the error otherwise.
func (h *Handler) answerExists(w http.ResponseWriter, r *http.Request, ok bool, err error) {
	switch {
	case err != nil:
		h.fail(w, r, err)
	case !ok:
		w.WriteHeader(http.StatusNotFound)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
