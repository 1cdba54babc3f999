// Package restcat serves the Iceberg REST catalog protocol over wharf's
// catalog store, so that Spark, Trino, DuckDB, PyIceberg and iceberg-go read
// and write the same tables wharf does, and so that a commit of several
// tables (POST /v1/transactions/commit) is applied atomically: every table's
// requirements hold and every pointer moves, or nothing changes.
//
// The store (Store) keeps the Iceberg JDBC catalog's table layout in SQLite
// or PostgreSQL; the handler (Handler) is the HTTP protocol over it, with the
// REST spec's error model. Authentication is the caller's: `wharf serve`
// mounts the handler under /iceberg behind the HTTP API's bearer tokens.
package restcat

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
)

// DefaultMaxBodyBytes caps request bodies. Commits carry whole schemas and
// snapshot lists, so the cap is larger than the SQL API's.
const DefaultMaxBodyBytes = 16 << 20

// Handler serves the Iceberg REST catalog protocol (paths starting /v1/) over
// a Store. It is safe for concurrent use.
type Handler struct {
	store   *Store
	log     *slog.Logger
	maxBody int64
	tblConf iceberg.Properties
	mux     *http.ServeMux
}

// Option configures a Handler.
type Option func(*Handler)

// WithLogger sets the logger for server-side failures (default: discard).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithMaxBodyBytes caps request bodies (default DefaultMaxBodyBytes).
func WithMaxBodyBytes(n int64) Option { return func(h *Handler) { h.maxBody = n } }

// WithTableConfig sets the "config" returned with every loaded table: file IO
// properties a client needs to reach the data (e.g. s3.endpoint). Whatever
// is put here goes to every client allowed to read, so credentials belong
// here only when every reader may hold them.
func WithTableConfig(p iceberg.Properties) Option {
	return func(h *Handler) { h.tblConf = maps.Clone(p) }
}

// PublicIOConfig keeps the file IO properties of props that locate the data
// without granting access (the S3 endpoint, region and addressing style):
// the table config `wharf serve` hands to every reader.
func PublicIOConfig(props iceberg.Properties) iceberg.Properties {
	out := iceberg.Properties{}
	for _, k := range []string{iceio.S3EndpointURL, iceio.S3Region, iceio.S3ForceVirtualAddressing} {
		if v := props[k]; v != "" {
			out[k] = v
		}
	}
	return out
}

// New returns the protocol handler over store.
func New(store *Store, opts ...Option) *Handler {
	h := &Handler{
		store:   store,
		log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		maxBody: DefaultMaxBodyBytes,
		tblConf: iceberg.Properties{},
	}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	for _, e := range h.endpoints() {
		mux.HandleFunc(e.method+" "+e.path, e.handle)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "NoSuchEndpointException", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	h.mux = mux
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	}
	h.mux.ServeHTTP(w, r)
}

type endpoint struct {
	method, path string
	handle       http.HandlerFunc
	advertise    bool // listed in /v1/config "endpoints"
}

// endpoints is the route table of the protocol.
func (h *Handler) endpoints() []endpoint {
	const ns, tbl = "/v1/namespaces/{namespace}", "/v1/namespaces/{namespace}/tables/{table}"
	return []endpoint{
		{http.MethodGet, "/v1/config", h.getConfig, false},
		{http.MethodGet, "/v1/namespaces", h.listNamespaces, true},
		{http.MethodPost, "/v1/namespaces", h.createNamespace, true},
		{http.MethodGet, ns, h.loadNamespace, true},
		{http.MethodHead, ns, h.namespaceExists, true},
		{http.MethodDelete, ns, h.dropNamespace, true},
		{http.MethodPost, ns + "/properties", h.updateNamespace, true},
		{http.MethodGet, ns + "/tables", h.listTables, true},
		{http.MethodPost, ns + "/tables", h.createTable, true},
		{http.MethodPost, ns + "/register", h.registerTable, true},
		{http.MethodGet, tbl, h.loadTable, true},
		{http.MethodHead, tbl, h.tableExists, true},
		{http.MethodPost, tbl, h.commitTable, true},
		{http.MethodDelete, tbl, h.dropTable, true},
		{http.MethodPost, tbl + "/metrics", h.reportMetrics, true},
		{http.MethodPost, "/v1/tables/rename", h.renameTable, true},
		{http.MethodPost, "/v1/transactions/commit", h.commitTransaction, true},
	}
}

// configResponse is the spec's CatalogConfig.
type configResponse struct {
	Defaults  iceberg.Properties `json:"defaults"`
	Overrides iceberg.Properties `json:"overrides"`
	Endpoints []string           `json:"endpoints"`
}

func (h *Handler) getConfig(w http.ResponseWriter, _ *http.Request) {
	// The optional warehouse parameter is ignored: a wharf server has one.
	resp := configResponse{Defaults: iceberg.Properties{}, Overrides: iceberg.Properties{}}
	for _, e := range h.endpoints() {
		if e.advertise {
			// The spec writes endpoints with the optional {prefix}; this
			// server uses none, which is what clients substitute.
			resp.Endpoints = append(resp.Endpoints, e.method+" "+strings.Replace(e.path, "/v1/", "/v1/{prefix}/", 1))
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// ---- request helpers ----

// nsSeparator joins namespace levels in a path segment (%1F, as the spec
// and every client use by default).
const nsSeparator = "\x1f"

func pathNamespace(r *http.Request) (table.Identifier, error) {
	raw := r.PathValue("namespace")
	if raw == "" {
		return nil, badRequest("empty namespace")
	}
	ns := strings.Split(raw, nsSeparator)
	return ns, validNamespace(ns)
}

func pathTable(r *http.Request) (table.Identifier, error) {
	ns, err := pathNamespace(r)
	if err != nil {
		return nil, err
	}
	id := append(ns, r.PathValue("table"))
	return id, validIdent(id)
}

// decode reads a JSON body into v.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return badRequest("request body larger than %d bytes", mbe.Limit)
		}
		return badRequest("malformed request body: %v", err)
	}
	if dec.More() {
		return badRequest("malformed request body: more than one JSON value")
	}
	return nil
}

// pageParams reads pageToken and pageSize. A size of 0 means everything.
func pageParams(r *http.Request) (token string, size int, err error) {
	q := r.URL.Query()
	token = q.Get("pageToken")
	if s := q.Get("pageSize"); s != "" {
		if size, err = strconv.Atoi(s); err != nil || size < 1 {
			return "", 0, badRequest("pageSize %q: want a positive integer", s)
		}
	}
	return token, size, nil
}

// restIdent is the spec's TableIdentifier.
type restIdent struct {
	Namespace []string `json:"namespace"`
	Name      string   `json:"name"`
}

func (i restIdent) ident() (table.Identifier, error) {
	if i.Name == "" {
		return nil, badRequest("identifier without a name")
	}
	id := append(table.Identifier(append([]string{}, i.Namespace...)), i.Name)
	return id, validIdent(id)
}

func toRestIdent(id table.Identifier) restIdent {
	return restIdent{Namespace: id[:len(id)-1], Name: id[len(id)-1]}
}
