package types

import "unicode/utf8"

// JSONEscape is a set of characters a JSON string escapes beyond those
// JSON requires (", \ and controls).
type JSONEscape uint8

const (
	// EscapeSlash writes / as \/ (ClickHouse's
	// output_format_json_escape_forward_slashes).
	EscapeSlash JSONEscape = 1 << iota
	// EscapeLineSeparators writes U+2028 and U+2029 as \u2028 and \u2029,
	// so the text is also valid JavaScript.
	EscapeLineSeparators
)

const hexDigits = "0123456789abcdef"

// jsonPlain[esc&EscapeSlash][c] says whether ASCII byte c stands in a JSON
// string as it is.
var jsonPlain = func() (t [2][utf8.RuneSelf]bool) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		plain := c != '"' && c != '\\'
		t[0][c] = plain
		t[EscapeSlash][c] = plain && c != '/'
	}
	return t
}()

// AppendJSONString writes v as a JSON string, escaping esc besides what
// JSON requires. Invalid UTF-8 becomes U+FFFD, one per invalid byte, so the
// document stays valid JSON.
func AppendJSONString[S string | []byte](dst []byte, v S, esc JSONEscape) []byte {
	dst = append(dst, '"')
	plain := &jsonPlain[esc&EscapeSlash]
	start := 0
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			// Fast path: printable ASCII that needs no escape.
			if plain[c] {
				i++
				continue
			}
			dst = append(dst, v[start:i]...)
			switch c {
			case '"', '\\', '/':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		// Slow path: a multi-byte sequence. The slice is at most UTFMax long,
		// so for []byte the conversion needs no allocation.
		r, size := utf8.DecodeRuneInString(string(v[i:min(i+utf8.UTFMax, len(v))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, v[start:i]...)
			dst = append(dst, `\ufffd`...)
		case (r == '\u2028' || r == '\u2029') && esc&EscapeLineSeparators != 0:
			dst = append(dst, v[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, v[start:]...)
	return append(dst, '"')
}
