package objstore

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/wharfdata/wharf/internal/errkind"
)

const (
	defaultRegion = "us-east-1"
	// s3MaxAttempts and s3MaxBackoff bound the SDK's retries: at most 4
	// retries, each after a fully jittered exponential delay of at most 20 s.
	s3MaxAttempts = 5
	s3MaxBackoff  = 20 * time.Second
	// A server that accepted a request but sends no response headers for this
	// long is taken as gone; on a write the outcome is then Ambiguous.
	s3ResponseHeaderTimeout = 30 * time.Second
	s3DialTimeout           = 5 * time.Second
)

// AWSConfig builds the aws.Config that wharf's S3 stores use: static
// credentials when given, else the default AWS chain (environment, shared
// files, IMDS); the region (default us-east-1); the endpoint override; the
// standard retryer with 5 attempts and jittered backoff capped at 20 s; and
// an HTTP client with connect and response-header timeouts.
//
// Hand the same config to iceberg-go's S3 file IO
// (utils.WithAwsConfig(ctx, &cfg)) so table files and wharf's own records
// behave alike. Path-style addressing is an S3 client option, not part of
// aws.Config: iceberg-go turns it on when its "s3.endpoint" property is set.
func (c S3Config) AWSConfig(ctx context.Context) (aws.Config, error) {
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return aws.Config{}, errkind.Errorf(errkind.Fatal, "objstore: %v: the S3 access key id and secret access key must be given together", c)
	}
	if c.SessionToken != "" && c.AccessKeyID == "" {
		return aws.Config{}, errkind.Errorf(errkind.Fatal, "objstore: %v: an S3 session token needs an access key id and secret access key", c)
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return aws.Config{}, errkind.Errorf(errkind.Fatal, "objstore: S3 endpoint %q: want http(s)://host[:port]", redactURL(c.Endpoint))
		}
	}

	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(newRetryer),
		config.WithHTTPClient(newHTTPClient()),
	}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if c.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	if c.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(c.Endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, errkind.Wrap(errkind.Fatal, c.redact(fmt.Errorf("objstore: loading the AWS config for %v: %w", c, err)))
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	return cfg, nil
}

func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = s3MaxAttempts
		o.MaxBackoff = s3MaxBackoff
		// The default client-side token bucket turns a burst of 503s into
		// unretried "retry quota exceeded" failures; backoff alone paces us.
		o.RateLimiter = ratelimit.None
	})
}

func newHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = s3DialTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.ResponseHeaderTimeout = s3ResponseHeaderTimeout
			// Table scans open many objects at once on one host.
			t.MaxIdleConnsPerHost = 64
		})
}

// redact returns err with the secret key and session token blanked out of its
// text, in case a server or a library echoes them back. The chain is kept for
// errors.Is and errors.As.
func (c S3Config) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range []string{c.SecretAccessKey, c.SessionToken} {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[REDACTED]")
		}
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactURL drops any user:password from an endpoint before it is printed.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
