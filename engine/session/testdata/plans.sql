-- Partition pruning: the filter on the partition column goes to the scan.
SELECT id FROM hits WHERE region = 'us';
-- A filter Iceberg cannot evaluate stays in the engine; the scan reads only what is used.
SELECT id, ms * 2 AS x FROM hits WHERE UPPER(url) = '/A' AND ms > 10;
-- ORDER BY an expression not in the select list: computed, sorted, dropped.
SELECT id FROM hits ORDER BY ms DESC NULLS LAST, id LIMIT 2;
-- Constants are folded.
SELECT id FROM hits WHERE ms > 10 * 10 + 1;
-- Time travel: to a time after the last commit, and before the first (an error).
SELECT * FROM hits FOR SYSTEM_TIME AS OF TIMESTAMP '2999-01-01 00:00:00' LIMIT 1;
SELECT * FROM hits FOR SYSTEM_TIME AS OF TIMESTAMP '2000-01-01 00:00:00' LIMIT 1;
-- GROUP BY: the aggregation reads only the columns its keys and arguments use; WHERE still goes to the scan.
SELECT region, COUNT(*) AS n, SUM(ms), AVG(ms) FROM hits WHERE ms > 10 GROUP BY region;
-- HAVING on a group key moves below the aggregation and into the scan; on an aggregate it stays above.
SELECT region, COUNT(*) AS n FROM hits GROUP BY region HAVING region = 'us' AND COUNT(*) > 1;
-- ORDER BY an aggregate not in the select list, with the same aggregate computed once.
SELECT region FROM hits GROUP BY region ORDER BY COUNT(*) DESC, MAX(ms) LIMIT 2;
-- DISTINCT and FILTER in aggregates, grouping by an expression.
SELECT UPPER(url) AS u, COUNT(DISTINCT region), SUM(ms) FILTER (WHERE ms > 50) FROM hits GROUP BY UPPER(url);
-- Global aggregation: no group keys, one row.
SELECT COUNT(*), MIN(ts), LISTAGG(url, '|') FROM hits;
-- COUNT(*) alone still scans one column for row counts.
SELECT COUNT(*) FROM hits WHERE region = 'eu';
-- SELECT DISTINCT is an aggregation on every output column.
SELECT DISTINCT region, url FROM hits ORDER BY region;
-- Errors with positions: a column neither grouped nor aggregated; ROLLUP (planned since: a union of one aggregate per grouping set).
SELECT region, url FROM hits GROUP BY region;
SELECT region, COUNT(*) FROM hits GROUP BY ROLLUP(region);
-- Joins: equalities become keys, WHERE conjuncts over one side go into that side's scan, the rest stay above.
SELECT a.id, b.url FROM hits AS a JOIN hits AS b ON a.id = b.id AND a.ms < b.ms WHERE a.region = 'eu' AND b.url = '/a';
-- A comma join takes its keys from WHERE.
SELECT a.id FROM hits AS a, hits AS b WHERE a.id = b.id AND a.url = b.url AND b.region = 'us';
-- LEFT JOIN: ON conjuncts on the right side filter the right scan; WHERE on the right side stays above the join.
SELECT a.id, b.ms FROM hits AS a LEFT JOIN hits AS b ON a.id = b.id AND b.region = 'us' WHERE a.region = 'eu' AND b.ms IS NULL;
-- FULL JOIN USING merges the key column; nothing moves through a full join.
SELECT id, a.url, b.url FROM hits AS a FULL JOIN hits AS b USING (id) WHERE a.region = 'eu';
-- Cross join, and a join under GROUP BY reading only the columns it uses.
SELECT COUNT(*) FROM hits AS a CROSS JOIN hits AS b;
SELECT a.region, COUNT(*), MAX(b.ms) FROM hits AS a JOIN hits AS b ON a.url = b.url GROUP BY a.region;
-- Errors: an ambiguous column, an unknown qualifier.
SELECT id FROM hits AS a JOIN hits AS b ON a.id = b.id;
SELECT c.id FROM hits AS a JOIN hits AS b ON a.id = b.id;
-- INTERVAL literals fold into constants: day-time as durations, year-month as months.
SELECT id, ts + INTERVAL '1' DAY FROM hits WHERE ts > TIMESTAMP '2026-11-21 12:00:00' - INTERVAL '2' HOUR - INTERVAL '1-2' YEAR TO MONTH;
SELECT INTERVAL '1:99' HOUR TO MINUTE;
-- WITH queries bind at each reference; filters reach the scans through derived tables.
WITH eu AS (SELECT id, url FROM hits WHERE region = 'eu') SELECT a.id FROM eu AS a JOIN eu AS b ON a.url = b.url WHERE a.id > 1;
SELECT t.n FROM (SELECT id AS n, region FROM hits) AS t(n, r) WHERE t.r = 'us';
WITH a AS (SELECT 1 AS x), a AS (SELECT 2 AS x) SELECT * FROM a;
-- Set operations: UNION ALL concatenates; UNION groups; INTERSECT and EXCEPT group both sides tagged with their side.
SELECT id FROM hits WHERE region = 'eu' UNION ALL SELECT ms FROM hits ORDER BY id LIMIT 3;
SELECT url FROM hits UNION SELECT region FROM hits;
SELECT url FROM hits INTERSECT SELECT region FROM hits;
SELECT url FROM hits EXCEPT SELECT region FROM hits;
SELECT id, url FROM hits UNION SELECT id FROM hits;
-- Subqueries: IN is a semi join, NOT IN an anti join with NULL rules, EXISTS decorrelates into a semi join, scalars cross-join a single row.
SELECT id FROM hits WHERE url IN (SELECT url FROM hits WHERE ms > 100);
SELECT id FROM hits WHERE url NOT IN (SELECT url FROM hits WHERE ms > 100);
SELECT id FROM hits AS h WHERE NOT EXISTS (SELECT 1 FROM hits AS o WHERE o.url = h.url AND o.id <> h.id AND o.region = 'us');
SELECT id, ms - (SELECT AVG(ms) FROM hits) FROM hits WHERE ms > (SELECT MIN(ms) FROM hits);
SELECT id FROM hits AS h WHERE ms > (SELECT MAX(ms) FROM hits AS o WHERE o.url = h.url);
-- window functions: calls sharing PARTITION BY/ORDER BY share a node; computed keys are projected first
SELECT id, ROW_NUMBER() OVER (PARTITION BY region ORDER BY ms DESC), SUM(ms) OVER (PARTITION BY region ORDER BY ms DESC ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), COUNT(*) OVER (PARTITION BY UPPER(url)) FROM hits;
-- window over an aggregate, named window
SELECT region, SUM(COUNT(*)) OVER w, RANK() OVER w FROM hits GROUP BY region WINDOW w AS (ORDER BY region);
-- top-N per group: the filter stays above the window; the scan's filter is pushed below it
SELECT * FROM (SELECT id, region, ROW_NUMBER() OVER (PARTITION BY region ORDER BY ms DESC) AS rn FROM hits WHERE ms > 10) WHERE rn <= 2;
-- window errors; RANGE frames with offsets (planned since) measure them on the ORDER BY key
SELECT id FROM hits WHERE RANK() OVER (ORDER BY id) = 1;
SELECT SUM(ms) OVER (ORDER BY id RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) FROM hits;
-- grouping sets: one aggregate per set, NULL for rolled-up keys, GROUPING bits as constants, unioned
SELECT region, url, COUNT(*), GROUPING(region, url) FROM hits GROUP BY ROLLUP(region, url) HAVING COUNT(*) > 0;
SELECT GROUPING(region) FROM hits;
-- join order: estimates (rows≈N) from the kept files' record counts and filter selectivity; the smaller input is built (right); a chain joins small inputs first and never adds a cross join
SELECT a.id FROM hits AS a, hits AS b, hits AS c WHERE a.url = c.url AND b.id = c.id AND b.region = 'us';
SELECT h.id, g.n FROM (SELECT url, COUNT(*) AS n FROM hits GROUP BY url) AS g JOIN hits AS h ON h.url = g.url;
SELECT a.id, b.id, c.id FROM hits AS a JOIN hits AS b ON a.id = b.id JOIN hits AS c ON c.url = b.url WHERE c.region = 'eu';
-- join order: an outer join whose preserved side is smaller swaps sides (LEFT becomes RIGHT); semi joins keep theirs
SELECT a.id, b.id FROM hits AS a LEFT JOIN hits AS b ON a.url = b.url WHERE a.region = 'eu';
-- correlated subqueries: IN a semi join with the correlation, NOT IN an anti join whose condition carries the NULL rules, COUNT over no rows 0
SELECT id FROM hits AS h WHERE id IN (SELECT o.id FROM hits AS o WHERE o.url = h.url AND o.ms > 10);
SELECT id FROM hits AS h WHERE ms NOT IN (SELECT o.ms FROM hits AS o WHERE o.url = h.url AND o.id <> h.id);
SELECT id, (SELECT COUNT(*) FROM hits AS o WHERE o.url = h.url) FROM hits AS h;
-- INTERSECT ALL and EXCEPT ALL: per-side counts, each row repeated min(l, r) or l - r times
SELECT url FROM hits INTERSECT ALL SELECT region FROM hits;
SELECT url FROM hits EXCEPT ALL SELECT region FROM hits;
