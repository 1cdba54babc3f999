package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "ABC", 0}, {"amout", "amount", 1},
		{"FORM", "FROM", 1}, {"UPPR", "UPPER", 1}, {"kitten", "sitting", 3}, {"", "abc", 3},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"amount", "name", "region", "UPPER", "LOWER"}
	for _, c := range []struct{ name, want string }{
		{"amout", "amount"}, {"nmae", "name"}, {"uppr", "UPPER"}, {"zzzzzz", ""}, {"x", ""},
	} {
		if got := Closest(c.name, cands); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
