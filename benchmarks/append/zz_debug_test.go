package appendbench

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
)

func TestZZDebug(t *testing.T) {
	_, events := input()
	for _, v := range []int{0, 1, 2} {
		var b bytes.Buffer
		var err error
		switch v {
		case 0:
			err = encodePqarrow(&b, events)
		default:
			err = encodeParquetGoGeneric(&b, eventsArrow, events, maxRowGroupRows, v == 2)
		}
		if err != nil {
			t.Fatal(err)
		}
		r, _ := file.NewParquetReader(bytes.NewReader(b.Bytes()))
		rg := r.MetaData().RowGroup(0)
		for i := range rg.NumColumns() {
			cc, _ := rg.ColumnChunk(i)
			pr, _ := r.RowGroup(0).GetColumnPageReader(i)
			n := 0
			for pr.Next() {
				n++
			}
			t.Logf("v%d %s pages=%d comp=%d uncomp=%d enc=%v", v, cc.PathInSchema(), n, cc.TotalCompressedSize(), cc.TotalUncompressedSize(), cc.Encodings())
		}
	}
}
