-- simple select
SELECT a, b AS c, t.d e, * FROM t

-- distinct, where, group by, having, order, limit
SELECT DISTINCT k, COUNT(*) AS n FROM t WHERE v IS NOT NULL GROUP BY k HAVING COUNT(*) > 1 ORDER BY n DESC NULLS LAST, k LIMIT 10 OFFSET 5

-- fetch first is limit
SELECT a FROM t ORDER BY a OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY

-- fetch next row only
SELECT a FROM t FETCH NEXT ROW ONLY

-- grouping sets, rollup, cube, empty group
SELECT a, b, SUM(c) FROM t GROUP BY GROUPING SETS ((a, b), (a), ()), ROLLUP(a, b), CUBE(b)

-- group by a parenthesized list and the empty set
SELECT COUNT(*) FROM t GROUP BY (a, b), ();
SELECT COUNT(*) FROM t GROUP BY ()

-- set operations and precedence
SELECT 1 UNION SELECT 2 INTERSECT SELECT 3;
(SELECT 1 UNION SELECT 2) INTERSECT SELECT 3;
SELECT 1 EXCEPT (SELECT 2 EXCEPT SELECT 3);
SELECT 1 UNION ALL SELECT 2 UNION DISTINCT SELECT 3

-- parenthesized query operands with their own order and limit
(SELECT a FROM t ORDER BY a LIMIT 1) UNION ALL (SELECT a FROM s ORDER BY a DESC LIMIT 1) ORDER BY 1

-- redundant parentheses
((SELECT 1))

-- values as a query
VALUES (1, 'a'), (2, 'b');
SELECT * FROM (VALUES (1), (2)) AS v(x)

-- with
WITH a AS (SELECT 1 AS x), b (y) AS (SELECT x FROM a) SELECT y FROM b

-- joins
SELECT * FROM a JOIN b ON a.id = b.id INNER JOIN c USING (id) LEFT JOIN d ON TRUE LEFT OUTER JOIN e ON a.x = e.x RIGHT JOIN f ON 1 = 1 FULL OUTER JOIN g ON a.y = g.y CROSS JOIN h

-- comma joins and nested joins
SELECT * FROM a, b JOIN c ON b.x = c.x, d;
SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x;
SELECT * FROM (a, b) JOIN c ON TRUE;
SELECT * FROM ((SELECT 1) AS x JOIN y ON TRUE)

-- derived tables
SELECT * FROM (SELECT a FROM t) s;
SELECT * FROM (SELECT a FROM t) AS s (b);
SELECT * FROM ((SELECT a FROM t) UNION (SELECT b FROM u)) AS s

-- table hints and query hints
SELECT /*+ BROADCAST(d), STATE_TTL('o' = '1d') */ * FROM orders /*+ OPTIONS('scan.startup.mode' = 'latest-offset') */ AS o JOIN dim d ON o.k = d.k

-- temporal join
SELECT o.id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.proctime AS r ON o.currency = r.currency

-- time travel
SELECT * FROM lake.t FOR SYSTEM_TIME AS OF TIMESTAMP '2024-01-01 00:00:00'

-- lateral table function and unnest
SELECT s, word FROM t LEFT JOIN LATERAL TABLE(split(s, ' ')) AS T(word) ON TRUE;
SELECT s, x FROM t CROSS JOIN UNNEST(arr) AS u (x);
SELECT * FROM t, LATERAL TABLE(f(t.a));
SELECT * FROM UNNEST(ARRAY[1, 2]) WITH ORDINALITY AS u(v, i);
SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.k = t.k) AS x

-- window clause and named window
SELECT SUM(x) OVER w, AVG(x) OVER (w ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t WINDOW w AS (PARTITION BY k ORDER BY ts), w2 AS (w)

-- over with frames
SELECT
  COUNT(*) OVER (PARTITION BY a, b ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),
  SUM(x) OVER (ORDER BY ts ROWS UNBOUNDED PRECEDING),
  MAX(x) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
  MIN(x) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND 3 FOLLOWING),
  LAG(x, 1) OVER ()
FROM t

-- subqueries
SELECT (SELECT MAX(a) FROM u) AS m FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.k = t.k) AND k IN (SELECT k FROM v) AND j NOT IN (1, 2)

-- in with a parenthesized union
SELECT * FROM t WHERE k IN ((SELECT 1 LIMIT 1) UNION SELECT 2)

-- scalar subquery with set operation
SELECT ((SELECT 1) UNION (SELECT 2)) FROM t

-- select without from
SELECT 1, 'a', CURRENT_TIMESTAMP, PROCTIME()
