package plan

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/expr"
)

// shape prints a join tree: its leaves by first column name, joins as
// (left kind right), with the keys' count.
func shape(n Node) string {
	switch n := n.(type) {
	case *Join:
		kind := string(n.Kind)
		if len(n.LeftKeys) == 0 && n.Residual == nil {
			kind = "CROSS"
		}
		return "(" + shape(n.Left) + " " + kind + " " + shape(n.Right) + ")"
	case *Project:
		if _, ok := n.Input.(*Join); ok {
			return "π" + shape(n.Input)
		}
	}
	return n.Schema().Field(0).Name
}

// eqCols is the equality of columns i and j of the joined row of fields.
func eqCols(t *testing.T, fields []arrow.Field, i, j int) expr.Expr {
	c := func(k int) expr.Expr { return &expr.Column{Index: k, Name: fields[k].Name, DataType: fields[k].Type} }
	return call(t, "=", c(i), c(j))
}

func joined(ns ...Node) []arrow.Field {
	var out []arrow.Field
	for _, n := range ns {
		out = append(out, n.Schema().Fields()...)
	}
	return out
}

func TestReorderJoins(t *testing.T) {
	fact, dim, mid := values(1000, "f_key", "f_mid"), values(10, "d_key"), values(100, "m_key")
	stream := &SourceScan{Source: &SourceTable{}, schema: values(0, "s_key").Schema()}
	fs := joined(fact, dim, mid)
	cases := []struct {
		name string
		plan func() Node
		want string
	}{
		{"small input already built", func() Node {
			return NewJoin(fact, dim, JoinInner, eqCols(t, joined(fact, dim), 0, 2))
		}, "(f_key INNER d_key)"},
		{"small input moves to the build side", func() Node {
			return NewJoin(dim, fact, JoinInner, eqCols(t, joined(dim, fact), 0, 1))
		}, "π(f_key INNER d_key)"},
		{"the query's cross join disappears", func() Node {
			// FROM fact, dim, mid WHERE fact.f_key = dim.d_key AND fact.f_mid = mid.m_key,
			// written with dim and mid joined first (a cross join).
			dm := NewJoin(dim, mid, JoinInner, nil)
			return NewJoin(dm, fact, JoinInner, call(t, "AND", eqCols(t, joined(dim, mid, fact), 2, 0), eqCols(t, joined(dim, mid, fact), 3, 1)))
		}, "π((f_key INNER d_key) INNER m_key)"},
		{"chain: small inputs first", func() Node {
			fm := NewJoin(fact, mid, JoinInner, eqCols(t, joined(fact, mid), 1, 2))
			return NewJoin(fm, dim, JoinInner, eqCols(t, fs, 0, 3))
		}, "π((f_key INNER d_key) INNER m_key)"},
		{"a disconnected input keeps its cross join", func() Node {
			fd := NewJoin(fact, dim, JoinInner, eqCols(t, joined(fact, dim), 0, 2))
			return NewJoin(fd, mid, JoinInner, nil)
		}, "((f_key INNER d_key) CROSS m_key)"},
		{"left join with the smaller preserved side becomes a right join", func() Node {
			return NewJoin(dim, fact, JoinLeft, eqCols(t, joined(dim, fact), 0, 1))
		}, "π(f_key RIGHT d_key)"},
		{"left join with the smaller side built stays", func() Node {
			return NewJoin(fact, dim, JoinLeft, eqCols(t, joined(fact, dim), 0, 2))
		}, "(f_key LEFT d_key)"},
		{"semi joins keep their sides", func() Node {
			return NewJoin(dim, fact, JoinSemi, eqCols(t, joined(dim, fact), 0, 1))
		}, "(d_key SEMI f_key)"},
		{"an unbounded source stays the probe side", func() Node {
			return NewJoin(dim, stream, JoinInner, eqCols(t, joined(dim, stream), 0, 1))
		}, "π(s_key INNER d_key)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			orig := c.plan()
			got := reorderJoins(orig, newEstimator(context.Background()))
			if s := shape(got); s != c.want {
				t.Fatalf("shape %s, want %s", s, c.want)
			}
			// The columns come out as the query wrote them.
			want, have := orig.Schema().Fields(), got.Schema().Fields()
			if len(want) != len(have) {
				t.Fatalf("%d columns, want %d", len(have), len(want))
			}
			p, isProject := got.(*Project)
			for i := range want {
				if have[i].Name != want[i].Name || !arrow.TypeEqual(have[i].Type, want[i].Type) {
					t.Fatalf("column %d is %v, want %v", i, have[i], want[i])
				}
				if isProject {
					src := p.Input.Schema().Field(p.Exprs[i].(*expr.Column).Index)
					if src.Name != want[i].Name {
						t.Fatalf("column %d reads %s, want %s", i, src.Name, want[i].Name)
					}
				}
			}
			// Every join of a connected query keeps an equality.
			checkKeys(t, got, c.want)
		})
	}
}

// checkKeys fails when a join the expected shape marks INNER, LEFT or
// RIGHT has no keys.
func checkKeys(t *testing.T, n Node, want string) {
	t.Helper()
	if j, ok := n.(*Join); ok && j.Kind != JoinSemi && len(j.LeftKeys) == 0 && j.Residual != nil {
		t.Fatalf("join without keys in %s", want)
	}
	for _, c := range n.Children() {
		checkKeys(t, c, want)
	}
}
