package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wharfdata/wharf/lake/objstore"
)

// jobState is what an epoch's commit records as wharf.state: per input,
// where a restart reads from to rebuild open windows (see eventTime), and
// the key of the object holding the operators' snapshots (see
// exec.Graph.Snapshot), written before the commit that names it.
type jobState struct {
	Replay    map[string]map[int32]int64 `json:"replay,omitempty"` // input key → split → position
	Operators string                     `json:"operators,omitempty"`
}

func (s jobState) encode() string {
	if len(s.Replay) == 0 && s.Operators == "" {
		return ""
	}
	b, _ := json.Marshal(s) // maps of numbers and a string always marshal
	return string(b)
}

func decodeState(st string) (jobState, error) {
	var s jobState
	if st == "" {
		return s, nil
	}
	if err := json.Unmarshal([]byte(st), &s); err != nil {
		return s, fmt.Errorf("job state %q: %w", st, err)
	}
	return s, nil
}

// stateKey is where epoch's operator snapshot of generation gen goes.
// Keys sort by epoch, then generation.
func stateKey(job string, epoch, gen uint64) string {
	return fmt.Sprintf("%s%020d-%020d.state", statePrefix(job), epoch, gen)
}

func statePrefix(job string) string { return "state/" + job + "/" }

// pruneStates deletes the job's snapshots older than keep, the one the
// last commit names: recovery only ever reads the last committed epoch's,
// and ones written for attempts that never committed sort before it.
func pruneStates(ctx context.Context, st objstore.Store, job, keep string) error {
	objs, err := st.List(ctx, statePrefix(job))
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.Key < keep && strings.HasSuffix(o.Key, ".state") {
			if err := st.Delete(ctx, o.Key); err != nil && !errors.Is(err, objstore.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// replayState is what eventTime records for one input: split → position.
func (e *eventTime) replayState() map[int32]int64 {
	if e.maxWindow == 0 {
		return nil
	}
	out := map[int32]int64{}
	for split, bs := range e.live {
		if len(bs) > 0 {
			out[split] = bs[0].from
		}
	}
	return out
}
