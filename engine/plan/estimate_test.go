package plan

import (
	"context"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/expr"
)

// values is a hand-built input of n rows with BIGINT columns named cols.
func values(n int, cols ...string) *Values {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c, Type: arrow.PrimitiveTypes.Int64, Nullable: true}
	}
	return &Values{Rows: make([][]expr.Expr, n), schema: arrow.NewSchema(fields, nil)}
}

// col references column i of n by name.
func col(n Node, i int) *expr.Column {
	f := n.Schema().Field(i)
	return &expr.Column{Index: i, Name: f.Name, DataType: f.Type}
}

func call(t *testing.T, name string, args ...expr.Expr) expr.Expr {
	t.Helper()
	e, err := expr.Resolve(name, args)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEstimateRows(t *testing.T) {
	a, b := values(1000, "k", "x"), values(10, "k")
	lit := expr.Lit(scalar.NewInt64Scalar(5))
	stream := &SourceScan{Source: &SourceTable{}, schema: a.Schema()}
	cases := []struct {
		name string
		n    Node
		want float64
	}{
		{"values", a, 1000},
		{"equality filter", &Filter{Input: a, Cond: call(t, "=", col(a, 1), lit)}, 100},
		{"range and equality", &Filter{Input: a, Cond: call(t, "AND", call(t, "<", col(a, 1), lit), call(t, "=", col(a, 0), lit))}, 1000.0 / 3 / 10},
		{"or", &Filter{Input: a, Cond: call(t, "OR", call(t, "=", col(a, 1), lit), call(t, "=", col(a, 0), lit))}, 190},
		{"false", &Filter{Input: a, Cond: expr.Lit(scalar.NewBooleanScalar(false))}, 0},
		{"grouped", NewAggregate(a, []expr.Expr{col(a, 0)}, nil), 100},
		{"global aggregate", NewAggregate(a, nil, []AggCall{{Func: "COUNT", Type: arrow.PrimitiveTypes.Int64, NotNull: true}}), 1},
		{"grouped tiny", NewAggregate(b, []expr.Expr{col(b, 0)}, nil), 1},
		{"limit", &Limit{Input: a, N: 5, Offset: 2}, 5},
		{"offset past the end", &Limit{Input: b, N: -1, Offset: 20}, 0},
		{"equi-join", NewJoin(a, b, JoinInner, call(t, "=", col(a, 0), &expr.Column{Index: 2, Name: "k", DataType: arrow.PrimitiveTypes.Int64})), 1000},
		{"cross join", NewJoin(a, b, JoinInner, nil), 10000},
		{"left join keeps its left", NewJoin(b, values(3, "k"), JoinLeft, call(t, "=", col(b, 0), &expr.Column{Index: 1, Name: "k", DataType: arrow.PrimitiveTypes.Int64})), 10},
		{"semi join", NewJoin(a, b, JoinSemi, call(t, "=", col(a, 0), &expr.Column{Index: 2, Name: "k", DataType: arrow.PrimitiveTypes.Int64})), 500},
		{"union", NewUnion([]Node{b, b}), 20},
		{"project", NewProject(b, []expr.Expr{col(b, 0)}, []string{"k"}), 10},
		{"unbounded source", stream, math.Inf(1)},
		{"nothing of an unbounded source stays unbounded", &Filter{Input: stream, Cond: expr.Lit(scalar.NewBooleanScalar(false))}, math.Inf(1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := newEstimator(context.Background()).rows(c.n); math.Abs(got-c.want) > 1e-9 && got != c.want {
				t.Fatalf("rows = %v, want %v", got, c.want)
			}
		})
	}
}
