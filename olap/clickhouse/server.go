// Package clickhouse serves wharf's warehouse to ClickHouse clients: the
// ClickHouse HTTP interface and the native TCP protocol, both over one
// execution path (Server.execute) that answers the few ClickHouse-only
// statements clients send itself (answer.go) and hands everything else to
// the engine's session as Flink SQL.
package clickhouse

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// Version is the ClickHouse version the front ends report (hello, version(),
// errors). Clients gate features on it; 24.8 is a long-term-support release
// whose protocol and formats these front ends follow.
const (
	Version      = "24.8.1"
	versionMajor = 24
	versionMinor = 8
	versionPatch = 1
)

// Backend runs statements: the engine's *session.Session.
type Backend interface {
	Exec(ctx context.Context, text string, readOnly bool) (*session.Result, error)
}

// Authorizer decides whether user/password may connect, and whether only to
// read. With no Authorizer everyone may read and write (the command line
// then listens on loopback only).
type Authorizer func(user, password string) (readOnly, ok bool)

// Server holds what both front ends share. Create it with New; it is safe
// for concurrent use.
type Server struct {
	b        Backend
	auth     Authorizer
	log      *slog.Logger
	timeout  time.Duration
	maxQuery int
	timezone string
}

// Option configures a Server.
type Option func(*Server)

// WithAuthorizer turns authentication on.
func WithAuthorizer(a Authorizer) Option { return func(s *Server) { s.auth = a } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithStatementTimeout bounds one statement (default 5 minutes; 0 = none).
// The max_execution_time setting can only lower it.
func WithStatementTimeout(d time.Duration) Option { return func(s *Server) { s.timeout = d } }

// WithMaxQueryBytes caps the text of one statement (default 1 MiB): the
// HTTP body and the native protocol's strings are read only up to it.
func WithMaxQueryBytes(n int) Option { return func(s *Server) { s.maxQuery = n } }

// New returns a server over b.
func New(b Backend, opts ...Option) *Server {
	s := &Server{
		b:        b,
		log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		timeout:  5 * time.Minute,
		maxQuery: 1 << 20,
		timezone: "UTC", // wharf renders every timestamp in UTC
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// authorize checks credentials; an empty user means "default".
func (s *Server) authorize(user, password string) (readOnly bool, err error) {
	if s.auth == nil {
		return false, nil
	}
	ro, ok := s.auth(user, password)
	if !ok {
		return false, errAuth()
	}
	return ro, nil
}

// client is who sends a statement, and in what context.
type client struct {
	database string // current database ("" = default)
	readOnly bool
}

func (c *client) db() string {
	if c.database == "" {
		return lake.DefaultNamespace
	}
	return c.database
}

// outcome is what one statement produced.
type outcome struct {
	res      *session.Result // nil for statements answered with nothing (USE, SET)
	format   string          // the FORMAT clause, "" if none
	settings map[string]string
	elapsed  time.Duration
}

// execute runs one statement for c. settings are the client's (URL
// parameters, the native query's), which the statement's own SETTINGS
// clause overrides.
func (s *Server) execute(ctx context.Context, c *client, text string, settings map[string]string) (*outcome, error) {
	start := time.Now()
	st, err := splitStatement(text)
	if err != nil {
		return nil, err
	}
	merged := make(map[string]string, len(settings)+len(st.settings))
	for k, v := range settings {
		merged[k] = v
	}
	for k, v := range st.settings {
		merged[k] = v
	}
	if len(st.toks) == 0 {
		return nil, exception(proto.ErrEmptyQuery, http.StatusBadRequest, "Empty query")
	}
	readOnly := c.readOnly || settingOn(merged["readonly"])
	timeout := s.timeout
	if v, err := strconv.ParseFloat(merged["max_execution_time"], 64); err == nil && v > 0 {
		if d := time.Duration(v * float64(time.Second)); timeout == 0 || d < timeout {
			timeout = d
		}
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	out := &outcome{format: st.format, settings: merged}
	// The client's database applies to this statement only: the session
	// is shared by every client.
	ctx = session.WithDatabase(ctx, c.database)
	res, handled, err := s.answer(ctx, c, st, readOnly)
	if !handled {
		res, err = s.b.Exec(ctx, st.text, readOnly)
	}
	if err != nil {
		return nil, err
	}
	out.res = res
	out.elapsed = time.Since(start)
	return out, nil
}

// settingOn reads a ClickHouse boolean-ish setting ("1", "true", "2"…).
func settingOn(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v != "" && v != "0" && v != "false"
}
