// Package api is wharf's HTTP API: SQL, table metadata, verification, health
// and metrics, behind bearer-token auth. It serves a Backend (the engine's
// session in the server binary, an in-process fake in tests).
package api

import (
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake/restcat"
)

// Defaults for the request limits (RELIABILITY.md B.6 S4).
const (
	DefaultMaxBodyBytes = 2 << 20
	DefaultMaxSQLBytes  = 1 << 20
)

// Server serves a Backend over HTTP. Create it with New; it is safe for
// concurrent use.
type Server struct {
	b        Backend
	log      *slog.Logger
	tokens   []tokenHash
	maxBody  int64
	maxSQL   int
	reg      prometheus.Registerer
	metrics  *metrics
	handler  http.Handler
	routeTbl []route
	iceberg  http.Handler  // the Iceberg REST catalog under /iceberg/, if served
	timeout  time.Duration // per statement of /v1/sql; 0 = none
	jobs     Jobs          // /v1/jobs, if the server runs jobs
	lineage  LineageIndex  // /v1/lineage, if the catalog keeps the index
}

// Option configures a Server.
type Option func(*Server)

// WithTokens turns authentication on: every route but /healthz then needs one
// of these bearer tokens. Without tokens auth is off; the command line only
// allows that on loopback listeners.
func WithTokens(tokens ...Token) Option {
	return func(s *Server) { s.tokens = append(s.tokens, hashTokens(tokens)...) }
}

// WithLogger sets the logger (default: discard). The caller should wrap its
// handler with redact.NewHandler.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithMaxBodyBytes caps request bodies (default 2 MiB); larger ones get 413.
func WithMaxBodyBytes(n int64) Option { return func(s *Server) { s.maxBody = n } }

// WithMaxSQLBytes caps statement text (default 1 MiB); longer gets 413.
func WithMaxSQLBytes(n int) Option { return func(s *Server) { s.maxSQL = n } }

// WithRegisterer registers the server's metrics with r instead of a private
// registry. /metrics then serves r when it is also a Gatherer (as
// *prometheus.Registry is), else prometheus.DefaultGatherer.
func WithRegisterer(r prometheus.Registerer) Option { return func(s *Server) { s.reg = r } }

// WithIcebergREST serves h (lake/restcat's handler, whose paths start /v1/)
// under /iceberg/, behind the same bearer tokens: GET and HEAD need the read
// scope, everything else the write scope.
func WithIcebergREST(h http.Handler) Option { return func(s *Server) { s.iceberg = h } }

// DefaultStatementTimeout bounds one statement of POST /v1/sql.
const DefaultStatementTimeout = 5 * time.Minute

// WithStatementTimeout sets how long one statement may run before it is
// cancelled and answered 504 (RELIABILITY S4); 0 means no limit.
func WithStatementTimeout(d time.Duration) Option { return func(s *Server) { s.timeout = d } }

// New returns a server for b.
func New(b Backend, opts ...Option) *Server {
	s := &Server{
		b:       b,
		log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		maxBody: DefaultMaxBodyBytes,
		maxSQL:  DefaultMaxSQLBytes,
		timeout: DefaultStatementTimeout,
	}
	for _, o := range opts {
		o(s)
	}
	s.metrics = newMetrics(s.reg)
	s.routeTbl = s.routes()
	mux := http.NewServeMux()
	for _, rt := range s.routeTbl {
		pattern := rt.pattern
		if rt.method != "" {
			pattern = rt.method + " " + pattern
		}
		mux.Handle(pattern, s.wrap(rt))
	}
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			s.noRoute(w, r, mux)
			return
		}
		mux.ServeHTTP(w, r)
	})
	// Browsers on other sites must not drive the API through a user's
	// browser (CSRF), above all when auth is off on loopback. Non-browser
	// clients send no Origin or Sec-Fetch-Site and pass.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusForbidden, string(session.CodeForbidden), "cross-origin request refused", nil)
	}))
	s.handler = cop.Handler(routed)
	return s
}

// Handler returns the HTTP handler serving every route.
func (s *Server) Handler() http.Handler { return s.handler }

// route is one entry of the route table. public routes skip authentication.
// An empty method matches every method. restErrors routes answer auth
// failures in the Iceberg REST error model instead of the API's.
type route struct {
	method     string
	pattern    string
	public     bool
	restErrors bool
	handle     func(w http.ResponseWriter, r *http.Request, scope Scope)
}

// routes is the route table: the one place routes are declared, so that the
// auth test enumerates exactly what is served.
func (s *Server) routes() []route {
	return []route{
		{method: http.MethodGet, pattern: "/healthz", public: true, handle: s.handleHealth},
		{method: http.MethodGet, pattern: "/metrics", handle: s.handleMetrics},
		{method: http.MethodPost, pattern: "/v1/sql", handle: s.handleSQL},
		{method: http.MethodGet, pattern: "/v1/tables", handle: s.handleListTables},
		{method: http.MethodGet, pattern: "/v1/tables/{namespace}/{table}", handle: s.handleGetTable},
		{method: http.MethodPost, pattern: "/v1/tables/{namespace}/{table}/verify", handle: s.handleVerify},
		{method: http.MethodGet, pattern: "/v1/jobs", handle: s.handleListJobs},
		{method: http.MethodGet, pattern: "/v1/jobs/{id}", handle: s.handleGetJob},
		{method: http.MethodPost, pattern: "/v1/jobs/{id}/stop", handle: s.handleStopJob},
		{method: http.MethodPost, pattern: "/v1/jobs/{id}/resume", handle: s.handleResumeJob},
		{method: http.MethodGet, pattern: "/v1/lineage/{namespace}/{table}", handle: s.handleLineage},
		{method: "", pattern: "/iceberg/", restErrors: true, handle: s.handleIceberg},
	}
}

// wrap adds to a route's handler, outermost first: metrics, panic recovery,
// authentication.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inflight.Inc()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				s.log.Error("panic in HTTP handler", "route", rt.pattern, "method", r.Method, "panic", p)
				if sw.status == 0 {
					writeError(sw, http.StatusInternalServerError, codeInternal, "internal error", nil)
				}
			}
			s.metrics.inflight.Dec()
			s.metrics.observe(rt.pattern, r.Method, sw.code(), time.Since(start))
			if p == http.ErrAbortHandler {
				panic(p) // net/http's own signal to abort the response
			}
		}()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		scope, ok := s.authenticate(r)
		if !ok && !rt.public {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="wharf"`)
			if rt.restErrors {
				restcat.WriteError(sw, http.StatusUnauthorized, restcat.TypeNotAuthorized, "missing or invalid bearer token")
				return
			}
			writeError(sw, http.StatusUnauthorized, codeUnauthenticated, "missing or invalid bearer token", nil)
			return
		}
		rt.handle(sw, r, scope)
	})
}

// noRoute answers requests that match no route (404, or 405 with Allow) with
// the usual JSON error body instead of ServeMux's plain text.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	cw := &captureWriter{header: http.Header{}}
	mux.ServeHTTP(cw, r)
	switch cw.status {
	case http.StatusNotFound:
		writeError(w, http.StatusNotFound, string(codeNotFound), "no such route: "+r.Method+" "+r.URL.Path, nil)
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", cw.header.Get("Allow"))
		writeError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed, "method "+r.Method+" not allowed", nil)
	default: // redirects to the cleaned path
		for k, v := range cw.header {
			w.Header()[k] = v
		}
		w.WriteHeader(cw.status)
	}
	s.metrics.observe("unmatched", r.Method, cw.status, 0)
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request, _ Scope) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// captureWriter swallows ServeMux's plain-text 404/405 bodies.
type captureWriter struct {
	header http.Header
	status int
}

func (w *captureWriter) Header() http.Header { return w.header }
func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *captureWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}
