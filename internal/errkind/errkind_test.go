package errkind

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	base := errors.New("boom")
	cases := []struct {
		name string
		err  error
		want Kind
	}{
		{"unclassified is fatal", base, Fatal},
		{"retryable", Wrap(Retryable, base), Retryable},
		{"ambiguous through %w", fmt.Errorf("commit: %w", Wrap(Ambiguous, base)), Ambiguous},
		{"outermost wins", Wrap(Fatal, fmt.Errorf("x: %w", Wrap(Retryable, base))), Fatal},
		{"errorf", Errorf(Retryable, "slow down: %w", base), Retryable},
	}
	for _, c := range cases {
		if got := Of(c.err); got != c.want {
			t.Errorf("%s: Of = %s, want %s", c.name, got, c.want)
		}
		if !errors.Is(c.err, base) {
			t.Errorf("%s: the cause is lost", c.name)
		}
	}
	if Wrap(Retryable, nil) != nil || IsRetryable(nil) || IsAmbiguous(nil) {
		t.Error("nil must stay nil and unclassified")
	}
}
