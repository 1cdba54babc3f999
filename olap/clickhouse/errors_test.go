package clickhouse

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/wharfdata/wharf/engine/session"
)

func TestToException(t *testing.T) {
	tests := []struct {
		err    error
		code   proto.Error
		status int
	}{
		{&session.Error{Code: session.CodeOverloaded, Msg: "lane full"}, proto.ErrTooManySimultaneousQueries, http.StatusTooManyRequests},
		{fmt.Errorf("run: %w", &session.Error{Code: session.CodeMemoryLimit, Msg: "over budget"}), proto.ErrMemoryLimitExceeded, http.StatusInternalServerError},
		{&session.Error{Code: session.CodeTooLarge, Msg: "too many rows"}, proto.ErrTooManyRowsOrBytes, http.StatusRequestEntityTooLarge},
		{fmt.Errorf("scan: %w", context.DeadlineExceeded), proto.ErrTimeoutExceeded, http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		if ex := toException(tt.err); ex.Code != tt.code || ex.Status != tt.status {
			t.Errorf("%v: code %v status %d, want %v %d", tt.err, ex.Code, ex.Status, tt.code, tt.status)
		}
	}
}
