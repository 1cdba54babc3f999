package commit

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/apache/iceberg-go"
)

// Snapshot summary keys wharf writes on every commit (provenance) and reads
// back to decide (idempotency, fencing, contiguity).
const (
	KeyTxID       = "wharf.txid"
	KeyJob        = "wharf.job"
	KeyJobVersion = "wharf.job-version"
	KeyGeneration = "wharf.generation"
	KeyEpoch      = "wharf.epoch"
	KeySources    = "wharf.sources"
	KeyWatermark  = "wharf.watermark"
	KeyState      = "wharf.state"
)

// FenceProperty is the table property holding the newest generation of job
// that has claimed the table. A writer of an older generation must not commit.
func FenceProperty(job string) string { return "wharf.fence." + job }

// Epoch is one unit of commit: what a job computed from which inputs.
type Epoch struct {
	Job        string  `json:"job"`
	JobVersion string  `json:"job_version"` // hash of the job's SQL
	Generation uint64  `json:"generation"`  // the incarnation that computed it
	Number     uint64  `json:"epoch"`
	Sources    []Range `json:"sources"`
	Watermark  *int64  `json:"watermark,omitempty"` // event time, ms since the epoch
	State      string  `json:"state,omitempty"`     // state manifest of this epoch
}

// Properties are the snapshot summary properties of e with its txid.
func (e Epoch) Properties(txid string) iceberg.Properties {
	src, _ := json.Marshal(e.Sources) // []Range always marshals
	p := iceberg.Properties{
		KeyTxID:       txid,
		KeyJob:        e.Job,
		KeyJobVersion: e.JobVersion,
		KeyGeneration: strconv.FormatUint(e.Generation, 10),
		KeyEpoch:      strconv.FormatUint(e.Number, 10),
		KeySources:    string(src),
	}
	if e.Watermark != nil {
		p[KeyWatermark] = strconv.FormatInt(*e.Watermark, 10)
	}
	if e.State != "" {
		p[KeyState] = e.State
	}
	return p
}

// Snap is what the ledger needs to know of one snapshot.
type Snap struct {
	ID             int64
	SequenceNumber int64
	TxID           string // empty for snapshots not written by wharf
	Job            string
	Generation     uint64
	Epoch          uint64
	Sources        []Range
}

// ParseSnap reads the wharf keys of a snapshot summary. A snapshot without
// them (a foreign writer's, a compaction's) gives a Snap with an empty TxID.
// Malformed wharf keys are an error: silently ignoring them could hide a
// committed epoch and let it commit twice.
func ParseSnap(id, seq int64, summary iceberg.Properties) (Snap, error) {
	s := Snap{ID: id, SequenceNumber: seq, TxID: summary[KeyTxID]}
	if s.TxID == "" {
		return s, nil
	}
	s.Job = summary[KeyJob]
	var err error
	if s.Generation, err = strconv.ParseUint(summary[KeyGeneration], 10, 64); err != nil {
		return s, fmt.Errorf("snapshot %d: bad %s %q", id, KeyGeneration, summary[KeyGeneration])
	}
	if s.Epoch, err = strconv.ParseUint(summary[KeyEpoch], 10, 64); err != nil {
		return s, fmt.Errorf("snapshot %d: bad %s %q", id, KeyEpoch, summary[KeyEpoch])
	}
	if src := summary[KeySources]; src != "" {
		if err := json.Unmarshal([]byte(src), &s.Sources); err != nil {
			return s, fmt.Errorf("snapshot %d: bad %s: %v", id, KeySources, err)
		}
	}
	return s, nil
}
