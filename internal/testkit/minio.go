// Package testkit holds the real parts wharf's tests run against: a MinIO
// server shared by a test binary, an HTTP fault-injecting proxy for S3, and
// small helpers.
//
// A package whose tests use MinIO (or another shared server here) must call
// Main from its TestMain, so that the server is stopped and its data removed
// when the tests end:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
package testkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharfdata/wharf/lake/objstore"
)

// installHint tells how to get the MinIO binary.
const installHint = "run scripts/ensure-minio.sh from the repository root (it builds the pinned MinIO into ${WHARF_CACHE:-$HOME/.cache/wharf}/bin; the first build takes minutes), or point $WHARF_MINIO at a minio binary"

const minioStartTimeout = 60 * time.Second

// MinIOServer is a running MinIO on loopback, shared by the test binary.
type MinIOServer struct {
	Endpoint  string // http://127.0.0.1:port
	AccessKey string
	SecretKey string

	dir     string // temp dir: data, certs, log
	cmd     *exec.Cmd
	exited  chan struct{}
	buckets atomic.Int64

	clientOnce sync.Once
	client     *s3.Client
	clientErr  error
}

var (
	mainCalled atomic.Bool
	minioOnce  sync.Once
	minioSrv   *MinIOServer
	minioErr   error
	errNoMinIO = errors.New("MinIO binary not found")
)

// Main runs the tests of a package, then stops the shared servers (MinIO,
// PostgreSQL) that its tests started and removes their data. Call it from
// TestMain.
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if minioSrv != nil {
		minioSrv.stop()
	}
	if pgSrv != nil {
		pgSrv.stop()
	}
	os.Exit(code)
}

// MinIO returns the test binary's MinIO server, starting it on first use.
// When the binary is missing the test is skipped, or failed when $CI is set.
func MinIO(t testing.TB) *MinIOServer {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("testkit.MinIO: this package's TestMain must call testkit.Main(m), which stops MinIO when the tests end")
	}
	minioOnce.Do(func() { minioSrv, minioErr = startMinIO() })
	switch {
	case errors.Is(minioErr, errNoMinIO) && os.Getenv("CI") == "":
		t.Skip(minioErr)
	case minioErr != nil:
		t.Fatal(minioErr)
	}
	return minioSrv
}

// S3Config returns the config that reaches this server as its root user.
func (s *MinIOServer) S3Config() objstore.S3Config {
	return objstore.S3Config{
		Endpoint:        s.Endpoint,
		Region:          "us-east-1",
		AccessKeyID:     s.AccessKey,
		SecretAccessKey: s.SecretKey,
		PathStyle:       true,
	}
}

var notBucketChars = regexp.MustCompile(`[^a-z0-9]+`)

// NewBucket creates an empty bucket with a name unique in this test binary
// and derived from the test's name, and returns the name.
func (s *MinIOServer) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", s.buckets.Add(1), notBucketChars.ReplaceAllString(strings.ToLower(t.Name()), "-"))
	name = strings.TrimRight(name[:min(len(name), 63)], "-")
	client, err := s.s3Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("testkit: creating bucket %q: %v", name, err)
	}
	return name
}

// Keys lists the keys of the objects under prefix in bucket, so a test can
// see what really landed in the store.
func (s *MinIOServer) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	client, err := s.s3Client()
	if err != nil {
		t.Fatalf("testkit: s3 client: %v", err)
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("testkit: list %s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, *o.Key)
		}
	}
	return keys
}

func (s *MinIOServer) s3Client() (*s3.Client, error) {
	s.clientOnce.Do(func() {
		cfg, err := s.S3Config().AWSConfig(context.Background())
		if err != nil {
			s.clientErr = err
			return
		}
		s.client = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	})
	return s.client, s.clientErr
}

// minioBinary finds MinIO: $WHARF_MINIO, else the cache ensure-minio.sh fills.
func minioBinary() (string, error) {
	bin := os.Getenv("WHARF_MINIO")
	if bin == "" {
		cache := os.Getenv("WHARF_CACHE")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("testkit: %w: no $WHARF_MINIO, no $WHARF_CACHE and no home directory (%v); %s", errNoMinIO, err, installHint)
			}
			cache = filepath.Join(home, ".cache", "wharf")
		}
		bin = filepath.Join(cache, "bin", "minio")
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		return "", fmt.Errorf("testkit: %w at %s: %s", errNoMinIO, bin, installHint)
	}
	return bin, nil
}

func startMinIO() (*MinIOServer, error) {
	bin, err := minioBinary()
	if err != nil {
		return nil, err
	}
	// A port picked by listening on :0 can be taken again before MinIO binds
	// it; a fresh port usually works.
	for attempt := 1; ; attempt++ {
		srv, err := launchMinIO(bin)
		if err == nil || attempt == 3 {
			return srv, err
		}
	}
}

func launchMinIO(bin string) (*MinIOServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	consoleAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wharf-minio-")
	if err != nil {
		return nil, fmt.Errorf("testkit: %w", err)
	}
	logPath := filepath.Join(dir, "minio.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testkit: %w", err)
	}
	defer logFile.Close() // MinIO holds its own descriptor

	s := &MinIOServer{
		Endpoint:  "http://" + addr,
		AccessKey: "wharf-" + randomHex(6),
		SecretKey: randomHex(20),
		dir:       dir,
		exited:    make(chan struct{}),
	}
	s.cmd = exec.Command(bin, "server", "--quiet",
		"--address", addr, "--console-address", consoleAddr,
		"--certs-dir", filepath.Join(dir, "certs"), filepath.Join(dir, "data"))
	s.cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=on", // allows a data dir on the root disk
	)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	// If the test binary dies without running Main's cleanup, the kernel
	// kills MinIO too.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}

	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that started the child exits, so
		// start from a locked thread that lives until MinIO exits.
		runtime.LockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := <-started; err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testkit: starting %s: %w", bin, err)
	}
	if err := s.waitReady(); err != nil {
		log := tail(logPath) // before stop removes the directory
		s.stop()
		return nil, fmt.Errorf("testkit: MinIO (%s) did not start: %w\n--- tail of its log ---\n%s", bin, err, log)
	}
	return s, nil
}

func (s *MinIOServer) waitReady() error {
	deadline := time.Now().Add(minioStartTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(s.Endpoint + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("it exited: %v", s.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v (last: %v)", minioStartTimeout, err)
		}
	}
}

// stop ends MinIO, gracefully if it lets itself, and removes its directory.
func (s *MinIOServer) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

// tail returns the end of a log file, for failure messages.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	const keep = 4 << 10
	if len(data) > keep {
		data = data[len(data)-keep:]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	return string(data)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
