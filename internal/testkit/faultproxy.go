package testkit

import (
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FaultProxyConfig sets what a FaultProxy does to the requests it lets
// through its Filter. Rates are probabilities per request; their sum must not
// exceed 1.
type FaultProxyConfig struct {
	Seed uint64
	// SlowDown answers 503 SlowDown without forwarding.
	SlowDown float64
	// InternalError answers 500 InternalError without forwarding.
	InternalError float64
	// InternalErrorAfter forwards the request, so it takes effect, then
	// answers 500 InternalError: the ambiguous case for writes.
	InternalErrorAfter float64
	// Reset forwards the request, then cuts the connection with a TCP RST
	// after half the response body (the client may lose some of that half
	// too), or before the status line when the response has no body.
	Reset float64
	// Latency delays every filtered request by Latency plus a uniformly
	// random part of up to LatencyJitter.
	Latency, LatencyJitter time.Duration
	// Filter selects the requests faults apply to; nil selects all. See
	// Methods and PathPrefix.
	Filter func(*http.Request) bool
}

// FaultProxyStats counts what a FaultProxy did.
type FaultProxyStats struct {
	Requests           int64 // all requests received
	Faulted            int64 // requests given any fault other than latency
	SlowDown           int64
	InternalError      int64
	InternalErrorAfter int64
	Reset              int64
	Delayed            int64
}

// FaultProxy is a reverse proxy on loopback in front of an HTTP server (say
// MinIO) that injects S3-style faults at seeded random, so real clients can be
// tested against them. Request bodies and streamed responses pass through
// unchanged, and the Host header is kept, so SigV4 signatures still verify.
type FaultProxy struct {
	URL string // http://127.0.0.1:port; use it as the client's endpoint

	cfg       FaultProxyConfig
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	srv       *http.Server

	enabled atomic.Bool
	mu      sync.Mutex // guards rng
	rng     *rand.Rand

	requests, slowDown, internal, internalAfter, reset, delayed atomic.Int64
}

// Methods selects requests with one of the given HTTP methods.
func Methods(methods ...string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, m := range methods {
			if r.Method == m {
				return true
			}
		}
		return false
	}
}

// PathPrefix selects requests whose URL path starts with prefix; for a
// path-style S3 client that is "/bucket/key-prefix".
func PathPrefix(prefix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, prefix) }
}

// NewFaultProxy starts a proxy to target on 127.0.0.1, with faults enabled.
// It is closed when the test ends.
func NewFaultProxy(t testing.TB, target string, cfg FaultProxyConfig) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		t.Fatalf("testkit: fault proxy target %q: want http://host:port", target)
	}
	if cfg.SlowDown < 0 || cfg.InternalError < 0 || cfg.InternalErrorAfter < 0 || cfg.Reset < 0 ||
		cfg.SlowDown+cfg.InternalError+cfg.InternalErrorAfter+cfg.Reset > 1 {
		t.Fatalf("testkit: fault proxy rates %+v: each must be >= 0 and their sum <= 1", cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: fault proxy: %v", err)
	}
	p := &FaultProxy{
		URL: "http://" + ln.Addr().String(),
		cfg: cfg,
		rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5851f42d4c957f2d)),
		transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       30 * time.Second,
			DisableCompression:    true, // pass bodies through byte for byte
			ExpectContinueTimeout: time.Second,
		},
	}
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // SigV4 signs the Host header
		},
		Transport:     p.transport,
		FlushInterval: -1, // stream responses as they arrive
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	p.enabled.Store(true)
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(p.Close)
	return p
}

// Enable turns fault injection (latency included) on or off.
func (p *FaultProxy) Enable(on bool) { p.enabled.Store(on) }

// Stats returns the counters so far.
func (p *FaultProxy) Stats() FaultProxyStats {
	s := FaultProxyStats{
		Requests:           p.requests.Load(),
		SlowDown:           p.slowDown.Load(),
		InternalError:      p.internal.Load(),
		InternalErrorAfter: p.internalAfter.Load(),
		Reset:              p.reset.Load(),
		Delayed:            p.delayed.Load(),
	}
	s.Faulted = s.SlowDown + s.InternalError + s.InternalErrorAfter + s.Reset
	return s
}

// Close stops the proxy and drops its connections.
func (p *FaultProxy) Close() {
	_ = p.srv.Close()
	p.transport.CloseIdleConnections()
}

type proxyFault int

const (
	pass proxyFault = iota
	slowDown
	internalBefore
	internalAfter
	resetMidBody
)

// decide draws the fault and delay for one filtered request: always two
// numbers, so the sequence depends only on the seed and the requests.
func (p *FaultProxy) decide() (proxyFault, time.Duration) {
	p.mu.Lock()
	x, j := p.rng.Float64(), p.rng.Float64()
	p.mu.Unlock()
	delay := p.cfg.Latency + time.Duration(j*float64(p.cfg.LatencyJitter))
	c := p.cfg
	switch {
	case x < c.SlowDown:
		return slowDown, delay
	case x < c.SlowDown+c.InternalError:
		return internalBefore, delay
	case x < c.SlowDown+c.InternalError+c.InternalErrorAfter:
		return internalAfter, delay
	case x < c.SlowDown+c.InternalError+c.InternalErrorAfter+c.Reset:
		return resetMidBody, delay
	}
	return pass, delay
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	if !p.enabled.Load() || (p.cfg.Filter != nil && !p.cfg.Filter(r)) {
		p.proxy.ServeHTTP(w, r)
		return
	}
	fault, delay := p.decide()
	if delay > 0 {
		p.delayed.Add(1)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch fault {
	case slowDown:
		p.slowDown.Add(1)
		writeS3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case internalBefore:
		p.internal.Add(1)
		writeS3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	case internalAfter:
		p.internalAfter.Add(1)
		p.proxy.ServeHTTP(&discardWriter{header: make(http.Header)}, r)
		writeS3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	case resetMidBody:
		p.reset.Add(1)
		p.proxy.ServeHTTP(&resetWriter{w: w}, r)
	default:
		p.proxy.ServeHTTP(w, r)
	}
}

// writeS3Error answers like S3 does, so clients parse the code.
func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>wharf-fault-proxy</RequestId></Error>`,
		code, msg, html.EscapeString(r.URL.Path))
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// discardWriter swallows the upstream's answer to a request that will be
// answered with an error instead.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

var errCut = errors.New("testkit: connection cut by the fault proxy")

// resetWriter passes the status, the headers and the first half of the body
// (by Content-Length), then resets the connection. Without a body it resets
// before the status line, so the client never learns the outcome.
type resetWriter struct {
	w    http.ResponseWriter
	left int64 // body bytes still to pass
	cut  bool
}

func (rw *resetWriter) Header() http.Header { return rw.w.Header() }

func (rw *resetWriter) WriteHeader(code int) {
	if rw.cut {
		return
	}
	if code < http.StatusOK { // 1xx: informational, pass on
		rw.w.WriteHeader(code)
		return
	}
	n, err := strconv.ParseInt(rw.w.Header().Get("Content-Length"), 10, 64)
	if err != nil || n < 2 {
		rw.reset()
		return
	}
	rw.left = n / 2
	rw.w.WriteHeader(code)
}

func (rw *resetWriter) Write(b []byte) (int, error) {
	if rw.cut {
		return 0, errCut
	}
	if int64(len(b)) < rw.left {
		rw.left -= int64(len(b))
		return rw.w.Write(b)
	}
	n, err := rw.w.Write(b[:rw.left])
	if err != nil {
		return n, err
	}
	rw.reset()
	return n, errCut
}

// FlushError lets the reverse proxy stream through this writer.
func (rw *resetWriter) FlushError() error {
	if rw.cut {
		return errCut
	}
	return http.NewResponseController(rw.w).Flush()
}

// reset sends what was written so far, then closes the connection with a TCP
// RST (SO_LINGER 0) rather than an orderly FIN.
func (rw *resetWriter) reset() {
	rw.cut = true
	conn, buf, err := http.NewResponseController(rw.w).Hijack()
	if err != nil {
		return
	}
	_ = buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
