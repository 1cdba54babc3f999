package session_test

import "testing"

// Correlated scalar and IN subqueries decorrelate into joins.
func TestCorrelatedSubqueries(t *testing.T) {
	s := setsSession(t)
	// Scalar: an aggregate grouped by the correlation, LEFT JOINed; COUNT
	// over no rows is 0, the others NULL, through the item's expression.
	checkRows(t, s, "SELECT id, (SELECT COUNT(*) FROM regions WHERE code = region) FROM hits ORDER BY id", "1|1", "2|1", "3|1", "4|0", "5|0")
	checkRows(t, s, "SELECT id, (SELECT MAX(rank) FROM regions AS r WHERE r.code = h.region) FROM hits AS h ORDER BY id", "1|1", "2|2", "3|2", "4|NULL", "5|NULL")
	checkRows(t, s, "SELECT id, (SELECT COUNT(*) + 10 FROM regions WHERE code = region) FROM hits ORDER BY id", "1|11", "2|11", "3|11", "4|10", "5|10")
	checkRows(t, s, "SELECT id, (SELECT COALESCE(MAX(rank), -1) FROM regions WHERE region = code AND rank > 1) FROM hits ORDER BY id", "1|-1", "2|2", "3|2", "4|-1", "5|-1")
	checkRows(t, s, "SELECT id FROM hits WHERE (SELECT COUNT(*) FROM regions WHERE code = region) = 0 ORDER BY id", "4", "5")
	checkRows(t, s, "SELECT id FROM hits AS h WHERE ms >= (SELECT MAX(ms) FROM hits AS h2 WHERE h2.region = h.region) ORDER BY id", "1", "2", "4")
	checkRows(t, s, "SELECT id, (SELECT SUM(ms) FROM hits AS h2 WHERE h2.region = h.region AND h2.url = h.url) FROM hits AS h ORDER BY id", "1|120", "2|80", "3|NULL", "4|300", "5|NULL")
	// IN: a semi join on the value and the correlation.
	checkRows(t, s, "SELECT id FROM hits WHERE id IN (SELECT rank FROM regions WHERE code = region) ORDER BY id", "1", "2")
	checkRows(t, s, "SELECT id FROM hits WHERE region IN (SELECT code FROM regions WHERE rank * 40 = ms) ORDER BY id", "2")
	// NOT IN: SQL's NULL rules per outer row.
	checkRows(t, s, "SELECT id FROM hits WHERE id NOT IN (SELECT rank FROM regions WHERE code = region) ORDER BY id", "3", "4", "5")
	checkRows(t, s, "SELECT id FROM hits WHERE id NOT IN (SELECT rank FROM regions WHERE code = region OR (code = 'xx' AND id > 3)) ORDER BY id", "3")
	checkRows(t, s, "SELECT id FROM hits WHERE ms NOT IN (SELECT rank * 40 FROM regions WHERE code = region) ORDER BY id", "1", "4", "5")
	checkRows(t, s, "SELECT id FROM hits WHERE ms NOT IN (SELECT rank FROM regions WHERE code = region AND rank > 5) ORDER BY id", "1", "2", "3", "4", "5")
	checkErrors(t, s, []errCase{
		{"SELECT id FROM hits WHERE ms > (SELECT MAX(rank) FROM regions WHERE rank < ms)", "UNSUPPORTED", "other than by equality", 1, 32},
		{"SELECT (SELECT name FROM regions WHERE code = region) FROM hits", "UNSUPPORTED", "other than one aggregate", 1, 8},
		{"SELECT id FROM hits WHERE id IN (SELECT MAX(rank) FROM regions WHERE code = region)", "UNSUPPORTED", "correlated", 1, 77},
		{"SELECT id FROM hits WHERE id IN (SELECT rank FROM regions WHERE code = nope)", "NOT_FOUND", "column nope not found", 1, 72},
	})
}
