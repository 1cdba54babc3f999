package runtime

import (
	"maps"
	"testing"
)

// FuzzDecodeState: a job's committed state comes back from the catalog;
// whatever it holds must parse or fail, never panic, and what parses must
// encode back to the same state.
func FuzzDecodeState(f *testing.F) {
	f.Add(`{"replay":{"kafka:t":{"0":7,"1":0}},"operators":"state/j/1-1.state"}`)
	f.Add(`{}`)
	f.Add(`{"replay":{"gen:x":{"x":1}}}`)
	f.Fuzz(func(t *testing.T, text string) {
		st, err := decodeState(text)
		if err != nil {
			return
		}
		again, err := decodeState(st.encode())
		if err != nil || again.Operators != st.Operators || len(again.Replay) != len(st.Replay) {
			t.Fatalf("%q: round trip %v %v", text, again, err)
		}
		for k, v := range st.Replay {
			if len(v) > 0 && !maps.Equal(again.Replay[k], v) {
				t.Fatalf("%q: input %s: %v then %v", text, k, v, again.Replay[k])
			}
		}
	})
}
