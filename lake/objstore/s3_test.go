package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/internal/testkit"
	"github.com/wharfdata/wharf/lake/objstore"
	"github.com/wharfdata/wharf/lake/objstore/objstoretest"
)

// newS3Fast opens an S3 store whose retryer waits a millisecond between the
// usual 5 attempts, so fault tests do not sit out real backoff.
func newS3Fast(t *testing.T, cfg objstore.S3Config, bucket, prefix string) objstore.Store {
	t.Helper()
	awsCfg, err := cfg.AWSConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	awsCfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 5
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			o.RateLimiter = ratelimit.None
		})
	}
	s, err := objstore.NewS3WithAWSConfig(t.Context(), awsCfg, cfg, bucket, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestS3Conformance(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store {
		srv := testkit.MinIO(t)
		s, err := objstore.NewS3(t.Context(), srv.S3Config(), srv.NewBucket(t), "warehouse/tenant a")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestS3PrefixAndOpen(t *testing.T) {
	srv := testkit.MinIO(t)
	bucket := srv.NewBucket(t)
	ctx := t.Context()
	s, err := objstore.Open(ctx, "s3://"+bucket+"/wh/", srv.S3Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	root, err := objstore.NewS3(ctx, srv.S3Config(), bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	infos, err := root.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Key != "wh/k" {
		t.Fatalf("bucket holds %+v, want just wh/k", infos)
	}

	_, err = objstore.NewS3(ctx, srv.S3Config(), "no-such-bucket-here", "")
	if errkind.Of(err) != errkind.Fatal || !strings.Contains(fmt.Sprint(err), `bucket "no-such-bucket-here" does not exist`) {
		t.Errorf("NewS3(missing bucket) = %v (%v), want a Fatal error naming the bucket", err, errkind.Of(err))
	}
}

// TestS3CreateAfterAmbiguousAttempt: the first attempt of a CreateIfAbsent
// lands, its answer is lost (500 after the write), and the SDK's retry is
// refused with 412. The store must see that the object holds its own bytes.
func TestS3CreateAfterAmbiguousAttempt(t *testing.T) {
	srv := testkit.MinIO(t)
	bucket := srv.NewBucket(t)
	var puts atomic.Int64
	proxy := testkit.NewFaultProxy(t, srv.Endpoint, testkit.FaultProxyConfig{
		InternalErrorAfter: 1,
		// Only the first PUT after arming is faulted.
		Filter: func(r *http.Request) bool { return r.Method == http.MethodPut && puts.Add(1) == 1 },
	})
	cfg := srv.S3Config()
	cfg.Endpoint = proxy.URL
	s := newS3Fast(t, cfg, bucket, "")
	ctx := t.Context()

	if err := s.CreateIfAbsent(ctx, "claim", []byte("mine")); err != nil {
		t.Fatalf("CreateIfAbsent after a lost answer = %v, want success", err)
	}
	if got := proxy.Stats().InternalErrorAfter; got != 1 {
		t.Fatalf("proxy injected %d 500-after faults, want 1", got)
	}

	// The same lost answer when someone else holds the key is a real conflict.
	if err := s.Put(ctx, "taken", []byte("theirs")); err != nil {
		t.Fatal(err)
	}
	puts.Store(0)
	err := s.CreateIfAbsent(ctx, "taken", []byte("mine"))
	var ee *objstore.ExistsError
	if !errors.As(err, &ee) || string(ee.Existing) != "theirs" {
		t.Fatalf("CreateIfAbsent over another's object = %v, want ExistsError with their bytes", err)
	}
	// And a lost answer when the key already held our bytes is success too.
	puts.Store(0)
	if err := s.CreateIfAbsent(ctx, "claim", []byte("mine")); err != nil {
		t.Fatalf("CreateIfAbsent repeated after a lost answer = %v, want success", err)
	}
}

func TestS3AmbiguousWrites(t *testing.T) {
	srv := testkit.MinIO(t)
	for _, tc := range []struct {
		name  string
		fault testkit.FaultProxyConfig
		// Every PUT answer is lost. After a 500 the SDK's retries get 500s
		// too, so the create stays Ambiguous. After a reset the retry's 412
		// status still arrives, the store reads the object back, finds its
		// own bytes and reports success.
		ambiguous bool
	}{
		{"500 after applying", testkit.FaultProxyConfig{InternalErrorAfter: 1}, true},
		{"reset after applying", testkit.FaultProxyConfig{Reset: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := srv.NewBucket(t)
			tc.fault.Filter = testkit.Methods(http.MethodPut, http.MethodDelete)
			proxy := testkit.NewFaultProxy(t, srv.Endpoint, tc.fault)
			cfg := srv.S3Config()
			cfg.Endpoint = proxy.URL
			s := newS3Fast(t, cfg, bucket, "")
			ctx := t.Context()

			err := s.CreateIfAbsent(ctx, "k", []byte("v"))
			if tc.ambiguous && !errkind.IsAmbiguous(err) || !tc.ambiguous && err != nil {
				t.Fatalf("CreateIfAbsent = %v (%v), want ambiguous=%v", err, errkind.Of(err), tc.ambiguous)
			}
			// It was applied: the caller reconciles by reading.
			if data, err := s.Get(ctx, "k"); err != nil || string(data) != "v" {
				t.Fatalf("Get after the create = %q, %v; want v", data, err)
			}
			// Another writer's create is refused, however the answer breaks.
			var ee *objstore.ExistsError
			if err := s.CreateIfAbsent(ctx, "k", []byte("other")); !errors.As(err, &ee) && !errkind.IsAmbiguous(err) {
				t.Fatalf("CreateIfAbsent of a taken key = %v, want ExistsError or Ambiguous", err)
			}
			if data, err := s.Get(ctx, "k"); err != nil || string(data) != "v" {
				t.Fatalf("Get after the refused create = %q, %v; want v", data, err)
			}
			if err := s.Delete(ctx, "k"); !errkind.IsAmbiguous(err) {
				t.Fatalf("Delete = %v (%v), want Ambiguous", err, errkind.Of(err))
			}
			if _, err := s.Get(ctx, "k"); !errors.Is(err, objstore.ErrNotExist) {
				t.Fatalf("Get after the ambiguous delete = %v, want ErrNotExist", err)
			}
			// A plain Put overwrites, so it may simply be retried.
			if err := s.Put(ctx, "p", []byte("v")); !errkind.IsRetryable(err) {
				t.Fatalf("Put = %v (%v), want Retryable", err, errkind.Of(err))
			}
			if proxy.Stats().Faulted == 0 {
				t.Fatal("the proxy injected nothing")
			}
		})
	}
}

// TestS3UnderFaults is O1 in small: a mix of 503s, 500s, resets and latency
// on every request. Whatever the store acknowledged must be there afterwards,
// and every error must be classified so that the caller can act on it.
func TestS3UnderFaults(t *testing.T) {
	srv := testkit.MinIO(t)
	bucket := srv.NewBucket(t)
	proxy := testkit.NewFaultProxy(t, srv.Endpoint, testkit.FaultProxyConfig{
		Seed: 7, SlowDown: 0.10, InternalError: 0.01, InternalErrorAfter: 0.01, Reset: 0.005,
		Latency: time.Millisecond, LatencyJitter: 5 * time.Millisecond,
	})
	cfg := srv.S3Config()
	cfg.Endpoint = proxy.URL
	s := newS3Fast(t, cfg, bucket, "o1")
	ctx := t.Context()

	acked := map[string][]byte{}
	unsure := map[string][]byte{}
	for i := range 60 {
		key, data := fmt.Sprintf("put/%03d", i), bytes.Repeat([]byte{byte(i)}, 1000+i*300)
		switch err := s.Put(ctx, key, data); {
		case err == nil:
			acked[key] = data
		case !errkind.IsRetryable(err):
			t.Errorf("Put(%s) = %v (%v), want nil or Retryable", key, err, errkind.Of(err))
		}
		key = fmt.Sprintf("create/%03d", i)
		var ee *objstore.ExistsError
		switch err := s.CreateIfAbsent(ctx, key, data); {
		case err == nil:
			acked[key] = data
		case errkind.IsAmbiguous(err):
			unsure[key] = data
		case errors.As(err, &ee):
			t.Errorf("CreateIfAbsent(%s) of a fresh key = ExistsError", key)
		case !errkind.IsRetryable(err):
			t.Errorf("CreateIfAbsent(%s) = %v (%v)", key, err, errkind.Of(err))
		}
		key = fmt.Sprintf("put/%03d", i/2)
		if want, ok := acked[key]; ok {
			switch got, err := s.Get(ctx, key); {
			case err == nil && !bytes.Equal(got, want):
				t.Errorf("Get(%s) returned other bytes than were put", key)
			case err != nil && !errkind.IsRetryable(err):
				t.Errorf("Get(%s) = %v (%v), want nil or Retryable", key, err, errkind.Of(err))
			}
		}
	}
	st := proxy.Stats()
	if st.SlowDown == 0 || st.Delayed == 0 {
		t.Fatalf("too few faults to mean anything: %+v", st)
	}
	t.Logf("proxy: %+v; %d acknowledged, %d ambiguous", st, len(acked), len(unsure))

	proxy.Enable(false)
	for key, want := range acked {
		if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, want) {
			t.Errorf("acknowledged %s: Get = %d bytes, %v; want %d bytes", key, len(got), err, len(want))
		}
	}
	// An ambiguous create is settled by trying again: either the first try
	// landed (its bytes are there) or the key is still free.
	for key, first := range unsure {
		err := s.CreateIfAbsent(ctx, key, []byte("second try"))
		var ee *objstore.ExistsError
		if err != nil && !(errors.As(err, &ee) && bytes.Equal(ee.Existing, first)) {
			t.Errorf("reconciling %s: %v", key, err)
		}
	}
}

// fakeS3 answers HEAD requests with 200 and everything else with a fixed S3
// error, echoing the given text into the message like a careless server.
type fakeS3 struct {
	status int
	code   string
	echo   string
	hits   atomic.Int64
	hang   chan struct{} // if set, hold requests other than HEAD until it is closed
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		return
	}
	f.hits.Add(1)
	if f.hang != nil {
		// The server notices a client hanging up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-f.hang:
		}
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(f.status)
	fmt.Fprintf(w, "<Error><Code>%s</Code><Message>denied; you sent token %s and %s</Message></Error>",
		f.code, r.Header.Get("X-Amz-Security-Token"), f.echo)
}

type s3Call struct {
	name string
	do   func(ctx context.Context, s objstore.Store) error
}

var s3Calls = []s3Call{
	{"get", func(ctx context.Context, s objstore.Store) error { _, err := s.Get(ctx, "k"); return err }},
	{"put", func(ctx context.Context, s objstore.Store) error { return s.Put(ctx, "k", []byte("v")) }},
	{"create", func(ctx context.Context, s objstore.Store) error { return s.CreateIfAbsent(ctx, "k", []byte("v")) }},
	{"delete", func(ctx context.Context, s objstore.Store) error { return s.Delete(ctx, "k") }},
	{"list", func(ctx context.Context, s objstore.Store) error { _, err := s.List(ctx, ""); return err }},
}

func TestS3ErrorClasses(t *testing.T) {
	R, A, F := errkind.Retryable, errkind.Ambiguous, errkind.Fatal
	for _, tc := range []struct {
		status int
		code   string
		want   map[string]errkind.Kind // per call
		hint   string
	}{
		{503, "SlowDown", map[string]errkind.Kind{"get": R, "put": R, "create": A, "delete": A, "list": R}, ""},
		{500, "InternalError", map[string]errkind.Kind{"get": R, "put": R, "create": A, "delete": A, "list": R}, ""},
		{403, "AccessDenied", map[string]errkind.Kind{"get": F, "put": F, "create": F, "delete": F, "list": F}, "access denied"},
		{403, "ExpiredToken", map[string]errkind.Kind{"get": F, "put": F, "create": F, "delete": F, "list": F}, "credentials have expired"},
		{403, "QuotaExceeded", map[string]errkind.Kind{"put": F, "create": F}, "quota is exceeded"},
		{403, "SignatureDoesNotMatch", map[string]errkind.Kind{"get": F}, "credentials were rejected"},
		{404, "NoSuchBucket", map[string]errkind.Kind{"get": F, "put": F, "list": F}, "does not exist"},
		{507, "XMinioStorageFull", map[string]errkind.Kind{"put": F, "create": F}, "object store is full"},
		{400, "InvalidArgument", map[string]errkind.Kind{"put": F}, ""},
	} {
		for _, call := range s3Calls {
			want, ok := tc.want[call.name]
			if !ok {
				continue
			}
			t.Run(fmt.Sprintf("%d %s %s", tc.status, tc.code, call.name), func(t *testing.T) {
				fake := &fakeS3{status: tc.status, code: tc.code}
				srv := httptest.NewServer(fake)
				defer srv.Close()
				s := newS3Fast(t, objstore.S3Config{Endpoint: srv.URL, AccessKeyID: "id", SecretAccessKey: "secret"}, "bucket", "")
				err := call.do(t.Context(), s)
				if got := errkind.Of(err); err == nil || got != want {
					t.Fatalf("%s = %v (%v), want %v", call.name, err, got, want)
				}
				if !strings.Contains(err.Error(), tc.hint) || !strings.Contains(err.Error(), tc.code) {
					t.Errorf("error %q should contain %q and the code", err, tc.hint)
				}
				// Only 5xx is worth the SDK's retries.
				wantHits := int64(1)
				if tc.status >= 500 && tc.status != 507 {
					wantHits = 5
				}
				if got := fake.hits.Load(); got != wantHits {
					t.Errorf("%d requests, want %d", got, wantHits)
				}
			})
		}
	}
}

func TestS3TransportErrorClasses(t *testing.T) {
	// Refused connections never reach a server: nothing can have happened.
	t.Run("connection refused", func(t *testing.T) {
		fake := &fakeS3{status: 500, code: "InternalError"}
		srv := httptest.NewServer(fake)
		s := newS3Fast(t, objstore.S3Config{Endpoint: srv.URL, AccessKeyID: "id", SecretAccessKey: "secret"}, "bucket", "")
		srv.Close()
		for _, call := range s3Calls {
			if err := call.do(t.Context(), s); !errkind.IsRetryable(err) {
				t.Errorf("%s = %v (%v), want Retryable", call.name, err, errkind.Of(err))
			}
		}
	})
	// A request the server got but never answered: writes are Ambiguous.
	t.Run("timeout after sending", func(t *testing.T) {
		fake := &fakeS3{hang: make(chan struct{})}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		defer close(fake.hang)
		s := newS3Fast(t, objstore.S3Config{Endpoint: srv.URL, AccessKeyID: "id", SecretAccessKey: "secret"}, "bucket", "")
		want := map[string]errkind.Kind{"get": errkind.Retryable, "put": errkind.Retryable, "create": errkind.Ambiguous, "delete": errkind.Ambiguous, "list": errkind.Retryable}
		for _, call := range s3Calls {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			err := call.do(ctx, s)
			cancel()
			if errkind.Of(err) != want[call.name] || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s = %v (%v), want %v wrapping context.DeadlineExceeded", call.name, err, errkind.Of(err), want[call.name])
			}
		}
	})
}

// TestS3SecretsNeverInErrors plants canary credentials and checks that no
// error text, nor the config's own printing, ever shows them, even when the
// server echoes them back.
func TestS3SecretsNeverInErrors(t *testing.T) {
	const secret, token = "CANARY-SECRET-5f0b9d", "CANARY-TOKEN-a71c2e"
	check := func(what string, text string) {
		t.Helper()
		if strings.Contains(text, secret) || strings.Contains(text, token) {
			t.Errorf("%s leaks a secret: %s", what, text)
		}
	}
	cfg := objstore.S3Config{AccessKeyID: "id", SecretAccessKey: secret, SessionToken: token}
	check("String", cfg.String())
	check("%v", fmt.Sprintf("%v", cfg))
	check("%+v", fmt.Sprintf("%+v", cfg))

	fake := &fakeS3{status: 403, code: "InvalidToken", echo: secret}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg.Endpoint = srv.URL
	s := newS3Fast(t, cfg, "bucket", "")
	for _, call := range s3Calls {
		err := call.do(t.Context(), s)
		if err == nil {
			t.Fatalf("%s succeeded against a refusing server", call.name)
		}
		check(call.name, err.Error())
		check(call.name+" %+v", fmt.Sprintf("%+v", err))
	}
	if fake.hits.Load() == 0 {
		t.Fatal("the fake server was never asked")
	}

	// A real server refusing the canary credentials.
	minio := testkit.MinIO(t)
	bad := minio.S3Config()
	bad.SecretAccessKey, bad.SessionToken = secret, token
	_, err := objstore.NewS3(t.Context(), bad, minio.NewBucket(t), "")
	if errkind.Of(err) != errkind.Fatal {
		t.Errorf("NewS3 with a wrong secret = %v (%v), want Fatal", err, errkind.Of(err))
	}
	check("NewS3 against MinIO", fmt.Sprint(err))

	// Errors from building the config.
	_, err = objstore.S3Config{SecretAccessKey: secret}.AWSConfig(t.Context())
	if err == nil {
		t.Fatal("a secret without an access key id was accepted")
	}
	check("AWSConfig", err.Error())
	_, err = objstore.S3Config{Endpoint: "http://user:" + secret + "@[::1", AccessKeyID: "id", SecretAccessKey: secret}.AWSConfig(t.Context())
	if err == nil {
		t.Fatal("a broken endpoint was accepted")
	}
	check("AWSConfig endpoint", err.Error())
}

func TestAWSConfig(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	ctx := t.Context()
	cfg, err := objstore.S3Config{Endpoint: "http://127.0.0.1:9", AccessKeyID: "id", SecretAccessKey: "secret", SessionToken: "tok"}.AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-east-1" {
		t.Errorf("default region = %q, want us-east-1", cfg.Region)
	}
	if aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:9" {
		t.Errorf("BaseEndpoint = %v", aws.ToString(cfg.BaseEndpoint))
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "id" || creds.SecretAccessKey != "secret" || creds.SessionToken != "tok" {
		t.Errorf("credentials = %+v, %v", creds, err)
	}
	if cfg.HTTPClient == nil {
		t.Error("no HTTP client configured")
	}

	r := cfg.Retryer()
	if r.MaxAttempts() != 5 {
		t.Errorf("MaxAttempts = %d, want 5", r.MaxAttempts())
	}
	var delays []time.Duration
	for attempt := 1; attempt <= 4; attempt++ {
		for range 50 {
			d, err := r.RetryDelay(attempt, errors.New("503"))
			if err != nil {
				t.Fatal(err)
			}
			if d < 0 || d > 20*time.Second {
				t.Fatalf("attempt %d: backoff %v outside [0, 20s]", attempt, d)
			}
			delays = append(delays, d)
		}
	}
	slices.Sort(delays)
	if len(slices.Compact(delays)) < 100 {
		t.Errorf("backoff is not jittered: only %d distinct delays of 200", len(slices.Compact(delays)))
	}

	cfg, err = objstore.S3Config{Region: "eu-west-3", AccessKeyID: "id", SecretAccessKey: "s"}.AWSConfig(ctx)
	if err != nil || cfg.Region != "eu-west-3" || cfg.BaseEndpoint != nil {
		t.Errorf("explicit region: %q, endpoint %v, %v", cfg.Region, cfg.BaseEndpoint, err)
	}

	for _, bad := range []objstore.S3Config{
		{AccessKeyID: "id"},
		{SecretAccessKey: "s"},
		{SessionToken: "t"},
		{Endpoint: "127.0.0.1:9000"},
		{Endpoint: "ftp://host"},
	} {
		if _, err := bad.AWSConfig(ctx); errkind.Of(err) != errkind.Fatal || err == nil {
			t.Errorf("AWSConfig(%v) = %v, want a Fatal error", bad, err)
		}
	}
}
