package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharfdata/wharf/api"
	"github.com/wharfdata/wharf/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func TestServeRefusesExposedWithoutTokens(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" = accepted by the exposure check
	}{
		{[]string{"--http", "0.0.0.0:0"}, "refusing to listen on 0.0.0.0:0 (--http)"},
		{[]string{"--http", ":0"}, "refusing"},
		{[]string{"--http", "[::]:0"}, "refusing"},
		{[]string{"--http", "127.0.0.1:0", "--broker", "0.0.0.0:0"}, "(--broker)"},
		{[]string{"--http", "192.0.2.1:0"}, "refusing"},
		{[]string{"--http", "127.0.0.1:0", "--clickhouse", "0.0.0.0:0"}, "(--clickhouse)"},
		{[]string{"--http", "127.0.0.1:0", "--clickhouse-http", "0.0.0.0:0"}, "(--clickhouse-http)"},
	}
	for _, tt := range tests {
		data := t.TempDir()
		std, _, _ := testStdio(nil)
		err := runServe(context.Background(), append(tt.args, "--data", data), std)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "--token") {
			t.Errorf("%q: %v", tt.args, err)
		}
		// Refused before anything was created.
		if entries, _ := os.ReadDir(data); len(entries) != 0 {
			t.Errorf("%q: data dir has %d entries", tt.args, len(entries))
		}
	}
}

func TestCheckExposure(t *testing.T) {
	for _, tc := range []struct {
		tokens bool
		addrs  map[string]string
		ok     bool
	}{
		{false, map[string]string{"http": "127.0.0.1:8080", "broker": "[::1]:9092"}, true},
		{false, map[string]string{"http": "localhost:0"}, true},
		{false, map[string]string{"http": "127.0.0.1:8080", "broker": "0.0.0.0:9092"}, false},
		{true, map[string]string{"http": "0.0.0.0:8080"}, true},
		{true, map[string]string{"http": "no-port"}, false},
	} {
		if err := checkExposure(tc.tokens, tc.addrs); (err == nil) != tc.ok {
			t.Errorf("%v %v: %v", tc.tokens, tc.addrs, err)
		}
	}
}

func TestServeFlags(t *testing.T) {
	std, _, _ := testStdio(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret123"})
	f, err := parseServeFlags([]string{"--token", "read:rrrrrrrr1", "--token", "write:wwwwwwww2", "--s3-secret-key", "flagsecret1"}, std)
	if err != nil {
		t.Fatal(err)
	}
	if f.s3AccessKey != "AKIAENVKEY" || f.s3SecretKey != "flagsecret1" || f.http != "127.0.0.1:8080" || f.broker != "127.0.0.1:9092" {
		t.Errorf("%+v", f)
	}
	toks, err := f.apiTokens()
	if err != nil || len(toks) != 2 {
		t.Fatalf("%v %v", toks, err)
	}
	f.tokens = append(f.tokens, "admin:xxxxxxxx")
	if _, err := f.apiTokens(); err == nil {
		t.Error("bad --token accepted")
	}
	f.tokens, f.tokenFile = nil, filepath.Join(t.TempDir(), "missing")
	if _, err := f.apiTokens(); err == nil {
		t.Error("missing token file accepted")
	}

	// Cache sizes: unset keeps the gate's defaults, 0 turns one off.
	if c := f.gateConfig(); c.ResultCacheBytes != 0 || c.PageCacheBytes != 0 || c.FooterCacheBytes != 0 {
		t.Errorf("no cache flags: %+v", c)
	}
	f, err = parseServeFlags([]string{"--result-cache", "0", "--page-cache", "1GiB", "--footer-cache", "64MiB"}, std)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.gateConfig(); c.ResultCacheBytes != -1 || c.PageCacheBytes != 1<<30 || c.FooterCacheBytes != 64<<20 {
		t.Errorf("cache flags: %+v", c)
	}
	f, err = parseServeFlags([]string{"--page-cache", "0", "--result-cache", "512KiB", "--footer-cache", "1MiB"}, std)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.gateConfig(); c.PageCacheBytes != -1 || c.ResultCacheBytes != 512<<10 || c.FooterCacheBytes != 1<<20 {
		t.Errorf("cache flags (page cache off, footer cache at its least): %+v", c)
	}
	for _, bad := range [][]string{{"--page-cache", "lots"}, {"--result-cache", "-1MiB"}, {"--page-cache", "9999999999GiB"}, {"--footer-cache", "0"}, {"--footer-cache", "1023KiB"}, {"--pprof", "0.0.0.0:6060"}, {"--pprof", "example.com:6060"}, {"--pprof", "6060"}} {
		if _, err := parseServeFlags(bad, std); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestWriteAddresses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "addresses.json")
	want := map[string]string{"http": "127.0.0.1:1", "broker": "127.0.0.1:2"}
	if err := writeAddresses(path, want); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var got map[string]string
	if err := json.Unmarshal(data, &got); err != nil || len(got) != 2 || got["http"] != want["http"] {
		t.Fatalf("%s %v", data, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
}

// serving is a runServe in the background.
type serving struct {
	addrs  map[string]string
	done   chan error
	log    *bytes.Buffer
	cancel context.CancelFunc
}

// startServe runs `wharf serve args…` and waits for its addresses.json.
func startServe(t *testing.T, data string, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	std, _, errb := testStdio(nil)
	s := &serving{done: make(chan error, 1), log: errb, cancel: cancel}
	go func() {
		s.done <- runServe(ctx, append([]string{"--data", data, "--http", "127.0.0.1:0", "--broker", "127.0.0.1:0",
			"--clickhouse", "127.0.0.1:0", "--clickhouse-http", "127.0.0.1:0"}, args...), std)
	}()
	addrFile := filepath.Join(data, "addresses.json")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && json.Unmarshal(b, &s.addrs) == nil {
			return s
		}
		select {
		case err := <-s.done:
			t.Fatalf("serve exited: %v\n%s", err, errb)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no addresses.json")
		}
	}
}

func TestServeStartsAndStops(t *testing.T) {
	data := t.TempDir()
	srv := startServe(t, data, "--pprof", "127.0.0.1:0")
	addrs, done, errb, cancel := srv.addrs, srv.done, srv.log, srv.cancel
	addrFile := filepath.Join(data, "addresses.json")
	for _, u := range []string{"http://" + addrs["http"] + "/healthz", "http://" + addrs["pprof"] + "/debug/pprof/cmdline"} {
		resp, err := http.Get(u)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", u, resp, err)
		}
		resp.Body.Close()
	}
	conn, err := net.Dial("tcp", addrs["broker"])
	if err != nil {
		t.Fatalf("broker: %v", err)
	}
	conn.Close()
	resp, err := http.Get("http://" + addrs["clickhouse_http"] + "/?query=SELECT%201")
	if err != nil {
		t.Fatalf("ClickHouse HTTP: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "1\n" {
		t.Fatalf("ClickHouse HTTP answered %q", body)
	}
	conn, err = net.Dial("tcp", addrs["clickhouse"])
	if err != nil {
		t.Fatalf("ClickHouse native: %v", err)
	}
	defer conn.Close() // left open: shutdown must close it

	cancel() // as SIGINT does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := os.Stat(addrFile); !os.IsNotExist(err) {
		t.Errorf("addresses.json left behind: %v", err)
	}
	if !strings.Contains(errb.String(), "in memory") {
		t.Errorf("log does not say the broker is in memory:\n%s", errb)
	}
}

// TestServeOnMinIO: `wharf serve --warehouse s3://…` stores tables on MinIO,
// and the S3 secret never reaches the log.
func TestServeOnMinIO(t *testing.T) {
	m := testkit.MinIO(t)
	bucket := m.NewBucket(t)
	srv := startServe(t, t.TempDir(), "--warehouse", "s3://"+bucket+"/lake", "--s3-endpoint", m.Endpoint,
		"--s3-access-key", m.AccessKey, "--s3-secret-key", m.SecretKey)
	c := api.NewClient("http://"+srv.addrs["http"], "", nil)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE t (id BIGINT, d DATE) PARTITIONED BY (d)",
		"INSERT INTO t VALUES (1, DATE '2026-11-20'), (2, DATE '2026-11-21')",
	} {
		if _, _, err := c.SQL(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rep, err := c.Verify(ctx, "default", "t")
	if err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	srv.cancel()
	if err := <-srv.done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(srv.log.String(), m.SecretKey) {
		t.Fatal("the S3 secret key is in the log")
	}
	// The data files are in the bucket.
	if n := len(m.Keys(t, bucket, "lake/default.db/t/data/")); n != 2 {
		t.Fatalf("%d data files in the bucket, want 2 (one per day)", n)
	}
}

// TestServeOnAnotherWharfsCatalog: `wharf serve --catalog http://A/iceberg`
// keeps its tables in wharf A's catalog; each sees the other's commits.
func TestServeOnAnotherWharfsCatalog(t *testing.T) {
	dataA := t.TempDir()
	a := startServe(t, dataA)
	b := startServe(t, t.TempDir(), "--catalog", "http://"+a.addrs["http"]+"/iceberg",
		"--warehouse", "file://"+filepath.Join(dataA, "warehouse"))
	ctx := context.Background()
	ca := api.NewClient("http://"+a.addrs["http"], "", nil)
	cb := api.NewClient("http://"+b.addrs["http"], "", nil)
	for _, step := range []struct {
		c *api.Client
		q string
	}{
		{cb, "CREATE TABLE shared.t (id BIGINT, s STRING) PARTITIONED BY (bucket(4, id))"},
		{cb, "INSERT INTO shared.t VALUES (1, 'a'), (2, 'b'), (3, 'c')"},
		{ca, "INSERT INTO shared.t VALUES (4, 'd')"},
		{cb, "INSERT INTO shared.t VALUES (5, 'e')"},
	} {
		if _, _, err := step.c.SQL(ctx, step.q); err != nil {
			t.Fatalf("%s: %v", step.q, err)
		}
	}
	for _, c := range []*api.Client{ca, cb} {
		rep, err := c.Verify(ctx, "shared", "t")
		if err != nil || !rep.OK {
			t.Fatalf("verify: %+v %v", rep, err)
		}
		if rep.Snapshots != 3 {
			t.Fatalf("snapshots = %d, want 3 (both servers' commits on one table)", rep.Snapshots)
		}
	}
}
