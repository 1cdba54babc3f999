package datagen

import (
	"fmt"
	"math/bits"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/wharfdata/wharf/engine/connector/gensrc"
	"github.com/wharfdata/wharf/engine/types"
)

// generator fills batches column by column; the value of a field in a row
// is a pure function of (seed, field, row number), plus the wall clock for
// anchored temporal fields when no base-time is set.
type generator struct {
	seed    uint64
	splits  int64
	fields  []*field
	baseMs  int64 // anchor of temporal fields; -1: the wall clock
	schema  *arrow.Schema
	rb      *array.RecordBuilder
	scratch []byte
}

func (g *generator) Schema() *arrow.Schema { return g.schema }
func (g *generator) Release()              { g.rb.Release() }

// row is the table-wide row number of split-local position i.
func (g *generator) row(split int, i int64) int64 { return i*g.splits + int64(split) }

func (g *generator) Generate(split int, from, to int64) (arrow.RecordBatch, []int64) {
	anchorMs := g.baseMs
	if anchorMs < 0 {
		anchorMs = time.Now().UnixMilli()
	}
	for _, f := range g.fields {
		b := g.rb.Field(f.col)
		b.Reserve(int(to - from))
		switch f.class {
		case cInt, cDate, cTime, cTimestamp:
			lo, hi := f.bounds(anchorMs)
			switch b := b.(type) {
			case *array.Int8Builder:
				fillInts(g, f, b, split, from, to, lo, hi)
			case *array.Int16Builder:
				fillInts(g, f, b, split, from, to, lo, hi)
			case *array.Int32Builder:
				fillInts(g, f, b, split, from, to, lo, hi)
			case *array.Int64Builder:
				fillInts(g, f, b, split, from, to, lo, hi)
			case *array.Date32Builder:
				fillInts(g, f, b, split, from, to, lo, hi)
			case *array.Time32Builder:
				fillInts(g, f, b, split, from, to, lo, hi)
			case *array.Time64Builder:
				fillInts(g, f, b, split, from, to, lo, hi)
			case *array.TimestampBuilder:
				fillInts(g, f, b, split, from, to, lo, hi)
			default:
				panic(fmt.Sprintf("BUG: %s field %s has builder %T", f.name, b.Type(), b))
			}
		case cFloat:
			switch b := b.(type) {
			case *array.Float32Builder:
				fillFloats(g, f, b, split, from, to)
			case *array.Float64Builder:
				fillFloats(g, f, b, split, from, to)
			}
		case cDecimal:
			g.fillDecimals(f, b.(*array.Decimal128Builder), split, from, to)
		case cBool:
			bb := b.(*array.BooleanBuilder)
			for i := from; i < to; i++ {
				if r, ok := g.rand(f, split, i); !ok {
					bb.AppendNull()
				} else {
					bb.Append(r.Uint64()&1 == 1)
				}
			}
		case cString, cBytes:
			var bb *array.BinaryBuilder
			switch b := b.(type) {
			case *array.StringBuilder:
				bb = b.BinaryBuilder
			case *array.LargeStringBuilder:
				bb = b.BinaryBuilder
			case *array.BinaryBuilder:
				bb = b
			}
			g.fillBytes(f, bb, split, from, to)
		}
	}
	return g.rb.NewRecordBatch(), nil // one row per position
}

// rand is the random stream of field f at position i, false when the value
// is null.
func (g *generator) rand(f *field, split int, i int64) (gensrc.Rand, bool) {
	r := gensrc.NewRand(g.seed^f.salt, uint64(g.row(split, i)))
	if f.nullRate > 0 && r.Float64() < f.nullRate {
		return r, false
	}
	return r, true
}

// bounds is the value range of an integer-like field for a batch made at
// anchorMs.
func (f *field) bounds(anchorMs int64) (int64, int64) {
	if !f.anchored {
		return f.lo, f.hi
	}
	var hi int64
	switch {
	case f.class == cDate:
		hi = types.FloorDiv(anchorMs, 86400000)
	case f.perMs > 0:
		hi = anchorMs * f.perMs
	default:
		hi = types.FloorDiv(anchorMs, 1000)
	}
	return hi - f.past, hi
}

type appender[T any] interface {
	Append(T)
	AppendNull()
}

func fillInts[T ~int8 | ~int16 | ~int32 | ~int64](g *generator, f *field, b appender[T], split int, from, to, lo, hi int64) {
	span := uint64(hi-lo) + 1 // 0: the whole int64 range
	for i := from; i < to; i++ {
		r, ok := g.rand(f, split, i)
		if !ok {
			b.AppendNull()
			continue
		}
		var v int64
		switch {
		case f.sequence:
			v = f.start + g.row(split, i)
		case span == 0:
			v = int64(r.Uint64())
		default:
			v = lo + int64(r.Uint64()%span)
		}
		if f.trunc > 1 {
			v -= (v%f.trunc + f.trunc) % f.trunc
		}
		b.Append(T(v))
	}
}

func fillFloats[T float32 | float64](g *generator, f *field, b appender[T], split int, from, to int64) {
	for i := from; i < to; i++ {
		r, ok := g.rand(f, split, i)
		switch {
		case !ok:
			b.AppendNull()
		case f.sequence:
			b.Append(T(f.start + g.row(split, i)))
		default:
			// Weighted so that the full float range does not overflow.
			u := r.Float64()
			b.Append(T(f.flo*(1-u) + f.fhi*u))
		}
	}
}

func (g *generator) fillDecimals(f *field, b *array.Decimal128Builder, split int, from, to int64) {
	scale := decimal128.GetScaleMultiplier(int(b.Type().(*arrow.Decimal128Type).Scale))
	hiMask := uint64(1)<<bits.Len64(f.dspan[0]) - 1
	for i := from; i < to; i++ {
		r, ok := g.rand(f, split, i)
		if !ok {
			b.AppendNull()
			continue
		}
		if f.sequence {
			b.Append(decimal128.FromI64(f.start + g.row(split, i)).Mul(scale))
			continue
		}
		b.Append(f.dlo.Add(f.randomOffset(&r, hiMask)))
	}
}

// randomOffset is uniform in [0, span): modulo when the span fits 64 bits
// (bias below 2^-64·span), else by rejection over the span's bit length
// (each draw is accepted with probability over 1/2).
func (f *field) randomOffset(r *gensrc.Rand, hiMask uint64) decimal128.Num {
	if f.dspan[0] == 0 {
		return decimal128.New(0, r.Uint64()%f.dspan[1])
	}
	for {
		hi, lo := r.Uint64()&hiMask, r.Uint64()
		if hi < f.dspan[0] || hi == f.dspan[0] && lo < f.dspan[1] {
			return decimal128.New(int64(hi), lo)
		}
	}
}

// alphabet holds 64 characters, one per 6 random bits.
const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

func (g *generator) fillBytes(f *field, b *array.BinaryBuilder, split int, from, to int64) {
	for i := from; i < to; i++ {
		r, ok := g.rand(f, split, i)
		if !ok {
			b.AppendNull()
			continue
		}
		buf := g.scratch[:0]
		if f.sequence {
			buf = strconv.AppendInt(buf, f.start+g.row(split, i), 10)
		} else {
			n := f.length
			if f.varLen && n > 0 {
				n = 1 + r.Intn(n)
			}
			for int64(len(buf)) < n {
				w := r.Uint64()
				if f.class == cBytes {
					for k := 0; k < 8 && int64(len(buf)) < n; k++ {
						buf = append(buf, byte(w>>(8*k)))
					}
					continue
				}
				for k := 0; k < 10 && int64(len(buf)) < n; k++ {
					buf = append(buf, alphabet[w>>(6*k)&63])
				}
			}
		}
		b.Append(buf)
		g.scratch = buf
	}
}
