package expr

import (
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const benchRows = 64 << 10

func benchBatch(b *testing.B) arrow.RecordBatch {
	mem := memory.NewGoAllocator()
	ib := array.NewInt64Builder(mem)
	jb := array.NewInt64Builder(mem)
	sb := array.NewStringBuilder(mem)
	defer ib.Release()
	defer jb.Release()
	defer sb.Release()
	for i := 0; i < benchRows; i++ {
		ib.Append(int64(i))
		jb.Append(int64(i % 97))
		if i%10 == 0 {
			sb.AppendNull()
		} else {
			sb.Append("customer-" + strconv.Itoa(i) + "-abc-order")
		}
	}
	cols := []arrow.Array{ib.NewArray(), jb.NewArray(), sb.NewArray()}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: tI64, Nullable: true}, {Name: "b", Type: tI64, Nullable: true}, {Name: "s", Type: tStr, Nullable: true},
	}, nil)
	rb := array.NewRecordBatch(schema, cols, benchRows)
	for _, c := range cols {
		c.Release()
	}
	return rb
}

func benchExpr(b *testing.B, e Expr, bytes int64) {
	rb := benchBatch(b)
	defer rb.Release()
	ev, err := Compile(e)
	if err != nil {
		b.Fatal(err)
	}
	ctx := &EvalContext{Alloc: memory.NewGoAllocator()}
	b.ReportAllocs()
	b.SetBytes(bytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := ev(ctx, rb)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}

var (
	benchA = &Column{Index: 0, Name: "a", DataType: tI64}
	benchB = &Column{Index: 1, Name: "b", DataType: tI64}
	benchS = &Column{Index: 2, Name: "s", DataType: tStr}
)

func BenchmarkCompare(b *testing.B) {
	e, _ := Resolve(">", []Expr{benchA, Lit(toScalar(b, i64(1000)))})
	benchExpr(b, e, benchRows*8)
}

func BenchmarkArithChain(b *testing.B) {
	// (a + 1) * 2 - b
	x, _ := Resolve("+", []Expr{benchA, Lit(toScalar(b, i64(1)))})
	x, _ = Resolve("*", []Expr{x, Lit(toScalar(b, i64(2)))})
	x, _ = Resolve("-", []Expr{x, benchB})
	benchExpr(b, x, benchRows*16)
}

func BenchmarkLike(b *testing.B) {
	for _, p := range []string{"%abc%", "customer-1%", "c%-_bc-%r"} {
		b.Run(p, func(b *testing.B) {
			e, _ := Resolve("LIKE", []Expr{benchS, Lit(toScalar(b, p))})
			benchExpr(b, e, benchRows*24)
		})
	}
}

func BenchmarkUpper(b *testing.B) {
	e, _ := Resolve("UPPER", []Expr{benchS})
	benchExpr(b, e, benchRows*24)
}
