package commit

import (
	"fmt"
)

// Facts is what the ledger observed of one table before a commit.
type Facts struct {
	// Ancestry is the main branch's snapshots, newest first. It may stop early:
	// Decide needs only the snapshots down to (and including) the job's newest
	// epoch below the one being committed.
	Ancestry []Snap
	// Fence is the table's FenceProperty for the job (0 when unset).
	Fence uint64
	// Floor is the job's committed positions from wharf's own checkpoint
	// record: what remains known when the snapshots carrying them have expired.
	Floor Positions
}

// Verdict is the outcome of Decide.
type Verdict uint8

const (
	// Proceed: the epoch is not committed and may commit now.
	Proceed Verdict = iota
	// Duplicate: the epoch's txid is already in the ancestry.
	Duplicate
	// Fenced: a newer generation of the job owns the table.
	Fenced
	// Stale: a later epoch of the job is committed but this one is not; the
	// writer is replaying from a point it should have moved past.
	Stale
	// Discontiguous: the epoch's source ranges do not start where the job's
	// previous commit ended (a gap would lose rows, an overlap duplicate them).
	Discontiguous
)

func (v Verdict) String() string {
	return [...]string{"proceed", "duplicate", "fenced", "stale", "discontiguous"}[v]
}

// Decision is a Verdict with its evidence.
type Decision struct {
	Verdict    Verdict
	SnapshotID int64  // Duplicate: the snapshot carrying the txid
	Reason     string // for every verdict but Proceed
}

// Decide says whether epoch e with key txid may commit on a table with facts f.
func Decide(e Epoch, txid string, f Facts) Decision {
	if f.Fence > e.Generation {
		// Checked before the txid: a fenced zombie must learn it is fenced even
		// when its epoch happens to be committed already.
		return Decision{Verdict: Fenced, Reason: fmt.Sprintf("job %s generation %d is fenced by generation %d", e.Job, e.Generation, f.Fence)}
	}
	expected := Positions{}
	for k, v := range f.Floor {
		expected[k] = v
	}
	var later *Snap // the newest later epoch of the job, if any
	for i := range f.Ancestry {
		s := &f.Ancestry[i]
		if s.TxID == txid {
			return Decision{Verdict: Duplicate, SnapshotID: s.ID, Reason: fmt.Sprintf("epoch %d of job %s is already committed as snapshot %d", e.Number, e.Job, s.ID)}
		}
		if s.Job != e.Job || s.TxID == "" {
			continue
		}
		if s.Generation > e.Generation {
			return Decision{Verdict: Fenced, Reason: fmt.Sprintf("job %s generation %d is fenced: snapshot %d was committed by generation %d", e.Job, e.Generation, s.ID, s.Generation)}
		}
		if s.Epoch >= e.Number {
			// Keep walking: a replay of an older epoch finds its txid deeper
			// down and is a Duplicate, not an error.
			if later == nil {
				later = s
			}
			continue
		}
		// The newest earlier epoch of the job: its ends are the expected starts.
		// Deeper snapshots cannot hold this txid, since a job's epochs only grow
		// along the ancestry.
		for _, r := range s.Sources {
			if r.To > expected[r.Key()] {
				expected[r.Key()] = r.To
			}
		}
		break
	}
	if later != nil {
		return Decision{Verdict: Stale, Reason: fmt.Sprintf("job %s: epoch %d is not committed but epoch %d is (snapshot %d)", e.Job, e.Number, later.Epoch, later.ID)}
	}
	for _, r := range e.Sources {
		want, known := expected[r.Key()]
		if known && r.From != want {
			kind := "gap"
			if r.From < want {
				kind = "overlap"
			}
			return Decision{Verdict: Discontiguous, Reason: fmt.Sprintf("job %s epoch %d: source %s starts at %d but the previous commit ended at %d (%s)", e.Job, e.Number, r.Key(), r.From, want, kind)}
		}
	}
	return Decision{Verdict: Proceed}
}
