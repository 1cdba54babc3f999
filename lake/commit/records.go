package commit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/wharfdata/wharf/lake/objstore"
)

// The ledger's records, under the records store:
//
//	jobs/{job}/generations/{gen}         a generation's claim (conditional create)
//	jobs/{job}/epochs/{epoch}/prepared   files and ranges of an epoch about to commit
//	jobs/{job}/epochs/{epoch}/committed  the checkpoint: snapshot and cumulative positions
//
// Numbers are zero-padded to 20 digits so that listing order is numeric order.

var jobRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$`)

func validJob(job string) error {
	if !jobRE.MatchString(job) || strings.Contains(job, "..") {
		return fmt.Errorf("invalid job id %q: 1-128 letters, digits, '_', '-' or '.', starting with a letter or digit", job)
	}
	return nil
}

func pad(n uint64) string { return fmt.Sprintf("%020d", n) }

func generationsPrefix(job string) string { return "jobs/" + job + "/generations/" }
func epochsPrefix(job string) string      { return "jobs/" + job + "/epochs/" }
func preparedKey(job string, epoch uint64) string {
	return epochsPrefix(job) + pad(epoch) + "/prepared"
}
func committedKey(job string, epoch uint64) string {
	return epochsPrefix(job) + pad(epoch) + "/committed"
}

// TableRef names a table and pins its identity: a table dropped and
// recreated under the same name is a different table.
type TableRef struct {
	Ident []string `json:"ident"`
	UUID  string   `json:"uuid"`
}

// Prepared is the pre-commit record of an epoch. Its first table sits where
// single-table records have always had it (the embedded fields encode flat),
// the other tables of a multi-table epoch in Others: a record written before
// multi-table epochs reads, and replays, byte for byte.
type Prepared struct {
	Epoch Epoch `json:"epoch"`
	PreparedTable
	Others []PreparedTable `json:"others,omitempty"`
}

// PreparedTable is one table's part of a prepared epoch.
type PreparedTable struct {
	TxID  string   `json:"txid"`
	Table TableRef `json:"table"`
	Files []string `json:"files"` // data file locations, in commit order
	// Deletes are the epoch's position delete files (upserts).
	Deletes []DeleteRef `json:"deletes,omitempty"`
}

// Tables returns every table of the epoch, the first one first.
func (p Prepared) Tables() []PreparedTable {
	return append([]PreparedTable{p.PreparedTable}, p.Others...)
}

// Committed is the checkpoint record written after an epoch's commit, laid
// out as Prepared: the first table flat, the others in Others.
type Committed struct {
	Epoch      uint64 `json:"epoch"`
	Generation uint64 `json:"generation"`
	CommittedTable
	Positions Positions        `json:"positions"` // cumulative: next position per source partition
	Others    []CommittedTable `json:"others,omitempty"`
	// State and Watermark are the epoch's, so that a restart restores the
	// operators' state with the positions it belongs to.
	State     string `json:"state,omitempty"`
	Watermark *int64 `json:"watermark,omitempty"`
}

// CommittedTable is one table's part of a committed epoch.
type CommittedTable struct {
	TxID           string   `json:"txid"`
	Table          TableRef `json:"table"`
	SnapshotID     int64    `json:"snapshot_id"`
	SequenceNumber int64    `json:"sequence_number"`
}

// Tables returns every table of the epoch, the first one first.
func (c Committed) Tables() []CommittedTable {
	return append([]CommittedTable{c.CommittedTable}, c.Others...)
}

// createRecord writes a record once. An existing record with the same bytes is
// a benign replay; with other bytes it is a conflict between incarnations.
func createRecord(ctx context.Context, st objstore.Store, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("BUG: encode record %s: %w", key, err)
	}
	err = st.CreateIfAbsent(ctx, key, b)
	var ex *objstore.ExistsError
	if errors.As(err, &ex) {
		if string(ex.Existing) == string(b) {
			return nil
		}
		return &conflictError{key: key, existing: ex.Existing}
	}
	return err
}

type conflictError struct {
	key      string
	existing []byte
}

func (e *conflictError) Error() string {
	return "record " + e.key + " already exists with different content"
}

func readRecord(ctx context.Context, st objstore.Store, key string, v any) error {
	b, err := st.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("record %s is corrupt: %w", key, err)
	}
	return nil
}

// jobRecords is what the store holds for a job.
type jobRecords struct {
	maxGeneration uint64
	prepared      map[uint64]bool
	committed     map[uint64]bool
}

func listJob(ctx context.Context, st objstore.Store, job string) (jobRecords, error) {
	r := jobRecords{prepared: map[uint64]bool{}, committed: map[uint64]bool{}}
	gens, err := st.List(ctx, generationsPrefix(job))
	if err != nil {
		return r, err
	}
	for _, o := range gens {
		g, err := strconv.ParseUint(strings.TrimPrefix(o.Key, generationsPrefix(job)), 10, 64)
		if err != nil {
			return r, fmt.Errorf("unexpected record %s", o.Key)
		}
		r.maxGeneration = max(r.maxGeneration, g)
	}
	eps, err := st.List(ctx, epochsPrefix(job))
	if err != nil {
		return r, err
	}
	for _, o := range eps {
		num, kind, ok := strings.Cut(strings.TrimPrefix(o.Key, epochsPrefix(job)), "/")
		n, err := strconv.ParseUint(num, 10, 64)
		if !ok || err != nil {
			return r, fmt.Errorf("unexpected record %s", o.Key)
		}
		switch kind {
		case "prepared":
			r.prepared[n] = true
		case "committed":
			r.committed[n] = true
		default:
			return r, fmt.Errorf("unexpected record %s", o.Key)
		}
	}
	return r, nil
}

// Pending returns every job's prepared epochs that have no committed record:
// commits that may be in flight or await recovery. Their files must not be
// removed and the snapshots carrying their txids must not be expired.
func Pending(ctx context.Context, st objstore.Store) ([]Prepared, error) {
	objs, err := st.List(ctx, "jobs/")
	if err != nil {
		return nil, err
	}
	committed := map[string]bool{}
	var prepared []string
	for _, o := range objs {
		switch {
		case strings.HasSuffix(o.Key, "/committed"):
			committed[strings.TrimSuffix(o.Key, "/committed")] = true
		case strings.HasSuffix(o.Key, "/prepared"):
			prepared = append(prepared, strings.TrimSuffix(o.Key, "/prepared"))
		}
	}
	var out []Prepared
	for _, k := range prepared {
		if committed[k] {
			continue
		}
		var p Prepared
		if err := readRecord(ctx, st, k+"/prepared", &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
