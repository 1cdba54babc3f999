package gensrc

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfdata/wharf/internal/errkind"
)

// Options reads a table's WITH options and remembers which keys were read,
// so that Unknown can name any key no reader asked for. Errors are fatal
// and name the table and the option.
type Options struct {
	table string
	m     map[string]string
	used  map[string]bool
}

// NewOptions wraps a table's options; 'connector' counts as read.
func NewOptions(table string, m map[string]string) *Options {
	return &Options{table: table, m: m, used: map[string]bool{"connector": true}}
}

// Lookup returns the option's value and whether it was set.
func (o *Options) Lookup(key string) (string, bool) {
	o.used[key] = true
	v, ok := o.m[key]
	return v, ok
}

// Errorf is a fatal error naming the table and the option key.
func (o *Options) Errorf(key, format string, args ...any) error {
	return errkind.Errorf(errkind.Fatal, "%s: option '%s': %s", o.table, key, fmt.Sprintf(format, args...))
}

// Int reads an integer option within [lo, hi].
func (o *Options) Int(key string, def, lo, hi int64) (int64, error) {
	v, ok := o.Lookup(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, o.Errorf(key, "%q is not an integer in [%d, %d]", v, lo, hi)
	}
	return n, nil
}

// Float reads a number option within [lo, hi].
func (o *Options) Float(key string, def, lo, hi float64) (float64, error) {
	v, ok := o.Lookup(key)
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(f >= lo && f <= hi) {
		return 0, o.Errorf(key, "%q is not a number in [%g, %g]", v, lo, hi)
	}
	return f, nil
}

// Bool reads 'true' or 'false' (any case).
func (o *Options) Bool(key string, def bool) (bool, error) {
	v, ok := o.Lookup(key)
	if !ok {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, o.Errorf(key, "%q is neither 'true' nor 'false'", v)
}

// Unknown is an error naming the first (sorted) option no reader asked
// for, nil when there is none.
func (o *Options) Unknown(valid string) error {
	var bad []string
	for k := range o.m {
		if !o.used[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return errkind.Errorf(errkind.Fatal, "%s: unknown option '%s' (valid: %s)", o.table, bad[0], valid)
}

// DeclaredPrecision reads p from a declared type "NAME(p…)…", def when it
// has none.
func DeclaredPrecision(decl string, def int) int {
	open := strings.IndexByte(decl, '(')
	end := strings.IndexAny(decl, ",)")
	if open < 0 || end < open {
		return def
	}
	p, err := strconv.Atoi(strings.TrimSpace(decl[open+1 : end]))
	if err != nil {
		return def
	}
	return p
}

// Used reports whether a reader asked for key.
func (o *Options) Used(key string) bool { return o.used[key] }
