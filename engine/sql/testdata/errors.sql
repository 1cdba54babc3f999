-- --fail=unexpected "FORM", expected FROM
-- at=1:10
SELECT * FORM t

-- --fail=unexpected end of input, expected expression
-- at=1:11
SELECT 1 +

-- --fail=unexpected "b", expected one of: ",", FROM, WHERE
-- at=2:8
SELECT a
  FORM b c t

-- --fail=unterminated string literal
-- at=1:8
SELECT 'abc

-- --fail=unterminated quoted identifier
-- at=1:8
SELECT `abc

-- --fail=unterminated comment
-- at=2:1
SELECT 1
/* never closed

-- --fail=zero-length identifier
-- at=1:8
SELECT `` FROM t

-- --fail=unexpected character '?'
-- at=1:12
SELECT a = ?

-- --fail=PRIMARY KEY must be NOT ENFORCED
-- at=1:39
CREATE TABLE t (a INT, PRIMARY KEY (a))

-- --fail=a table has at most one PRIMARY KEY
-- at=1:56
CREATE TABLE t (a INT PRIMARY KEY NOT ENFORCED, b INT, PRIMARY KEY (b) NOT ENFORCED)

-- --fail=a table has at most one WATERMARK
-- at=1:71
CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts, b TIMESTAMP, WATERMARK FOR b AS b)

-- --fail=unknown data type "INTT"
-- at=1:19
CREATE TABLE t (a INTT)

-- --fail=unknown partition transform "weeks"
-- at=1:43
CREATE TABLE t (a INT) PARTITIONED BY (a, weeks(a))

-- --fail=invalid interval qualifier MONTH TO YEAR
-- at=1:30
SELECT INTERVAL '1' MONTH TO YEAR

-- --fail=unexpected "select", expected one of: DISTINCT, ALL, expression
-- at=1:8
SELECT select FROM t

-- --fail=unexpected ")", expected expression
-- at=1:12
SELECT f(1,)

-- --fail=unexpected "SELEC", expected SELECT
-- at=1:1
SELEC 1

-- --fail=unexpected end of input, expected one of: ".", AS, ON, USING
-- at=1:23
SELECT * FROM a JOIN b

-- --fail=statement set has no INSERT
-- at=1:1
EXECUTE STATEMENT SET BEGIN END

-- --fail=unexpected "SELECT", expected one of: END, INSERT
-- at=1:29
EXECUTE STATEMENT SET BEGIN SELECT 1; END

-- --fail=unexpected end of input, expected one of: END, INSERT
-- at=2:31
BEGIN STATEMENT SET;
INSERT INTO a SELECT * FROM s;

-- --fail=unterminated hint
-- at=1:17
SELECT * FROM t /*+ OPTIONS('a' = 'b')

-- --fail=unexpected "'b'", expected "="
-- at=1:33
SELECT * FROM t /*+ OPTIONS('a' 'b') */

-- --fail=unexpected "/*+"
-- at=1:10
SELECT a /*+ X */ FROM t

-- --fail=expected a function call in TABLE(...)
-- at=1:21
SELECT * FROM TABLE(1 + 1)

-- --fail=nesting depth exceeds 100
-- at=1:107
SELECT ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))

-- --fail=integer 99999999999 is too large
-- at=1:27
CREATE TABLE t (a VARCHAR(99999999999))

-- --fail=invalid number "1e"
-- at=1:8
SELECT 1e

-- --fail=binary string literal needs an even number of hex digits
-- at=1:8
SELECT X'ABC'
