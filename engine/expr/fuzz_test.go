package expr

import (
	"regexp"
	"strings"
	"testing"
)

// likeOracle matches through a regexp built from the compiled tokens: the
// general matcher and the fast paths must agree with it.
func likeOracle(m *likeMatcher, s string) bool {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, t := range m.toks {
		switch t.kind {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(t.lit))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(s)
}

// FuzzLike: compiling any pattern never panics; a compiled pattern matches
// exactly like its regexp equivalent.
func FuzzLike(f *testing.F) {
	for _, s := range [][3]string{{"h%", "", "hello"}, {"%l_o", "", "hello"}, {"50!%", "!", "50%"}, {"%a%b%", "", "xaybz"}, {"_", "", "é"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, pattern, escape, s string) {
		m, err := compileLike(pattern, escape, escape != "")
		if err != nil {
			return
		}
		if !strings.ContainsRune(s, 0xFFFD) && !strings.ContainsRune(pattern, 0xFFFD) {
			if got, want := m.match(s), likeOracle(m, s); got != want {
				t.Fatalf("%q LIKE %q (escape %q) = %v, regexp says %v", s, pattern, escape, got, want)
			}
		} else {
			m.match(s)
		}
	})
}

// FuzzSimilarTo: translation never panics and the result always compiles
// or reports an error.
func FuzzSimilarTo(f *testing.F) {
	for _, p := range []string{"a(b|c)*", "[a-z]+%", "[]a]", "a{2,3}", "\\", "[^x]_"} {
		f.Add(p, "abc")
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		re, err := similarToRegexp(pattern, "", false)
		if err == nil {
			re.MatchString(s)
		}
	})
}

// FuzzRegexpFuncs: REGEXP* with any pattern and replacement never panic
// and never fail (an invalid pattern is NULL).
func FuzzRegexpFuncs(f *testing.F) {
	f.Add("foobar", "o+(b)", "$1x\\$")
	f.Add("a", "(", "$")
	f.Fuzz(func(t *testing.T, s, pattern, repl string) {
		for _, c := range []struct {
			fn   string
			args []any
		}{
			{"REGEXP", a(s, pattern)},
			{"REGEXP_REPLACE", a(s, pattern, repl)},
			{"REGEXP_EXTRACT", a(s, pattern, len(repl)%3)},
			{"REGEXP_COUNT", a(s, pattern)},
			{"SIMILAR TO", a(s, lit(pattern))},
		} {
			_, err := run(t, c.fn, c.args...)
			if err != nil && c.fn != "SIMILAR TO" {
				t.Fatalf("%s(%q, %q): %v", c.fn, s, pattern, err)
			}
		}
	})
}

// FuzzDateFormat: any pattern formats any instant without panicking, and
// parsing the output with the same pattern never panics; for numeric
// patterns that carry every field the parse gives the instant back.
func FuzzDateFormat(f *testing.F) {
	f.Add("yyyy-MM-dd HH:mm:ss.SSSSSS", int64(1_615_734_566_535_897))
	f.Add("''yy'x'MMMM EEEE a hh D w u Z z X", int64(-1))
	f.Add("yyyyMMddHHmmss", int64(0))
	f.Fuzz(func(t *testing.T, pattern string, us int64) {
		us %= 1 << 52 // years 1826..2112 and beyond stay in range
		toks := compilePattern(pattern)
		out := appendFormatted(nil, toks, us)
		v, ok := parseFormatted(toks, string(out))
		if pattern == "yyyy-MM-dd HH:mm:ss.SSSSSS" && (!ok || v != us) && us >= 0 {
			t.Fatalf("round trip of %d via %q gave %d, %v (%s)", us, pattern, v, ok, out)
		}
	})
}

// FuzzParseTimestamp: whatever parses prints back to something that parses
// to the same value.
func FuzzParseTimestamp(f *testing.F) {
	f.Add("2021-03-14 15:09:26.5")
	f.Add("2021-3-4")
	f.Fuzz(func(t *testing.T, s string) {
		us, ok := parseTimestamp(s)
		if !ok {
			return
		}
		back := formatTimestamp(us)
		us2, ok := parseTimestamp(back)
		if !ok || us2 != us {
			t.Fatalf("%q → %d → %q → %d, %v", s, us, back, us2, ok)
		}
	})
}
