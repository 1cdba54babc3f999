package lake

// RemoveOrphansNow is RemoveOrphans without the minimum age, for tests that
// control every writer.
var RemoveOrphansNow = (*Warehouse).removeOrphans

// SetAfterCompactPlan installs a hook between a compaction's planning and its
// commit; nil removes it.
func SetAfterCompactPlan(f func()) { afterCompactPlan = f }
