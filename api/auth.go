package api

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/wharfdata/wharf/olap/clickhouse"
)

// Scope is what a token may do.
type Scope uint8

const (
	// ScopeRead runs read-only statements (SELECT, SHOW, DESCRIBE) and every
	// GET route and verify.
	ScopeRead Scope = iota + 1
	// ScopeWrite may do everything, including what ScopeRead may.
	ScopeWrite
)

func (s Scope) String() string {
	switch s {
	case ScopeRead:
		return "read"
	case ScopeWrite:
		return "write"
	default:
		return fmt.Sprintf("Scope(%d)", uint8(s))
	}
}

// Token is one bearer token and its scope.
type Token struct {
	Scope  Scope
	Secret string
}

// MinTokenLen is the shortest accepted token.
const MinTokenLen = 8

// ParseToken parses a command-line token, "read:<token>" or "write:<token>".
func ParseToken(s string) (Token, error) {
	scope, secret, ok := strings.Cut(s, ":")
	if !ok {
		return Token{}, fmt.Errorf("token must look like read:<token> or write:<token>")
	}
	return newToken(scope, secret)
}

// ParseTokenFile reads a token file: one "read <token>" or "write <token>"
// per line; blank lines and lines starting with # are skipped.
func ParseTokenFile(r io.Reader) ([]Token, error) {
	var out []Token
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"read <token>\" or \"write <token>\"", n)
		}
		t, err := newToken(fields[0], fields[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadTokenFile reads the token file at path (see ParseTokenFile).
func ReadTokenFile(path string) ([]Token, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	toks, err := ParseTokenFile(f)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return toks, nil
}

func newToken(scope, secret string) (Token, error) {
	var sc Scope
	switch scope {
	case "read":
		sc = ScopeRead
	case "write":
		sc = ScopeWrite
	default:
		return Token{}, fmt.Errorf("unknown token scope %q (want read or write)", scope)
	}
	if len(secret) < MinTokenLen {
		return Token{}, fmt.Errorf("%s token is shorter than %d bytes", scope, MinTokenLen)
	}
	return Token{Scope: sc, Secret: secret}, nil
}

type tokenHash struct {
	scope Scope
	sum   [sha256.Size]byte
}

// hashToken makes comparisons constant-time in the token's length too.
func hashToken(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// authenticate returns the caller's scope. With no tokens configured auth is
// off and everyone may write.
func (s *Server) authenticate(r *http.Request) (Scope, bool) {
	if len(s.tokens) == 0 {
		return ScopeWrite, true
	}
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return 0, false
	}
	return scopeOf(s.tokens, strings.TrimSpace(h[len(prefix):]))
}

// scopeOf returns the widest scope secret has among tokens.
func scopeOf(tokens []tokenHash, secret string) (Scope, bool) {
	sum := hashToken(secret)
	var found Scope
	// Compare with every token, so timing does not tell which one matched.
	for _, t := range tokens {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 && t.scope > found {
			found = t.scope
		}
	}
	return found, found != 0
}

func hashTokens(tokens []Token) []tokenHash {
	out := make([]tokenHash, len(tokens))
	for i, t := range tokens {
		out[i] = tokenHash{scope: t.Scope, sum: hashToken(t.Secret)}
	}
	return out
}

// ClickHouseAuthorizer lets the ClickHouse front ends check the same tokens
// as the API: a client's password is a token (any user name), and a read
// token may only read. With no tokens it returns nil: no authentication.
func ClickHouseAuthorizer(tokens ...Token) clickhouse.Authorizer {
	if len(tokens) == 0 {
		return nil
	}
	hashes := hashTokens(tokens)
	return func(_, password string) (readOnly, ok bool) {
		scope, ok := scopeOf(hashes, password)
		return scope != ScopeWrite, ok
	}
}
