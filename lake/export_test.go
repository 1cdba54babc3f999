package lake

// RemoveOrphansNow is RemoveOrphans without the minimum age, for tests that
// control every writer.
var RemoveOrphansNow = (*Warehouse).removeOrphans
