package sql

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wharfdata/wharf/internal/suggest"
)

// parser is a recursive-descent parser over the token slice of one text.
// Errors bail out with a panic of type bailout that the entry points
// recover, which keeps the grammar code free of error plumbing.
type parser struct {
	src   string
	toks  []token
	i     int
	depth int

	// expected lists what was tried at token expAt, for error messages.
	expected []string
	expAt    int
}

func newParser(text string) (*parser, error) {
	toks, err := tokenize(text)
	if err != nil {
		return nil, err
	}
	return &parser{src: text, toks: toks, expAt: -1}, nil
}

// run calls f and turns a bailout into an error.
func (p *parser) run(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	f()
	return nil
}

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) peek(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) pos() Pos { return p.toks[p.i].pos }

// isKwTok reports whether t is the keyword kw, given in upper case.
func isKwTok(t token, kw string) bool {
	if t.kind != tokWord || len(t.text) != len(kw) {
		return false
	}
	for i := range len(kw) {
		c := t.text[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}

func (p *parser) isKw(kw string) bool          { return isKwTok(p.tok(), kw) }
func (p *parser) isKwAt(n int, kw string) bool { return isKwTok(p.peek(n), kw) }

func (p *parser) isOpAt(n int, op string) bool {
	t := p.peek(n)
	return t.kind == tokOp && t.text == op
}

func (p *parser) isOp(op string) bool { return p.isOpAt(0, op) }

// want records that what would have been accepted at the current token.
func (p *parser) want(what string) {
	if p.expAt != p.i {
		p.expected = p.expected[:0]
		p.expAt = p.i
	}
	if !slices.Contains(p.expected, what) {
		p.expected = append(p.expected, what)
	}
}

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.i++
		return true
	}
	p.want(kw)
	return false
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	p.want(`"` + op + `"`)
	return false
}

func (p *parser) expectKw(kw string) Pos {
	pos := p.pos()
	if !p.acceptKw(kw) {
		p.fail()
	}
	return pos
}

func (p *parser) expectOp(op string) Pos {
	pos := p.pos()
	if !p.acceptOp(op) {
		p.fail()
	}
	return pos
}

// fail reports the current token as unexpected, listing what was tried at
// it and what.
func (p *parser) fail(what ...string) {
	for _, w := range what {
		p.want(w)
	}
	msg := "unexpected " + p.describe(p.tok())
	if p.expAt == p.i && len(p.expected) > 0 {
		if kw := p.misspelled(); kw != "" {
			msg += ", expected " + kw
		} else if len(p.expected) == 1 {
			msg += ", expected " + p.expected[0]
		} else {
			msg += ", expected one of: " + strings.Join(p.expected, ", ")
		}
	}
	p.errorf(p.pos(), "%s", msg)
}

// misspelled returns the one expected keyword that the current word is a
// typo of (FORM for FROM), or "".
func (p *parser) misspelled() string {
	t := p.tok()
	if t.kind != tokWord {
		return ""
	}
	word := upper(t.text)
	found := ""
	for _, e := range p.expected {
		if e[0] < 'A' || e[0] > 'Z' || e == word {
			continue // punctuation or a description
		}
		limit := 1
		if len(e) > 4 {
			limit = 2
		}
		if suggest.Distance(word, e) <= limit {
			if found != "" {
				return ""
			}
			found = e
		}
	}
	return found
}

func (p *parser) errorf(pos Pos, format string, args ...any) {
	panic(bailout{&Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}})
}

// describe quotes a token as written, shortened if long.
func (p *parser) describe(t token) string {
	if t.kind == tokEOF {
		return "end of input"
	}
	raw := p.src[t.pos.Offset:t.end]
	if len(raw) > 40 {
		cut := 37
		for cut > 0 && !utf8.RuneStart(raw[cut]) {
			cut--
		}
		raw = raw[:cut] + "..."
	}
	return `"` + raw + `"`
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.errorf(p.pos(), "nesting depth exceeds %d", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// isIdent reports whether the current token can be an identifier.
func (p *parser) isIdent() bool {
	t := p.tok()
	return t.kind == tokQuoted || t.kind == tokWord && !isReserved(t.text)
}

func (p *parser) ident() Ident {
	if !p.isIdent() {
		p.fail("identifier")
	}
	t := p.advance()
	return Ident{Pos: t.pos, Name: t.text}
}

// identAfterDot accepts reserved words too: after a dot they cannot be
// anything but a name.
func (p *parser) identAfterDot() Ident {
	if t := p.tok(); t.kind == tokWord || t.kind == tokQuoted {
		p.i++
		return Ident{Pos: t.pos, Name: t.text}
	}
	p.fail("identifier")
	return Ident{}
}

func (p *parser) objectName() ObjectName {
	n := ObjectName{Pos: p.pos(), Parts: []Ident{p.ident()}}
	for p.acceptOp(".") {
		n.Parts = append(n.Parts, p.identAfterDot())
	}
	return n
}

// identList parses "(" ident, ... ")".
func (p *parser) identList() []Ident {
	p.expectOp("(")
	var ids []Ident
	for {
		ids = append(ids, p.ident())
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return ids
}

func (p *parser) stringLit() string {
	t := p.tok()
	if t.kind != tokString {
		p.fail("string literal")
	}
	p.i++
	return t.text
}

func (p *parser) intLit() int {
	t := p.tok()
	if t.kind != tokInteger {
		p.fail("integer")
	}
	n := 0
	for _, c := range t.text {
		n = n*10 + int(c-'0')
		if n > 1<<31-1 {
			p.errorf(t.pos, "integer %s is too large", t.text)
		}
	}
	p.i++
	return n
}
