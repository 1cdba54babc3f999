-- Nexmark q14, calculation: bids with a euro price between 1,000,000 and
-- 50,000,000, labelled by the time of day they were made (day 8–18,
-- night up to 6 and from 20, other), with the number of 'c's in extra
-- (the benchmark's count_char UDF, written with CHAR_LENGTH and REPLACE).
-- sink: nexmark_q14(auction BIGINT, bidder BIGINT, price DECIMAL(23, 3), bidTimeType STRING, dateTime TIMESTAMP(3), extra STRING, c_counts BIGINT)
INSERT INTO nexmark_q14
SELECT auction, bidder, 0.908 * price AS price,
    CASE
        WHEN HOUR(dateTime) >= 8 AND HOUR(dateTime) <= 18 THEN 'dayTime'
        WHEN HOUR(dateTime) <= 6 OR HOUR(dateTime) >= 20 THEN 'nightTime'
        ELSE 'otherTime'
    END AS bidTimeType,
    dateTime, extra,
    CAST(CHAR_LENGTH(extra) - CHAR_LENGTH(REPLACE(extra, 'c', '')) AS BIGINT) AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
