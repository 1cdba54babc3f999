-- Nexmark q4, average price for a category: the closing price of an auction
-- is its highest bid made while it was open; the result is the running
-- average closing price per category.
-- sink: nexmark_q4(id BIGINT, final BIGINT, PRIMARY KEY (id) NOT ENFORCED)
INSERT INTO nexmark_q4
SELECT Q.category, AVG(Q.final)
FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction AS A, bid AS B
    WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
    GROUP BY A.id, A.category
) AS Q
GROUP BY Q.category;
