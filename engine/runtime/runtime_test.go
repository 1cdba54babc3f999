package runtime

import (
	"errors"
	"fmt"
	"testing"

	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake/commit"
)

// TestFatal: what stops a job for good, and what a restart can mend.
func TestFatal(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{errkind.Errorf(errkind.Fatal, "table dropped"), true},
		{errkind.Errorf(errkind.Retryable, "broker away"), false},
		{errors.New("unclassified"), false},
		// Recovery aborts the epoch and the job computes it again.
		{errkind.Wrap(errkind.Fatal, fmt.Errorf("job j epoch 4: %w: f.parquet", commit.ErrDeletedFileGone)), false},
	} {
		if got := fatal(c.err); got != c.want {
			t.Errorf("fatal(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
