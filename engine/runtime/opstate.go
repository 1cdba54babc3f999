package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfdata/wharf/lake/objstore"
)

// jobState is what an epoch's commit records as wharf.state: per input,
// where a restart reads from to rebuild open windows (see eventTime), and
// the chain of objects holding the operators' snapshots, each written
// before the commit that names it: the last full snapshot
// (exec.Graph.Snapshot) and the deltas taken after it
// (exec.Graph.SnapshotDelta), oldest first. A state recorded before deltas
// existed names a full snapshot only, and restores as it did.
type jobState struct {
	Replay    map[string]map[int32]int64 `json:"replay,omitempty"` // input key → split → position
	Operators string                     `json:"operators,omitempty"`
	Deltas    []string                   `json:"deltas,omitempty"`
}

func (s jobState) encode() string {
	if len(s.Replay) == 0 && s.Operators == "" {
		return ""
	}
	b, _ := json.Marshal(s) // maps of numbers and strings always marshal
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
	if s.Operators == "" && len(s.Deltas) > 0 {
		return s, fmt.Errorf("job state %q: operator deltas without the snapshot they follow", st)
	}
	return s, nil
}

// stateKey is where epoch's operator snapshot of generation gen goes, a
// full one or a delta. Keys sort by epoch, then generation.
func stateKey(job string, epoch, gen uint64, full bool) string {
	ext := ".delta"
	if full {
		ext = ".state"
	}
	return fmt.Sprintf("%s%020d-%020d%s", statePrefix(job), epoch, gen, ext)
}

func statePrefix(job string) string { return "state/" + job + "/" }

// maxDeltas bounds a chain's deltas, and so the objects a restart reads.
const maxDeltas = 64

// opChain is a chain of operator-state objects, with their sizes: a full
// snapshot, then the deltas taken after it.
type opChain struct {
	keys  []string
	sizes []int64
}

// full says whether an epoch's snapshot should be a full one: always when
// no operator takes deltas or there is no chain yet; otherwise once the
// deltas outweigh the full snapshot they follow (restoring them would cost
// more than restoring a new one), or number maxDeltas. A state that grows
// steadily then writes full snapshots at sizes that double, so the bytes
// written stay linear in its size, not quadratic.
func (c opChain) full(incremental bool) bool {
	if !incremental || len(c.keys) == 0 || len(c.keys) > maxDeltas {
		return true
	}
	var deltas int64
	for _, n := range c.sizes[1:] {
		deltas += n
	}
	return deltas >= c.sizes[0]
}

// extend is the chain after a snapshot of size bytes at key: a new chain
// for a full one. c is not changed: it stays the committed chain until
// the epoch commits.
func (c opChain) extend(key string, size int64, full bool) opChain {
	if full {
		return opChain{keys: []string{key}, sizes: []int64{size}}
	}
	return opChain{keys: append(slices.Clip(c.keys), key), sizes: append(slices.Clip(c.sizes), size)}
}

// record sets s's chain to c.
func (c opChain) record(s *jobState) {
	if len(c.keys) > 0 {
		s.Operators, s.Deltas = c.keys[0], c.keys[1:]
	}
}

// stale lists the objects of keys (a listing of the job's state prefix)
// that recovery can no longer need once c is committed: state objects
// that sort before c's last and are not in c. Those were replaced by a
// newer chain, or written for attempts that never committed (they sort
// before the next committed object, as their epochs do). Objects after c's
// last may be an attempt in flight (a newer generation's) and stay.
func (c opChain) stale(keys []string) []string {
	if len(c.keys) == 0 {
		return nil
	}
	last := c.keys[len(c.keys)-1]
	var out []string
	for _, k := range keys {
		if k < last && (strings.HasSuffix(k, ".state") || strings.HasSuffix(k, ".delta")) && !slices.Contains(c.keys, k) {
			out = append(out, k)
		}
	}
	return out
}

// readChain reads the objects of s's chain, the full snapshot first.
func readChain(ctx context.Context, st objstore.Store, s jobState) (opChain, [][]byte, error) {
	var c opChain
	var objs [][]byte
	if s.Operators == "" {
		return c, nil, nil
	}
	for _, k := range append([]string{s.Operators}, s.Deltas...) {
		b, err := st.Get(ctx, k)
		if err != nil {
			return c, nil, fmt.Errorf("operator state %s: %w", k, err)
		}
		c.keys, c.sizes, objs = append(c.keys, k), append(c.sizes, int64(len(b))), append(objs, b)
	}
	return c, objs, nil
}

// pruneStates deletes the job's state objects that c, the chain the last
// commit names, makes stale.
func pruneStates(ctx context.Context, st objstore.Store, job string, c opChain) error {
	objs, err := st.List(ctx, statePrefix(job))
	if err != nil {
		return err
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	for _, k := range c.stale(keys) {
		if err := st.Delete(ctx, k); err != nil && !errors.Is(err, objstore.ErrNotExist) {
			return err
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
