package runtime

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/lake/objstore"
)

func chainOf(sizes ...int64) opChain {
	var c opChain
	for i, n := range sizes {
		c.keys, c.sizes = append(c.keys, stateKey("j", uint64(i+1), 1, i == 0)), append(c.sizes, n)
	}
	return c
}

func TestChainFull(t *testing.T) {
	long := make([]int64, maxDeltas) // a base and maxDeltas-1 deltas
	long[0] = 1 << 40
	longer := append(slices.Clone(long), 1)
	for _, tc := range []struct {
		name        string
		c           opChain
		incremental bool
		want        bool
	}{
		{"no chain yet", opChain{}, true, true},
		{"no operator takes deltas", chainOf(100), false, true},
		{"deltas lighter than the base", chainOf(100, 30, 69), true, false},
		{"deltas as heavy as the base", chainOf(100, 30, 70), true, true},
		{"base only", chainOf(100), true, false},
		{"empty base, empty delta", chainOf(0, 0), true, true},
		{"room for one more delta", chainOf(long...), true, false},
		{"maxDeltas deltas", chainOf(longer...), true, true},
	} {
		if got := tc.c.full(tc.incremental); got != tc.want {
			t.Errorf("%s: full = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestChainExtend: a delta extends the chain, a full snapshot starts a new
// one, and the committed chain is never changed by an attempt's.
func TestChainExtend(t *testing.T) {
	c := chainOf(100, 10)
	c.keys, c.sizes = slices.Grow(c.keys, 4), slices.Grow(c.sizes, 4) // room to alias into
	d := stateKey("j", 3, 1, false)
	next := c.extend(d, 5, false)
	other := c.extend(stateKey("j", 3, 2, false), 6, false) // another attempt at epoch 3
	if !slices.Equal(next.keys, append(slices.Clone(c.keys), d)) || !slices.Equal(next.sizes, []int64{100, 10, 5}) {
		t.Fatalf("extended chain %v %v", next.keys, next.sizes)
	}
	if len(c.keys) != 2 || next.keys[2] == other.keys[2] {
		t.Fatalf("extending aliased the committed chain: %v / %v / %v", c.keys, next.keys, other.keys)
	}
	f := stateKey("j", 4, 1, true)
	if got := next.extend(f, 200, true); !slices.Equal(got.keys, []string{f}) || !slices.Equal(got.sizes, []int64{200}) {
		t.Fatalf("a full snapshot's chain %v %v", got.keys, got.sizes)
	}
	var st jobState
	next.record(&st)
	back, err := decodeState(st.encode())
	if err != nil {
		t.Fatal(err)
	}
	if back.Operators != c.keys[0] || !slices.Equal(back.Deltas, next.keys[1:]) {
		t.Fatalf("recorded chain %q %q", back.Operators, back.Deltas)
	}
}

func TestDecodeState(t *testing.T) {
	for _, tc := range []struct {
		in, operators, err string
		deltas             []string
	}{
		{in: ""},
		// A state written before deltas existed: one full snapshot.
		{in: `{"operators":"state/j/1.state"}`, operators: "state/j/1.state"},
		{in: `{"operators":"a.state","deltas":["b.delta","c.delta"]}`, operators: "a.state", deltas: []string{"b.delta", "c.delta"}},
		{in: `{"deltas":["b.delta"]}`, err: "without the snapshot"},
		{in: `{"operators":`, err: "unexpected end"},
	} {
		st, err := decodeState(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || st.Operators != tc.operators || !slices.Equal(st.Deltas, tc.deltas) {
			t.Errorf("%s: %q %q %v", tc.in, st.Operators, st.Deltas, err)
		}
	}
}

// TestChainStale: what pruning deletes once a chain commits. Keys sort by
// epoch, then generation; objects of attempts that never committed sort
// among the chain's, and ones after its last may be in flight.
func TestChainStale(t *testing.T) {
	k := func(epoch, gen uint64, full bool) string { return stateKey("j", epoch, gen, full) }
	listing := []string{
		k(1, 1, true),   // an older chain's base
		k(2, 1, false),  // its delta
		k(3, 1, true),   // the committed base
		k(4, 1, false),  // a delta of an attempt that never committed
		k(4, 2, false),  // the committed delta, after a restart
		k(5, 2, true),   // an attempt whose commit failed
		k(6, 2, false),  // the last committed delta
		k(7, 2, false),  // in flight
		k(8, 3, true),   // a newer generation's, in flight
		"state/j/notes", // not a state object
	}
	for _, tc := range []struct {
		chain []string
		want  []string
	}{
		{nil, nil},
		{[]string{k(3, 1, true), k(4, 2, false), k(6, 2, false)}, []string{k(1, 1, true), k(2, 1, false), k(4, 1, false), k(5, 2, true)}},
		{[]string{k(1, 1, true)}, nil},
		{[]string{k(1, 1, true), k(2, 1, false)}, []string{}},
		{[]string{k(5, 2, true)}, []string{k(1, 1, true), k(2, 1, false), k(3, 1, true), k(4, 1, false), k(4, 2, false)}},
	} {
		got := opChain{keys: tc.chain}.stale(listing)
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("chain %v: stale %v, want %v", tc.chain, got, tc.want)
		}
	}
}

// TestPruneKeepsChain: the objects a committed chain names survive
// pruning and read back in order; the rest before its last go.
func TestPruneKeepsChain(t *testing.T) {
	ctx := context.Background()
	st, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for e := uint64(1); e <= 6; e++ {
		key := stateKey("j", e, 1, e%3 == 1)
		if err := st.Put(ctx, key, []byte(fmt.Sprint(e))); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	c := opChain{keys: []string{keys[3], keys[5]}, sizes: []int64{1, 1}} // epochs 4 (full) and 6
	if err := pruneStates(ctx, st, "j", c); err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(ctx, statePrefix("j"))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, o := range objs {
		left = append(left, o.Key)
	}
	if !slices.Equal(left, c.keys) {
		t.Fatalf("after pruning %v, want %v", left, c.keys)
	}
	var s jobState
	c.record(&s)
	got, data, err := readChain(ctx, st, s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.keys, c.keys) || string(data[0]) != "4" || string(data[1]) != "6" || !slices.Equal(got.sizes, []int64{1, 1}) {
		t.Fatalf("read chain %v %v %q", got.keys, got.sizes, data)
	}
	s.Deltas = append(s.Deltas, stateKey("j", 9, 1, false))
	if _, _, err := readChain(ctx, st, s); err == nil {
		t.Fatal("a chain with a missing object read")
	}
}
