package parquetw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"gocloud.dev/gcerrors"

	"github.com/wharfdata/wharf/internal/errkind"
)

// ioError classifies a storage error of op on path with internal/errkind:
// an error already classified keeps its class; throttling (HTTP 429, 503
// SlowDown), other 5xx answers, timeouts and broken connections are
// Retryable, since a data file that failed to upload is referenced by
// nothing and a retry writes new names; anything else is Fatal.
func ioError(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var classified *errkind.Error
	if errors.As(err, &classified) {
		return fmt.Errorf("parquetw: %s %s: %w", op, path, err)
	}
	return errkind.Errorf(kindOf(err), "parquetw: %s %s: %w", op, path, err)
}

func kindOf(err error) errkind.Kind {
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		if s := status.HTTPStatusCode(); s == http.StatusTooManyRequests || s >= 500 && s != http.StatusNotImplemented && s != http.StatusInsufficientStorage {
			return errkind.Retryable
		}
	}
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		switch coded.ErrorCode() {
		case "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable":
			return errkind.Retryable
		}
	}
	switch gcerrors.Code(err) {
	case gcerrors.ResourceExhausted, gcerrors.DeadlineExceeded:
		return errkind.Retryable
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return errkind.Retryable
	}
	return errkind.Fatal
}
