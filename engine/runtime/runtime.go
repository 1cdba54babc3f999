// Package runtime runs continuous jobs: INSERT INTO lake_table SELECT …
// FROM an unbounded connector table, exactly once.
//
// A job reads its source's splits (Kafka partitions, generator shards),
// pushes every batch through the same operators a batch query uses
// (exec.Pipeline), and streams the result into Parquet files. Time is cut
// into epochs by the commit interval: at each boundary the operators see a
// barrier, the epoch's files are closed, and one ledger commit
// (lake/commit) makes them visible together with the exact source ranges
// [from, to) they were computed from. Nothing else is acknowledged
// anywhere: the committed positions are the job's only progress, so a job
// restarted after any crash resumes every split at the first position no
// committed epoch covers, with no gap and no overlap.
//
// The non-obvious parts:
//
//   - An epoch that produced no rows is not committed; its ranges carry
//     over into the next epoch. Replaying them after a crash is harmless
//     while every operator is stateless (filters and projections), and it
//     keeps idle jobs from writing a snapshot per second.
//   - Any error tears the job down and runs recovery again (a new
//     generation fences the old one), after a backoff; only a fatal error
//     (bad options, offsets out of range, a rolled-back table) stops it for
//     good, with the error in its status.
//   - Jobs are kept in the warehouse's record store (jobs.go), so every
//     wharf on the warehouse knows them and a restarted server resumes
//     those that were running.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake"
)

// DefaultInterval is the default commit interval (DESIGN.md §4).
const DefaultInterval = time.Second

// PropCommitInterval is the sink table property that sets the commit
// interval of the jobs writing it ('10 s', '1 min'): longer epochs make
// fewer, larger files and snapshots, at the cost of freshness.
const PropCommitInterval = "wharf.commit-interval"

// PropEarlyFire is the sink table property that turns on early firing of
// the job's window aggregation ('5 s'): the partial results of open
// windows are written every so often (at the first commit that long after
// a window's last ones), then updated, and the final result replaces them.
// The job's output is then updating, so the table needs a PRIMARY KEY.
const PropEarlyFire = "wharf.early-fire.delay"

// PropParallelism is the sink table property that sets how many workers
// run each keyed operator of the jobs writing it (a GROUP BY, a Top-N):
// an integer from 1 (the default: the job's one goroutine) to
// MaxParallelism. It is fixed with the table, as the operators' state is
// split by it.
const PropParallelism = "wharf.parallelism"

// MaxParallelism bounds PropParallelism: more workers than cores only
// split state finer.
const MaxParallelism = 64

// PropAggPhase is the sink table property that chooses how the jobs
// writing it run a GROUP BY without a window (exec.AggPhase): 'auto' (the
// default), 'one-phase' or 'two-phase'; Flink's AUTO, ONE_PHASE and
// TWO_PHASE are taken too.
const PropAggPhase = "wharf.agg-phase"

// PropStateTTL is the sink table property that bounds the state of the
// regular joins of the jobs writing it (Flink's table.exec.state.ttl): a
// row neither inserted nor matched for that long (processing time) leaves
// the state and matches nothing later.
const PropStateTTL = "wharf.state.ttl"

// Plan is what a job runs, planned from its SQL by the Planner.
type Plan struct {
	Target table.Identifier
	Table  *table.Table
	// Node is the optimized query; its one unbounded leaf is a SourceScan
	// that the job reads itself.
	Node plan.Node
	// Schema is the target table's schema, as written.
	Schema *arrow.Schema
	// Coerce turns the query's batches into the table's (casts, NOT NULL
	// checks); done is the number of rows the job wrote before, for errors.
	Coerce func(b arrow.RecordBatch, done int64) (arrow.RecordBatch, error)
	// Release frees what the plan holds.
	Release func()
	// Interval is the commit interval.
	Interval time.Duration
	// Watermark is the source's event time declaration (nil: none), and
	// MaxWindow the longest window of the job's window aggregation (0: the
	// job keeps no state).
	Watermark *plan.Watermark
	MaxWindow int64
	// EarlyFire is the window aggregation's early firing delay
	// (PropEarlyFire); 0: windows emit once, when they close.
	EarlyFire time.Duration
	// Stream is how the job runs its stateful operators: workers
	// (PropParallelism), aggregation phases (PropAggPhase) and the state
	// TTL of its regular joins (PropStateTTL).
	Stream exec.StreamOptions
}

// Planner plans a job's SQL (the session, which resolves tables, views and
// connector tables).
type Planner interface {
	PlanJob(ctx context.Context, sql string) (*Plan, error)
}

// Job states.
const (
	StateRunning    = "RUNNING"
	StateRestarting = "RESTARTING" // after an error, waiting to recover
	StateStopped    = "STOPPED"
	StateFailed     = "FAILED"
	StatePaused     = "PAUSED" // over its dead-letter budget; resume to retry
)

// Status is what GET /v1/jobs/{id} shows.
type Status struct {
	ID         string           `json:"id"`
	SQL        string           `json:"sql"`
	State      string           `json:"state"`
	Error      string           `json:"error,omitempty"`
	Generation uint64           `json:"generation"`
	Epoch      uint64           `json:"epoch"`    // the last committed epoch
	Snapshot   int64            `json:"snapshot"` // its snapshot
	LastCommit *time.Time       `json:"last_commit,omitempty"`
	Watermark  *int64           `json:"watermark_ms,omitempty"` // event time of the last commit
	Positions  map[string]int64 `json:"offsets"`                // next position per source split
	RowsIn     int64            `json:"rows_in"`
	RowsOut    int64            `json:"rows_out"`
	// OpenWindows is the window aggregation's state (a window open on
	// several workers counts once); LateRows counts
	// rows dropped because their window had closed (since the job last
	// started).
	OpenWindows int   `json:"open_windows"`
	LateRows    int64 `json:"late_rows"`
	// Operators is the state each stateful operator holds.
	Operators []exec.OperatorState `json:"operators,omitempty"`
	Restarts  int                  `json:"restarts"`
}

// Manager runs the jobs of one server.
type Manager struct {
	wh      *lake.Warehouse
	log     *slog.Logger
	backoff time.Duration

	mu      sync.Mutex
	planner Planner
	jobs    map[string]*job
	closed  bool
}

// Option configures NewManager.
type Option func(*Manager)

// WithLogger sets the manager's logger.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithRestartBackoff sets the pause before a failed job recovers (default 1 s).
func WithRestartBackoff(d time.Duration) Option { return func(m *Manager) { m.backoff = d } }

// NewManager returns a manager for the jobs on wh. Jobs start running once
// Resume has given it a planner.
func NewManager(wh *lake.Warehouse, opts ...Option) *Manager {
	m := &Manager{wh: wh, log: slog.Default(), backoff: time.Second, jobs: map[string]*job{}}
	for _, o := range opts {
		o(m)
	}
	return m
}

// ErrNoSuchJob is returned for an unknown job id.
var ErrNoSuchJob = errors.New("no such job")

// Resume sets the planner and restarts the jobs recorded as running.
func (m *Manager) Resume(ctx context.Context, p Planner) error {
	m.mu.Lock()
	m.planner = p
	m.mu.Unlock()
	recs, err := listJobs(ctx, m.wh.Records())
	if err != nil {
		return err
	}
	for _, r := range recs {
		m.mu.Lock()
		_, known := m.jobs[r.ID]
		m.mu.Unlock()
		if known {
			continue
		}
		j := m.add(r)
		if r.Desired == desiredRunning {
			m.log.Info("resuming job", "job", r.ID)
			j.start()
		} else {
			j.setState(StateStopped, nil)
		}
	}
	return nil
}

// Submit records a new job for sql and starts it. The SQL must already
// plan (the caller checked it); the job's id is returned.
func (m *Manager) Submit(ctx context.Context, sql string) (string, error) {
	m.mu.Lock()
	closed, planner := m.closed, m.planner
	m.mu.Unlock()
	if closed {
		return "", errors.New("the server is shutting down")
	}
	if planner == nil {
		return "", errors.New("continuous jobs are not enabled on this server")
	}
	r := jobRecord{ID: "job-" + uuid.NewString()[:8], SQL: sql, Desired: desiredRunning, Created: time.Now().UTC()}
	if err := putJob(ctx, m.wh.Records(), r, true); err != nil {
		return "", err
	}
	m.add(r).start()
	return r.ID, nil
}

func (m *Manager) add(r jobRecord) *job {
	j := &job{m: m, rec: r, status: Status{ID: r.ID, SQL: r.SQL, Positions: map[string]int64{}}}
	m.mu.Lock()
	m.jobs[r.ID] = j
	m.mu.Unlock()
	return j
}

func (m *Manager) job(id string) (*job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchJob, id)
	}
	return j, nil
}

// Jobs lists every job's status, by id.
func (m *Manager) Jobs() []Status {
	m.mu.Lock()
	jobs := slices.Collect(maps.Values(m.jobs))
	m.mu.Unlock()
	out := make([]Status, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, j.Status())
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Job returns one job's status.
func (m *Manager) Job(id string) (Status, error) {
	j, err := m.job(id)
	if err != nil {
		return Status{}, err
	}
	return j.Status(), nil
}

// Stop ends a job after a final epoch and records it as stopped, so a
// restarted server leaves it stopped. It waits until the job has ended.
func (m *Manager) Stop(ctx context.Context, id string) (Status, error) {
	j, err := m.job(id)
	if err != nil {
		return Status{}, err
	}
	r := j.rec
	r.Desired = desiredStopped
	if err := putJob(ctx, m.wh.Records(), r, false); err != nil {
		return Status{}, err
	}
	j.rec = r
	j.stop(ctx)
	return j.Status(), nil
}

// Start resumes a stopped or failed job from its last committed epoch.
func (m *Manager) Start(ctx context.Context, id string) (Status, error) {
	j, err := m.job(id)
	if err != nil {
		return Status{}, err
	}
	if j.running() {
		return j.Status(), nil
	}
	r := j.rec
	r.Desired = desiredRunning
	if err := putJob(ctx, m.wh.Records(), r, false); err != nil {
		return Status{}, err
	}
	j.rec = r
	j.start()
	return j.Status(), nil
}

// Close stops every job after a final epoch (SIGTERM). The jobs stay
// recorded as running, so the next start of the server resumes them.
func (m *Manager) Close(ctx context.Context) {
	m.mu.Lock()
	m.closed = true
	jobs := slices.Collect(maps.Values(m.jobs))
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { j.stop(ctx) })
	}
	wg.Wait()
}

// fatal says whether err stops a job for good.
func fatal(err error) bool {
	var ke *errkind.Error
	if errors.As(err, &ke) {
		return ke.Kind == errkind.Fatal
	}
	return false
}
