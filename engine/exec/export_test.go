package exec

import "time"

// FireEarlyAt turns early firing on in a window aggregation (NewWindowAgg)
// with now as its clock, so tests decide when the delay has passed.
func FireEarlyAt(op Operator, every time.Duration, now func() time.Time) {
	w := op.(*windowAgg)
	w.now = now
	w.FireEarly(every)
}
