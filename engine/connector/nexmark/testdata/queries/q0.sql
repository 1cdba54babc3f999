-- Nexmark q0, pass through: every bid unchanged. Measures the cost of
-- reading and writing the stream with no computation.
-- sink: nexmark_q0(auction BIGINT, bidder BIGINT, price BIGINT, dateTime TIMESTAMP(3), extra STRING)
INSERT INTO nexmark_q0
SELECT auction, bidder, price, dateTime, extra
FROM bid;
