package sql

import (
	"errors"
	"path/filepath"
	"testing"
)

// FuzzParse checks that any input parses or fails cleanly: no panic, errors
// are *Error with a position inside the text, what parses prints as SQL
// that parses back to the same tree, and SplitStatements cuts it into
// pieces that parse to the same statements.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.sql")
	for _, file := range files {
		for _, c := range readCases(f, file) {
			f.Add(c.sql)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		stmts, err := Parse(text)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is not a *Error", err)
			}
			if p := perr.Pos; p.Offset < 0 || p.Offset > len(text) || p.Line < 1 || p.Column < 1 {
				t.Fatalf("error position %+v outside the text of %d bytes: %v", p, len(text), err)
			}
			return
		}
		roundTrip(t, stmts)
		pieces, err := SplitStatements(text)
		if err != nil {
			t.Fatalf("parses, but SplitStatements fails: %v", err)
		}
		var split []Statement
		for _, piece := range pieces {
			s, err := ParseOne(piece)
			if err != nil {
				t.Fatalf("piece %q of SplitStatements does not parse: %v", piece, err)
			}
			split = append(split, s)
		}
		if !equalAST(stmts, split) {
			t.Fatalf("SplitStatements pieces parse to other statements: %q", pieces)
		}
	})
}
