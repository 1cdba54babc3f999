package objstore_test

import (
	"testing"

	"github.com/wharfdata/wharf/lake/objstore"
	"github.com/wharfdata/wharf/lake/objstore/objstoretest"
)

func TestMemConformance(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store { return objstore.NewMem() })
}
