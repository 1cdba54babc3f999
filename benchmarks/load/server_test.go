package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// binaries builds wharf (from the repository root, cgo-free like a release)
// and loadgen into dir.
func binaries(ctx context.Context, dir string) (wharf, loadgen string, err error) {
	wharf, loadgen = filepath.Join(dir, "wharf"), filepath.Join(dir, "loadgen")
	for _, b := range []struct{ out, pkg, wd string }{
		{wharf, "./cmd/wharf", "../.."},
		{loadgen, "./cmd/loadgen", "."},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg)
		cmd.Dir = b.wd
		if b.out == wharf {
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return wharf, loadgen, nil
}

// server is a running `wharf serve` on loopback.
type server struct {
	cmd    *exec.Cmd
	url    string
	stderr bytes.Buffer
}

// startServer runs `wharf serve` over the warehouse in dir, every listener on
// a free loopback port, and waits until it is ready.
func startServer(bin, dir string) (*server, error) {
	addrFile := filepath.Join(dir, "addresses.json")
	_ = os.Remove(addrFile) // left by a server that was killed
	s := &server{}
	s.cmd = exec.Command(bin, "serve", "--data", dir, "--http", "127.0.0.1:0", "--broker", "127.0.0.1:0",
		"--clickhouse", "127.0.0.1:0", "--clickhouse-http", "127.0.0.1:0")
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		raw, err := os.ReadFile(addrFile)
		if err != nil {
			continue
		}
		var addrs map[string]string
		if err := json.Unmarshal(raw, &addrs); err != nil {
			break
		}
		s.url = "http://" + addrs["http"]
		return s, nil
	}
	s.stop()
	return nil, fmt.Errorf("wharf serve did not become ready:\n%s", s.stderr.String())
}

// stop interrupts the server (a clean shutdown) and kills it if it lingers.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// cacheCounts reads the gate's result cache hits and misses from /metrics.
func (s *server) cacheCounts() (hits, misses int64, err error) {
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "wharf_olap_result_cache_total{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, 0, fmt.Errorf("metrics: %q: %w", line, err)
		}
		switch {
		case strings.Contains(line, `outcome="hit"`):
			hits = int64(v)
		case strings.Contains(line, `outcome="miss"`):
			misses = int64(v)
		}
	}
	return hits, misses, sc.Err()
}

// loadParams are one scenario's loadgen flags.
type loadParams struct {
	name             string
	rows, hot        int64
	conns            int
	duration, warmup time.Duration
}

// runLoadgen runs the loadgen process against s and returns its report,
// with the server's result cache hits and misses during the measured part
// (and its warm-up) added.
func runLoadgen(ctx context.Context, bin string, s *server, p loadParams) (Report, error) {
	h0, m0, err := s.cacheCounts()
	if err != nil {
		return Report{}, err
	}
	cmd := exec.CommandContext(ctx, bin, "-url", s.url, "-name", p.name,
		"-rows", strconv.FormatInt(p.rows, 10), "-hot", strconv.FormatInt(p.hot, 10),
		"-conns", strconv.Itoa(p.conns), "-duration", p.duration.String(), "-warmup", p.warmup.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Report{}, fmt.Errorf("loadgen: %v\n%s", err, stderr.String())
	}
	var r Report
	if err := json.Unmarshal(out, &r); err != nil {
		return Report{}, fmt.Errorf("loadgen output %q: %w", out, err)
	}
	h1, m1, err := s.cacheCounts()
	if err != nil {
		return Report{}, err
	}
	r.CacheHits, r.CacheMisses = h1-h0, m1-m0
	return r, nil
}
