package parquetw

import (
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// wantDictionary replays pqarrow's dictionary decision for the rows of col
// from off on (arrow-go v18.8.0 with iceberg-go's cost-based fallback on, in
// commitWriteAndCheckPageLimit and checkDictionarySizeLimit, after every
// write batch of e.batchRows values):
//  1. a dictionary page is cut once the raw (PLAIN) bytes buffered reach the
//     data page size;
//  2. if the dictionary has reached its size limit, fall back to PLAIN (with
//     no page cut yet the dictionary is dropped: a PLAIN chunk; otherwise the
//     chunk is mixed, which parquet-go's DictionaryMaxBytes reproduces);
//  3. while no page is cut, fall back to PLAIN if dictionary bytes plus the
//     estimated RLE index bytes are not smaller than the raw bytes.
//
// The replay stops at the end of the first batch (pqarrow keeps checking 3
// until its first page is cut) and is made once per file (pqarrow decides per
// row group). Booleans are never dictionary-encoded. NaNs are distinct map
// keys here, where arrow-go's memo table unifies them: a column of many NaNs
// may be judged PLAIN where pqarrow keeps a dictionary (a size difference,
// never a correctness one).
func (e *Encoder) wantDictionary(c *column, col arrow.Array, off int) bool {
	if col == nil || !e.dictEnabled {
		return false
	}
	p := dictProbe{pageSize: e.pageSize, dictMax: e.dictMaxBytes, batch: e.batchRows}
	switch a := col.(type) {
	case *array.Boolean:
		return false
	case *array.Int64:
		return probeFixed(&p, a.Int64Values(), a, off, 8)
	case *array.Timestamp:
		return probeFixed(&p, a.TimestampValues(), a, off, 8)
	case *array.Time64:
		return probeFixed(&p, a.Time64Values(), a, off, 8)
	case *array.Int32:
		return probeFixed(&p, a.Int32Values(), a, off, 4)
	case *array.Date32:
		return probeFixed(&p, a.Date32Values(), a, off, 4)
	case *array.Float64:
		return probeFixed(&p, a.Float64Values(), a, off, 8)
	case *array.Float32:
		return probeFixed(&p, a.Float32Values(), a, off, 4)
	case *array.Decimal128:
		return probeFixed[decimal128.Num](&p, a.Values(), a, off, c.physicalSize())
	case *array.FixedSizeBinary:
		w := int64(a.DataType().(*arrow.FixedSizeBinaryType).ByteWidth)
		return probeBinary(&p, col, off, func(i int) string { return unsafeString(a.Value(i)) }, func(string) int64 { return w })
	case array.BinaryLike:
		return probeBinary(&p, col, off, func(i int) string { return binaryValue(a, i) }, func(v string) int64 { return int64(len(v)) + 4 })
	}
	return false
}

// dictProbe holds the sizes arrow-go's dictionary encoder tracks for the
// current page: raw PLAIN bytes and value count since the last page, and the
// dictionary's encoded size.
type dictProbe struct {
	raw, dict         int64
	count             int
	pageCut           bool
	pageSize, dictMax int64
	batch             int
}

// check runs after a write batch; done reports that the decision is made.
func (p *dictProbe) check(distinct int) (done, keep bool) {
	if p.raw >= p.pageSize { // commitWriteAndCheckPageLimit: a dictionary page is cut
		p.pageCut, p.raw, p.count = true, 0, 0
	}
	switch {
	case p.dict >= p.dictMax:
		return true, p.pageCut // mixed after a page, else PLAIN
	case p.pageCut:
		return true, true // the cost check no longer runs
	case p.dict+rleIndexBytes(distinct, p.count) >= p.raw:
		return true, false
	}
	return false, true
}

func probeFixed[T comparable](p *dictProbe, all []T, a arrow.Array, off int, size int64) bool {
	vs := all[off:]
	seen := make(map[T]struct{}, min(len(vs), p.batch))
	for i, v := range vs {
		if !a.IsNull(off + i) {
			p.raw += size
			p.count++
			if _, ok := seen[v]; !ok {
				seen[v] = struct{}{}
				p.dict += size
			}
		}
		if (i+1)%p.batch == 0 || i+1 == len(vs) {
			if done, keep := p.check(len(seen)); done {
				return keep
			}
		}
	}
	return true
}

func probeBinary(p *dictProbe, col arrow.Array, off int, value func(int) string, size func(string) int64) bool {
	seen := make(map[string]struct{})
	n := col.Len() - off
	for i := range n {
		if !col.IsNull(off + i) {
			v := value(off + i)
			p.raw += size(v)
			p.count++
			if _, ok := seen[v]; !ok {
				seen[v] = struct{}{}
				p.dict += size(v)
			}
		}
		if (i+1)%p.batch == 0 || i+1 == n {
			if done, keep := p.check(len(seen)); done {
				return keep
			}
		}
	}
	return true
}

// rawBytes is the PLAIN size of the non-null values of col in [off, off+n):
// what pqarrow sizes dictionary-encoded pages by.
func rawBytes(c *column, col arrow.Array, off, n int) int64 {
	nonNull := int64(n)
	if col.NullN() > 0 {
		for i := off; i < off+n; i++ {
			if col.IsNull(i) {
				nonNull--
			}
		}
	}
	switch a := col.(type) {
	case *array.String:
		o := a.ValueOffsets()
		return int64(o[off+n]-o[off]) + 4*nonNull
	case *array.Binary:
		o := a.ValueOffsets()
		return int64(o[off+n]-o[off]) + 4*nonNull
	case *array.LargeString:
		o := a.ValueOffsets()
		return o[off+n] - o[off] + 4*nonNull
	case *array.LargeBinary:
		o := a.ValueOffsets()
		return o[off+n] - o[off] + 4*nonNull
	}
	return c.physicalSize() * nonNull
}

func binaryValue(a array.BinaryLike, i int) string {
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return unsafeString(a.Value(i))
	case *array.LargeBinary:
		return unsafeString(a.Value(i))
	}
	panic("BUG: parquetw: unexpected binary-like array")
}

// rleIndexBytes is arrow-go's dictEncoder.EstimatedDataEncodedSize for
// count indices into a dictionary of distinct entries.
func rleIndexBytes(distinct, count int) int64 {
	width := 0
	switch distinct {
	case 0:
	case 1:
		width = 1
	default:
		width = bits.Len32(uint32(distinct - 1))
	}
	bytesFor := func(nbits int) int { return (nbits + 7) / 8 }
	runs := bytesFor(count)
	maxRLE := max(runs+runs*width, runs*(1+bytesFor(width)))
	minRLE := max(1+bytesFor(512*width), 5+bytesFor(width))
	return int64(1 + maxRLE + minRLE)
}
