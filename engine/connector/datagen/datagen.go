// Package datagen is the 'connector'='datagen' source, Flink's datagen
// connector: rows of random or sequential values, paced by the wall clock.
//
// # Options
//
//	'rows-per-second'          rows per second over all splits, default 10000
//	'number-of-rows'           the table ends (io.EOF) after this many rows;
//	                           absent: unbounded unless a field is a sequence
//	'fields.<col>.kind'        'random' (default) or 'sequence'
//	'fields.<col>.min', '.max' bounds of random numbers (ints, floats, decimals)
//	                           and of random DATE ('2026-11-21'), TIME
//	                           ('10:00:00') and TIMESTAMP ('2026-11-21 10:00:00')
//	'fields.<col>.max-past'    random DATE and TIMESTAMP values lie in
//	                           [anchor - max-past, anchor] ('10 s', '5 min', '1 d';
//	                           plain numbers are ms); default 0
//	'fields.<col>.length'      random STRING and BYTES length, default 100
//	'fields.<col>.var-len'     'true': lengths uniform in [1, length]
//	'fields.<col>.start', '.end'  a sequence counts start..end, one value per row,
//	                           and the table ends with the shortest sequence
//	'fields.<col>.null-rate'   fraction of nulls in [0, 1], default 0
//	'seed'                     (wharf) int64; absent: a new seed every Open, as
//	                           in Flink
//	'splits'                   (wharf) default 1
//	'base-time'                (wharf) epoch ms, the anchor of max-past values;
//	                           absent: the wall clock when the batch is made
//
// Unknown options, and field options that do not apply to the column's
// type or kind, are errors naming the key. Every scalar column type is
// generated: TINYINT…BIGINT, FLOAT, DOUBLE, DECIMAL, BOOLEAN, CHAR/VARCHAR/
// STRING (letters, digits, '-' and '_'), BINARY/BYTES, DATE, TIME,
// TIMESTAMP and TIMESTAMP_LTZ (truncated to the declared precision); TIME
// without bounds covers the whole day. Sequences work for numbers and
// strings (the number's digits).
//
// # Splits and positions
//
// Row r of the table belongs to split r mod n; a split's positions are its
// local row indexes i, row r = i·n + k for split k. A value is a pure
// function of (seed, column, row r), and a sequence's value is start + r,
// so the union of n splits is the single-split table and a split resumed at
// position i continues exactly where it stopped. Each split is paced at
// rows-per-second / n.
package datagen

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/gensrc"
)

const (
	defaultRows = 8192
	optionList  = "'rows-per-second', 'number-of-rows', 'seed', 'splits', 'base-time', 'fields.<column>.<" + fieldOptions + ">'"
)

var _ connector.OpenFunc = Open

// Open validates a datagen table's options against its columns.
func Open(_ context.Context, spec *connector.TableSpec) (connector.Source, error) {
	o := gensrc.NewOptions(spec.Name, spec.Options)
	if err := checkFieldKeys(o, spec); err != nil {
		return nil, err
	}
	rate, err := o.Float("rows-per-second", 10000, math.SmallestNonzeroFloat64, 1e12)
	if err != nil {
		return nil, err
	}
	rows, err := o.Int("number-of-rows", -1, 0, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	splits, err := o.Int("splits", 1, 1, 1<<16)
	if err != nil {
		return nil, err
	}
	base, err := o.Int("base-time", -1, 0, math.MaxInt64/1_000_000)
	if err != nil {
		return nil, err
	}
	seed := rand.Uint64()
	if _, ok := o.Lookup("seed"); ok {
		s, err := o.Int("seed", 0, math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		seed = uint64(s)
	}
	g := &generator{seed: seed, splits: splits, baseMs: base, schema: spec.Schema()}
	for i, c := range spec.Columns {
		f, n, err := parseField(o, i, c)
		if err != nil {
			return nil, err
		}
		if f.nullRate > 0 && !c.Nullable {
			return nil, o.Errorf("fields."+c.Name+".null-rate", "column %s is NOT NULL", c.Name)
		}
		if n >= 0 && (rows < 0 || n < rows) {
			rows = n
		}
		g.fields = append(g.fields, f)
	}
	if err := checkUnused(o, spec); err != nil {
		return nil, err
	}
	if err := o.Unknown(optionList); err != nil {
		return nil, err
	}
	alloc := spec.Alloc
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	g.rb = array.NewRecordBuilder(alloc, g.schema)
	batch := int64(spec.BatchRows)
	if batch <= 0 {
		batch = defaultRows
	}
	return gensrc.New(gensrc.Config{
		Table:          spec.Name,
		Gen:            g,
		Ends:           splitEnds(rows, splits),
		BatchPositions: batch,
		Rate:           rate,
	}), nil
}

// splitEnds gives split k the rows r < rows with r mod n = k; rows < 0 is
// unbounded.
func splitEnds(rows, splits int64) []int64 {
	ends := make([]int64, splits)
	for k := range ends {
		if rows < 0 {
			ends[k] = gensrc.Unbounded
		} else {
			ends[k] = max(0, (rows-int64(k)+splits-1)/splits)
		}
	}
	return ends
}

// checkFieldKeys makes sure every 'fields.<col>.<opt>' names a column and a
// field option.
func checkFieldKeys(o *gensrc.Options, spec *connector.TableSpec) error {
	for key := range spec.Options {
		rest, ok := strings.CutPrefix(key, "fields.")
		if !ok {
			continue
		}
		dot := strings.LastIndexByte(rest, '.')
		if dot < 0 {
			return o.Errorf(key, "not of the form 'fields.<column>.<option>'")
		}
		name, opt := rest[:dot], rest[dot+1:]
		if !slices.ContainsFunc(spec.Columns, func(c connector.Column) bool { return c.Name == name }) {
			return o.Errorf(key, "the table has no column %s", name)
		}
		if !slices.Contains(strings.Split(fieldOptions, ", "), opt) {
			return o.Errorf(key, "unknown field option '%s' (valid: %s)", opt, fieldOptions)
		}
	}
	return nil
}

// checkUnused names a field option set for a column whose type or kind
// does not use it.
func checkUnused(o *gensrc.Options, spec *connector.TableSpec) error {
	keys := make([]string, 0, len(spec.Options))
	for key := range spec.Options {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if strings.HasPrefix(key, "fields.") && !o.Used(key) {
			name := key[len("fields."):strings.LastIndexByte(key, '.')]
			i := slices.IndexFunc(spec.Columns, func(c connector.Column) bool { return c.Name == name })
			kind := "random"
			if v, _ := o.Lookup("fields." + name + ".kind"); strings.EqualFold(strings.TrimSpace(v), "sequence") {
				kind = "sequence"
			}
			return o.Errorf(key, "does not apply to a %s %s column", kind, declared(spec.Columns[i]))
		}
	}
	return nil
}

// Bounded says whether a table with these options ends: with
// 'number-of-rows', or a sequence field (it ends at the sequence's end).
func Bounded(opts map[string]string) bool {
	if strings.TrimSpace(opts["number-of-rows"]) != "" {
		return true
	}
	for k, v := range opts {
		if strings.HasPrefix(k, "fields.") && strings.HasSuffix(k, ".kind") && strings.EqualFold(strings.TrimSpace(v), "sequence") {
			return true
		}
	}
	return false
}
