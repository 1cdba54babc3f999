package exec

// TimeBounds say when the watermark makes a joined row unmatchable: a
// left row whose time column LeftCol holds t can match no row still to
// come once the watermark reaches t + LeftLife, and likewise for the
// right side. Rows still to come have times at or after the watermark.
type TimeBounds struct {
	LeftCol, RightCol   int
	LeftLife, RightLife int64 // microseconds
}
