package nexmark

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/gensrc/gensrctest"
)

// BenchmarkGenerate measures one table's rows per second per core: an op
// is one batch of about 8192 rows, its bytes the Arrow value buffers.
func BenchmarkGenerate(b *testing.B) {
	for _, table := range []string{"bid", "auction", "person"} {
		b.Run(table, func(b *testing.B) {
			spec := &connector.TableSpec{Name: "bench." + table, Columns: columnsOf(kindOfName(table)),
				Options: map[string]string{"table": table}, BatchRows: 8192, Alloc: memory.NewGoAllocator()}
			gensrctest.BenchNext(b, gensrctest.Start(b, Open, spec, nil))
		})
	}
}
