package objstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/wharfdata/wharf/internal/errkind"
)

const hintUnsure = "outcome unknown: the request reached the server and no clear answer came back; read the object back to reconcile, never clean up"

// attemptTracker watches the SDK's attempts of one call and records whether
// any of them may have been applied without us learning so: it reached the
// server and then timed out, broke off or got a 5xx. A write whose final error
// follows such an attempt is Ambiguous even if the last attempt was clearly
// refused.
type attemptTracker struct {
	sent   bool // the current attempt got as far as the HTTP transport
	unsure bool
}

// register adds the tracker to one call's middleware stack: around each
// attempt (inside the retry loop) and just before the transport.
func (t *attemptTracker) register(stack *middleware.Stack) error {
	err := stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("wharf.attempt",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			t.sent = false
			out, md, err := next.HandleFinalize(ctx, in)
			if err != nil && t.sent && outcomeUnknown(err) {
				t.unsure = true
			}
			return out, md, err
		}), "Retry", middleware.After)
	if err != nil {
		return err
	}
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("wharf.sent",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			t.sent = true
			return next.HandleDeserialize(ctx, in)
		}), middleware.After)
}

// outcomeUnknown reports whether a failed attempt that was sent may still
// have been applied: a 5xx other than a definite refusal (501 Not Implemented,
// 507 Insufficient Storage), or no response at all unless the connection was
// never made.
func outcomeUnknown(err error) bool {
	if status := statusOf(err); status != 0 {
		return status >= 500 && status != http.StatusNotImplemented && status != http.StatusInsufficientStorage
	}
	var op *net.OpError
	return !(errors.As(err, &op) && op.Op == "dial")
}

// classify wraps an SDK error with its class. unsure marks a write whose
// outcome is unknown (see attemptTracker).
func (s *s3Store) classify(op, key string, err error, unsure bool) error {
	if err == nil {
		return nil
	}
	if unsure {
		return s.wrap(errkind.Ambiguous, op, key, err, hintUnsure)
	}
	code, status := codeOf(err), statusOf(err)
	switch {
	case code == "ExpiredToken" || code == "TokenRefreshRequired":
		return s.wrap(errkind.Fatal, op, key, err, "the S3 credentials have expired")
	case code == "QuotaExceeded":
		return s.wrap(errkind.Fatal, op, key, err, "the storage quota is exceeded")
	case status == http.StatusInsufficientStorage:
		return s.wrap(errkind.Fatal, op, key, err, "the object store is full")
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch":
		return s.wrap(errkind.Fatal, op, key, err, fmt.Sprintf("the S3 credentials were rejected; check them for %v", s.cfg))
	case status == http.StatusForbidden:
		return s.wrap(errkind.Fatal, op, key, err, "access denied: check the S3 credentials and the bucket policy")
	case code == "NoSuchBucket":
		return s.wrap(errkind.Fatal, op, key, err, fmt.Sprintf("bucket %q does not exist at %v", s.bucket, s.cfg))
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusConflict:
		return s.wrap(errkind.Retryable, op, key, err, "")
	case status != 0:
		return s.wrap(errkind.Fatal, op, key, err, "")
	case isTransient(err):
		return s.wrap(errkind.Retryable, op, key, err, "")
	default:
		return s.wrap(errkind.Fatal, op, key, err, "")
	}
}

// isTransient reports a failure to talk to the server (refused or broken
// connection, timeout, cancellation), as opposed to say missing credentials.
func isTransient(err error) bool {
	var send *smithyhttp.RequestSendError
	var canceled *aws.RequestCanceledError
	var netErr net.Error
	return errors.As(err, &send) || errors.As(err, &canceled) || errors.As(err, &netErr) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// wrap names the operation and object, adds the hint, classifies, and redacts
// the secrets of the store's config from the text.
func (s *s3Store) wrap(kind errkind.Kind, op, key string, err error, hint string) error {
	if hint != "" {
		err = fmt.Errorf("%s: %w", hint, err)
	}
	return errkind.Wrap(kind, s.cfg.redact(fmt.Errorf("objstore: %s %s%s: %w", op, s, key, err)))
}

func statusOf(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func codeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
