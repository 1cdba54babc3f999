package api

import "testing"

func TestClickHouseAuthorizer(t *testing.T) {
	if ClickHouseAuthorizer() != nil {
		t.Fatal("no tokens must mean no authentication")
	}
	auth := ClickHouseAuthorizer(Token{ScopeRead, "reader-secret"}, Token{ScopeWrite, "writer-secret"})
	for _, tt := range []struct {
		password     string
		readOnly, ok bool
	}{
		{"reader-secret", true, true},
		{"writer-secret", false, true},
		{"", false, false},
		{"nope-nope", false, false},
	} {
		ro, ok := auth("default", tt.password)
		if ok != tt.ok || ok && ro != tt.readOnly {
			t.Errorf("%q: readOnly %v ok %v", tt.password, ro, ok)
		}
	}
}
