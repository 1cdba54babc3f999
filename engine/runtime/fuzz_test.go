package runtime

import "testing"

// FuzzReplayFrom: a job's committed state comes back from the record store;
// whatever it holds must parse or fail, never panic, and what parses must
// print back the same.
func FuzzReplayFrom(f *testing.F) {
	f.Add(`{"replay":{"0":7,"1":0}}`)
	f.Add(`{}`)
	f.Add(`{"replay":{"x":1}}`)
	f.Fuzz(func(t *testing.T, st string) {
		r, err := replayFrom(st)
		if err != nil {
			return
		}
		e := newEventTime(nil, 1)
		for split, pos := range r {
			e.live[split] = []liveBatch{{from: pos}}
		}
		again, err := replayFrom(e.state())
		if err != nil || len(again) != len(r) {
			t.Fatalf("%q: round trip %v %v", st, again, err)
		}
		for k, v := range r {
			if again[k] != v {
				t.Fatalf("%q: split %d: %d then %d", st, k, v, again[k])
			}
		}
	})
}
