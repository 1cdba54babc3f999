package datagen

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/internal/errkind"
)

// FuzzOptions feeds arbitrary option values to every column type. The
// invariants: Open never panics, every error is fatal, and an opened table
// generates a batch of the rows asked for.
func FuzzOptions(f *testing.F) {
	for _, s := range [][3]string{{"min", "max", "-5"}, {"max-past", "length", "10 s"}, {"start", "end", "2026-01-01"}, {"kind", "start", "sequence"}, {"null-rate", "var-len", "0.5"}} {
		f.Add(uint8(3), s[0], s[1], s[2], "99999999999999999999")
	}
	f.Fuzz(func(t *testing.T, typ uint8, opt1, opt2, v1, v2 string) {
		// Long strings are valid but slow, and the fuzzer would spend its
		// time minimizing them.
		for _, o := range [][2]string{{opt1, v1}, {opt2, v2}} {
			if n, err := strconv.Atoi(strings.TrimSpace(o[1])); o[0] == "length" && (err != nil || n > 4096) {
				t.Skip()
			}
		}
		c := allTypes[int(typ)%len(allTypes)]
		spec := &connector.TableSpec{Name: "fuzz", Columns: []connector.Column{c}, BatchRows: 16, Alloc: memory.NewGoAllocator(),
			Options: map[string]string{"number-of-rows": "16", "seed": "1", "rows-per-second": "1e9",
				"fields." + c.Name + "." + opt1: v1, "fields." + c.Name + "." + opt2: v2}}
		src, err := Open(context.Background(), spec)
		if err != nil {
			if errkind.Of(err) != errkind.Fatal {
				t.Fatalf("error not fatal: %v", err)
			}
			return
		}
		defer src.Close()
		if err := src.Start(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		b, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return // a sequence of length 0 cannot be; number-of-rows 16 > 0
		}
		if err != nil {
			t.Fatal(err)
		}
		defer b.Rows.Release()
		if b.Rows.NumRows() != b.To-b.From || b.Rows.NumCols() != 1 {
			t.Fatalf("batch [%d, %d) with %d rows", b.From, b.To, b.Rows.NumRows())
		}
	})
}
