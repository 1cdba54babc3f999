// Package format decodes record payloads (a Kafka message value, a file
// line) into Arrow rows of a connector table's physical columns, with Flink's
// format names and options: json, csv and raw.
//
// A Decoder appends each record atomically: it first parses and converts the
// whole record into a small reusable buffer of cells (the tape), and only
// when every value converted does it replay the tape into the builders, a
// step that cannot fail. A record that fails leaves the builders untouched,
// so the caller can route it to the dead-letter table and go on.
//
// A Decoder is used from one goroutine; it keeps no reference to a payload
// after Decode returns.
package format

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/connector"
)

// ErrSkipped is returned by Decode for a record that yields no row and is
// not an error: a malformed record under '<format>.ignore-parse-errors', a
// comment line, a tombstone (nil payload). Ignored counts them.
var ErrSkipped = errors.New("record skipped")

// Decoder turns payloads into rows.
type Decoder interface {
	// Decode appends one row for payload to the builders, or nothing: it
	// returns ErrSkipped or a decoding error (naming the field and the byte
	// offset) and leaves the builders as they were.
	Decode(payload []byte) error
	// Ignored reports what '<format>.ignore-parse-errors' (and tombstones,
	// comments) made disappear so far, so nothing vanishes uncounted.
	Ignored() Ignored
}

// Ignored counts records skipped and fields set to NULL instead of failing.
type Ignored struct {
	Records int64
	Fields  int64
}

// Names lists the formats New knows.
var Names = []string{"csv", "json", "raw"}

// New builds the decoder of format name for cols (the physical columns, in
// order), appending to builders (one per column, same order). opts holds the
// format's options with their '<name>.' prefix ('json.ignore-parse-errors');
// an unknown one is an error naming it.
func New(name string, cols []connector.Column, builders []array.Builder, opts map[string]string) (Decoder, error) {
	if len(cols) != len(builders) {
		return nil, fmt.Errorf("BUG: format %s: %d columns but %d builders", name, len(cols), len(builders))
	}
	var known []string
	switch name {
	case "json":
		known = jsonOptions
	case "csv":
		known = csvOptions
	case "raw":
		known = rawOptions
	default:
		return nil, fmt.Errorf("format %q is not supported (want one of %s)", name, strings.Join(Names, ", "))
	}
	for k := range opts {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("unknown option '%s' for format %s (known: %s)", k, name, strings.Join(known, ", "))
		}
	}
	o := options{name: name, m: opts}
	var d Decoder
	var err error
	switch name {
	case "json":
		d, err = newJSON(cols, builders, o)
	case "csv":
		d, err = newCSV(cols, builders, o)
	default:
		d, err = newRaw(cols, builders, o)
	}
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", name, err)
	}
	return d, nil
}

// options reads one format's options.
type options struct {
	name string
	m    map[string]string
}

func (o options) bool(key string, def bool) (bool, error) {
	v, ok := o.m[key]
	if !ok {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("option '%s' = '%s': want true or false", key, v)
}

// char reads a one-character option; an empty value means none (-1) when
// allowed by the caller.
func (o options) char(key string, def int) (int, error) {
	v, ok := o.m[key]
	if !ok {
		return def, nil
	}
	if unq, ok := javaEscape[v]; ok {
		v = unq
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("option '%s' = '%s': want a single ASCII character", key, v)
	}
	return int(v[0]), nil
}

// javaEscape maps the escapes Flink users write for control characters in
// SQL option strings ('csv.field-delimiter' = '\t').
var javaEscape = map[string]string{`\t`: "\t", `\n`: "\n", `\r`: "\r", `\f`: "\f", `\b`: "\b", `\0`: "\x00"}
