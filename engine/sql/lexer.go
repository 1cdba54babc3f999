package sql

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lexer turns statement text into tokens. Keywords are not told apart from
// identifiers here: the parser decides by position.
type lexer struct {
	src       string
	off       int // next byte to read
	hintStart int // offset of the open "/*+", or -1; inside a hint "*/" ends it

	// position cursor: tokens come in order, so each position is computed
	// from the previous one.
	curOff, curLine, curCol int
}

// tokenize returns all tokens of src, ending with tokEOF.
func tokenize(src string) ([]token, error) {
	lx := &lexer{src: src, hintStart: -1, curLine: 1, curCol: 1}
	var toks []token
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tokEOF {
			return toks, nil
		}
	}
}

// posAt returns the position of byte offset off; it is cheap when off is
// not before the previous call's.
func (lx *lexer) posAt(off int) Pos {
	if off < lx.curOff {
		lx.curOff, lx.curLine, lx.curCol = 0, 1, 1
	}
	for lx.curOff < off {
		r, n := utf8.DecodeRuneInString(lx.src[lx.curOff:])
		lx.curOff += n
		if r == '\n' {
			lx.curLine++
			lx.curCol = 1
		} else {
			lx.curCol++
		}
	}
	return Pos{Line: lx.curLine, Column: lx.curCol, Offset: off}
}

func (lx *lexer) errorf(off int, format string, args ...any) error {
	return &Error{Pos: lx.posAt(off), Msg: fmt.Sprintf(format, args...)}
}

func (lx *lexer) next() (token, error) {
	if err := lx.skipSpace(); err != nil {
		return token{}, err
	}
	start := lx.off
	tok := func(kind tokenKind, text string) (token, error) {
		return token{kind: kind, text: text, pos: lx.posAt(start), end: lx.off}, nil
	}
	if lx.off >= len(lx.src) {
		if lx.hintStart >= 0 {
			return token{}, lx.errorf(lx.hintStart, "unterminated hint")
		}
		return tok(tokEOF, "")
	}
	c := lx.src[lx.off]
	switch {
	case (c == 'x' || c == 'X') && lx.peekByte(1) == '\'':
		lx.off++
		s, err := lx.quoted('\'', start)
		if err != nil {
			return token{}, err
		}
		for _, r := range s {
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return token{}, lx.errorf(start, "invalid binary string literal")
			}
		}
		if len(s)%2 != 0 {
			return token{}, lx.errorf(start, "binary string literal needs an even number of hex digits")
		}
		return tok(tokBinary, strings.ToUpper(s))
	case isIdentStart(lx.src[lx.off:]):
		for lx.off < len(lx.src) {
			r, n := utf8.DecodeRuneInString(lx.src[lx.off:])
			if !(r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
				break
			}
			lx.off += n
		}
		return tok(tokWord, lx.src[start:lx.off])
	case c == '`':
		s, err := lx.quoted('`', start)
		if err != nil {
			return token{}, err
		}
		if s == "" {
			return token{}, lx.errorf(start, "zero-length identifier")
		}
		return tok(tokQuoted, s)
	case c == '\'':
		s, err := lx.quoted('\'', start)
		if err != nil {
			return token{}, err
		}
		return tok(tokString, s)
	case isDigit(c) || c == '.' && isDigit(lx.peekByte(1)):
		return lx.number(start)
	case c == '/' && lx.peekByte(1) == '*' && lx.peekByte(2) == '+':
		if lx.hintStart >= 0 {
			return token{}, lx.errorf(start, "nested hint")
		}
		lx.off += 3
		lx.hintStart = start
		return tok(tokHintStart, "/*+")
	case c == '*' && lx.peekByte(1) == '/' && lx.hintStart >= 0:
		lx.off += 2
		lx.hintStart = -1
		return tok(tokHintEnd, "*/")
	}
	for _, op := range []string{"<>", "<=", ">=", "!=", "||", "=>"} {
		if strings.HasPrefix(lx.src[lx.off:], op) {
			lx.off += 2
			return tok(tokOp, op)
		}
	}
	if strings.IndexByte("()[],;.+-*/%=<>", c) >= 0 {
		lx.off++
		return tok(tokOp, lx.src[start:lx.off])
	}
	r, _ := utf8.DecodeRuneInString(lx.src[lx.off:])
	return token{}, lx.errorf(start, "unexpected character %q", r)
}

func (lx *lexer) peekByte(n int) byte {
	if lx.off+n < len(lx.src) {
		return lx.src[lx.off+n]
	}
	return 0
}

// skipSpace skips white space and comments; hints are tokens, not comments.
func (lx *lexer) skipSpace() error {
	for lx.off < len(lx.src) {
		switch c := lx.src[lx.off]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			lx.off++
		case c == '-' && lx.peekByte(1) == '-':
			end := strings.IndexByte(lx.src[lx.off:], '\n')
			if end < 0 {
				lx.off = len(lx.src)
			} else {
				lx.off += end + 1
			}
		case c == '/' && lx.peekByte(1) == '*' && lx.peekByte(2) != '+':
			end := strings.Index(lx.src[lx.off+2:], "*/")
			if end < 0 {
				return lx.errorf(lx.off, "unterminated comment")
			}
			lx.off += 2 + end + 2
		default:
			return nil
		}
	}
	return nil
}

// quoted reads a literal delimited by q, in which a doubled q stands for q.
// lx.off is at the opening delimiter; start is where the token began.
func (lx *lexer) quoted(q byte, start int) (string, error) {
	lx.off++
	var b strings.Builder
	for {
		i := strings.IndexByte(lx.src[lx.off:], q)
		if i < 0 {
			what := "string literal"
			if q == '`' {
				what = "quoted identifier"
			}
			return "", lx.errorf(start, "unterminated %s", what)
		}
		b.WriteString(lx.src[lx.off : lx.off+i])
		lx.off += i + 1
		if lx.off < len(lx.src) && lx.src[lx.off] == q {
			b.WriteByte(q)
			lx.off++
			continue
		}
		return b.String(), nil
	}
}

func (lx *lexer) number(start int) (token, error) {
	kind := tokInteger
	digits := func() {
		for lx.off < len(lx.src) && isDigit(lx.src[lx.off]) {
			lx.off++
		}
	}
	digits()
	if lx.off < len(lx.src) && lx.src[lx.off] == '.' {
		kind = tokDecimal
		lx.off++
		digits()
	}
	if c := lx.peekByte(0); c == 'e' || c == 'E' {
		kind = tokApprox
		lx.off++
		if c := lx.peekByte(0); c == '+' || c == '-' {
			lx.off++
		}
		if !isDigit(lx.peekByte(0)) {
			return token{}, lx.errorf(start, "invalid number %q", lx.src[start:lx.off])
		}
		digits()
	}
	return token{kind: kind, text: lx.src[start:lx.off], pos: lx.posAt(start), end: lx.off}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || unicode.IsLetter(r)
}
