package session

// SetQueryMemory sets the per-query memory budget for a test and returns
// the function that restores it.
func SetQueryMemory(n int64) (restore func()) {
	old := queryMemory
	queryMemory = n
	return func() { queryMemory = old }
}
