-- kafka source with watermark, computed and metadata columns
CREATE TABLE IF NOT EXISTS cat.db.orders (
  order_id BIGINT NOT NULL COMMENT 'the key',
  `user` STRING,
  price DECIMAL(10, 2),
  amount AS price * 2 COMMENT 'computed',
  ts TIMESTAMP(3),
  event_time TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  `partition` BIGINT METADATA VIRTUAL,
  headers MAP<STRING, BYTES> METADATA,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
  PRIMARY KEY (order_id) NOT ENFORCED
) COMMENT 'orders from kafka'
WITH (
  'connector' = 'kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'localhost:9092',
  'format' = 'json',
  'scan.startup.mode' = 'earliest-offset'
)

-- iceberg table partitioned by transforms
create table lake.events (id bigint, ts timestamp(6), s string, c int)
partitioned by (days(ts), bucket(16, id), truncate(4, s), c, identity(c), hours(ts), months(ts), years(ts))

-- column-level primary key with a constraint name
CREATE TEMPORARY TABLE t (id INT CONSTRAINT pk PRIMARY KEY NOT ENFORCED, v STRING) WITH ('connector' = 'datagen')

-- column-level primary key without a name
CREATE TABLE t (id INT PRIMARY KEY NOT ENFORCED COMMENT 'id', v STRING)

-- table-level named constraint
CREATE TABLE t (a INT, b INT, CONSTRAINT pk_ab PRIMARY KEY (a, b) NOT ENFORCED)

-- create table as select
CREATE TABLE agg WITH ('connector' = 'blackhole') AS SELECT k, COUNT(*) AS c FROM src GROUP BY k

-- every data type
CREATE TABLE all_types (
  c1 BOOLEAN, c2 TINYINT, c3 SMALLINT, c4 INT, c5 INTEGER, c6 BIGINT, c7 FLOAT, c8 REAL,
  c9 DOUBLE, c10 DOUBLE PRECISION, c11 DECIMAL, c12 DECIMAL(10), c13 DEC(10, 2), c14 NUMERIC(5, 0),
  c15 CHAR, c16 CHAR(3), c17 VARCHAR, c18 VARCHAR(255), c19 STRING, c20 BINARY, c21 BINARY(4),
  c22 VARBINARY(8), c23 BYTES, c24 DATE, c25 TIME, c26 TIME(3), c27 TIMESTAMP, c28 TIMESTAMP(9),
  c29 TIMESTAMP(3) WITHOUT TIME ZONE, c30 TIMESTAMP(3) WITH LOCAL TIME ZONE, c31 TIMESTAMP_LTZ(6),
  c32 ARRAY<INT NOT NULL>, c33 MAP<STRING, ARRAY<DOUBLE>>, c34 MULTISET<STRING>,
  c35 ROW<a INT, b STRING 'desc', c ROW<d DATE>>, c36 ROW(x INT, y STRING) NOT NULL,
  c37 STRING NULL, c38 TIME(0) WITHOUT TIME ZONE, c39 ROW<a INT COMMENT 'c'>, c40 CHARACTER(2)
)

-- create and drop databases and catalogs
CREATE DATABASE IF NOT EXISTS cat.db COMMENT 'analytics' WITH ('owner' = 'me');
CREATE DATABASE db2;
DROP DATABASE IF EXISTS db2 CASCADE;
DROP DATABASE db3 RESTRICT;
CREATE CATALOG ice WITH ('type' = 'iceberg', 'warehouse' = 's3://bucket/wh');
DROP CATALOG IF EXISTS ice

-- views
CREATE TEMPORARY VIEW IF NOT EXISTS v (a, b) COMMENT 'view' AS SELECT x, y FROM t;
CREATE VIEW db.v2 AS SELECT * FROM t WHERE x > 1;
DROP TEMPORARY VIEW IF EXISTS v;
DROP VIEW db.v2

-- drop tables
DROP TABLE IF EXISTS cat.db.orders;
DROP TEMPORARY TABLE t;
drop table t

-- show, describe, use
SHOW TABLES;
SHOW TABLES FROM db;
SHOW TABLES IN cat.db LIKE 'ord%';
SHOW TABLES NOT LIKE 'tmp%';
SHOW DATABASES;
SHOW CATALOGS;
SHOW VIEWS;
SHOW FUNCTIONS;
SHOW JOBS;
SHOW CURRENT CATALOG;
SHOW CURRENT DATABASE;
SHOW CREATE TABLE db.orders;
SHOW CREATE VIEW v;
DESCRIBE orders;
DESC db.orders;
USE db;
USE cat.db;
USE CATALOG ice;
USE catalog

-- set, reset, call
SET 'execution.checkpointing.interval' = '10s';
SET;
RESET 'table.exec.state.ttl';
RESET;
CALL system.rewrite_data_files('db.sample', options => MAP['min-input-files', '2'])

-- explain
EXPLAIN SELECT 1;
EXPLAIN PLAN FOR INSERT INTO t SELECT * FROM s;
EXPLAIN ESTIMATED_COST, CHANGELOG_MODE SELECT * FROM t;
EXPLAIN STATEMENT SET BEGIN INSERT INTO a SELECT * FROM s; INSERT INTO b SELECT * FROM s; END

-- keywords used as names are quoted in the output
CREATE TABLE `table` (`key` STRING, `value` STRING, `comment` STRING, `select` INT, `a b` INT, `x``y` INT, data INT)

-- a name that is a contextual word stays a name
CREATE TABLE watermark (watermark TIMESTAMP(3), WATERMARK FOR watermark AS watermark)

-- use a database named catalog, qualified
USE catalog.db;
USE `catalog`

-- --fail=unexpected ",", expected one of: ";", end of input
-- at=1:14
SET 'a' = 'b', 'c' = 'd'
