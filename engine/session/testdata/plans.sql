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
