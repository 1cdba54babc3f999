package datagen

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/gensrc/gensrctest"
)

// BenchmarkGenerate measures rows per second per core of an unpaced-in-
// effect table (a very high rows-per-second): an op is one 8192-row batch.
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		cols []connector.Column
		opts map[string]string
	}{
		{"bigint-seq+double+ts", []connector.Column{col("id", "BIGINT"), col("x", "DOUBLE"), col("ts", "TIMESTAMP(3)")},
			map[string]string{"fields.id.kind": "sequence", "fields.id.start": "0", "fields.id.end": "9223372036854775806"}},
		{"int+string20", []connector.Column{col("n", "INT"), col("s", "STRING")}, map[string]string{"fields.s.length": "20"}},
		{"all-types", allTypes, map[string]string{"fields.s.length": "20", "fields.bin.length": "8"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.opts["rows-per-second"] = "1e12"
			bc.opts["seed"] = "1"
			spec := &connector.TableSpec{Name: "bench", Columns: bc.cols, Options: bc.opts, BatchRows: 8192, Alloc: memory.NewGoAllocator()}
			gensrctest.BenchNext(b, gensrctest.Start(b, Open, spec, nil))
		})
	}
}
