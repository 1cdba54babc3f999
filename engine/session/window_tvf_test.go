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
	// SESSION: per key, rows less than the gap apart share a window
	// [first, last + gap). Key 10 at :01, :03, :07.5 and :09 chains into one
	// session; :30 starts another.
	mustExec(t, s, `INSERT INTO bids VALUES (6, 10, TIMESTAMP '2026-11-21 10:00:09.000'), (7, 10, TIMESTAMP '2026-11-21 10:00:30.000'),
		(8, 10, TIMESTAMP '2026-11-21 10:00:03.000'), (9, 10, TIMESTAMP '2026-11-21 10:00:07.500')`)
	checkRows(t, s, `SELECT price, window_start, window_end, COUNT(*), MAX(id) FROM TABLE(SESSION(TABLE bids PARTITION BY price, DESCRIPTOR(ts), INTERVAL '5' SECOND))
		WHERE price IN (10, 30) GROUP BY price, window_start, window_end ORDER BY price, window_start`,
		"10|2026-11-21T10:00:01|2026-11-21T10:00:14|4|9",
		"10|2026-11-21T10:00:30|2026-11-21T10:00:35|1|7",
		"30|2026-11-21T10:00:05|2026-11-21T10:00:10|1|3")
	checkErrors(t, s, []errCase{
		{"SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(id), INTERVAL '5' SECOND))", "INVALID_ARGUMENT", "must be a TIMESTAMP", 1, 51},
		{"SELECT * FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '3' SECOND, INTERVAL '10' SECOND))", "INVALID_ARGUMENT", "whole multiple of the slide", 1, 21},
		{"SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(nope), INTERVAL '5' SECOND))", "NOT_FOUND", "column nope not found", 1, 51},
		{"SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts)))", "INVALID_ARGUMENT", "needs its SIZE argument", 1, 21},
		{"SELECT * FROM TABLE(TUMBLE(TABLE bids PARTITION BY id, DESCRIPTOR(ts), INTERVAL '5' SECOND))", "INVALID_ARGUMENT", "PARTITION BY belongs to SESSION windows", 1, 52},
	})
}
