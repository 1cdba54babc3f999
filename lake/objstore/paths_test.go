package objstore

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want string // "" = valid, else a part of the error message
	}{
		{"a", ""},
		{"state/3/7/manifest.json", ""},
		{"%2e%2e/literal", ""}, // not decoded: a plain name
		{"...", ""},
		{".hidden", ""},
		{"with space/ünïcødé 雪.json", ""},
		{strings.Repeat("a", MaxSegmentLen), ""},
		{strings.Repeat("a/", MaxKeyLen/2-1) + "ab", ""}, // exactly MaxKeyLen
		{"", "empty key"},
		{"..", `".." segment`},
		{"../x", `".." segment`},
		{"a/../../x", `".." segment`},
		{"a/..", `".." segment`},
		{"./a", `"." segment`},
		{"/abs", "absolute path"},
		{"/", "absolute path"},
		{"a//b", "empty path segment"},
		{"a/", "empty path segment"},
		{`a\b`, "backslash"},
		{`..\x`, "backslash"},
		{"a\x00b", "control character U+0000"},
		{"a\nb", "control character U+000A"},
		{"a\x7fb", "control character U+007F"},
		{"a\u0085b", "control character U+0085"},
		{"a\xffb", "not valid UTF-8"},
		{strings.Repeat("a", MaxSegmentLen+1), "segment of 256 bytes"},
		{strings.Repeat("a/", MaxKeyLen/2) + "a", "over the limit of 1024"},
		{strings.Repeat("x", 10_000), "10000 bytes, over the limit of 1024"},
		{"a/.wharf-tmp-123", "reserved"},
	} {
		err := ValidateKey(tc.key)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ValidateKey(%.40q) = %v, want nil", tc.key, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateKey(%.40q) = nil, want error containing %q", tc.key, tc.want)
			continue
		}
		if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%.40q) = %v, does not wrap ErrInvalidKey", tc.key, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateKey(%.40q) = %q, want it to contain %q", tc.key, err, tc.want)
		}
		if len(err.Error()) > 300 {
			t.Errorf("ValidateKey(%.40q): error of %d bytes quotes too much of the key", tc.key, len(err.Error()))
		}
	}
}

func TestValidatePrefix(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"", true},
		{"a", true},
		{"a/", true},
		{"a/b", true},
		{"a/b/", true},
		{"a//", false},
		{"/", false},
		{"/a", false},
		{"../", false},
		{"a/../", false},
		{"a\x00", false},
	} {
		err := ValidatePrefix(tc.prefix)
		if (err == nil) != tc.ok {
			t.Errorf("ValidatePrefix(%q) = %v, want ok=%v", tc.prefix, err, tc.ok)
		}
	}
}

func TestPathsJoin(t *testing.T) {
	root, err := NewPaths("tenant-a/warehouse")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		elems []string
		want  string // "" = rejected
	}{
		{[]string{"state", "3", "7/manifest.json"}, "tenant-a/warehouse/state/3/7/manifest.json"},
		{[]string{"%2e%2e"}, "tenant-a/warehouse/%2e%2e"},
		{[]string{"..", "tenant-b"}, ""},
		{[]string{"x/../../tenant-b"}, ""},
		{[]string{"/etc/passwd"}, ""},
		{[]string{"a", "", "b"}, ""},
		{[]string{"a/"}, ""},
		{[]string{"a\x00b"}, ""},
		{[]string{strings.Repeat("n", 10_000)}, ""},
		{nil, ""},
	} {
		got, err := root.Join(tc.elems...)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Join(%.40q) = %q, want an error", tc.elems, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Join(%q) = %q, %v; want %q", tc.elems, got, err, tc.want)
		}
	}

	sub, err := root.Sub("state")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sub.Join("1"); err != nil || got != "tenant-a/warehouse/state/1" {
		t.Errorf("Sub(state).Join(1) = %q, %v", got, err)
	}
	if _, err := NewPaths("../up"); err == nil {
		t.Error(`NewPaths("../up") succeeded`)
	}
	if got, err := (Paths{}).Join("a"); err != nil || got != "a" {
		t.Errorf("zero Paths Join(a) = %q, %v", got, err)
	}
}
