-- insert values
INSERT INTO t VALUES (1, 'a'), (2, 'b')

-- insert with columns and select
INSERT INTO db.t (a, b) SELECT x, y FROM s WHERE x > 0

-- insert overwrite with static partition
INSERT OVERWRITE t PARTITION (dt = '2024-01-01', h = 3) SELECT a, b FROM s

-- insert with options hint
INSERT INTO t /*+ OPTIONS('sink.parallelism' = '4') */ SELECT * FROM s

-- insert into table keyword is noise
INSERT INTO TABLE t SELECT * FROM s

-- insert a parenthesized query
INSERT INTO t (SELECT * FROM s UNION ALL SELECT * FROM r)

-- insert with a CTE
INSERT INTO t WITH x AS (SELECT 1 AS a) SELECT a FROM x

-- execute statement set
EXECUTE STATEMENT SET BEGIN
INSERT INTO a SELECT * FROM s WHERE k = 1;
INSERT INTO b SELECT * FROM s WHERE k = 2;
END

-- statement set, last insert without semicolon
EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT CASE WHEN x THEN 1 END FROM s END

-- SQL client statement set form
BEGIN STATEMENT SET;
INSERT INTO a SELECT * FROM s;
INSERT INTO b SELECT * FROM s;
END;

-- execute insert
EXECUTE INSERT INTO t SELECT 1

-- several statements, empty ones skipped
;;SET 'a' = 'b';; SELECT 1;
