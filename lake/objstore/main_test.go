package objstore_test

import (
	"testing"

	"github.com/wharfdata/wharf/internal/testkit"
)

// TestMain lets testkit stop the shared MinIO when the tests end.
func TestMain(m *testing.M) { testkit.Main(m) }
