package parquetw

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	pqgo "github.com/parquet-go/parquet-go"
)

// Table properties that ask for bloom filters (Iceberg's names; the
// per-column false-positive probability is Iceberg Java's, iceberg-go
// v0.7.0 reads only the other two).
const (
	bloomEnabledPrefix      = "write.parquet.bloom-filter-enabled.column."
	bloomFPPPrefix          = "write.parquet.bloom-filter-fpp.column."
	bloomMaxBytesKey        = "write.parquet.bloom-filter-max-bytes"
	bloomMaxBytesDefault    = 1 << 20
	bloomFPPDefault         = 0.01
	bloomMaxBytesLowerLimit = 32        // one block
	bloomMaxBytesUpperLimit = 128 << 20 // iceberg-go's bound, and the spec's
)

// bloomOptions reads the bloom filter properties: the columns named by
// write.parquet.bloom-filter-enabled.column.<name> = true (Java's
// Boolean.parseBoolean, as Iceberg and iceberg-go read it) with their
// false-positive probability, and the size bound per filter. Names that are
// not top-level columns are left for Write to ignore (a renamed column
// must not fail every write).
func bloomOptions(props iceberg.Properties) (map[string]float64, int64, error) {
	var cols map[string]float64
	for k, v := range props {
		name, ok := strings.CutPrefix(k, bloomEnabledPrefix)
		if !ok || name == "" || !strings.EqualFold(v, "true") {
			continue
		}
		fpp := bloomFPPDefault
		if s, ok := props[bloomFPPPrefix+name]; ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || !(f > 0 && f < 1) {
				return nil, 0, fmt.Errorf("parquetw: table property %s%s=%q: want a probability strictly between 0 and 1", bloomFPPPrefix, name, s)
			}
			fpp = f
		}
		if cols == nil {
			cols = map[string]float64{}
		}
		cols[name] = fpp
	}
	maxBytes, err := intProp(props, bloomMaxBytesKey, bloomMaxBytesDefault)
	if err != nil {
		return nil, 0, err
	}
	if maxBytes < bloomMaxBytesLowerLimit || maxBytes > bloomMaxBytesUpperLimit {
		return nil, 0, fmt.Errorf("parquetw: table property %s=%d: want %d to %d bytes", bloomMaxBytesKey, maxBytes, bloomMaxBytesLowerLimit, bloomMaxBytesUpperLimit)
	}
	return cols, maxBytes, nil
}

// bloomBits is the bits per value of a split-block bloom filter with
// false-positive probability fpp (parquet-mr's sizing: eight bits set per
// value, one in each word of a 256-bit block), lowered so that a filter
// over a full row group of maxRows values stays within maxBytes. parquet-go
// sizes each chunk's filter from its value count (NULLs included) times the
// bits per value, so the bound holds for every chunk.
func bloomBits(fpp float64, maxBytes, maxRows int64) uint {
	bits := math.Ceil(-8 / math.Log(1-math.Pow(fpp, 1.0/8)))
	if capBits := math.Floor(float64(maxBytes) * 8 / float64(maxRows)); capBits < bits {
		bits = capBits
	}
	return uint(max(bits, 1))
}

// bloomFilters returns parquet-go's filter options for the columns of
// opts.BloomFilters among cols, and the bits per value of each column (0:
// no filter).
func bloomFilters(cols []column, opts *EncoderOptions) ([]pqgo.BloomFilterColumn, []uint) {
	if len(opts.BloomFilters) == 0 {
		return nil, nil
	}
	bits := make([]uint, len(cols))
	var fs []pqgo.BloomFilterColumn
	for i, c := range cols {
		fpp, ok := opts.BloomFilters[c.name]
		if !ok {
			continue
		}
		bits[i] = bloomBits(fpp, opts.BloomFilterMaxBytes, opts.MaxRowGroupRows)
		fs = append(fs, pqgo.SplitBlockFilter(bits[i], c.name))
	}
	return fs, bits
}
