package clickhouse

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/google/uuid"

	"github.com/wharfdata/wharf/engine/session"
)

// This file is the ClickHouse HTTP interface: /?query=… by GET (read-only)
// or POST (query in the parameter, the body, or both), /ping, and the
// headers ClickHouse clients read.

// reservedParams are URL parameters that are not settings. Every other
// parameter is a setting; the ones wharf honours are readonly,
// max_execution_time and output_format_json_quote_64bit_integers. The rest
// (max_result_rows, send_progress_in_http_headers, enable_http_compression,
// wait_end_of_query, output_format_*, join_use_nulls, …) are accepted and
// ignored, as are unknown names, so that client libraries which always
// send a few settings keep working.
var reservedParams = map[string]bool{
	"query": true, "database": true, "default_format": true, "user": true, "password": true,
	"query_id": true, "session_id": true, "session_timeout": true, "session_check": true,
	"compress": true, "decompress": true, "buffer_size": true, "quota_key": true, "stacktrace": true,
}

// HTTPHandler returns the handler of the ClickHouse HTTP interface.
func (s *Server) HTTPHandler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-ClickHouse-Server-Display-Name", "wharf")
	w.Header().Set("X-ClickHouse-Timezone", s.timezone)
	switch {
	case r.URL.Path == "/ping" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		_, _ = io.WriteString(w, "Ok.\n")
		return
	case r.URL.Path != "/" && r.URL.Path != "/query":
		s.httpError(w, exception(proto.ErrUnknownTypeOfQuery, http.StatusNotFound, "There is no handler %s; use / with ?query=… or /ping", r.URL.Path))
		return
	case r.Method != http.MethodGet && r.Method != http.MethodPost:
		w.Header().Set("Allow", "GET, POST")
		s.httpError(w, exception(proto.ErrUnknownTypeOfQuery, http.StatusMethodNotAllowed, "Method %s is not allowed; use GET (read-only) or POST", r.Method))
		return
	}
	params := r.URL.Query()
	text := params.Get("query")
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, int64(s.maxQuery)+1))
		if err != nil {
			s.httpError(w, exception(proto.ErrNetworkError, http.StatusBadRequest, "Cannot read the request body: %v", err))
			return
		}
		if len(body) > 0 {
			if text != "" {
				text += "\n"
			}
			text += string(body)
		}
	}
	if len(text) > s.maxQuery {
		s.httpError(w, exception(proto.ErrQueryIsTooLarge, http.StatusRequestEntityTooLarge, "Query is too large: over %d bytes", s.maxQuery))
		return
	}
	if strings.TrimSpace(text) == "" {
		_, _ = io.WriteString(w, "Ok.\n")
		return
	}
	readOnly, err := s.authorize(httpCredentials(r))
	if err != nil {
		s.httpError(w, toException(err))
		return
	}
	c := &client{
		database: firstOf(params.Get("database"), r.Header.Get("X-ClickHouse-Database")),
		readOnly: readOnly || r.Method == http.MethodGet, // ClickHouse's GET is readonly=2
	}
	settings := map[string]string{}
	for k, v := range params {
		if !reservedParams[k] && !strings.HasPrefix(k, "param_") && len(v) > 0 {
			settings[k] = v[0]
		}
	}
	queryID := params.Get("query_id")
	if queryID == "" {
		queryID = uuid.NewString()
	}
	w.Header().Set("X-ClickHouse-Query-Id", queryID)

	out, err := s.execute(r.Context(), c, text, settings)
	if err != nil {
		s.httpError(w, toException(err))
		return
	}
	defer out.res.Release() // safe on nil
	name := firstOf(out.format, params.Get("default_format"), r.Header.Get("X-ClickHouse-Format"), "TabSeparated")
	f, ok := lookupFormat(name)
	if !ok {
		s.httpError(w, exception(proto.ErrUnknownFormat, http.StatusBadRequest, "Unknown output format %s (wharf writes %s)", name, formatNames()))
		return
	}
	w.Header().Set("X-ClickHouse-Format", f.name)
	w.Header().Set("X-ClickHouse-Summary", summary(out))
	if out.res == nil || out.res.Kind != session.ResultRows {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	o := textOpts{quote64: !isOff(out.settings["output_format_json_quote_64bit_integers"])}
	if err := writeResult(w, f, out.res, o, out.elapsed); err != nil {
		// The status is sent; ClickHouse appends the exception to the body.
		_, _ = io.WriteString(w, "\n"+toException(err).Text()+"\n")
	}
}

// httpCredentials reads user and password as ClickHouse does: the
// X-ClickHouse-User/Key headers, else basic auth, else the user/password
// parameters.
func httpCredentials(r *http.Request) (user, password string) {
	if u, k := r.Header.Get("X-ClickHouse-User"), r.Header.Get("X-ClickHouse-Key"); u != "" || k != "" {
		return u, k
	}
	if u, p, ok := r.BasicAuth(); ok {
		return u, p
	}
	q := r.URL.Query()
	return q.Get("user"), q.Get("password")
}

func (s *Server) httpError(w http.ResponseWriter, ex *Exception) {
	if ex.Status >= 500 {
		s.log.Error("ClickHouse HTTP query failed", "code", int(ex.Code), "err", ex.Message)
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-ClickHouse-Exception-Code", strconv.Itoa(int(ex.Code)))
	status := ex.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, ex.Text()+"\n")
}

// summary is the X-ClickHouse-Summary header: ClickHouse's progress
// counters, numbers as strings.
func summary(out *outcome) string {
	var rows, written int64
	if out.res != nil {
		for _, b := range out.res.Batches {
			rows += b.NumRows()
		}
		written = out.res.Stats.RowsAffected
	}
	var bytes int64
	if out.res != nil {
		bytes = resultBytes(out.res)
	}
	return fmt.Sprintf(`{"read_rows":"%d","read_bytes":"%d","written_rows":"%d","written_bytes":"0","total_rows_to_read":"%d","result_rows":"%d","result_bytes":"%d","elapsed_ns":"%d"}`,
		rows, bytes, written, rows, rows, bytes, out.elapsed.Nanoseconds())
}

func formatNames() string {
	seen := map[string]bool{}
	var names []string
	for _, f := range formats {
		if !seen[f.name] {
			seen[f.name] = true
			names = append(names, f.name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func isOff(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v == "0" || v == "false"
}
