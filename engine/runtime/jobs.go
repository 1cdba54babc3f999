package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wharfdata/wharf/lake/objstore"
)

// What a job record says its owner wants.
const (
	desiredRunning = "running"
	desiredStopped = "stopped"
)

// jobRecord is a job as the record store keeps it, under
// registry/jobs/{id}.json. Progress is not here: it is in the ledger's
// records and the table's snapshots.
type jobRecord struct {
	ID      string    `json:"id"`
	SQL     string    `json:"sql"`
	Desired string    `json:"desired"`
	Created time.Time `json:"created"`
}

const jobsPrefix = "registry/jobs/"

func putJob(ctx context.Context, st objstore.Store, r jobRecord, create bool) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if create {
		return st.CreateIfAbsent(ctx, jobsPrefix+r.ID+".json", b)
	}
	return st.Put(ctx, jobsPrefix+r.ID+".json", b)
}

func listJobs(ctx context.Context, st objstore.Store) ([]jobRecord, error) {
	var out []jobRecord
	err := objstore.Each(ctx, st, jobsPrefix, ".json", func(key string, b []byte) error {
		var r jobRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("job record %s: %w", key, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}
