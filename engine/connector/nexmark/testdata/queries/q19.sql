-- Nexmark q19, auction top-10 price: the ten highest bids of every auction
-- with their rank.
-- sink: nexmark_q19(auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, dateTime TIMESTAMP(3), extra STRING, rank_number BIGINT, PRIMARY KEY (auction, rank_number) NOT ENFORCED)
INSERT INTO nexmark_q19
SELECT *
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number
    FROM bid
)
WHERE rank_number <= 10;
