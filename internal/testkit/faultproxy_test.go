package testkit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// backend records what reached it and answers with a body of the asked size.
type backend struct {
	hits atomic.Int64
	host atomic.Value // Host header of the last request
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.hits.Add(1)
	b.host.Store(r.Host)
	switch r.URL.Path {
	case "/echo-sum":
		sum := sha256.New()
		n, _ := io.Copy(sum, r.Body)
		fmt.Fprintf(w, "%d %s", n, hex.EncodeToString(sum.Sum(nil)))
	case "/stream":
		// First chunk now, the rest only after the client saw it.
		fmt.Fprint(w, "first;")
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond)
		fmt.Fprint(w, "second")
	case "/empty":
		w.WriteHeader(http.StatusOK)
	default:
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write(bytes.Repeat([]byte{'x'}, 1000))
	}
}

func newProxy(t *testing.T, cfg FaultProxyConfig) (*FaultProxy, *backend) {
	t.Helper()
	b := &backend{}
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	return NewFaultProxy(t, srv.URL, cfg), b
}

func get(t *testing.T, url string) (int, string, error) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func TestFaultProxyPassesThrough(t *testing.T) {
	p, b := newProxy(t, FaultProxyConfig{})
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	resp, err := http.Post(p.URL+"/echo-sum", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(body)
	if want := fmt.Sprintf("%d %s", len(body), hex.EncodeToString(sum[:])); string(got) != want {
		t.Fatalf("backend got %q, want %q", got, want)
	}
	// The client's Host header is kept (SigV4 signs it).
	if host := b.host.Load(); host != strings.TrimPrefix(p.URL, "http://") {
		t.Errorf("backend saw Host %v, want the proxy's %s", host, p.URL)
	}

	// Streamed responses are not buffered.
	start := time.Now()
	resp, err = http.Get(p.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("first;"))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first;" {
		t.Fatalf("first chunk = %q, %v", first, err)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("first chunk took %v: the proxy buffered the response", d)
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "second" {
		t.Fatalf("rest = %q, %v", rest, err)
	}
	if st := p.Stats(); st.Requests != 2 || st.Faulted != 0 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestFaultProxyFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfg       FaultProxyConfig
		path      string
		status    int    // 0: no response at all
		code      string // S3 error code in the body
		forwarded bool
		bodyErr   bool // the body breaks off
	}{
		{"slow down", FaultProxyConfig{SlowDown: 1}, "/x", 503, "<Code>SlowDown</Code>", false, false},
		{"internal error", FaultProxyConfig{InternalError: 1}, "/x", 500, "<Code>InternalError</Code>", false, false},
		{"internal error after", FaultProxyConfig{InternalErrorAfter: 1}, "/x", 500, "<Code>InternalError</Code>", true, false},
		{"reset mid-body", FaultProxyConfig{Reset: 1}, "/x", 200, "", true, true},
		{"reset without body", FaultProxyConfig{Reset: 1}, "/empty", 0, "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, b := newProxy(t, tc.cfg)
			status, body, err := get(t, p.URL+tc.path)
			switch {
			case tc.status == 0:
				if err == nil {
					t.Fatalf("got status %d, want the connection cut before any response", status)
				}
			case tc.bodyErr:
				// The RST may overtake the half body in flight, so the client
				// sees at most half of it.
				if err == nil || status != tc.status || len(body) > 500 {
					t.Fatalf("got %d, %d bytes, %v; want %d, at most 500 bytes, then an error", status, len(body), err, tc.status)
				}
			default:
				if err != nil || status != tc.status || !strings.Contains(body, tc.code) {
					t.Fatalf("got %d %q %v; want %d with %s", status, body, err, tc.status, tc.code)
				}
			}
			if got := b.hits.Load() == 1; got != tc.forwarded {
				t.Errorf("forwarded = %v, want %v", got, tc.forwarded)
			}
			if st := p.Stats(); st.Faulted != 1 {
				t.Errorf("Stats = %+v, want 1 fault", st)
			}
		})
	}
}

func TestFaultProxyFilterAndEnable(t *testing.T) {
	p, _ := newProxy(t, FaultProxyConfig{SlowDown: 1, Filter: Methods(http.MethodPut)})
	if status, _, err := get(t, p.URL+"/x"); err != nil || status != 200 {
		t.Fatalf("GET through a PUT-only filter = %d, %v", status, err)
	}
	req, _ := http.NewRequest(http.MethodPut, p.URL+"/x", strings.NewReader("v"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("PUT = %d, want 503", resp.StatusCode)
	}

	p2, _ := newProxy(t, FaultProxyConfig{InternalError: 1, Filter: PathPrefix("/bucket/faulty/")})
	if status, _, _ := get(t, p2.URL+"/bucket/fine/k"); status != 200 {
		t.Errorf("outside the prefix: %d", status)
	}
	if status, _, _ := get(t, p2.URL+"/bucket/faulty/k"); status != 500 {
		t.Errorf("inside the prefix: %d", status)
	}
	p2.Enable(false)
	if status, _, _ := get(t, p2.URL+"/bucket/faulty/k"); status != 200 {
		t.Errorf("disabled: %d", status)
	}
	if st := p2.Stats(); st.Requests != 3 || st.InternalError != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestFaultProxyLatency(t *testing.T) {
	p, _ := newProxy(t, FaultProxyConfig{Latency: 100 * time.Millisecond, LatencyJitter: 50 * time.Millisecond})
	start := time.Now()
	if _, _, err := get(t, p.URL+"/x"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("request took %v, want at least the 100ms latency", d)
	}
	if p.Stats().Delayed != 1 {
		t.Errorf("Stats = %+v", p.Stats())
	}
}

// The same seed and the same sequence of requests give the same faults.
func TestFaultProxyDeterministic(t *testing.T) {
	run := func(seed uint64) string {
		p, _ := newProxy(t, FaultProxyConfig{Seed: seed, SlowDown: 0.3, InternalError: 0.2})
		var out strings.Builder
		for range 40 {
			status, _, err := get(t, p.URL+"/x")
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "%d ", status)
		}
		return out.String()
	}
	a := run(5)
	if b := run(5); a != b {
		t.Fatalf("seed 5 gave\n%s\nthen\n%s", a, b)
	}
	if c := run(6); c == a {
		t.Fatal("seeds 5 and 6 gave the same faults")
	}
}
