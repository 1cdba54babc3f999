package exec

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Builders of result arrays from the aggregation's Go-side state: values
// are copied into buffers from alloc (the query budget).

func sizeOf[T any](v T) int { return int(unsafe.Sizeof(v)) }

// fixedArray builds an array of dt, whose values are Ts, NULL where valid
// is false (valid nil: no NULLs).
func fixedArray[T arrow.FixedWidthType](alloc memory.Allocator, dt arrow.DataType, vals []T, valid []bool) arrow.Array {
	return fixedArrayRaw(alloc, dt, arrow.GetBytes(vals), len(vals), valid)
}

// fixedArrayRaw builds an array of the fixed-width type dt from n values'
// little-endian bytes.
func fixedArrayRaw(alloc memory.Allocator, dt arrow.DataType, raw []byte, n int, valid []bool) arrow.Array {
	vb := memory.NewResizableBuffer(alloc)
	vb.Resize(len(raw))
	copy(vb.Bytes(), raw)
	return newArray(alloc, dt, n, valid, vb)
}

// boolArray builds a BOOLEAN array.
func boolArray(alloc memory.Allocator, vals []bool, valid []bool) arrow.Array {
	vb := memory.NewResizableBuffer(alloc)
	vb.Resize(int(bitutil.BytesForBits(int64(len(vals)))))
	bits := vb.Bytes()
	clear(bits)
	for i, v := range vals {
		if v {
			bitutil.SetBit(bits, i)
		}
	}
	return newArray(alloc, arrow.FixedWidthTypes.Boolean, len(vals), valid, vb)
}

// varlenArray builds a STRING or BINARY array.
func varlenArray(alloc memory.Allocator, dt arrow.DataType, vals [][]byte, valid []bool) arrow.Array {
	total := 0
	for _, v := range vals {
		total += len(v)
	}
	ob := memory.NewResizableBuffer(alloc)
	ob.Resize(4 * (len(vals) + 1))
	offs := arrow.GetData[int32](ob.Bytes())
	db := memory.NewResizableBuffer(alloc)
	db.Resize(total)
	data := db.Bytes()
	at := 0
	offs[0] = 0
	for i, v := range vals {
		at += copy(data[at:], v)
		offs[i+1] = int32(at)
	}
	return newArray(alloc, dt, len(vals), valid, ob, db)
}

// nullArray is n NULLs of type NULL.
func nullArray(alloc memory.Allocator, n int) arrow.Array {
	return array.MakeArrayOfNull(alloc, arrow.Null, n)
}

// newArray wraps value buffers (taking them over) with a validity bitmap.
func newArray(alloc memory.Allocator, dt arrow.DataType, n int, valid []bool, bufs ...*memory.Buffer) arrow.Array {
	var nb *memory.Buffer
	nulls := 0
	for _, v := range valid {
		if !v {
			nulls++
		}
	}
	if nulls > 0 {
		nb = memory.NewResizableBuffer(alloc)
		nb.Resize(int(bitutil.BytesForBits(int64(n))))
		bm := nb.Bytes()
		clear(bm)
		for i, v := range valid {
			if v {
				bitutil.SetBit(bm, i)
			}
		}
	}
	data := array.NewData(dt, n, append([]*memory.Buffer{nb}, bufs...), nil, nulls, 0)
	for _, b := range bufs {
		b.Release()
	}
	if nb != nil {
		nb.Release()
	}
	defer data.Release()
	return array.MakeFromData(data)
}
