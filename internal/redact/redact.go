// Package redact keeps credentials out of logs, error bodies and anything
// else a user or operator can read. Secrets known at startup (S3 keys, API
// tokens, catalog passwords) are registered once; String, URL and the slog
// handler replace them wherever they appear.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Mask replaces a secret.
const Mask = "[REDACTED]"

// minSecretLen keeps tiny values (a port, "on") from being masked everywhere.
const minSecretLen = 4

var (
	mu       sync.Mutex
	secrets  []string
	replacer atomic.Pointer[strings.Replacer]
)

// Register adds a secret that String (and everything built on it) masks.
// Secrets shorter than 4 bytes are ignored. Its URL-escaped forms are
// registered too, because secrets often travel inside URLs.
func Register(secret string) {
	if len(secret) < minSecretLen {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
		if !slices.Contains(secrets, s) {
			secrets = append(secrets, s)
		}
	}
	// Longest first: when one secret contains another, the Replacer (which
	// tries its patterns in argument order at each position) masks the whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, Mask)
	}
	replacer.Store(strings.NewReplacer(pairs...))
}

// String returns s with every registered secret replaced by [REDACTED].
func String(s string) string {
	r := replacer.Load()
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// credentialWords are substrings of parameter and property names whose values
// are credentials (compared lower-case).
var credentialWords = []string{
	"password", "passwd", "secret", "token", "credential", "signature",
	"sslkey", "apikey", "api-key", "api_key", "accesskey", "access-key", "access_key",
	"private-key", "private_key",
}

// IsCredentialKey reports whether a parameter or property named key carries a
// credential, e.g. "password", "X-Amz-Signature", "s3.secret-access-key".
func IsCredentialKey(key string) bool {
	k := strings.ToLower(key)
	for _, w := range credentialWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// keywordCred matches credentials in libpq-style "key=value" connection
// strings, which are not URLs.
var keywordCred = regexp.MustCompile(`(?i)\b(password|sslpassword|secret|token)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// URL returns raw with the password in its userinfo and the values of
// credential-like query parameters masked, and registered secrets replaced.
// Strings that are not URLs (libpq keyword strings) have their password=…
// values masked instead.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return String(keywordCred.ReplaceAllString(raw, "$1="+Mask))
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
		}
	}
	if u.RawQuery != "" {
		u.RawQuery = redactQuery(u.RawQuery)
	}
	return String(u.String())
}

// redactQuery masks credential values in place, keeping parameter order.
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		if !hasValue {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if IsCredentialKey(name) {
			parts[i] = k + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}
