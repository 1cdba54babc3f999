package expr

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// This file holds the small toolkit our own kernels are written with: typed
// readers over a Datum (array or scalar, so literals are never broadcast) and
// writers that allocate their output once per batch from ctx.Alloc.

// evalFn is the signature of Func.Eval.
type evalFn = func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error)

func (c *EvalContext) alloc() memory.Allocator {
	if c == nil || c.Alloc == nil {
		return memory.DefaultAllocator
	}
	return c.Alloc
}

func (c *EvalContext) context() context.Context {
	var ctx context.Context = context.Background()
	if c != nil && c.Ctx != nil {
		ctx = c.Ctx
	}
	return compute.WithAllocator(ctx, c.alloc())
}

// validity reads the null flags of an array or scalar datum.
type validity struct {
	bits   []byte // nil: no nulls in the array
	off    int
	scalar bool
	snull  bool
}

func newValidity(d Datum) validity {
	if d.Array == nil {
		return validity{scalar: true, snull: d.Scalar == nil || !d.Scalar.IsValid()}
	}
	if d.Array.NullN() == 0 {
		return validity{}
	}
	if d.Array.DataType().ID() == arrow.NULL {
		return validity{scalar: true, snull: true}
	}
	return validity{bits: d.Array.NullBitmapBytes(), off: d.Array.Data().Offset()}
}

func (v *validity) isNull(i int) bool {
	if v.scalar {
		return v.snull
	}
	return v.bits != nil && !bitutil.BitIsSet(v.bits, v.off+i)
}

// fixed reads a fixed-width column (numbers, dates, timestamps, decimals).
type fixed[T any] struct {
	validity
	vals []T
	sv   T
}

func rdFixed[T arrow.FixedWidthType | decimal128.Num](d Datum) fixed[T] {
	r := fixed[T]{validity: newValidity(d)}
	if r.scalar {
		if !r.snull {
			if ps, ok := d.Scalar.(scalar.PrimitiveScalar); ok {
				r.sv = arrow.GetData[T](ps.Data())[0]
			}
		}
		return r
	}
	if d.Array.DataType().ID() == arrow.NULL {
		return r
	}
	bufs := d.Array.Data().Buffers()
	if len(bufs) > 1 && bufs[1] != nil {
		r.vals = arrow.GetData[T](bufs[1].Bytes())[d.Array.Data().Offset():]
	}
	return r
}

func (r *fixed[T]) at(i int) T {
	if r.scalar {
		return r.sv
	}
	return r.vals[i]
}

// strs reads a utf8 or binary column.
type strs struct {
	validity
	offs []int32
	data []byte
	sv   string
}

func rdStr(d Datum) strs {
	r := strs{validity: newValidity(d)}
	if r.scalar {
		if !r.snull {
			if bs, ok := d.Scalar.(scalar.BinaryScalar); ok {
				r.sv = string(bs.Data())
			}
		}
		return r
	}
	if d.Array.DataType().ID() == arrow.NULL {
		return r
	}
	data := d.Array.Data()
	bufs := data.Buffers()
	r.offs = arrow.Int32Traits.CastFromBytes(bufs[1].Bytes())[data.Offset():]
	if bufs[2] != nil {
		r.data = bufs[2].Bytes()
	}
	return r
}

// at returns row i without copying when it comes from an array.
func (r *strs) at(i int) string {
	if r.scalar {
		return r.sv
	}
	b := r.data[r.offs[i]:r.offs[i+1]]
	return unsafeString(b)
}

// bytesAt returns row i's bytes; callers must not modify them.
func (r *strs) bytesAt(i int) []byte {
	if r.scalar {
		return []byte(r.sv)
	}
	return r.data[r.offs[i]:r.offs[i+1]]
}

// bools reads a boolean column.
type bools struct {
	validity
	bits []byte
	off  int
	sv   bool
}

func rdBool(d Datum) bools {
	r := bools{validity: newValidity(d)}
	if r.scalar {
		if !r.snull {
			r.sv = d.Scalar.(*scalar.Boolean).Value
		}
		return r
	}
	if d.Array.DataType().ID() == arrow.NULL {
		return r
	}
	r.bits = d.Array.Data().Buffers()[1].Bytes()
	r.off = d.Array.Data().Offset()
	return r
}

func (r *bools) at(i int) bool {
	if r.scalar {
		return r.sv
	}
	return bitutil.BitIsSet(r.bits, r.off+i)
}

// fixedOut writes n fixed-width values into one buffer; the validity bitmap
// is allocated only when the first NULL appears.
type fixedOut[T arrow.FixedWidthType | decimal128.Num] struct {
	mem   memory.Allocator
	dt    arrow.DataType
	n     int
	buf   *memory.Buffer
	vals  []T
	valid *memory.Buffer
	nulls int
}

func newFixedOut[T arrow.FixedWidthType | decimal128.Num](ctx *EvalContext, dt arrow.DataType, n int) *fixedOut[T] {
	o := &fixedOut[T]{mem: ctx.alloc(), dt: dt, n: n}
	o.buf = memory.NewResizableBuffer(o.mem)
	var zero T
	o.buf.Resize(n * int(unsafe.Sizeof(zero)))
	o.vals = arrow.GetData[T](o.buf.Bytes())[:n]
	return o
}

func (o *fixedOut[T]) setNull(i int) {
	if o.valid == nil {
		o.valid = memory.NewResizableBuffer(o.mem)
		o.valid.Resize(int(bitutil.BytesForBits(int64(o.n))))
		b := o.valid.Bytes()
		for j := range b {
			b[j] = 0xff
		}
	}
	bitutil.ClearBit(o.valid.Bytes(), i)
	var zero T
	o.vals[i] = zero
	o.nulls++
}

func (o *fixedOut[T]) finish() arrow.Array {
	d := array.NewData(o.dt, o.n, []*memory.Buffer{o.valid, o.buf}, nil, o.nulls, 0)
	arr := array.MakeFromData(d)
	d.Release()
	o.release()
	return arr
}

func (o *fixedOut[T]) release() {
	if o.buf != nil {
		o.buf.Release()
		o.buf = nil
	}
	if o.valid != nil {
		o.valid.Release()
		o.valid = nil
	}
}

// strOut writes a utf8 column; append with bytes (scratch buffers) or strings.
type strOut struct {
	b *array.StringBuilder
}

func newStrOut(ctx *EvalContext, n, dataHint int) strOut {
	b := array.NewStringBuilder(ctx.alloc())
	b.Reserve(n)
	if dataHint > 0 {
		b.ReserveData(dataHint)
	}
	return strOut{b}
}

func (o strOut) add(v []byte) { o.b.BinaryBuilder.Append(v) }
func (o strOut) null()        { o.b.AppendNull() }
func (o strOut) finish() arrow.Array {
	a := o.b.NewArray()
	o.b.Release()
	return a
}
func (o strOut) release() { o.b.Release() }

// boolOut writes a boolean column.
type boolOut struct{ b *array.BooleanBuilder }

func newBoolOut(ctx *EvalContext, n int) boolOut {
	b := array.NewBooleanBuilder(ctx.alloc())
	b.Reserve(n)
	return boolOut{b}
}

func (o boolOut) add(v bool) { o.b.UnsafeAppend(v) }
func (o boolOut) null()      { o.b.UnsafeAppendBoolToBitmap(false) }
func (o boolOut) finish() arrow.Array {
	a := o.b.NewArray()
	o.b.Release()
	return a
}
func (o boolOut) release() { o.b.Release() }

// dataLen estimates the bytes of a string datum, to reserve outputs once.
func dataLen(d Datum, n int) int {
	if d.Array != nil {
		if bufs := d.Array.Data().Buffers(); len(bufs) > 2 && bufs[2] != nil {
			return bufs[2].Len()
		}
		return 0
	}
	if bs, ok := d.Scalar.(scalar.BinaryScalar); ok && d.Scalar.IsValid() {
		return len(bs.Data()) * n
	}
	return 0
}

// callCompute runs an arrow compute function over datums and returns an
// array of length n (broadcasting when every input was a scalar).
func callCompute(ctx *EvalContext, name string, opts compute.FunctionOptions, args []Datum, n int) (arrow.Array, error) {
	cargs := make([]compute.Datum, len(args))
	for i, a := range args {
		if a.Array != nil {
			cargs[i] = compute.NewDatumWithoutOwning(a.Array)
		} else {
			cargs[i] = compute.NewDatumWithoutOwning(a.Scalar)
		}
	}
	out, err := compute.CallFunction(ctx.context(), name, opts, cargs...)
	if err != nil {
		return nil, err
	}
	return datumToArray(ctx, out, n)
}

func datumToArray(ctx *EvalContext, out compute.Datum, n int) (arrow.Array, error) {
	defer out.Release()
	switch v := out.(type) {
	case *compute.ArrayDatum:
		return v.MakeArray(), nil
	case *compute.ScalarDatum:
		return scalar.MakeArrayFromScalar(v.Value, n, ctx.alloc())
	default:
		return nil, fmt.Errorf("BUG: unexpected compute result %s", out.Kind())
	}
}

// nullArray is an all-NULL column of type dt.
func nullArray(ctx *EvalContext, dt arrow.DataType, n int) arrow.Array {
	return array.MakeArrayOfNull(ctx.alloc(), dt, n)
}

// anyNullScalar reports whether some argument is a NULL constant, which makes
// a null-on-null function's whole result NULL.
func anyNullScalar(args []Datum) bool {
	for _, a := range args {
		if a.Array == nil && (a.Scalar == nil || !a.Scalar.IsValid()) {
			return true
		}
	}
	return false
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// argReader reads one argument of any of the canonical kinds row by row.
type argReader struct {
	id  arrow.Type
	s   strs
	i8  fixed[int8]
	i16 fixed[int16]
	i32 fixed[int32]
	i64 fixed[int64]
	f32 fixed[float32]
	f64 fixed[float64]
	dec fixed[decimal128.Num]
	b   bools
	v   *validity
	re  *reCache // REGEXP functions: the last compiled pattern of this argument
}

// rows gives row-wise access to all arguments of a call; kernels written with
// it pay one indirect call per row, which is fine for string and date logic.
type rows struct {
	args []argReader
}

func newRows(args []Datum) *rows {
	r := &rows{args: make([]argReader, len(args))}
	for k, d := range args {
		a := &r.args[k]
		dt := datumType(d)
		a.id = dt.ID()
		switch a.id {
		case arrow.STRING, arrow.BINARY:
			a.s = rdStr(d)
			a.v = &a.s.validity
		case arrow.INT8:
			a.i8 = rdFixed[int8](d)
			a.v = &a.i8.validity
		case arrow.INT16:
			a.i16 = rdFixed[int16](d)
			a.v = &a.i16.validity
		case arrow.INT32, arrow.DATE32, arrow.INTERVAL_MONTHS, arrow.TIME32:
			a.i32 = rdFixed[int32](d)
			a.v = &a.i32.validity
		case arrow.INT64, arrow.TIMESTAMP, arrow.DURATION, arrow.TIME64:
			a.i64 = rdFixed[int64](d)
			a.v = &a.i64.validity
		case arrow.FLOAT32:
			a.f32 = rdFixed[float32](d)
			a.v = &a.f32.validity
		case arrow.FLOAT64:
			a.f64 = rdFixed[float64](d)
			a.v = &a.f64.validity
		case arrow.DECIMAL128:
			a.dec = rdFixed[decimal128.Num](d)
			a.v = &a.dec.validity
		case arrow.BOOL:
			a.b = rdBool(d)
			a.v = &a.b.validity
		default:
			v := newValidity(d)
			a.v = &v
		}
	}
	return r
}

func datumType(d Datum) arrow.DataType {
	if d.Array != nil {
		return d.Array.DataType()
	}
	if d.Scalar == nil {
		return arrow.Null
	}
	return d.Scalar.DataType()
}

func (r *rows) null(k, i int) bool { return r.args[k].v.isNull(i) }

func (r *rows) anyNull(i int) bool {
	for k := range r.args {
		if r.args[k].v.isNull(i) {
			return true
		}
	}
	return false
}

func (r *rows) str(k, i int) string { return r.args[k].s.at(i) }

// int reads any integer (or date/timestamp) argument as int64.
func (r *rows) int(k, i int) int64 {
	a := &r.args[k]
	switch a.id {
	case arrow.INT8:
		return int64(a.i8.at(i))
	case arrow.INT16:
		return int64(a.i16.at(i))
	case arrow.INT32, arrow.DATE32, arrow.INTERVAL_MONTHS, arrow.TIME32:
		return int64(a.i32.at(i))
	default:
		return a.i64.at(i)
	}
}

func (r *rows) f64(k, i int) float64 {
	a := &r.args[k]
	switch a.id {
	case arrow.FLOAT64:
		return a.f64.at(i)
	case arrow.FLOAT32:
		return float64(a.f32.at(i))
	default:
		return float64(r.int(k, i))
	}
}

func (r *rows) bool(k, i int) bool { return r.args[k].b.at(i) }

func (r *rows) dec(k, i int) decimal128.Num { return r.args[k].dec.at(i) }

// Row kernels: f computes row i; ok=false makes the row NULL. With nullOnNull
// a row with any NULL argument is NULL without calling f.

func rowStr(nullOnNull bool, f func(r *rows, i int, dst []byte) ([]byte, bool, error)) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		r := newRows(args)
		hint := 0
		if len(args) > 0 {
			hint = dataLen(args[0], n)
		}
		out := newStrOut(ctx, n, hint)
		var buf []byte
		for i := 0; i < n; i++ {
			if nullOnNull && r.anyNull(i) {
				out.null()
				continue
			}
			v, ok, err := f(r, i, buf[:0])
			if err != nil {
				out.release()
				return nil, err
			}
			if !ok {
				out.null()
				continue
			}
			out.add(v)
			buf = v
		}
		return out.finish(), nil
	}
}

func rowFixed[T arrow.FixedWidthType | decimal128.Num](dt arrow.DataType, nullOnNull bool, f func(r *rows, i int) (T, bool, error)) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		r := newRows(args)
		out := newFixedOut[T](ctx, dt, n)
		for i := 0; i < n; i++ {
			if nullOnNull && r.anyNull(i) {
				out.setNull(i)
				continue
			}
			v, ok, err := f(r, i)
			if err != nil {
				out.release()
				return nil, err
			}
			if !ok {
				out.setNull(i)
				continue
			}
			out.vals[i] = v
		}
		return out.finish(), nil
	}
}

func rowBool(nullOnNull bool, f func(r *rows, i int) (bool, bool, error)) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		r := newRows(args)
		out := newBoolOut(ctx, n)
		for i := 0; i < n; i++ {
			if nullOnNull && r.anyNull(i) {
				out.null()
				continue
			}
			v, ok, err := f(r, i)
			if err != nil {
				out.release()
				return nil, err
			}
			if !ok {
				out.null()
				continue
			}
			out.add(v)
		}
		return out.finish(), nil
	}
}

// rowBinary is rowStr for BYTES results.
func rowBinary(f func(r *rows, i int, dst []byte) ([]byte, bool, error)) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		r := newRows(args)
		b := array.NewBinaryBuilder(ctx.alloc(), arrow.BinaryTypes.Binary)
		defer b.Release()
		b.Reserve(n)
		var buf []byte
		for i := 0; i < n; i++ {
			if r.anyNull(i) {
				b.AppendNull()
				continue
			}
			v, ok, err := f(r, i, buf[:0])
			if err != nil {
				return nil, err
			}
			if !ok {
				b.AppendNull()
				continue
			}
			b.Append(v)
			buf = v
		}
		return b.NewArray(), nil
	}
}
