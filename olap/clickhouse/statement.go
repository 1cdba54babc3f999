package clickhouse

import (
	"fmt"
	"strings"
)

// This file splits what ClickHouse clients send into the statement proper
// and the ClickHouse-only tail clauses (FORMAT X, SETTINGS k=v, …), with a
// small tokenizer that knows strings, quoted identifiers and comments, so a
// "FORMAT" inside a string or comment is never taken for the clause.

type tokKind uint8

const (
	tokWord   tokKind = iota // keyword or bare identifier
	tokIdent                 // `quoted` or "quoted" identifier (unquoted in text)
	tokString                // 'string' (unescaped in text)
	tokNumber
	tokPunct // one character: ( ) , ; = . * etc.; two for != <> <= >=
)

type token struct {
	kind  tokKind
	text  string
	start int // byte offset in the statement
	end   int
}

// is reports whether t is the word w, case-insensitively.
func (t token) is(w string) bool { return t.kind == tokWord && strings.EqualFold(t.text, w) }

func (t token) punct(p string) bool { return t.kind == tokPunct && t.text == p }

// name is the token as a name: words and quoted identifiers.
func (t token) name() (string, bool) {
	return t.text, t.kind == tokWord || t.kind == tokIdent
}

// posError is a statement error at a byte offset.
type posError struct {
	msg    string
	offset int
}

func (e *posError) Error() string { return fmt.Sprintf("%s at position %d", e.msg, e.offset+1) }

// tokenize splits text into tokens, skipping white space and comments.
func tokenize(text string) ([]token, error) {
	var toks []token
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && strings.HasPrefix(text[i:], "--"), c == '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(text[i:], "/*"):
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				return nil, &posError{"unterminated comment", i}
			}
			i += end + 4
		case c == '\'' || c == '"' || c == '`':
			val, n, err := unquote(text[i:], c)
			if err != nil {
				return nil, &posError{err.Error(), i}
			}
			kind := tokIdent
			if c == '\'' {
				kind = tokString
			}
			toks = append(toks, token{kind: kind, text: val, start: i, end: i + n})
			i += n
		case isWordByte(c, true):
			j := i + 1
			for j < len(text) && isWordByte(text[j], false) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: text[i:j], start: i, end: j})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(text) && (isWordByte(text[j], false) || text[j] == '.') {
				j++
			}
			toks = append(toks, token{kind: tokNumber, text: text[i:j], start: i, end: j})
			i = j
		default:
			n := 1
			if i+1 < len(text) {
				switch text[i : i+2] {
				case "!=", "<>", "<=", ">=", "==":
					n = 2
				}
			}
			toks = append(toks, token{kind: tokPunct, text: text[i : i+n], start: i, end: i + n})
			i += n
		}
	}
	return toks, nil
}

func isWordByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || !first && c >= '0' && c <= '9'
}

// unquote reads a quoted string at the start of s: the quote doubled or
// backslash-escaped inside. It returns the value and the bytes consumed.
func unquote(s string, q byte) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			default:
				b.WriteByte(e)
			}
		case c == q && i+1 < len(s) && s[i+1] == q:
			b.WriteByte(q)
			i++
		case c == q:
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated %c quote", q)
}

// statement is a statement with its ClickHouse tail clauses taken off.
type statement struct {
	text     string            // what remains, for the session or the answerer
	toks     []token           // its tokens
	format   string            // FORMAT clause, "" if none
	settings map[string]string // SETTINGS clause, nil if none
}

// splitStatement takes a trailing semicolon, FORMAT clause and SETTINGS
// clause (in either order) off text.
func splitStatement(text string) (*statement, error) {
	toks, err := tokenize(text)
	if err != nil {
		return nil, err
	}
	st := &statement{}
	if n := len(toks); n > 0 && toks[n-1].punct(";") {
		toks = toks[:n-1]
	}
	for range 2 {
		n := len(toks)
		if n >= 3 && toks[n-2].is("FORMAT") {
			if name, ok := toks[n-1].name(); ok && st.format == "" {
				st.format = name
				toks = toks[:n-2]
				continue
			}
		}
		if st.settings == nil {
			if at, kv, ok := settingsClause(toks); ok {
				st.settings = kv
				toks = toks[:at]
			}
		}
	}
	for _, t := range toks {
		if t.punct(";") {
			return nil, &posError{"multi-statement queries are not supported", t.start}
		}
	}
	st.toks = toks
	if len(toks) > 0 {
		st.text = text[toks[0].start:toks[len(toks)-1].end]
	}
	return st, nil
}

// settingsClause finds a trailing "SETTINGS k = v, …" at parenthesis depth 0
// and returns where it starts and its pairs.
func settingsClause(toks []token) (int, map[string]string, bool) {
	depth := 0
	for i, t := range toks {
		switch {
		case t.punct("("):
			depth++
		case t.punct(")"):
			depth--
		case depth == 0 && t.is("SETTINGS"):
			if kv, ok := settingPairs(toks[i+1:]); ok {
				return i, kv, true
			}
		}
	}
	return 0, nil, false
}

func settingPairs(toks []token) (map[string]string, bool) {
	kv := map[string]string{}
	for len(toks) >= 3 {
		k, ok := toks[0].name()
		if !ok || !toks[1].punct("=") {
			return nil, false
		}
		v := toks[2]
		if v.kind == tokPunct {
			return nil, false
		}
		kv[k] = v.text
		toks = toks[3:]
		if len(toks) == 0 {
			return kv, true
		}
		if !toks[0].punct(",") {
			return nil, false
		}
		toks = toks[1:]
	}
	return nil, false
}
