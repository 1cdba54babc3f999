-- literals
SELECT 1, -2, 3.5, .5, 1., 1e10, 1.5E-3, 'it''s', '', X'0aFF', TRUE, false, NULL, UNKNOWN, DATE '2024-01-31', TIME '12:00:00', TIMESTAMP '2024-01-31 12:00:00.123', TIMESTAMP_LTZ '2024-01-31 12:00:00'

-- intervals
SELECT INTERVAL '5' SECOND, INTERVAL '1-2' YEAR TO MONTH, INTERVAL '10 00:00:00.000' DAY TO SECOND, INTERVAL '100' DAY(3), INTERVAL '1.5' SECOND(2, 3), INTERVAL '10' MINUTES, INTERVAL '1 2' DAY(2) TO HOUR, INTERVAL '1:2' HOUR TO SECOND(3), INTERVAL '1:2' MINUTE TO SECOND

-- precedence is kept, redundant parentheses are dropped
SELECT a OR b AND c, (a OR b) AND c, NOT a = b, (NOT a) = b, a + b * c, (a + b) * c, a - (b - c), a - b - c, - a, - - a, -(a + b), a || b = c, a || (b = c), x BETWEEN 1 AND 2 AND y, ((a)), a = (b = c), NOT NOT a, a * -b, + a

-- comparison operators
SELECT a = b, a <> b, a != b, a < b, a <= b, a > b, a >= b, a % b, a / b

-- is, between, in, like
SELECT a IS NULL, a IS NOT NULL, a IS TRUE, a IS NOT FALSE, a IS UNKNOWN, a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b + 1, a NOT BETWEEN SYMMETRIC 1 AND 2, a BETWEEN ASYMMETRIC 1 AND 2, a IN (1, 2, 3), a NOT IN ('x'), s LIKE 'a%', s NOT LIKE 'a!%' ESCAPE '!', s SIMILAR TO '[a-z]+', s NOT SIMILAR TO 'x'

-- comparison chains associate to the left
SELECT a = b IS NULL, (a IS NULL) = b, a BETWEEN 1 AND 2 = TRUE

-- column references, star, field and item access
SELECT a, t.a, db.t.a, t.*, arr[1], m['k'], r.f, f(x).g, arr[1].f, (t.a).b, (1).x, t.`select`, t.`timestamp`, `a`.`b` FROM t

-- function calls
SELECT COUNT(*), COUNT(DISTINCT x), COUNT(ALL x), SUM(x) FILTER (WHERE x > 0), cat.db.fn(1), LEFT(s, 2), RIGHT(s, 2), FLOOR(x), CEIL(x), GROUPING(a), upper(s), `my func`(1), `CAST`(x), IF(a, b, c), year(ts), f()

-- special call syntax
SELECT CAST(x AS INT), TRY_CAST(s AS DECIMAL(10, 2)), CAST(a AS ARRAY<ROW<b INT>>), EXTRACT(YEAR FROM ts), EXTRACT(DOW FROM ts), TIMESTAMPADD(HOUR, 2, ts), TIMESTAMPDIFF(DAY, a, b), FLOOR(ts TO HOUR), CEIL(ts TO DAY), CEILING(ts TO MINUTE), POSITION('a' IN s), POSITION('a' IN s FROM 2), TRIM(s), TRIM(BOTH ' ' FROM s), TRIM(LEADING FROM s), TRIM('x' FROM s), TRIM(FROM s), SUBSTRING(s FROM 1 FOR 2), SUBSTRING(s, 2), SUBSTRING(s, 2, 3), OVERLAY(s PLACING 'x' FROM 2 FOR 1)

-- case
SELECT CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'zero' END, CASE a WHEN 1 THEN 'one' END

-- constructors
SELECT ARRAY[1, 2, 3], ARRAY[], MAP['a', 1, 'b', 2], MAP[], ROW(1, 'a'), ROW(), (1, 'a'), (a, b) IN ((1, 2), (3, 4))

-- niladic functions
SELECT CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP, LOCALTIME, LOCALTIMESTAMP

-- floor of an interval keeps its parentheses
SELECT FLOOR((INTERVAL '1' DAY) TO HOUR)

-- comments and odd spacing
SELECT /* block */ a -- line comment
  +   b/*x*/FROM t

-- unicode in strings and quoted names
SELECT 'héllo wörld', `naïve` FROM `表`
