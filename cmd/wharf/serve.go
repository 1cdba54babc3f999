package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wharfdata/wharf/api"
	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/internal/broker"
	"github.com/wharfdata/wharf/internal/redact"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/objstore"
	"github.com/wharfdata/wharf/lake/restcat"
	"github.com/wharfdata/wharf/olap"
	"github.com/wharfdata/wharf/olap/clickhouse"
)

// shutdownTimeout bounds how long in-flight HTTP requests may finish.
const shutdownTimeout = 10 * time.Second

type serveFlags struct {
	data, http, broker, kafka  string
	warehouse, catalog         string
	s3Endpoint, s3Region       string
	s3AccessKey, s3SecretKey   string
	tokenFile                  string
	tokens                     stringList
	clickhouse, clickhouseHTTP string
	pprof                      string // net/http/pprof listener; "" = none
	statementTimeout           time.Duration
	// The query gate's caches (olap.Config): unset keeps its default, 0
	// turns a cache off.
	resultCache, pageCache, footerCache byteSize
}

func parseServeFlags(args []string, std stdio) (*serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("wharf serve", flag.ContinueOnError)
	fs.SetOutput(std.stderr)
	fs.StringVar(&f.data, "data", "./wharf-data", "local state `dir`ectory (catalog.db, warehouse/, addresses.json)")
	fs.StringVar(&f.http, "http", "127.0.0.1:8080", "HTTP API listen `addr`ess (port 0 picks a free port)")
	fs.StringVar(&f.broker, "broker", "127.0.0.1:9092", "embedded Kafka broker listen `addr`ess (in memory)")
	fs.StringVar(&f.kafka, "kafka", "", "external Kafka `brokers` (host:port,…); no embedded broker is started")
	fs.StringVar(&f.warehouse, "warehouse", "", "table data root `URL` (file:///dir or s3://bucket/prefix; default DATA/warehouse)")
	fs.StringVar(&f.catalog, "catalog", "", "catalog `URI`: sqlite://path, postgres://…, http(s)://… (REST); default sqlite://DATA/catalog.db")
	fs.StringVar(&f.s3Endpoint, "s3-endpoint", "", "S3 endpoint `URL` (MinIO: http://127.0.0.1:9000)")
	fs.StringVar(&f.s3Region, "s3-region", "", "S3 region (default us-east-1)")
	fs.StringVar(&f.s3AccessKey, "s3-access-key", "", "S3 access key (default $AWS_ACCESS_KEY_ID)")
	fs.StringVar(&f.s3SecretKey, "s3-secret-key", "", "S3 secret key (default $AWS_SECRET_ACCESS_KEY)")
	fs.StringVar(&f.tokenFile, "token-file", "", "`file` of API tokens, one \"read <token>\" or \"write <token>\" per line")
	fs.Var(&f.tokens, "token", "API token `scope:token` (read:… or write:…); repeatable")
	fs.DurationVar(&f.statementTimeout, "statement-timeout", api.DefaultStatementTimeout, "cancel a SQL statement of the HTTP API after this long (0: never)")
	fs.StringVar(&f.clickhouse, "clickhouse", "127.0.0.1:9000", "ClickHouse native protocol `addr`ess (port 0 picks a free port)")
	fs.StringVar(&f.clickhouseHTTP, "clickhouse-http", "127.0.0.1:8123", "ClickHouse HTTP interface `addr`ess (port 0 picks a free port)")
	fs.StringVar(&f.pprof, "pprof", "", "serve Go's profiler (/debug/pprof/) on this loopback `addr`ess; default none")
	fs.Var(&f.resultCache, "result-cache", "result cache `size` (e.g. 256MiB; 0: off; default 256MiB)")
	fs.Var(&f.pageCache, "page-cache", "cache of decoded Parquet pages, `size` (0: off; default 256MiB)")
	fs.Var(&f.footerCache, "footer-cache", "cache of parsed Parquet footers and page indexes, `size` (at least 1MiB; default 32MiB)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		fmt.Fprintf(std.stderr, "wharf serve: unexpected argument %q\n", pos[0])
		return nil, errUsage
	}
	if f.pprof != "" && !isLoopbackAddr(f.pprof) {
		// Profiles reveal query text and memory contents; no token guards them.
		fmt.Fprintf(std.stderr, "wharf serve: --pprof %q: want a loopback address such as 127.0.0.1:6060\n", f.pprof)
		return nil, errUsage
	}
	if f.footerCache.set && f.footerCache.n < 1<<20 {
		// Every scan opens its files through it: it cannot be off.
		fmt.Fprintf(std.stderr, "wharf serve: --footer-cache %d: want at least 1MiB\n", f.footerCache.n)
		return nil, errUsage
	}
	if f.s3AccessKey == "" {
		f.s3AccessKey = std.getenv("AWS_ACCESS_KEY_ID")
	}
	if f.s3SecretKey == "" {
		f.s3SecretKey = std.getenv("AWS_SECRET_ACCESS_KEY")
	}
	return &f, nil
}

// tokens collects the API tokens from --token-file and --token.
func (f *serveFlags) apiTokens() ([]api.Token, error) {
	var toks []api.Token
	if f.tokenFile != "" {
		ft, err := api.ReadTokenFile(f.tokenFile)
		if err != nil {
			return nil, err
		}
		toks = append(toks, ft...)
	}
	for _, s := range f.tokens {
		t, err := api.ParseToken(s)
		if err != nil {
			return nil, fmt.Errorf("--token: %w", err)
		}
		toks = append(toks, t)
	}
	return toks, nil
}

// registerSecrets makes sure no credential given to serve is ever logged.
func (f *serveFlags) registerSecrets(toks []api.Token, std stdio) {
	for _, s := range []string{f.s3AccessKey, f.s3SecretKey, std.getenv("AWS_SESSION_TOKEN")} {
		redact.Register(s)
	}
	for _, t := range toks {
		redact.Register(t.Secret)
	}
	for _, raw := range []string{f.catalog, f.warehouse, f.kafka} {
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok {
				redact.Register(pw)
			}
		}
	}
}

// checkExposure refuses listeners reachable from other hosts while the API
// has no authentication.
func checkExposure(haveTokens bool, listeners map[string]string) error {
	for name, addr := range listeners {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("--%s %q: %w", name, addr, err)
		}
		if haveTokens || isLoopback(host) {
			continue
		}
		return fmt.Errorf("refusing to listen on %s (--%s) without authentication: "+
			"give API tokens with --token-file or --token, or listen on a loopback address such as 127.0.0.1", addr, name)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runServe(ctx context.Context, args []string, std stdio) error {
	f, err := parseServeFlags(args, std)
	if err != nil {
		return err
	}
	toks, err := f.apiTokens()
	if err != nil {
		return err
	}
	f.registerSecrets(toks, std)
	log := slog.New(redact.NewHandler(slog.NewTextHandler(std.stderr, nil)))

	listeners := map[string]string{"http": f.http, "clickhouse": f.clickhouse, "clickhouse-http": f.clickhouseHTTP}
	if f.kafka == "" {
		listeners["broker"] = f.broker
	}
	if err := checkExposure(len(toks) > 0, listeners); err != nil {
		return err
	}
	if len(toks) == 0 {
		log.Warn("API authentication is off (no --token or --token-file); listening on loopback only")
	}
	if f.kafka == "" && !isLoopbackAddr(f.broker) {
		log.Warn("the embedded Kafka broker has no authentication and is reachable from other hosts", "addr", f.broker)
	}
	if err := os.MkdirAll(f.data, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}

	ln, err := net.Listen("tcp", f.http)
	if err != nil {
		return fmt.Errorf("HTTP listener: %w", err)
	}
	defer ln.Close()
	chLn, err := net.Listen("tcp", f.clickhouse)
	if err != nil {
		return fmt.Errorf("ClickHouse native listener: %w", err)
	}
	defer chLn.Close()
	chHTTPLn, err := net.Listen("tcp", f.clickhouseHTTP)
	if err != nil {
		return fmt.Errorf("ClickHouse HTTP listener: %w", err)
	}
	defer chHTTPLn.Close()
	var pln net.Listener
	if f.pprof != "" {
		if pln, err = net.Listen("tcp", f.pprof); err != nil {
			return fmt.Errorf("--pprof listener: %w", err)
		}
		defer pln.Close()
	}

	cfg := lake.Config{
		DataDir:   f.data,
		Warehouse: f.warehouse,
		Catalog:   f.catalog,
		S3: objstore.S3Config{
			Endpoint:        f.s3Endpoint,
			Region:          f.s3Region,
			AccessKeyID:     f.s3AccessKey,
			SecretAccessKey: f.s3SecretKey,
		},
	}
	if f.s3AccessKey != "" && f.s3AccessKey == std.getenv("AWS_ACCESS_KEY_ID") {
		cfg.S3.SessionToken = std.getenv("AWS_SESSION_TOKEN")
	}
	addrs := map[string]string{"http": ln.Addr().String(), "clickhouse": chLn.Addr().String(), "clickhouse_http": chHTTPLn.Addr().String()}
	if f.kafka == "" {
		br, err := broker.Start(f.broker, broker.WithLogger(log))
		if err != nil {
			return err
		}
		defer br.Close()
		addrs["broker"] = br.Addr()
		log.Info("embedded Kafka broker listening; it keeps topics in memory, so they are lost on exit", "addr", br.Addr())
	} else {
		addrs["broker"] = f.kafka
		log.Info("using external Kafka", "brokers", redact.URL(f.kafka))
	}
	log.Info("opening warehouse", "data", f.data, "warehouse", redact.URL(f.warehouse),
		"catalog", redact.URL(f.catalog), "s3", cfg.S3.String())
	wh, err := lake.Open(ctx, cfg)
	if err != nil {
		return fmt.Errorf("opening the warehouse: %w", err)
	}
	defer wh.Close()
	jobs := runtime.NewManager(wh, runtime.WithLogger(log))
	sess := session.New(wh, session.WithBrokers(addrs["broker"]), session.WithJobs(jobs))
	defer func() {
		// Running jobs take a final epoch (within the shutdown bound); they
		// stay recorded as running, so the next start resumes them.
		jctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		jobs.Close(jctx)
	}()
	if err := jobs.Resume(ctx, sess); err != nil {
		return fmt.Errorf("resuming jobs: %w", err)
	}

	// One registry for the API's and the query gate's metrics (/metrics).
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Both front ends run statements through one gate: admission control,
	// prepared plans, the result cache.
	gate := olap.New(sess, olap.WithRegisterer(reg), olap.WithConfig(f.gateConfig()))
	apiOpts := []api.Option{api.WithTokens(toks...), api.WithLogger(log), api.WithStatementTimeout(f.statementTimeout), api.WithJobs(jobs), api.WithRegisterer(reg)}
	if cdb, ok := wh.CatalogDB(); ok {
		// The same catalog database, served to other engines over the
		// Iceberg REST protocol. Loaded tables carry the S3 endpoint and
		// region, never the server's credentials: clients bring their own.
		store, err := restcat.NewStore(ctx, cdb.DB, restcat.Dialect(cdb.Dialect), cdb.Name, cdb.Props)
		if err != nil {
			return fmt.Errorf("open the Iceberg REST catalog store: %w", err)
		}
		apiOpts = append(apiOpts, api.WithIcebergREST(restcat.New(store, restcat.WithLogger(log),
			restcat.WithTableConfig(restcat.PublicIOConfig(cdb.Props)))), api.WithLineage(wh))
	} else {
		log.Info("the Iceberg REST catalog is not served: the catalog is itself a REST catalog")
	}

	srv := newHTTPServer(api.New(gate, apiOpts...).Handler(), log)
	ch := clickhouse.New(gate, clickhouse.WithAuthorizer(api.ClickHouseAuthorizer(toks...)),
		clickhouse.WithLogger(log), clickhouse.WithStatementTimeout(f.statementTimeout))
	chHTTP := newHTTPServer(ch.HTTPHandler(), log)
	serveErr := make(chan error, 3)
	go func() { serveErr <- srv.Serve(ln) }()
	if pln != nil {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() { _ = http.Serve(pln, mux) }() // ends when pln closes
		addrs["pprof"] = pln.Addr().String()
		log.Info("profiler listening", "addr", addrs["pprof"])
	}
	go func() { serveErr <- chHTTP.Serve(chHTTPLn) }()
	chCtx, stopCH := context.WithCancel(context.Background())
	defer stopCH()
	chDone := make(chan struct{})
	go func() {
		defer close(chDone)
		if err := ch.ServeNative(chCtx, chLn); err != nil {
			serveErr <- err
		}
	}()
	log.Info("HTTP API listening", "addr", addrs["http"], "iceberg_rest", "http://"+addrs["http"]+"/iceberg")
	log.Info("ClickHouse protocols listening", "native", addrs["clickhouse"], "http", addrs["clickhouse_http"])

	addrFile := filepath.Join(f.data, "addresses.json")
	if err := writeAddresses(addrFile, addrs); err != nil {
		return errors.Join(err, srv.Close(), chHTTP.Close())
	}
	defer os.Remove(addrFile)
	log.Info("wharf is ready", "addresses", addrFile)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, s := range []*http.Server{srv, chHTTP} {
		if err := s.Shutdown(sctx); err != nil {
			log.Warn("HTTP requests still running at shutdown were cut off", "err", err)
		}
	}
	stopCH() // cancels native-protocol statements and closes their connections
	<-chDone
	// The deferred calls close the warehouse (the session's jobs), then the
	// broker they may still read from.
	return nil
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && isLoopback(host)
}

// writeAddresses writes addrs as JSON to path atomically (temp file, fsync,
// rename, fsync of the directory), so a reader sees all addresses or none.
func writeAddresses(path string, addrs map[string]string) error {
	data, err := json.Marshal(addrs)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".addresses-*.json")
	if err != nil {
		return fmt.Errorf("writing addresses: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing addresses: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing addresses: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing addresses: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing addresses: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("writing addresses: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("writing addresses: %w", err)
	}
	return nil
}

// gateConfig is the query gate's configuration: its defaults, but for the
// cache sizes given.
func (f *serveFlags) gateConfig() olap.Config {
	var c olap.Config
	c.ResultCacheBytes = f.resultCache.orOff()
	c.PageCacheBytes = f.pageCache.orOff()
	if f.footerCache.set {
		c.FooterCacheBytes = f.footerCache.n
	}
	return c
}

// A byteSize is a flag of a number of bytes with an optional binary unit:
// 512KiB, 256MiB, 2GiB (or plain bytes).
type byteSize struct {
	n   int64
	set bool
}

func (b *byteSize) String() string {
	if !b.set {
		return ""
	}
	return strconv.FormatInt(b.n, 10)
}

func (b *byteSize) Set(v string) error {
	num, mult := v, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return fmt.Errorf("want a size such as 256MiB, 2GiB or a number of bytes, got %q", v)
	}
	b.n, b.set = n*mult, true
	return nil
}

// orOff is the size as olap.Config takes it: 0 (the default) when unset,
// negative (off) when set to 0.
func (b byteSize) orOff() int64 {
	switch {
	case !b.set:
		return 0
	case b.n == 0:
		return -1
	}
	return b.n
}
