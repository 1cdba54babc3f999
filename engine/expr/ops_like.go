package expr

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// LIKE, SIMILAR TO and the REGEXP functions. Patterns are nearly always
// literals: those compile once at Resolve; a pattern column compiles per
// distinct consecutive value. REGEXP* use Go's RE2 syntax, which covers the
// common subset of Java regular expressions (no backreferences or
// lookaround); an invalid pattern fails LIKE/SIMILAR TO and gives NULL for
// the REGEXP functions, as Flink's do.

// likeTok is one element of a compiled LIKE pattern.
type likeTok struct {
	kind byte // 'l' literal, '_' one character, '%' any sequence
	lit  string
}

type likeMatcher struct {
	toks []likeTok
	// Fast paths for the common shapes: 'abc', 'abc%', '%abc', '%abc%'.
	shape byte // 'e' equal, 'p' prefix, 's' suffix, 'c' contains, 'g' general
	lit   string
}

// compileLike parses pattern with the optional escape character.
func compileLike(pattern, escape string, hasEscape bool) (*likeMatcher, error) {
	var esc rune = -1
	if hasEscape {
		if utf8.RuneCountInString(escape) != 1 {
			return nil, fmt.Errorf("LIKE: the escape must be one character, got '%s'", escape)
		}
		esc, _ = utf8.DecodeRuneInString(escape)
	}
	m := &likeMatcher{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			m.toks = append(m.toks, likeTok{kind: 'l', lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		c, size := utf8.DecodeRuneInString(pattern[i:])
		i += size
		switch {
		case c == esc:
			if i >= len(pattern) {
				return nil, fmt.Errorf("LIKE: pattern '%s' ends with the escape character", pattern)
			}
			n, nsize := utf8.DecodeRuneInString(pattern[i:])
			if n != '%' && n != '_' && n != esc {
				return nil, fmt.Errorf("LIKE: invalid escape sequence in '%s'", pattern)
			}
			i += nsize
			lit.WriteRune(n)
		case c == '%':
			flush()
			if len(m.toks) == 0 || m.toks[len(m.toks)-1].kind != '%' {
				m.toks = append(m.toks, likeTok{kind: '%'})
			}
		case c == '_':
			flush()
			m.toks = append(m.toks, likeTok{kind: '_'})
		default:
			lit.WriteRune(c)
		}
	}
	flush()
	m.shape = 'g'
	t := m.toks
	switch {
	case len(t) == 0:
		m.shape = 'e'
	case len(t) == 1 && t[0].kind == 'l':
		m.shape, m.lit = 'e', t[0].lit
	case len(t) == 2 && t[0].kind == 'l' && t[1].kind == '%':
		m.shape, m.lit = 'p', t[0].lit
	case len(t) == 2 && t[0].kind == '%' && t[1].kind == 'l':
		m.shape, m.lit = 's', t[1].lit
	case len(t) == 3 && t[0].kind == '%' && t[1].kind == 'l' && t[2].kind == '%':
		m.shape, m.lit = 'c', t[1].lit
	case len(t) == 1 && t[0].kind == '%':
		m.shape, m.lit = 'c', ""
	}
	return m, nil
}

func (m *likeMatcher) match(s string) bool {
	switch m.shape {
	case 'e':
		return s == m.lit
	case 'p':
		return strings.HasPrefix(s, m.lit)
	case 's':
		return strings.HasSuffix(s, m.lit)
	case 'c':
		return strings.Contains(s, m.lit)
	}
	return likeGeneral(m.toks, s)
}

// likeGeneral matches with backtracking to the last '%' only, which is
// enough because '%' matches any sequence: O(len(s) * len(toks)) worst case.
func likeGeneral(toks []likeTok, s string) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case '%':
				starT, starS = ti, si
				ti++
				continue
			case '_':
				if si < len(s) {
					_, size := utf8.DecodeRuneInString(s[si:])
					si += size
					ti++
					continue
				}
			case 'l':
				if strings.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the last '%' absorb one more character.
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[starS:])
		starS += size
		ti, si = starT+1, starS
	}
}

// similarToRegexp translates a SQL SIMILAR TO pattern into an anchored RE2
// expression: % and _ are wildcards, | * + ? {m,n} ( ) [ ] keep their regex
// meaning, everything else is literal.
func similarToRegexp(pattern, escape string, hasEscape bool) (*regexp.Regexp, error) {
	var esc rune = -1
	if hasEscape {
		if utf8.RuneCountInString(escape) != 1 {
			return nil, fmt.Errorf("SIMILAR TO: the escape must be one character, got '%s'", escape)
		}
		esc, _ = utf8.DecodeRuneInString(escape)
	}
	var b strings.Builder
	b.WriteString(`(?s)^(?:`)
	inClass := false
	for i := 0; i < len(pattern); {
		c, size := utf8.DecodeRuneInString(pattern[i:])
		i += size
		switch {
		case c == esc:
			if i >= len(pattern) {
				return nil, fmt.Errorf("SIMILAR TO: pattern '%s' ends with the escape character", pattern)
			}
			n, nsize := utf8.DecodeRuneInString(pattern[i:])
			i += nsize
			b.WriteString(regexp.QuoteMeta(string(n)))
		case inClass:
			if c == ']' {
				inClass = false
			}
			if c == '\\' {
				b.WriteString(`\\`)
			} else {
				b.WriteRune(c)
			}
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteString(".")
		case c == '[':
			inClass = true
			b.WriteRune(c)
			if i < len(pattern) && pattern[i] == '^' {
				b.WriteByte('^')
				i++
			}
			if i < len(pattern) && pattern[i] == ']' { // a leading ] is literal
				b.WriteString(`\]`)
				i++
			}
		case strings.ContainsRune("|*+?{}()", c):
			b.WriteRune(c)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("SIMILAR TO: invalid pattern '%s': %v", pattern, err)
	}
	return re, nil
}

func init() {
	register(&funcDef{name: "LIKE", min: 2, max: 3, resolve: likeResolve("LIKE"), hidden: true})
	register(&funcDef{name: "SIMILAR TO", min: 2, max: 3, resolve: likeResolve("SIMILAR TO"), hidden: true})
	register(def("REGEXP", fn(tBool, regexpEval(func(re *regexp.Regexp, r *rows, i int) (bool, bool) {
		return re.MatchString(r.str(0, i)), true
	}), tStr, tStr)))
	register(def("REGEXP_REPLACE", strSig(regexpStr(func(re *regexp.Regexp, r *rows, i int, dst []byte) ([]byte, bool) {
		return append(dst, re.ReplaceAllString(r.str(0, i), javaReplacement(r.str(2, i)))...), true
	}), tStr, tStr, tStr)))
	register(def("REGEXP_EXTRACT", strSig(regexpStr(func(re *regexp.Regexp, r *rows, i int, dst []byte) ([]byte, bool) {
		g := int64(1)
		if len(r.args) > 2 {
			g = r.int(2, i)
		}
		m := re.FindStringSubmatchIndex(r.str(0, i))
		if m == nil || g < 0 || int(g) > re.NumSubexp() || m[2*g] < 0 {
			return nil, false
		}
		return append(dst, r.str(0, i)[m[2*g]:m[2*g+1]]...), true
	}), tStr, tStr, tI32).opt(2)))
	register(def("REGEXP_COUNT", i32Sig(func(r *rows, i int) (int32, bool, error) {
		re, ok := regexCache(r, 1, i)
		if !ok {
			return 0, false, nil
		}
		return int32(len(re.FindAllStringIndex(r.str(0, i), -1))), true, nil
	}, tStr, tStr)))
}

// javaReplacement converts Java's $1 / \$ replacement syntax to Go's ${1} / $$.
func javaReplacement(s string) string {
	if !strings.ContainsAny(s, `$\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
		case c == '$':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 {
				b.WriteString("$$")
				continue
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// regexCache compiles row i's pattern (argument k), reusing the previous one.
type reCache struct {
	src string
	re  *regexp.Regexp
	ok  bool
	set bool
}

// regexCache is attached to rows through a per-batch map; kept simple: one
// cache per argument reader.
func regexCache(r *rows, k, i int) (*regexp.Regexp, bool) {
	a := &r.args[k]
	p := r.str(k, i)
	if a.re == nil {
		a.re = &reCache{}
	}
	c := a.re
	if !c.set || c.src != p {
		re, err := regexp.Compile(p)
		c.src, c.re, c.ok, c.set = p, re, err == nil, true
	}
	return c.re, c.ok
}

func regexpEval(f func(re *regexp.Regexp, r *rows, i int) (bool, bool)) evalFn {
	return rowBool(true, func(r *rows, i int) (bool, bool, error) {
		re, ok := regexCache(r, 1, i)
		if !ok {
			return false, false, nil
		}
		v, ok := f(re, r, i)
		return v, ok, nil
	})
}

func regexpStr(f func(re *regexp.Regexp, r *rows, i int, dst []byte) ([]byte, bool)) strFn {
	return func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		re, ok := regexCache(r, 1, i)
		if !ok {
			return nil, false, nil
		}
		v, ok := f(re, r, i, dst)
		return v, ok, nil
	}
}

// likeResolve: value LIKE pattern [ESCAPE e]; a literal pattern compiles
// now, so a bad one is a plan-time error.
func likeResolve(name string) func(args []Expr) (*Func, []Expr, error) {
	return func(args []Expr) (*Func, []Expr, error) {
		for _, a := range args {
			if !implicitOK(a.Type(), tStr) {
				return nil, nil, errArgTypes(name, args)
			}
		}
		out := make([]Expr, len(args))
		for i, a := range args {
			out[i] = coerce(a, tStr)
		}
		type matcher func(string) bool
		compile := func(p, e string, hasE bool) (matcher, error) {
			if name == "LIKE" {
				m, err := compileLike(p, e, hasE)
				if err != nil {
					return nil, err
				}
				return m.match, nil
			}
			re, err := similarToRegexp(p, e, hasE)
			if err != nil {
				return nil, err
			}
			return re.MatchString, nil
		}
		litStr := func(e Expr) (string, bool) {
			if l, ok := e.(*Literal); ok && l.Value.IsValid() {
				return string(l.Value.(scalar.BinaryScalar).Data()), true
			}
			return "", false
		}
		var fixed matcher
		p, pLit := litStr(out[1])
		e, eLit := "", true
		if len(out) > 2 {
			e, eLit = litStr(out[2])
		}
		if pLit && eLit {
			m, err := compile(p, e, len(out) > 2)
			if err != nil {
				return nil, nil, err
			}
			fixed = m
		}
		eval := func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
			if fixed != nil {
				// Fast path: one compiled pattern for the batch.
				s := rdStr(args[0])
				o := newBoolOut(ctx, n)
				for i := 0; i < n; i++ {
					if s.isNull(i) {
						o.null()
						continue
					}
					o.add(fixed(s.at(i)))
				}
				return o.finish(), nil
			}
			var last string
			var m matcher
			return rowBool(true, func(r *rows, i int) (bool, bool, error) {
				key := r.str(1, i)
				e := ""
				if len(r.args) > 2 {
					e = r.str(2, i)
					key += "\x00" + e
				}
				if m == nil || key != last {
					var err error
					if m, err = compile(r.str(1, i), e, len(r.args) > 2); err != nil {
						return false, false, err
					}
					last = key
				}
				return m(r.str(0, i)), true, nil
			})(ctx, args, n)
		}
		return &Func{Name: name, Result: tBool, NullOnNull: true, Deterministic: true, Eval: eval}, out, nil
	}
}
