package stream

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/lake"
)

// server is a local file warehouse with a job manager and a session on it,
// wired as `wharf serve` wires them. It is closed when tb ends.
type server struct {
	wh *lake.Warehouse
	m  *runtime.Manager
	s  *session.Session
}

func newServer(tb testing.TB, brokers string) *server {
	tb.Helper()
	ctx := context.Background()
	wh, err := lake.Open(ctx, lake.Config{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	m := runtime.NewManager(wh, runtime.WithRestartBackoff(50*time.Millisecond))
	opts := []session.Option{session.WithJobs(m)}
	if brokers != "" {
		opts = append(opts, session.WithBrokers(brokers))
	}
	s := session.New(wh, opts...)
	if err := m.Resume(ctx, s); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		m.Close(ctx)
		_ = wh.Close()
	})
	return &server{wh: wh, m: m, s: s}
}

// exec runs one statement and fails tb on an error.
func (v *server) exec(tb testing.TB, q string) *session.Result {
	tb.Helper()
	r, err := v.s.Exec(context.Background(), q, false)
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return r
}

// value runs a query of one BIGINT cell; ok is false for NULL.
func (v *server) value(tb testing.TB, q string) (n int64, ok bool) {
	tb.Helper()
	r := v.exec(tb, q)
	defer r.Release()
	if len(r.Batches) == 0 || r.Batches[0].NumRows() != 1 || r.Batches[0].NumCols() != 1 {
		tb.Fatalf("%s: want one cell", q)
	}
	col, isInt := r.Batches[0].Column(0).(*array.Int64)
	if !isInt {
		tb.Fatalf("%s: a %s, want BIGINT", q, r.Batches[0].Column(0).DataType())
	}
	if col.IsNull(0) {
		return 0, false
	}
	return col.Value(0), true
}

// runJob submits insert as a continuous job, waits until done says it has
// read enough, and stops it (a final epoch commits what it read). The
// window it returns covers submit to the end of the final commit.
func (v *server) runJob(tb testing.TB, insert string, done func(runtime.Status) bool) (runtime.Status, measured) {
	tb.Helper()
	ctx := context.Background()
	w := startWindow(tb)
	r := v.exec(tb, insert)
	if r.Kind != session.ResultJob {
		tb.Fatalf("%s: not a continuous job", insert)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		st, err := v.m.Job(r.JobID)
		if err != nil {
			tb.Fatal(err)
		}
		if done(st) {
			break
		}
		if st.State == runtime.StateFailed || time.Now().After(deadline) {
			tb.Fatalf("job: %+v", st)
		}
		time.Sleep(5 * time.Millisecond) // a status read takes a mutex: no load on the job
	}
	st, err := v.m.Stop(ctx, r.JobID)
	if err != nil {
		tb.Fatal(err)
	}
	m := w.end(tb)
	if st.State != runtime.StateStopped || st.Error != "" {
		tb.Fatalf("job after stop: %+v", st)
	}
	return st, m
}

// positions is the sum of a job's committed positions of sources whose
// key starts with prefix (kafka:topic/, gen:); other keys fail tb.
func positions(tb testing.TB, st runtime.Status, prefix string) int64 {
	tb.Helper()
	var sum int64
	for k, p := range st.Positions {
		if !strings.HasPrefix(k, prefix) {
			tb.Fatalf("position %s=%d, want only %s…", k, p, prefix)
		}
		sum += p
	}
	return sum
}

// openSource opens the source the job of insert would read, exactly as
// engine/runtime opens it (same plan, same spec, same allocator), and
// starts it at the table's startup positions.
func (v *server) openSource(tb testing.TB, insert string) connector.Source {
	tb.Helper()
	ctx := context.Background()
	p, err := v.s.PlanJob(ctx, insert)
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Release()
	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, NowMicros: time.Now().UnixMicro(), SessionTimeZone: "UTC"}
	q, err := exec.BuildStream(ctx, p.Node, ev)
	if err != nil {
		tb.Fatal(err)
	}
	spec := *q.Stream.Source.Spec
	spec.Alloc = memory.DefaultAllocator
	src, err := q.Stream.Source.Open(ctx, &spec)
	if err != nil {
		tb.Fatal(err)
	}
	if err := src.Start(ctx, nil); err != nil {
		src.Close()
		tb.Fatal(err)
	}
	return src
}

// readSource reads src until it has covered at least positions positions
// (over all splits) and returns how many it covered and the rows.
func readSource(tb testing.TB, src connector.Source, positions int64) (covered, rows int64) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for covered < positions {
		b, err := src.Next(ctx)
		if err != nil {
			tb.Fatalf("after %d of %d positions: %v", covered, positions, err)
		}
		if len(b.Bad) > 0 {
			tb.Fatalf("record %d of split %d does not decode: %s", b.Bad[0].Position, b.Split, b.Bad[0].Err)
		}
		covered += b.To - b.From
		if b.Rows != nil {
			rows += b.Rows.NumRows()
			b.Rows.Release()
		}
	}
	return covered, rows
}

// window is the start of a measured stretch of work.
type window struct {
	wall time.Time
	cpu  time.Duration
}

// measured is a stretch's wall-clock time and the process CPU time (user +
// system, all threads) spent in it.
type measured struct{ wall, cpu time.Duration }

func (m measured) add(o measured) measured { return measured{m.wall + o.wall, m.cpu + o.cpu} }

func startWindow(tb testing.TB) window { return window{time.Now(), cpuTime(tb)} }

func (w window) end(tb testing.TB) measured {
	return measured{time.Since(w.wall), cpuTime(tb) - w.cpu}
}

// cpuTime is the CPU time the process has used so far. CPU time rather than
// wall time is what "per core" means, and it is steadier on a shared machine.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report sets a benchmark's throughput figures for n units of work: per
// second of wall time and per second of CPU time ("per core").
func report(b *testing.B, n float64, unit string, m measured) {
	if m.wall <= 0 || m.cpu <= 0 {
		b.Fatalf("nothing measured: %+v", m)
	}
	b.ReportMetric(n/m.wall.Seconds(), unit+"/s")
	b.ReportMetric(n/m.cpu.Seconds(), unit+"/cpu-s")
}

// name makes a per-op table name unique.
func name(base string, op int) string { return fmt.Sprintf("%s_%d", base, op) }
