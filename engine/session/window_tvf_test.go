package session_test

import "testing"

func TestWindowTVFBatch(t *testing.T) {
	s, _ := newSession(t)
	mustExec(t, s, `CREATE TABLE bids (id BIGINT, price BIGINT, ts TIMESTAMP(3))`)
	mustExec(t, s, `INSERT INTO bids VALUES
		(1, 10, TIMESTAMP '2026-11-21 10:00:01.000'),
		(2, 20, TIMESTAMP '2026-11-21 10:00:04.999'),
		(3, 30, TIMESTAMP '2026-11-21 10:00:05.000'),
		(4, 40, TIMESTAMP '2026-11-21 10:00:12.500'),
		(5, 50, NULL)`)
	checkRows(t, s, `SELECT window_start, window_end, COUNT(*), SUM(price) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND))
		GROUP BY window_start, window_end ORDER BY window_start`,
		"2026-11-21T10:00:00|2026-11-21T10:00:05|2|30",
		"2026-11-21T10:00:05|2026-11-21T10:00:10|1|30",
		"2026-11-21T10:00:10|2026-11-21T10:00:15|1|40")
	// HOP: 10 s windows every 5 s; each row lands in two.
	checkRows(t, s, `SELECT window_start, window_end, COUNT(*), MAX(id) FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
		GROUP BY window_start, window_end ORDER BY window_start`,
		"2026-11-21T09:59:55|2026-11-21T10:00:05|2|2",
		"2026-11-21T10:00:00|2026-11-21T10:00:10|3|3",
		"2026-11-21T10:00:05|2026-11-21T10:00:15|2|4",
		"2026-11-21T10:00:10|2026-11-21T10:00:20|1|4")
	// CUMULATE: 10 s periods growing by 5 s; named arguments.
	checkRows(t, s, `SELECT window_start, window_end, COUNT(*) FROM TABLE(CUMULATE(DATA => TABLE bids, TIMECOL => DESCRIPTOR(ts), STEP => INTERVAL '5' SECOND, SIZE => INTERVAL '10' SECOND))
		GROUP BY window_start, window_end ORDER BY window_start, window_end`,
		"2026-11-21T10:00:00|2026-11-21T10:00:05|2",
		"2026-11-21T10:00:00|2026-11-21T10:00:10|3",
		"2026-11-21T10:00:10|2026-11-21T10:00:15|1",
		"2026-11-21T10:00:10|2026-11-21T10:00:20|1")
	checkRows(t, s, `SELECT id, window_time FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) WHERE id = 4`, "4|2026-11-21T10:00:59.999")
	checkErrors(t, s, []errCase{
		{"SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(id), INTERVAL '5' SECOND))", "INVALID_ARGUMENT", "must be a TIMESTAMP", 1, 51},
		{"SELECT * FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '3' SECOND, INTERVAL '10' SECOND))", "INVALID_ARGUMENT", "whole multiple of the slide", 1, 21},
		{"SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(nope), INTERVAL '5' SECOND))", "NOT_FOUND", "column nope not found", 1, 51},
		{"SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts)))", "INVALID_ARGUMENT", "needs its SIZE argument", 1, 21},
		{"SELECT * FROM TABLE(SESSION(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND))", "UNSUPPORTED", "SESSION windows", 1, 15},
	})
}
