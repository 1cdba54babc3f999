package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wharfdata/wharf/engine/session"
)

// A call's database (session.WithDatabase) is where its one-part names
// resolve, for every kind of statement; other calls keep the default.
func TestWithDatabase(t *testing.T) {
	s, _ := newSession(t)
	ctx := context.Background()
	inA := session.WithDatabase(ctx, "a")
	for _, q := range []string{
		"CREATE TABLE t (v STRING)",
		"INSERT INTO t VALUES ('in a')",
		"CREATE VIEW w AS SELECT v FROM a.t",
	} {
		res, err := s.Exec(inA, q, false)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		res.Release()
	}
	mustExec(t, s, "CREATE TABLE t (v STRING)")
	mustExec(t, s, "INSERT INTO t VALUES ('in default')")
	for _, tc := range []struct {
		ctx       context.Context
		sql, want string
	}{
		{inA, "SELECT v FROM t", "in a"},
		{inA, "SELECT v FROM w", "in a"},
		{inA, "SELECT v FROM default.t", "in default"},
		{ctx, "SELECT v FROM t", "in default"},
		{ctx, "SELECT v FROM a.w", "in a"},
	} {
		res, err := s.Exec(tc.ctx, tc.sql, true)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if got := cells(res); len(got) != 1 || got[0][0] != tc.want {
			t.Errorf("%s in %s = %v, want %s", tc.sql, session.Database(tc.ctx), got, tc.want)
		}
		res.Release()
	}
	// DESCRIBE resolves there too: w is in a only.
	res, err := s.Exec(inA, "DESCRIBE w", true)
	if err != nil {
		t.Fatal(err)
	}
	res.Release()
	var se *session.Error
	if _, err := s.Exec(ctx, "DESCRIBE w", true); !errors.As(err, &se) || se.Code != session.CodeNotFound {
		t.Fatalf("DESCRIBE w in the default database: %v", err)
	}

	// A view's query resolves in the default database whoever reads it
	// (its text is stored, not the creator's database): one created in
	// another database names its tables in full.
	_, err = s.Exec(inA, "CREATE VIEW w2 AS SELECT v FROM t", false)
	if !errors.As(err, &se) || se.Code != session.CodeInvalid || !strings.Contains(se.Msg, "qualify t") {
		t.Fatalf("view with a one-part name in database a: %v", err)
	}

	// A continuous job is planned again on each start, without the caller:
	// its names may not depend on the call's database.
	mustExec(t, s, "CREATE TABLE gen (v STRING) WITH ('connector' = 'datagen')")
	_, err = s.Exec(inA, "INSERT INTO a.t SELECT v FROM default.gen", false)
	if !errors.As(err, &se) || se.Code != session.CodeInvalid || !strings.Contains(se.Msg, "default database") {
		t.Fatalf("continuous job in database a: %v", err)
	}
}
