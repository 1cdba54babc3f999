package testkit

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// PostgresServer is a PostgreSQL server on loopback, shared by the test
// binary: initdb into a temp dir, trust auth for the local superuser, no
// listening beyond 127.0.0.1.
type PostgresServer struct {
	// URL reaches the server's postgres database as superuser wharf.
	URL string

	host string
	port int
	dir  string
	cmd  *exec.Cmd
	dbs  atomic.Int64
}

var (
	pgOnce sync.Once
	pgSrv  *PostgresServer
	pgErr  error
)

const pgHint = "run scripts/ensure-postgres.sh (it installs Debian's postgresql), or set $WHARF_PG_BIN to the directory holding initdb and postgres"

// Postgres returns the test binary's PostgreSQL server, starting it on first
// use. When PostgreSQL is not installed the test is skipped, or failed when
// $CI is set.
func Postgres(t testing.TB) *PostgresServer {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("testkit: call testkit.Main from TestMain before using Postgres")
	}
	pgOnce.Do(func() { pgSrv, pgErr = startPostgres() })
	if pgErr != nil {
		if errors.Is(pgErr, errNoPostgres) && os.Getenv("CI") == "" {
			t.Skipf("testkit: %v; %s", pgErr, pgHint)
		}
		t.Fatalf("testkit: %v; %s", pgErr, pgHint)
	}
	return pgSrv
}

// NewDatabase creates a fresh database and returns its URL.
func (p *PostgresServer) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), p.dbs.Add(1))
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(p.URL)))
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("testkit: create database: %v", err)
	}
	return fmt.Sprintf("postgres://wharf@%s:%d/%s?sslmode=disable", p.host, p.port, name)
}

var errNoPostgres = errors.New("PostgreSQL server binaries not found")

func pgBinDir() (string, error) {
	if d := os.Getenv("WHARF_PG_BIN"); d != "" {
		return d, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(matches) == 0 {
		return "", errNoPostgres
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

func startPostgres() (*PostgresServer, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wharf-pg-")
	if err != nil {
		return nil, err
	}
	// PostgreSQL refuses to run as root: run it as the postgres user then.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	run := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(filepath.Join(bin, name), args...)
		// Die with the test binary even when it is killed.
		c.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
		return c
	}
	data := filepath.Join(dir, "data")
	if out, err := run("initdb", "-D", data, "-U", "wharf", "--auth=trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	cmd := run("postgres", "-D", data, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", dir,
		"-c", "fsync=off", "-c", "max_connections=200")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	p := &PostgresServer{host: "127.0.0.1", port: port, dir: dir, cmd: cmd,
		URL: fmt.Sprintf("postgres://wharf@127.0.0.1:%d/postgres?sslmode=disable", port)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(p.URL)))
		err := db.Ping()
		db.Close()
		if err == nil {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("postgres did not start: %v; log: %s", err, tail(logf.Name()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (p *PostgresServer) stop() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
		}
	}
	_ = os.RemoveAll(p.dir)
}
