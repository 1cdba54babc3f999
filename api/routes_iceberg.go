package api

import (
	"net/http"
	"strings"

	"github.com/wharfdata/wharf/lake/restcat"
)

// handleIceberg serves the Iceberg REST catalog (lake/restcat) under
// /iceberg/. Authentication happened in wrap; here the scope is checked per
// method, since the protocol mixes reads and writes under the same paths.
// Errors use the REST spec's model, which Iceberg clients parse.
func (s *Server) handleIceberg(w http.ResponseWriter, r *http.Request, scope Scope) {
	if s.iceberg == nil {
		restcat.WriteError(w, http.StatusNotFound, "NoSuchEndpointException",
			"this server does not serve the Iceberg REST catalog (its catalog is not a SQL store)")
		return
	}
	if !icebergRead(r) && scope < ScopeWrite {
		restcat.WriteError(w, http.StatusForbidden, restcat.TypeForbidden,
			"the token has the read scope; "+r.Method+" needs the write scope")
		return
	}
	http.StripPrefix("/iceberg", s.iceberg).ServeHTTP(w, r)
}

// icebergRead reports whether a request only reads: GET and HEAD, and the
// scan and commit reports readers POST to .../metrics (the handler drops them).
func icebergRead(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		// Exactly /iceberg/v1/namespaces/{ns}/tables/{table}/metrics: a
		// commit to a table named "metrics" has one segment less.
		seg := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/iceberg/"), "/")
		return len(seg) == 6 && seg[0] == "v1" && seg[1] == "namespaces" && seg[3] == "tables" && seg[5] == "metrics"
	}
	return false
}
