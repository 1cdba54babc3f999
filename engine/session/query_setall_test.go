package session_test

import "testing"

// INTERSECT ALL and EXCEPT ALL keep duplicates: min(l, r) and l − r copies
// of each row (NULLs equal).
func TestSetOperationsAll(t *testing.T) {
	s := setsSession(t)
	checkRows(t, s, "SELECT region FROM hits INTERSECT ALL SELECT code FROM regions ORDER BY 1", "NULL", "eu", "us")
	checkRows(t, s, "SELECT region FROM hits EXCEPT ALL SELECT code FROM regions ORDER BY 1", "ap", "us")
	checkRows(t, s, "SELECT code FROM regions EXCEPT ALL SELECT region FROM hits", "xx")
	// Copies on both sides: us is 2× in hits, 3× in the doubled regions.
	checkRows(t, s, "SELECT region FROM hits INTERSECT ALL (SELECT code FROM regions UNION ALL SELECT code FROM regions UNION ALL SELECT 'us') ORDER BY 1",
		"NULL", "eu", "us", "us")
	checkRows(t, s, "(SELECT region FROM hits UNION ALL SELECT region FROM hits) EXCEPT ALL SELECT region FROM hits WHERE id < 3 ORDER BY 1",
		"NULL", "NULL", "ap", "ap", "eu", "us", "us", "us")
	checkRows(t, s, "SELECT COUNT(*) FROM (SELECT id, url FROM hits UNION ALL SELECT id, url FROM hits INTERSECT ALL SELECT id, url FROM hits) AS t", "10")
	checkRows(t, s, "SELECT region, url FROM hits EXCEPT ALL SELECT code, '/a' FROM regions ORDER BY 1, 2", "NULL|NULL", "ap|/c", "us|/b")
	// Types unify as in the set forms.
	checkRows(t, s, "SELECT ms FROM hits INTERSECT ALL SELECT rank * 40 FROM regions ORDER BY 1", "NULL", "80", "120")
}
