-- Nexmark q3, local item suggestion: who sells in category 10 and lives in
-- Oregon, Idaho or California; an unwindowed join of auctions with their
-- sellers.
-- sink: nexmark_q3(name STRING, city STRING, state STRING, id BIGINT)
INSERT INTO nexmark_q3
SELECT P.name, P.city, P.state, A.id
FROM auction AS A
INNER JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA');
