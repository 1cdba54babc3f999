package lake

import (
	"encoding/binary"
	"hash/maphash"
	"testing"
)

func TestForeignChanges(t *testing.T) {
	ours := [][]string{{"d1", "x1"}, {"d2"}}
	for _, tc := range []struct {
		name    string
		changes []snapChange
		expect  [][]string
		foreign bool
	}{
		{"nothing new", nil, nil, false},
		{"our epochs in order", []snapChange{{added: []string{"x1", "d1"}}, {added: []string{"d2"}}}, ours, false},
		{"our empty epoch between", []snapChange{{added: []string{"d1", "x1"}}, {}, {added: []string{"d2"}}}, ours, false},
		{"one of ours not yet seen", []snapChange{{added: []string{"d1", "x1"}}}, ours, false},
		{"a foreign append", []snapChange{{added: []string{"d1", "x1"}}, {added: []string{"f"}}}, ours, true},
		{"an append with no epoch of ours", []snapChange{{added: []string{"d1"}}}, nil, true},
		{"a compaction", []snapChange{{added: []string{"c"}, removed: []string{"d1"}}}, nil, true},
		{"a delete", []snapChange{{removed: []string{"d1"}}}, nil, true},
		{"ours plus a foreign file", []snapChange{{added: []string{"d1", "x1", "f"}}}, ours, true},
		{"out of order", []snapChange{{added: []string{"d2"}}, {added: []string{"d1", "x1"}}}, ours, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := foreignChanges(tc.changes, tc.expect); got != tc.foreign {
				t.Fatalf("foreign = %v, want %v", got, tc.foreign)
			}
		})
	}
}

// TestKeyIndexCollision: two keys with one hash are told apart by their
// bytes, in every operation.
func TestKeyIndexCollision(t *testing.T) {
	ix := newKeyIndex(keyCodec{names: []string{"k"}}, 0)
	a, b := []byte("alpha"), []byte("beta")
	ix.set(a, 1)
	// Forge the collision: b's hash slot already holds a.
	ix.hashed[maphash.Bytes(hashSeed, b)] = ix.hashed[maphash.Bytes(hashSeed, a)]
	delete(ix.hashed, maphash.Bytes(hashSeed, a))
	if _, ok := ix.get(b); ok {
		t.Fatal("b found through a's bytes")
	}
	if old, had := ix.set(b, 2); had {
		t.Fatalf("set b replaced %d", old)
	}
	if l, ok := ix.get(b); !ok || l != 2 {
		t.Fatalf("get b = %d, %v", l, ok)
	}
	if l, ok := ix.del(b); !ok || l != 2 {
		t.Fatalf("del b = %d, %v", l, ok)
	}
	if _, ok := ix.get(b); ok {
		t.Fatal("b still there")
	}
}

// FuzzKeyIndex: any sequence of sets and deletes over short keys leaves the
// index agreeing with a map, in both its exact and hashed forms.
func FuzzKeyIndex(f *testing.F) {
	f.Add([]byte{0, 1, 2, 1, 1, 3, 2, 1, 9})
	f.Add([]byte{0, 0, 0, 2, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		for _, exact := range []bool{true, false} {
			ix := newKeyIndex(keyCodec{names: []string{"k"}, exact: exact}, 0)
			model := map[string]loc{}
			for i := 0; i+2 < len(ops); i += 3 {
				key := binary.BigEndian.AppendUint64(nil, uint64(ops[i+1]%16))
				l := loc(ops[i+2])
				switch ops[i] % 3 {
				case 0, 1:
					old, had := ix.set(key, l)
					mo, mh := model[string(key)]
					if had != mh || old != mo {
						t.Fatalf("set: replaced %d,%v; want %d,%v", old, had, mo, mh)
					}
					model[string(key)] = l
				case 2:
					got, ok := ix.del(key)
					mo, mh := model[string(key)]
					if ok != mh || got != mo {
						t.Fatalf("del: %d,%v; want %d,%v", got, ok, mo, mh)
					}
					delete(model, string(key))
				}
				if ix.Len() != len(model) {
					t.Fatalf("len %d, want %d", ix.Len(), len(model))
				}
			}
			for k, want := range model {
				if got, ok := ix.get([]byte(k)); !ok || got != want {
					t.Fatalf("get %x = %d,%v; want %d", k, got, ok, want)
				}
			}
		}
	})
}
