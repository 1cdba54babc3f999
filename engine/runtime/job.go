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

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake"
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
	j.mu.Lock()
	j.status.Generation, j.status.Epoch = res.Generation, res.NextEpoch-1
	j.mu.Unlock()
	j.notePositions(res.Positions)

	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, NowMicros: time.Now().UnixMicro(), SessionTimeZone: "UTC"}
	q, err := exec.BuildStream(ctx, p.Node, ev)
	if err != nil {
		return false, errkind.Wrap(errkind.Fatal, err)
	}
	st := q.Stream.Source
	spec := *st.Spec
	spec.Alloc = memory.DefaultAllocator
	src, err := st.Open(ctx, &spec)
	if err != nil {
		return false, err
	}
	defer src.Close()
	kind, name := sourceKey(&spec)
	pending := map[int32]commit.Range{} // per split: what the epochs since the last commit read
	from := map[int32]int64{}
	for k, next := range res.Positions {
		if k.Kind == kind && k.Name == name {
			from[k.Partition] = next
			pending[k.Partition] = commit.Range{Kind: kind, Name: name, Partition: k.Partition, From: next, To: next}
		}
	}
	// Windows are rebuilt by reading again from where their rows began;
	// what was read before the committed positions is replay only.
	replay, err := replayFrom(res.State)
	if err != nil {
		return false, errkind.Wrap(errkind.Fatal, err)
	}
	replaying := map[int32]bool{} // splits still reading rows committed epochs read
	for split, pos := range replay {
		if next, ok := from[split]; ok && pos < next {
			from[split], replaying[split] = pos, true
		}
	}
	var lateBase int64 // replayed rows of closed windows are not late arrivals
	et := newEventTime(p.Watermark, p.MaxWindow)
	et.restore(res.Watermark)
	if err := src.Start(ctx, from); err != nil {
		return false, err
	}

	// A stop request ends the current epoch early; the epoch still commits.
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	go func() {
		select {
		case <-stopCh:
			stopReading()
		case <-readCtx.Done():
		}
	}()

	// Coercion errors (a NULL in a NOT NULL column) repeat on every retry.
	sink := &exec.FileSink{Coerce: func(b arrow.RecordBatch, done int64) (arrow.RecordBatch, error) {
		rec, err := p.Coerce(b, done)
		return rec, errkind.Wrap(errkind.Fatal, err)
	}}
	pipe := exec.NewPipeline(q.Operators, sink)
	defer pipe.Close()
	if err := pipe.Watermark(ctx, et.watermark); err != nil {
		return false, err
	}
	if lr != nil {
		pipe.RouteLate(lr.add)
	}
	version := jobVersion(j.rec.SQL)
	epoch := res.NextEpoch
	for stopping := false; !stopping; {
		sink.W = lake.NewFileWriter(p.Table, p.Schema)
		deadline := time.Now().Add(p.Interval)
		for {
			ectx, cancel := context.WithDeadline(readCtx, deadline)
			b, err := src.Next(ectx)
			cancel()
			if err != nil && ctx.Err() == nil && readCtx.Err() != nil {
				stopping = true
				break
			}
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				break
			}
			if err != nil {
				sink.W.Abort()
				return committed, err
			}
			if len(replaying) > 0 && b.To > pending[b.Split].To {
				if delete(replaying, b.Split); len(replaying) == 0 {
					_, lateBase = pipe.State()
				}
			}
			if lr != nil {
				lr.active = b.From >= pending[b.Split].To
			}
			if err := j.take(ctx, b, kind, name, pending, et, dl, pipe); err != nil {
				sink.W.Abort()
				return committed, err
			}
		}
		if err := pipe.Watermark(ctx, et.advance()); err != nil {
			sink.W.Abort()
			return committed, err
		}
		open, late := pipe.State()
		j.mu.Lock()
		j.status.OpenWindows = open
		if len(replaying) == 0 {
			j.status.LateRows = late - lateBase
		}
		j.mu.Unlock()
		if err := pipe.Barrier(ctx, epoch); err != nil {
			sink.W.Abort()
			return committed, err
		}
		files, err := sink.W.Close()
		if err != nil {
			return committed, err
		}
		targets := []commit.Target{{Table: p.Target, Files: files}}
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
		if len(files) == 0 && len(targets) == 1 {
			continue // nothing to make visible: the ranges carry over
		}
		sources := slices.SortedFunc(maps.Values(pending), func(a, b commit.Range) int { return int(a.Partition) - int(b.Partition) })
		e := commit.Epoch{Number: epoch, JobVersion: version, Sources: sources, Watermark: et.millis(), State: et.state()}
		cr, err := l.Commit(ctx, e, targets...)
		if err != nil {
			return committed, err
		}
		committed = true
		now := time.Now().UTC()
		j.mu.Lock()
		j.status.Epoch, j.status.Snapshot, j.status.LastCommit, j.status.Watermark = epoch, cr.SnapshotID, &now, e.Watermark
		j.status.RowsOut += sink.W.Rows()
		j.mu.Unlock()
		j.notePositions(l.Positions())
		epoch++
		for k, r := range pending {
			pending[k] = commit.Range{Kind: r.Kind, Name: r.Name, Partition: r.Partition, From: r.To, To: r.To}
		}
	}
	return committed, nil
}

// take adds one source batch to the epoch: its range, then its rows.
func (j *job) take(ctx context.Context, b connector.Batch, kind, name string, pending map[int32]commit.Range, et *eventTime, dl *deadLetters, pipe *exec.Pipeline) error {
	r, ok := pending[b.Split]
	switch {
	case !ok:
		r = commit.Range{Kind: kind, Name: name, Partition: b.Split, From: b.From, To: b.To}
	case b.To <= r.To:
		// Replay: rebuilds window state from rows the committed epochs
		// already read; the epoch's range starts after them.
	case b.From <= r.To:
		r.To = b.To
	default:
		if b.Rows != nil {
			b.Rows.Release()
		}
		return errkind.Errorf(errkind.Fatal, "BUG: split %d of %s: batch starts at %d, the previous one ended at %d", b.Split, name, b.From, r.To)
	}
	pending[b.Split] = r
	et.observe(b.Split, b.From, b.Rows)
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
	return pipe.Push(ctx, b.Rows)
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
