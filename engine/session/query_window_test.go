package session_test

import "testing"

func TestWindowFunctions(t *testing.T) {
	s := setsSession(t)
	// hits: (1,/a,eu,120) (2,/b,us,80) (3,/a,us,NULL) (4,/c,ap,300) (5,NULL,NULL,15)
	checkRows(t, s, "SELECT id, ROW_NUMBER() OVER (ORDER BY id DESC) FROM hits ORDER BY id",
		"1|5", "2|4", "3|3", "4|2", "5|1")
	checkRows(t, s, "SELECT id, region, ROW_NUMBER() OVER (PARTITION BY region ORDER BY id), COUNT(*) OVER (PARTITION BY region) AS n FROM hits ORDER BY id",
		"1|eu|1|1", "2|us|1|2", "3|us|2|2", "4|ap|1|1", "5|NULL|1|1")
	checkRows(t, s, "SELECT id, url, RANK() OVER (ORDER BY url), DENSE_RANK() OVER (ORDER BY url), PERCENT_RANK() OVER (ORDER BY url), CUME_DIST() OVER (ORDER BY url) FROM hits ORDER BY id",
		"1|/a|2|2|0.25|0.6", "2|/b|4|3|0.75|0.8", "3|/a|2|2|0.25|0.6", "4|/c|5|4|1|1", "5|NULL|1|1|0|0.2")
	checkRows(t, s, "SELECT id, NTILE(2) OVER (ORDER BY id), NTILE(3) OVER (ORDER BY id) FROM hits ORDER BY id",
		"1|1|1", "2|1|1", "3|1|2", "4|2|2", "5|2|3")
	checkRows(t, s, "SELECT id, LAG(ms) OVER (ORDER BY id), LEAD(ms, 2, -1) OVER (ORDER BY id), LAG(url, 1, 'none') OVER (PARTITION BY region ORDER BY id) FROM hits ORDER BY id",
		"1|NULL|NULL|none", "2|120|300|none", "3|80|15|/b", "4|NULL|-1|none", "5|300|-1|none")
	checkRows(t, s, "SELECT id, SUM(ms) OVER (ORDER BY id), SUM(ms) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), MAX(ms) OVER (), COUNT(ms) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) FROM hits ORDER BY id",
		"1|120|200|300|0", "2|200|200|300|1", "3|200|380|300|2", "4|500|315|300|2", "5|515|315|300|3")
	checkRows(t, s, "SELECT id, FIRST_VALUE(ms) OVER w, LAST_VALUE(ms) OVER w, NTH_VALUE(ms, 2) OVER w FROM hits WINDOW w AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) ORDER BY id",
		"1|120|120|NULL", "2|120|80|80", "3|80|NULL|NULL", "4|NULL|300|300", "5|300|15|15")
	// RANGE frames extend CURRENT ROW to peers.
	checkRows(t, s, "SELECT id, url, COUNT(*) OVER (ORDER BY url), COUNT(*) OVER (ORDER BY url ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS r, COUNT(*) OVER (ORDER BY url RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM hits ORDER BY id",
		"1|/a|3|2|4", "2|/b|4|4|2", "3|/a|3|3|4", "4|/c|5|5|1", "5|NULL|1|1|5")
	// Over aggregates, and top-N per group.
	checkRows(t, s, "SELECT region, COUNT(*), SUM(COUNT(*)) OVER (), RANK() OVER (ORDER BY COUNT(*) DESC) FROM hits GROUP BY region ORDER BY region",
		"NULL|1|5|2", "ap|1|5|2", "eu|1|5|2", "us|2|5|1")
	checkRows(t, s, "SELECT region, id FROM (SELECT region, id, ROW_NUMBER() OVER (PARTITION BY region ORDER BY ms DESC NULLS LAST) AS rn FROM hits) WHERE rn <= 1 ORDER BY id",
		"eu|1", "us|2", "ap|4", "NULL|5")
	checkRows(t, s, "SELECT id FROM hits WHERE id > 10 ORDER BY ROW_NUMBER() OVER (ORDER BY id)")
	checkRows(t, s, "SELECT id, ROW_NUMBER() OVER (PARTITION BY id % 2 ORDER BY id) AS rn FROM hits ORDER BY rn, id",
		"1|1", "2|1", "3|2", "4|2", "5|3")
}

func TestWindowErrors(t *testing.T) {
	s := setsSession(t)
	checkErrors(t, s, []errCase{
		{"SELECT ROW_NUMBER() FROM hits", "INVALID_ARGUMENT", "ROW_NUMBER needs an OVER clause", 1, 8},
		{"SELECT UPPER(url) OVER () FROM hits", "INVALID_ARGUMENT", "OVER is only allowed on window and aggregate functions", 1, 8},
		{"SELECT id FROM hits WHERE ROW_NUMBER() OVER () > 1", "INVALID_ARGUMENT", "not allowed in WHERE", 1, 27},
		{"SELECT region FROM hits GROUP BY region HAVING RANK() OVER (ORDER BY region) > 1", "INVALID_ARGUMENT", "not allowed in HAVING", 1, 48},
		{"SELECT SUM(ROW_NUMBER() OVER ()) FROM hits", "INVALID_ARGUMENT", "cannot be nested", 1, 12},
		{"SELECT RANK() OVER (PARTITION BY region) FROM hits", "INVALID_ARGUMENT", "RANK needs ORDER BY", 1, 8},
		{"SELECT ROW_NUMBER() OVER (ORDER BY id ROWS 1 PRECEDING) FROM hits", "INVALID_ARGUMENT", "does not take a window frame", 1, 39},
		{"SELECT SUM(ms) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 1 PRECEDING) FROM hits", "INVALID_ARGUMENT", "starts after it ends", 1, 34},
		{"SELECT SUM(ms) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED FOLLOWING AND CURRENT ROW) FROM hits", "INVALID_ARGUMENT", "cannot start at UNBOUNDED FOLLOWING", 1, 47},
		{"SELECT SUM(ms) OVER (ORDER BY url RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM hits", "UNSUPPORTED", "RANGE frames with offsets over STRING", 1, 49},
		{"SELECT SUM(ms) OVER w FROM hits", "INVALID_ARGUMENT", "window w is not defined", 1, 21},
		{"SELECT NTILE(0) OVER (ORDER BY id) FROM hits", "INVALID_ARGUMENT", "NTILE's number of buckets must be a positive integer", 1, 14},
		{"SELECT COUNT(DISTINCT url) OVER () FROM hits", "UNSUPPORTED", "DISTINCT in window aggregates", 1, 8},
		{"SELECT LISTAGG(url) OVER () FROM hits", "UNSUPPORTED", "LISTAGG as a window function", 1, 8},
		{"SELECT LAG(ms, 1, 'x') OVER (ORDER BY id) FROM hits", "INVALID_ARGUMENT", "LAG's default", 1, 19},
	})
}

func TestGroupingSets(t *testing.T) {
	s := setsSession(t)
	// hits: (1,/a,eu,120) (2,/b,us,80) (3,/a,us,NULL) (4,/c,ap,300) (5,NULL,NULL,15)
	checkRows(t, s, "SELECT region, COUNT(*), SUM(ms), GROUPING(region) FROM hits GROUP BY ROLLUP(region) ORDER BY GROUPING(region), region",
		"NULL|1|15|0", "ap|1|300|0", "eu|1|120|0", "us|2|80|0", "NULL|5|515|1")
	checkRows(t, s, "SELECT region, url, COUNT(*) AS n, GROUPING(region, url) AS g, GROUPING_ID(url) FROM hits WHERE id < 5 GROUP BY CUBE(region, url) ORDER BY g, region, url",
		"ap|/c|1|0|0", "eu|/a|1|0|0", "us|/a|1|0|0", "us|/b|1|0|0",
		"ap|NULL|1|1|1", "eu|NULL|1|1|1", "us|NULL|2|1|1",
		"NULL|/a|2|2|0", "NULL|/b|1|2|0", "NULL|/c|1|2|0",
		"NULL|NULL|4|3|1")
	checkRows(t, s, "SELECT url, region, COUNT(*) FROM hits WHERE id < 4 GROUP BY url, GROUPING SETS ((region), ()) HAVING COUNT(*) > 1 ORDER BY url, region",
		"/a|NULL|2")
	checkRows(t, s, "SELECT region, GROUPING(region) FROM hits GROUP BY region HAVING region = 'eu'", "eu|0")
	checkRows(t, s, "SELECT COUNT(*), GROUPING(region) FROM hits WHERE id > 100 GROUP BY GROUPING SETS ((region), ())", "0|1")
	checkRows(t, s, "SELECT region, SUM(ms), RANK() OVER (ORDER BY SUM(ms) DESC) FROM hits GROUP BY ROLLUP(region) ORDER BY 3, 1",
		"NULL|515|1", "ap|300|2", "eu|120|3", "us|80|4", "NULL|15|5")
	checkErrors(t, s, []errCase{
		{"SELECT GROUPING(url) FROM hits GROUP BY ROLLUP(region)", "INVALID_ARGUMENT", "must be GROUP BY expressions", 1, 17},
		{"SELECT GROUPING(region) FROM hits", "INVALID_ARGUMENT", "GROUPING is only allowed", 1, 8},
		{"SELECT COUNT(*) FROM hits GROUP BY CUBE(id, url, region, ms, ts, d, id + 1, id + 2, id + 3)", "UNSUPPORTED", "CUBE of more than 8", 1, 36},
		{"SELECT url FROM hits GROUP BY ROLLUP(region)", "INVALID_ARGUMENT", "column url must appear in GROUP BY", 1, 8},
	})
}

func TestWindowDistinct(t *testing.T) {
	s := setsSession(t)
	// Two calls of one function with different windows stay apart.
	checkRows(t, s, "SELECT DISTINCT ROW_NUMBER() OVER (ORDER BY id) AS a, ROW_NUMBER() OVER (ORDER BY id DESC) AS b FROM hits WHERE id < 3 ORDER BY a",
		"1|2", "2|1")
	checkRows(t, s, "SELECT DISTINCT region, GROUPING(region) AS g, GROUPING(url) AS h FROM hits WHERE id < 3 GROUP BY CUBE(region, url) ORDER BY g, h, region",
		"eu|0|0", "us|0|0", "eu|0|1", "us|0|1", "NULL|1|0", "NULL|1|1")
}
