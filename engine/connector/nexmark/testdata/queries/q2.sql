-- Nexmark q2, selection: the bids on a sample of auctions, those whose id
-- is a multiple of 123.
-- sink: nexmark_q2(auction BIGINT, price BIGINT)
INSERT INTO nexmark_q2
SELECT auction, price
FROM bid
WHERE MOD(auction, 123) = 0;
