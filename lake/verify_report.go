package lake

// VerifyReport is what Verify found: one entry per invariant checked.
type VerifyReport struct {
	Table     string `json:"table"`
	Snapshots int    `json:"snapshots"`
	// Rows is the current snapshot's live rows, net of position deletes;
	// -1 when equality deletes leave it to a full scan.
	Rows   int64         `json:"rows"`
	Checks []VerifyCheck `json:"checks"`
}

// VerifyCheck is one invariant: what was checked, over how many items, and the
// violations found (empty when it holds).
type VerifyCheck struct {
	Name       string   `json:"name"`
	Checked    int      `json:"checked"`
	Violations []string `json:"violations,omitempty"`
}

// OK reports whether every invariant holds.
func (r *VerifyReport) OK() bool {
	for _, c := range r.Checks {
		if len(c.Violations) > 0 {
			return false
		}
	}
	return true
}
