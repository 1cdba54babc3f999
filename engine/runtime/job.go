package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake/commit"
)

// maxFailures is how many recoveries in a row may fail without one
// committed epoch before the job is marked failed: a deterministic error
// (a NOT NULL column receiving NULL) must not restart forever.
const maxFailures = 5

// job is one continuous job and its supervisor.
type job struct {
	m   *Manager
	rec jobRecord

	mu     sync.Mutex
	status Status
	cancel context.CancelFunc // hard stop
	stopCh chan struct{}      // closed to ask for a final epoch
	done   chan struct{}      // closed when the supervisor ends
}

func (j *job) Status() Status {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.status
	s.Positions = maps.Clone(j.status.Positions)
	return s
}

func (j *job) setState(state string, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status.State = state
	j.status.Error = ""
	if err != nil {
		j.status.Error = err.Error()
	}
}

func (j *job) running() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.done == nil {
		return false
	}
	select {
	case <-j.done:
		return false
	default:
		return true
	}
}

func (j *job) start() {
	if j.running() {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	j.mu.Lock()
	j.cancel, j.stopCh, j.done = cancel, make(chan struct{}), make(chan struct{})
	j.status.State, j.status.Error = StateRunning, ""
	stopCh, done := j.stopCh, j.done
	j.mu.Unlock()
	go j.supervise(ctx, stopCh, done)
}

// stop asks for a final epoch and waits for the job to end; if ctx ends
// first, the job is cancelled without one (nothing committed is lost).
func (j *job) stop(ctx context.Context) {
	j.mu.Lock()
	stopCh, done, cancel := j.stopCh, j.done, j.cancel
	if stopCh != nil {
		select {
		case <-stopCh:
		default:
			close(stopCh)
		}
	}
	j.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
		cancel()
		<-done
	}
}

// supervise runs the job, recovering after errors, until it is stopped or
// fails for good.
func (j *job) supervise(ctx context.Context, stopCh, done chan struct{}) {
	defer close(done)
	defer j.cancel()
	failures := 0
	for {
		committed, err := j.runOnce(ctx, stopCh)
		if err == nil || ctx.Err() != nil {
			j.setState(StateStopped, nil)
			return
		}
		if committed {
			failures = 0
		}
		failures++
		if errors.Is(err, ErrPaused) {
			j.m.log.Warn("job paused", "job", j.rec.ID, "err", err)
			j.setState(StatePaused, err)
			return
		}
		if fatal(err) || failures >= maxFailures {
			j.m.log.Error("job failed", "job", j.rec.ID, "err", err)
			j.setState(StateFailed, err)
			return
		}
		j.m.log.Warn("job restarting", "job", j.rec.ID, "err", err)
		j.setState(StateRestarting, err)
		j.mu.Lock()
		j.status.Restarts++
		j.mu.Unlock()
		select {
		case <-time.After(j.m.backoff):
			j.setState(StateRunning, nil)
		case <-stopCh:
			j.setState(StateStopped, nil)
			return
		case <-ctx.Done():
			j.setState(StateStopped, nil)
			return
		}
	}
}

// runOnce recovers the job and runs it until it is asked to stop (nil) or
// something fails. committed says whether it committed an epoch.
func (j *job) runOnce(ctx context.Context, stopCh chan struct{}) (committed bool, err error) {
	j.m.mu.Lock()
	planner := j.m.planner
	j.m.mu.Unlock()
	p, err := planner.PlanJob(ctx, j.rec.SQL)
	if err != nil {
		return false, fmt.Errorf("plan: %w", err)
	}
	defer p.Release()
	l, err := j.m.wh.Ledger(j.rec.ID)
	if err != nil {
		return false, err
	}
	tables := []table.Identifier{p.Target}
	var dl *deadLetters
	if decodes(p.Node) {
		// Records that do not decode go to a table of their own, in the
		// same commit as the rows.
		if dl, err = openDeadLetters(ctx, j.m.wh, j.rec.ID, p.Table); err != nil {
			return false, errkind.Wrap(errkind.Fatal, err)
		}
		tables = append(tables, dl.tbl.Identifier())
	}
	lr, err := openLateRows(ctx, j.m.wh, p.Table, p.Node)
	if err != nil {
		return false, errkind.Wrap(errkind.Fatal, err)
	}
	if lr != nil {
		tables = append(tables, lr.tbl.Identifier())
		defer lr.release()
	}
	res, err := l.Recover(ctx, tables)
	if err != nil {
		return false, err
	}
	if len(res.Aborted) > 0 {
		j.m.log.Warn("job recomputes epochs whose deletes name removed files", "job", j.rec.ID, "epochs", res.Aborted)
	}
	j.mu.Lock()
	j.status.Generation, j.status.Epoch = res.Generation, res.NextEpoch-1
	j.mu.Unlock()
	j.notePositions(res.Positions)

	st, err := decodeState(res.State)
	if err != nil {
		return false, errkind.Wrap(errkind.Fatal, err)
	}
	tw, err := newTableWriter(ctx, p)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			tw.abort()
		}
	}()
	g, ins, err := buildGraph(ctx, p, tw.sink())
	if err != nil {
		return false, err
	}
	defer g.Close()
	defer func() {
		for _, in := range ins {
			if in.src != nil {
				in.src.Close()
			}
		}
	}()
	chain, objs, err := readChain(ctx, j.m.wh.Records(), st)
	if err != nil {
		return false, fmt.Errorf("operator state of epoch %d: %w", res.NextEpoch-1, err)
	}
	if len(objs) > 0 {
		if err := g.Restore(objs[0], objs[1:]...); err != nil {
			return false, errkind.Wrap(errkind.Fatal, err)
		}
	}
	for _, in := range ins {
		in.et.restore(res.Watermark)
	}
	if err := start(ctx, ins, res.Positions, st); err != nil {
		return false, err
	}
	replaying := 0
	for _, in := range ins {
		replaying += len(in.replaying)
	}
	if replaying == 0 {
		g.FireEarly(p.EarlyFire)
	}
	var lateBase int64 // replayed rows of closed windows are not late arrivals
	wm := watermark(ins)

	// A stop request ends the current epoch early; the epoch still commits.
	readCtx, stopReading := context.WithCancel(ctx)
	reads := make(chan read, len(ins))
	wait := readAll(readCtx, ins, reads)
	defer wait()
	defer stopReading()
	go func() {
		select {
		case <-stopCh:
			stopReading()
		case <-readCtx.Done():
		}
	}()

	if err := g.Watermark(ctx, wm); err != nil {
		return false, err
	}
	if lr != nil {
		g.RouteLate(lr.add)
	}
	version := jobVersion(j.rec.SQL)
	epoch := res.NextEpoch
	var stateBuf []byte // operator snapshots, reused
	// Within a run every state object written is committed (a failed
	// commit ends the run), so a delta makes nothing stale: the state
	// prefix is listed after a full snapshot, and once per run for the
	// attempts of runs before it.
	pruned := false
	empty := 0 // epochs in a row without output, not committed
	for stopping := false; !stopping; {
		tw.begin()
		timer := time.NewTimer(p.Interval)
	epochLoop:
		for {
			var r read
			select {
			case r = <-reads:
			case <-timer.C:
				break epochLoop
			case <-readCtx.Done():
				if ctx.Err() == nil {
					stopping = true
					break epochLoop
				}
				return committed, ctx.Err()
			}
			if r.err != nil {
				timer.Stop()
				if readCtx.Err() != nil && ctx.Err() == nil {
					stopping = true
					break
				}
				return committed, fmt.Errorf("%s: %w", r.in.ident, r.err)
			}
			b, in := r.b, r.in
			if next := in.pending[b.Split].To; in.replaying[b.Split] && b.From < next && b.To > next {
				// The last replayed rows and the first new ones in one
				// batch (a Kafka fetch): the replayed go first, as replay,
				// or those of windows closed before the restart would
				// count as late, and late new ones miss the late table.
				replay, rest, err := cut(b, next)
				if err == nil {
					if lr != nil {
						lr.active = false
					}
					if err = j.take(ctx, in, replay, dl, g); err != nil {
						rest.Rows.Release()
					}
				}
				if err != nil {
					timer.Stop()
					return committed, err
				}
				b = rest
			}
			if in.replaying[b.Split] && b.To > in.pending[b.Split].To {
				delete(in.replaying, b.Split)
				if replaying--; replaying == 0 {
					_, lateBase = g.State()
					// Windows rebuilt in part would fire less than
					// they fired before the restart.
					g.FireEarly(p.EarlyFire)
				}
			}
			if lr != nil {
				lr.active = b.From >= in.pending[b.Split].To
			}
			if err := j.take(ctx, in, b, dl, g); err != nil {
				timer.Stop()
				return committed, err
			}
		}
		wm = max(wm, watermark(ins))
		if err := g.Watermark(ctx, wm); err != nil {
			return committed, err
		}
		open, late := g.State()
		j.mu.Lock()
		j.status.OpenWindows, j.status.Operators = open, g.StateBytes()
		if replaying == 0 {
			j.status.LateRows = late - lateBase
		}
		j.mu.Unlock()
		if err := g.Barrier(ctx, epoch); err != nil {
			return committed, err
		}
		rowsOut := tw.rows()
		files, deletes, err := tw.flush(ctx)
		if err != nil {
			return committed, err
		}
		targets := []commit.Target{{Table: p.Target, Files: files, Deletes: deletes}}
		if dl != nil {
			dlFiles, err := dl.files(ctx, epoch)
			if err != nil {
				return committed, err
			}
			if len(dlFiles) > 0 {
				targets = append(targets, commit.Target{Table: dl.tbl.Identifier(), Files: dlFiles})
			}
		}
		if lr != nil {
			lateFiles, err := lr.files(ctx)
			if err != nil {
				return committed, err
			}
			if len(lateFiles) > 0 {
				targets = append(targets, commit.Target{Table: lr.tbl.Identifier(), Files: lateFiles})
			}
		}
		if len(files) == 0 && len(deletes) == 0 && len(targets) == 1 {
			// Nothing to make visible. Committing an empty snapshot every
			// second would bloat the table's history; never committing
			// would leave the positions (and the status's lag) behind for
			// as long as the job finds no rows, and a restart would read
			// it all again, past a topic's retention perhaps. So the
			// ranges carry over for a while, then commit without files
			// (Flink's Iceberg sink: max-continuous-empty-commits), and
			// always at a stop.
			if empty++; !advanced(ins) || (empty < maxEmptyEpochs && !stopping) {
				tw.committed()
				continue
			}
		}
		empty = 0
		next := jobState{Replay: map[string]map[int32]int64{}}
		var sources []commit.Range
		for _, in := range ins {
			if r := in.et.replayState(); len(r) > 0 {
				next.Replay[in.key()] = r
			}
			sources = append(sources, slices.SortedFunc(maps.Values(in.pending), func(a, b commit.Range) int { return int(a.Partition) - int(b.Partition) })...)
		}
		nextChain, full := chain, false
		if g.Stateful() {
			// The buffer is reused epoch after epoch: a large state is
			// not grown again from nothing, nor left to the collector.
			full = chain.full(g.Incremental())
			if full {
				stateBuf, err = g.Snapshot(stateBuf[:0])
			} else {
				stateBuf, err = g.SnapshotDelta(stateBuf[:0])
			}
			if err != nil {
				return committed, errkind.Wrap(errkind.Fatal, err)
			}
			key := stateKey(j.rec.ID, epoch, res.Generation, full)
			if err := j.m.wh.Records().Put(ctx, key, stateBuf); err != nil {
				return committed, fmt.Errorf("operator state of epoch %d: %w", epoch, err)
			}
			nextChain = chain.extend(key, int64(len(stateBuf)), full)
			nextChain.record(&next)
		}
		e := commit.Epoch{Number: epoch, JobVersion: version, Sources: sources, Watermark: millis(wm), State: next.encode()}
		cr, err := l.Commit(ctx, e, targets...)
		if err != nil {
			return committed, err
		}
		tw.committed()
		committed = true
		if g.Stateful() {
			// Only now is the new chain the one recovery reads.
			chain = nextChain
			if full || !pruned {
				if err := pruneStates(ctx, j.m.wh.Records(), j.rec.ID, chain); err != nil {
					j.m.log.Warn("prune operator state", "job", j.rec.ID, "err", err)
				}
				pruned = true
			}
		}
		now := time.Now().UTC()
		j.mu.Lock()
		j.status.Epoch, j.status.Snapshot, j.status.LastCommit, j.status.Watermark = epoch, cr.SnapshotID, &now, e.Watermark
		j.status.RowsOut += rowsOut
		j.mu.Unlock()
		j.notePositions(l.Positions())
		epoch++
		for _, in := range ins {
			for k, r := range in.pending {
				in.pending[k] = commit.Range{Kind: r.Kind, Name: r.Name, Partition: r.Partition, From: r.To, To: r.To}
			}
		}
	}
	return committed, nil
}

// maxEmptyEpochs is how many epochs in a row may end without output
// before one commits the positions they consumed.
const maxEmptyEpochs = 10

// advanced says whether any input read past its committed position.
func advanced(ins []*input) bool {
	for _, in := range ins {
		for _, r := range in.pending {
			if r.To > r.From {
				return true
			}
		}
	}
	return false
}

// take adds one batch of input in to the epoch: its range, then its rows.
func (j *job) take(ctx context.Context, in *input, b connector.Batch, dl *deadLetters, g *exec.Graph) error {
	r, ok := in.pending[b.Split]
	switch {
	case !ok:
		r = commit.Range{Kind: in.kind, Name: in.name, Partition: b.Split, From: b.From, To: b.To}
	case b.To <= r.To:
		// Replay: rebuilds window state from rows the committed epochs
		// already read; the epoch's range starts after them.
	case b.From <= r.To:
		r.To = b.To
	default:
		if b.Rows != nil {
			b.Rows.Release()
		}
		return errkind.Errorf(errkind.Fatal, "BUG: split %d of %s: batch starts at %d, the previous one ended at %d", b.Split, in.name, b.From, r.To)
	}
	in.pending[b.Split] = r
	in.et.observe(b.Split, b.From, b.Rows)
	if len(b.Bad) > 0 && b.To > r.From { // replayed dead letters were committed already
		var err error
		if dl == nil {
			err = errkind.Errorf(errkind.Fatal, "BUG: record %d of %s partition %d does not decode, and the job has no dead-letter table", b.Bad[0].Position, b.Bad[0].Topic, b.Bad[0].Split)
		} else {
			err = dl.add(slices.DeleteFunc(b.Bad, func(x connector.BadRecord) bool { return x.Position < r.From }))
		}
		if err != nil {
			if b.Rows != nil {
				b.Rows.Release()
			}
			return err
		}
	}
	if b.Rows == nil {
		return nil
	}
	j.mu.Lock()
	j.status.RowsIn += b.Rows.NumRows()
	j.mu.Unlock()
	// Rows the committed epochs read go again only to the leaves that
	// rebuild windows from them; the others restored them from their
	// snapshots. (The loop cut any batch holding both kinds.)
	replay := b.From < r.From
	// Each push takes a reference; the one this batch came with is
	// dropped once every leaf has had its own.
	defer b.Rows.Release()
	for i, leaf := range in.leaves {
		if replay && !in.replays[i] {
			continue
		}
		b.Rows.Retain()
		if err := g.Push(ctx, leaf, b.Rows); err != nil {
			return err
		}
	}
	return nil
}

func (j *job) notePositions(p commit.Positions) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for k, v := range p {
		j.status.Positions[k.String()] = v
	}
}

// sourceKey names a source in the ledger's ranges: Kafka by topic, so the
// positions are offsets of that topic whatever the table is called;
// generators by table.
func sourceKey(spec *connector.TableSpec) (kind, name string) {
	if spec.Options["connector"] == "kafka" {
		return "kafka", spec.Options["topic"]
	}
	return "gen", spec.Name
}

func jobVersion(sql string) string {
	sum := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(sum[:8])
}

// decodes says whether a plan's source decodes records (and so may meet
// some that do not decode): Kafka and files do, generators do not.
func decodes(n plan.Node) bool {
	if s, ok := n.(*plan.SourceScan); ok {
		c := s.Source.Spec.Options["connector"]
		return c == "kafka" || c == "filesystem"
	}
	for _, c := range n.Children() {
		if decodes(c) {
			return true
		}
	}
	return false
}
