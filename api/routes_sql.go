package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/engine/types"
	"github.com/wharfdata/wharf/internal/redact"
	"github.com/wharfdata/wharf/olap/clickhouse"
)

// SQLRequest is the body of POST /v1/sql. Database is where one-part table
// names resolve for this statement (default: the X-Wharf-Database header,
// else "default").
type SQLRequest struct {
	SQL      string `json:"sql"`
	Database string `json:"database,omitempty"`
}

// Column describes one result column: its name and Flink SQL type.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Stats are a statement's statistics; zero fields are omitted.
type Stats struct {
	Rows         int64   `json:"rows,omitempty"`
	ElapsedMS    float64 `json:"elapsed_ms,omitempty"`
	RowsAffected int64   `json:"rows_affected,omitempty"`
	SnapshotID   int64   `json:"snapshot_id,omitempty"`
}

// SQLResponse is the body of a successful POST /v1/sql: rows with their
// columns, ok for DDL/DML, or the id of a started continuous job. Each row
// value is kept as its JSON text.
type SQLResponse struct {
	Columns []Column            `json:"columns,omitempty"`
	Rows    [][]json.RawMessage `json:"rows,omitempty"`
	OK      bool                `json:"ok,omitempty"`
	JobID   string              `json:"job_id,omitempty"`
	Stats   *Stats              `json:"stats,omitempty"`
}

func (s *Server) handleSQL(w http.ResponseWriter, r *http.Request, scope Scope) {
	var req SQLRequest
	if err := decodeSQLRequest(w, r, s.maxBody, &req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, string(session.CodeTooLarge),
				fmt.Sprintf("request body is over %d bytes", s.maxBody), nil)
			return
		}
		writeError(w, http.StatusBadRequest, string(session.CodeInvalid), "invalid request body: "+redact.String(err.Error()), nil)
		return
	}
	if len(req.SQL) > s.maxSQL {
		writeError(w, http.StatusRequestEntityTooLarge, string(session.CodeTooLarge),
			fmt.Sprintf("statement is %d bytes, over the limit of %d", len(req.SQL), s.maxSQL), nil)
		return
	}
	if strings.TrimSpace(req.SQL) == "" {
		writeError(w, http.StatusBadRequest, string(session.CodeInvalid), `"sql" is empty`, nil)
		return
	}
	ctx := r.Context()
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	ctx = session.WithDatabase(ctx, cmp.Or(req.Database, r.Header.Get("X-Wharf-Database")))
	res, err := s.b.Exec(ctx, req.SQL, scope != ScopeWrite)
	defer res.Release()
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	switch res.Kind {
	case session.ResultRows:
		if ct, write, ok := acceptedEncoder(r.Header.Get("Accept")); ok {
			w.Header().Set("Content-Type", ct)
			if err := write(w, res); err != nil {
				s.log.Debug("writing rows", "err", err)
			}
			return
		}
		if err := writeRows(w, res); err != nil {
			s.log.Debug("writing rows", "err", err)
		}
	case session.ResultOK:
		st := &Stats{RowsAffected: res.Stats.RowsAffected, SnapshotID: res.Stats.SnapshotID}
		if *st == (Stats{}) {
			st = nil
		}
		writeJSON(w, http.StatusOK, SQLResponse{OK: true, Stats: st})
	case session.ResultJob:
		writeJSON(w, http.StatusOK, SQLResponse{JobID: res.JobID})
	default:
		s.writeBackendError(w, r, fmt.Errorf("BUG: unknown result kind %d", res.Kind))
	}
}

// acceptFormats are the media types /v1/sql answers rows in besides JSON,
// with the ClickHouse front end's encoder for each.
var acceptFormats = map[string]string{
	"text/csv":                            "CSVWithNames",
	"application/vnd.apache.arrow.stream": "ArrowStream",
	"application/vnd.apache.parquet":      "Parquet",
}

// acceptedEncoder picks the first media type of an Accept header that
// /v1/sql writes other than JSON; ok is false for JSON or none.
func acceptedEncoder(accept string) (string, func(io.Writer, *session.Result) error, bool) {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if mt == "application/json" || mt == "*/*" {
			return "", nil, false
		}
		if name, ok := acceptFormats[mt]; ok {
			ct, write, _ := clickhouse.Encoder(name)
			return ct, write, true
		}
	}
	return "", nil, false
}

// decodeSQLRequest reads a POST /v1/sql body of at most max bytes into req.
// The body nearly every client sends, {"sql":"…"} without escapes, is taken
// as it is (plainSQL); anything else goes through decodeStrict.
func decodeSQLRequest(w http.ResponseWriter, r *http.Request, max int64, req *SQLRequest) error {
	bp := bufPool.Get().(*[]byte)
	body := bytes.NewBuffer((*bp)[:0])
	defer func() {
		if body.Cap() <= cap(*bp) { // a body over the pooled size is not kept
			*bp = body.Bytes()[:0]
			bufPool.Put(bp)
		}
	}()
	if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, max)); err != nil {
		return err
	}
	if sql, ok := plainSQL(body.Bytes()); ok {
		req.SQL = sql
		return nil
	}
	return decodeStrict(body, req)
}

// plainSQL returns s for a body {"sql":"s"} (JSON whitespace after it
// allowed) whose s is valid UTF-8 without quotes, backslashes or control
// characters: a JSON string that decodes to its own bytes, as
// encoding/json would decode it (FuzzPlainSQL checks that).
func plainSQL(b []byte) (string, bool) {
	const prefix, suffix = `{"sql":"`, `"}`
	b = bytes.TrimRight(b, " \t\r\n")
	if len(b) < len(prefix)+len(suffix) || !bytes.HasPrefix(b, []byte(prefix)) || !bytes.HasSuffix(b, []byte(suffix)) {
		return "", false
	}
	s := b[len(prefix) : len(b)-len(suffix)]
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

// decodeStrict decodes exactly one JSON value of v's type from body,
// rejecting unknown fields.
func decodeStrict(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// writeRows streams a rows result, flushing every flushAt bytes so a large
// result never sits in memory twice. A result from the gate's result cache
// is encoded once: the bytes up to the elapsed time are kept in its
// Encodings, which the next hits write as they are.
func writeRows(w http.ResponseWriter, res *session.Result) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		*bp = buf[:0]
		bufPool.Put(bp)
	}()
	if kept, ok := res.Encodings.Get(jsonRowsFormat); ok {
		buf = appendElapsed(append(buf, kept...), res)
		_, err := w.Write(buf)
		return err
	}
	schema := res.Schema
	if schema == nil && len(res.Batches) > 0 {
		schema = res.Batches[0].Schema()
	}
	buf = append(buf, `{"columns":[`...)
	if schema != nil {
		for i, f := range schema.Fields() {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"name":`...)
			buf = appendString(buf, f.Name)
			buf = append(buf, `,"type":`...)
			buf = appendString(buf, types.FlinkName(f))
			buf = append(buf, '}')
		}
	}
	buf = append(buf, `],"rows":[`...)

	var (
		encs    []valueEncoder
		rows    int64
		flushed bool
	)
	for _, b := range res.Batches {
		encs = columnEncoders(b, encs)
		for i := range int(b.NumRows()) {
			if rows > 0 {
				buf = append(buf, ',')
			}
			buf = appendRow(buf, encs, i)
			rows++
			if len(buf) >= flushAt {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf, flushed = buf[:0], true
			}
		}
	}
	buf = append(buf, `],"stats":{"rows":`...)
	buf = strconv.AppendInt(buf, rows, 10)
	if !flushed {
		res.Encodings.Put(jsonRowsFormat, buf)
	}
	buf = appendElapsed(buf, res)
	_, err := w.Write(buf)
	return err
}

// jsonRowsFormat names writeRows's bytes in a result's Encodings.
const jsonRowsFormat = "api/json"

// appendElapsed ends writeRows's answer: the one part a cached result's
// answers do not share.
func appendElapsed(buf []byte, res *session.Result) []byte {
	buf = append(buf, `,"elapsed_ms":`...)
	buf = strconv.AppendFloat(buf, float64(res.Stats.Elapsed.Microseconds())/1e3, 'f', -1, 64)
	return append(buf, "}}\n"...)
}
