package types

import (
	"testing"
	"time"
)

// TestCivil checks Civil, DaysFromCivil and MonthDays against time.Time
// over ±10,000 years around the epoch, day by day near the ends and at
// every month start between.
func TestCivil(t *testing.T) {
	check := func(days int64) {
		tm := time.Unix(days*86400, 0).UTC()
		y, m, d := Civil(days)
		if y != int64(tm.Year()) || m != int64(tm.Month()) || d != int64(tm.Day()) {
			t.Fatalf("Civil(%d) = %d-%d-%d, want %s", days, y, m, d, tm.Format("2006-01-02"))
		}
		if got := DaysFromCivil(y, m, d); got != days {
			t.Fatalf("DaysFromCivil(%d, %d, %d) = %d, want %d", y, m, d, got, days)
		}
		if next := tm.AddDate(0, 0, 1); next.Month() != tm.Month() && MonthDays(y, m) != d {
			t.Fatalf("MonthDays(%d, %d) = %d, want %d", y, m, MonthDays(y, m), d)
		}
	}
	const span = 10_000 * 366
	for days := int64(-span); days <= span; days++ {
		if days > -span+800 && days < span-800 && (days < -800 || days > 800) {
			if _, _, d := Civil(days); d != 1 && d < 28 {
				continue // the middle of months is covered near the ends
			}
		}
		check(days)
	}
	for _, y := range []int64{1900, 2100, 2023} {
		if IsLeap(y) {
			t.Errorf("IsLeap(%d)", y)
		}
	}
	for _, y := range []int64{2000, 2024, -4, 0} {
		if !IsLeap(y) {
			t.Errorf("!IsLeap(%d)", y)
		}
	}
}
