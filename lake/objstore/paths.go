package objstore

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// MaxKeyLen is the longest key accepted, in bytes: S3's limit, so that a
	// key valid on one store is valid on all.
	MaxKeyLen = 1024
	// MaxSegmentLen is the longest key segment, in bytes: most local file
	// systems cap a file name at 255 bytes.
	MaxSegmentLen = 255
	// tempPrefix starts the names of in-flight files of the local store. Keys
	// may not use it, so a temp file can never be mistaken for an object.
	tempPrefix = ".wharf-tmp-"
)

// ErrInvalidKey is returned (wrapped) for a key or prefix that could escape
// the warehouse or that not every store can hold.
var ErrInvalidKey = errors.New("invalid object key")

// Paths builds keys under a root key. Every key built from user input goes
// through it, so that it stays under the warehouse: absolute paths, "." and
// ".." segments, empty segments, backslashes, control characters and invalid
// UTF-8 are rejected. The zero Paths is rooted at the store's root.
type Paths struct {
	root string
}

// NewPaths returns Paths rooted at root, itself a valid key or "".
func NewPaths(root string) (Paths, error) {
	if root == "" {
		return Paths{}, nil
	}
	if err := ValidateKey(root); err != nil {
		return Paths{}, err
	}
	return Paths{root: root}, nil
}

// Root is the key all built keys start with ("" for the store's root).
func (p Paths) Root() string { return p.root }

// Join joins elems under the root. Each element may itself hold several
// slash-separated segments; each segment is checked.
func (p Paths) Join(elems ...string) (string, error) {
	if len(elems) == 0 {
		return "", fmt.Errorf("objstore: no key elements to join: %w", ErrInvalidKey)
	}
	parts := make([]string, 0, len(elems)+1)
	if p.root != "" {
		parts = append(parts, p.root)
	}
	key := strings.Join(append(parts, elems...), "/")
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	return key, nil
}

// Sub returns Paths rooted at Join(elems...).
func (p Paths) Sub(elems ...string) (Paths, error) {
	key, err := p.Join(elems...)
	if err != nil {
		return Paths{}, err
	}
	return Paths{root: key}, nil
}

// ValidateKey reports whether key names an object that every store can hold
// without leaving its root.
func ValidateKey(key string) error {
	if key == "" {
		return invalidKey(key, "empty key")
	}
	return validate(key, false)
}

// ValidatePrefix checks a List prefix: "" (everything), or the start of a key,
// which may end in "/" or in part of a segment.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return validate(prefix, true)
}

func validate(key string, prefix bool) error {
	if len(key) > MaxKeyLen {
		return invalidKey(key, fmt.Sprintf("%d bytes, over the limit of %d", len(key), MaxKeyLen))
	}
	if !utf8.ValidString(key) {
		return invalidKey(key, "not valid UTF-8")
	}
	for _, r := range key {
		switch {
		case r == '\\':
			return invalidKey(key, "backslash")
		case unicode.IsControl(r):
			return invalidKey(key, fmt.Sprintf("control character %U", r))
		}
	}
	if key[0] == '/' {
		return invalidKey(key, "absolute path")
	}
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case seg == "" && prefix && last:
			// "a/b/" lists everything under a/b.
		case seg == "":
			return invalidKey(key, "empty path segment")
		case seg == "." || seg == "..":
			return invalidKey(key, fmt.Sprintf("%q segment", seg))
		case len(seg) > MaxSegmentLen:
			return invalidKey(key, fmt.Sprintf("segment of %d bytes, over the limit of %d", len(seg), MaxSegmentLen))
		case strings.HasPrefix(seg, tempPrefix):
			return invalidKey(key, "segment starts with the reserved "+tempPrefix)
		}
	}
	return nil
}

// invalidKey quotes at most the start of the key: a hostile 10 kB name should
// not end up whole in every log line.
func invalidKey(key, reason string) error {
	const show = 64
	q := key
	if len(q) > show {
		q = q[:show] + "…"
	}
	return fmt.Errorf("objstore: key %q: %s: %w", q, reason, ErrInvalidKey)
}
