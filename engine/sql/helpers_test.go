package sql

import (
	"reflect"
	"testing"
)

var posType = reflect.TypeOf(Pos{})

// equalAST compares syntax trees ignoring positions; nil and empty slices
// are equal.
func equalAST(a, b any) bool {
	return equalValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

func equalValue(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValue(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if a.Type() == posType {
			return true
		}
		for i := range a.NumField() {
			if !equalValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return a.Interface() == b.Interface()
}

// roundTrip checks that printing stmts and parsing the result gives the
// same trees, and returns the printed text.
func roundTrip(t testing.TB, stmts []Statement) string {
	t.Helper()
	text := joinStatements(stmts)
	again, err := Parse(text)
	if err != nil {
		t.Fatalf("printed SQL does not parse: %v\n%s", err, text)
	}
	if !equalAST(stmts, again) {
		t.Fatalf("printed SQL parses to a different tree:\n%s\nreprinted:\n%s", text, joinStatements(again))
	}
	return text
}

func joinStatements(stmts []Statement) string {
	s := ""
	for i, st := range stmts {
		if i > 0 {
			s += ";\n"
		}
		s += st.String()
	}
	return s
}
