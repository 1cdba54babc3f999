-- DuckDB's text of the Nexmark queries whose Flink SQL DuckDB does not run
-- as written (TestNexmarkDuckDB). The Flink SQL itself is read from
-- engine/connector/nexmark/testdata/queries/, the files the continuous and
-- batch tests run; a query absent here runs on DuckDB with backquotes made
-- double quotes, and with macros for the Flink functions DuckDB lacks or
-- has with other semantics (nexmarkMacros). The format is testdata/queries.sql's, but each entry's
-- SQL is DuckDB's.
--
-- Window TVFs become arithmetic on epoch milliseconds, aligned to the epoch
-- as Flink's are: TUMBLE(10 s) starts at floor(ms / 10000) * 10000; a row is
-- in the five HOP(2 s, 10 s) windows starting at (floor(ms / 2000) - k) *
-- 2000 for k = 0..4; a SESSION(10 s) window is a run of a key's rows less
-- than 10 s apart, from its first row to its last plus 10 s.

-- nexmark/q5: HOP windows
WITH hop AS (
    SELECT auction, (epoch_ms(dateTime) // 2000 - k) * 2000 AS starttime
    FROM bid, range(0, 5) AS r(k)
), counts AS (
    SELECT auction, COUNT(*) AS num, starttime FROM hop GROUP BY auction, starttime
)
SELECT C.auction, C.num
FROM counts AS C
JOIN (SELECT MAX(num) AS maxn, starttime FROM counts GROUP BY starttime) AS M
ON C.starttime = M.starttime AND C.num >= M.maxn;

-- nexmark/q7: TUMBLE windows
SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
FROM bid AS B
JOIN (
    SELECT MAX(price) AS maxprice, epoch_ms((epoch_ms(dateTime) // 10000 + 1) * 10000) AS dateTime
    FROM bid
    GROUP BY epoch_ms(dateTime) // 10000
) AS B1
ON B.price = B1.maxprice
WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL 10 SECOND AND B1.dateTime;

-- nexmark/q8: TUMBLE windows
SELECT P.id, P.name, epoch_ms(P.w * 10000)
FROM (SELECT id, name, epoch_ms(dateTime) // 10000 AS w FROM person GROUP BY id, name, w) AS P
JOIN (SELECT seller, epoch_ms(dateTime) // 10000 AS w FROM auction GROUP BY seller, w) AS A
ON P.id = A.seller AND P.w = A.w;

-- nexmark/q11: SESSION windows
WITH marked AS (
    SELECT bidder, dateTime,
        CASE WHEN dateTime - LAG(dateTime) OVER (PARTITION BY bidder ORDER BY dateTime) < INTERVAL 10 SECOND THEN 0 ELSE 1 END AS starts
    FROM bid
), numbered AS (
    SELECT bidder, dateTime, SUM(starts) OVER (PARTITION BY bidder ORDER BY dateTime ROWS UNBOUNDED PRECEDING) AS session
    FROM marked
)
SELECT bidder, COUNT(*), MIN(dateTime), MAX(dateTime) + INTERVAL 10 SECOND
FROM numbered
GROUP BY bidder, session;

-- nexmark/q21: Flink's REGEXP_EXTRACT is NULL without a match, DuckDB's ''
SELECT auction, bidder, price, channel,
    CASE
        WHEN lower(channel) = 'apple' THEN '0'
        WHEN lower(channel) = 'google' THEN '1'
        WHEN lower(channel) = 'facebook' THEN '2'
        WHEN lower(channel) = 'baidu' THEN '3'
        WHEN regexp_matches(url, '(&|^)channel_id=([^&]*)') THEN regexp_extract(url, '(&|^)channel_id=([^&]*)', 2)
    END AS channel_id
FROM bid
WHERE regexp_matches(url, '(&|^)channel_id=([^&]*)')
    OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu');
