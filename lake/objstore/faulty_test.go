package objstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake/objstore"
	"github.com/wharfdata/wharf/lake/objstore/objstoretest"
)

// With no faults configured, Faulty must be a faithful Store.
func TestFaultyConformance(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store {
		return objstore.NewFaulty(objstore.NewMem(), objstore.FaultConfig{Seed: 1})
	})
}

func TestFaultyKinds(t *testing.T) {
	ctx := context.Background()
	always := func(kind string) objstore.FaultRates {
		switch kind {
		case "retryable":
			return objstore.FaultRates{Retryable: 1}
		case "before":
			return objstore.FaultRates{AmbiguousBefore: 1}
		default:
			return objstore.FaultRates{AmbiguousAfter: 1}
		}
	}
	for _, tc := range []struct {
		kind    string
		want    errkind.Kind
		applied bool
	}{
		{"retryable", errkind.Retryable, false},
		{"before", errkind.Ambiguous, false},
		{"after", errkind.Ambiguous, true},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			inner := objstore.NewMem()
			if err := inner.Put(ctx, "old", []byte("x")); err != nil {
				t.Fatal(err)
			}
			r := always(tc.kind)
			f := objstore.NewFaulty(inner, objstore.FaultConfig{Put: r, CreateIfAbsent: r, Delete: r, Get: r, List: r})
			check := func(op string, err error) {
				t.Helper()
				if errkind.Of(err) != tc.want || !errors.Is(err, objstore.ErrInjected) {
					t.Errorf("%s = %v (%v), want an injected %v fault", op, err, errkind.Of(err), tc.want)
				}
			}
			check("Put", f.Put(ctx, "put", []byte("v")))
			check("CreateIfAbsent", f.CreateIfAbsent(ctx, "created", []byte("v")))
			check("Delete", f.Delete(ctx, "old"))
			data, err := f.Get(ctx, "old")
			check("Get", err)
			if data != nil {
				t.Errorf("a failed Get returned data %q", data)
			}
			infos, err := f.List(ctx, "")
			check("List", err)
			if infos != nil {
				t.Errorf("a failed List returned %v", infos)
			}

			want := []string{"old"}
			if tc.applied {
				want = []string{"created", "put"}
			}
			got, err := inner.List(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, o := range got {
				keys = append(keys, o.Key)
			}
			if !slices.Equal(keys, want) {
				t.Errorf("the inner store holds %q, want %q", keys, want)
			}
			total := f.Total()
			if total.Calls != 5 || total.Faults() != 5 {
				t.Errorf("Total = %+v, want 5 calls, 5 faults", total)
			}
			if c := f.Counts(objstore.OpPut); c.Calls != 1 || c.Faults() != 1 {
				t.Errorf("Counts(put) = %+v", c)
			}
		})
	}
}

// trace runs a fixed sequence of calls and records what each returned.
func trace(seed uint64) (string, objstore.FaultCounts) {
	ctx := context.Background()
	rates := objstore.FaultRates{Retryable: 0.1, AmbiguousBefore: 0.05, AmbiguousAfter: 0.05}
	f := objstore.NewFaulty(objstore.NewMem(), objstore.FaultConfig{
		Seed: seed, Get: rates, Put: rates, CreateIfAbsent: rates, Delete: rates, List: rates,
	})
	var out []byte
	for i := range 2000 {
		key := fmt.Sprintf("k%d", i%50)
		var err error
		switch i % 4 {
		case 0:
			err = f.Put(ctx, key, []byte{byte(i)})
		case 1:
			err = f.CreateIfAbsent(ctx, key, []byte{byte(i)})
		case 2:
			_, err = f.Get(ctx, key)
		case 3:
			err = f.Delete(ctx, key)
		}
		out = fmt.Appendf(out, "%d:%v;", i, err)
	}
	return string(out), f.Total()
}

func TestFaultyDeterministic(t *testing.T) {
	a, ca := trace(42)
	b, cb := trace(42)
	if a != b || ca != cb {
		t.Fatal("the same seed and calls gave different faults")
	}
	if c, _ := trace(43); c == a {
		t.Fatal("a different seed gave the same faults")
	}
	// 2000 calls at 10% / 5% / 5%.
	for _, x := range []struct {
		name      string
		got, want int
	}{
		{"retryable", ca.Retryable, 200},
		{"ambiguous before", ca.AmbiguousBefore, 100},
		{"ambiguous after", ca.AmbiguousAfter, 100},
	} {
		if x.got < x.want*6/10 || x.got > x.want*14/10 {
			t.Errorf("%s faults = %d, want about %d", x.name, x.got, x.want)
		}
	}
}

func TestFaultyEnable(t *testing.T) {
	ctx := context.Background()
	f := objstore.NewFaulty(objstore.NewMem(), objstore.FaultConfig{Put: objstore.FaultRates{Retryable: 1}})
	f.Enable(false)
	if err := f.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("Put with faults disabled = %v", err)
	}
	f.Enable(true)
	if err := f.Put(ctx, "k", []byte("v")); !errkind.IsRetryable(err) {
		t.Fatalf("Put with faults enabled = %v", err)
	}
	if c := f.Counts(objstore.OpPut); c.Calls != 2 || c.Retryable != 1 {
		t.Errorf("Counts(put) = %+v, want 2 calls, 1 fault", c)
	}
}

func TestFaultyRejectsBadRates(t *testing.T) {
	for _, r := range []objstore.FaultRates{{Retryable: -0.1}, {Retryable: 0.6, AmbiguousAfter: 0.6}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewFaulty accepted rates %+v", r)
				}
			}()
			objstore.NewFaulty(objstore.NewMem(), objstore.FaultConfig{Get: r})
		}()
	}
}
