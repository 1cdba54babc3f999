package testkit

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/wharfdata/wharf/lake/objstore"
)

func TestMain(m *testing.M) { Main(m) }

func TestMinIO(t *testing.T) {
	srv := MinIO(t)
	if !strings.HasPrefix(srv.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %q, want loopback", srv.Endpoint)
	}
	if MinIO(t) != srv {
		t.Error("a second call started another server")
	}
	a, b := srv.NewBucket(t), srv.NewBucket(t)
	if a == b {
		t.Fatalf("NewBucket returned %q twice", a)
	}
	ctx := t.Context()
	store, err := objstore.NewS3(ctx, srv.S3Config(), a, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Get(ctx, "k"); err != nil || string(got) != "v" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// Buckets start empty.
	other, err := objstore.NewS3(ctx, srv.S3Config(), b, "")
	if err != nil {
		t.Fatal(err)
	}
	if infos, err := other.List(ctx, ""); err != nil || len(infos) != 0 {
		t.Fatalf("new bucket holds %v, %v", infos, err)
	}
}

// TestMinIOConditionalWrites guards the pinned version: wharf's
// CreateIfAbsent needs PutObject with If-None-Match: * to refuse an existing
// key with 412.
func TestMinIOConditionalWrites(t *testing.T) {
	srv := MinIO(t)
	bucket := srv.NewBucket(t)
	client, err := srv.s3Client()
	if err != nil {
		t.Fatal(err)
	}
	put := func(body string) error {
		_, err := client.PutObject(t.Context(), &s3.PutObjectInput{
			Bucket: &bucket, Key: aws.String("k"), Body: bytes.NewReader([]byte(body)), IfNoneMatch: aws.String("*"),
		})
		return err
	}
	if err := put("first"); err != nil {
		t.Fatal(err)
	}
	err = put("second")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "PreconditionFailed" {
		t.Fatalf("conditional PutObject over an existing key = %v; this MinIO does not honour If-None-Match", err)
	}
}

func TestMinIOBinaryLookup(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("WHARF_MINIO", "")
	t.Setenv("WHARF_CACHE", cache)
	if _, err := minioBinary(); !errors.Is(err, errNoMinIO) || !strings.Contains(err.Error(), "ensure-minio.sh") {
		t.Errorf("missing binary: %v, want errNoMinIO with the install hint", err)
	}
	bin := filepath.Join(cache, "bin", "minio")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := minioBinary(); err != nil || got != bin {
		t.Errorf("cached binary: %q, %v; want %q", got, err, bin)
	}
	t.Setenv("WHARF_MINIO", filepath.Join(cache, "elsewhere"))
	if _, err := minioBinary(); !errors.Is(err, errNoMinIO) {
		t.Errorf("missing $WHARF_MINIO: %v, want errNoMinIO", err)
	}
}

// A server that dies at startup is reported with the end of its log.
func TestMinIOStartFailureShowsLog(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "minio")
	script := "#!/bin/sh\necho 'FATAL Unable to prepare the list of endpoints: canary-log-line' >&2\nexit 1\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := launchMinIO(bin)
	if err == nil || !strings.Contains(err.Error(), "canary-log-line") || !strings.Contains(err.Error(), "did not start") {
		t.Fatalf("launchMinIO of a failing binary = %v, want an error with its log", err)
	}
}

func TestFreeAddr(t *testing.T) {
	addr := FreeAddr(t)
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("FreeAddr = %q", addr)
	}
	// The port is free: a server can take it.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}
