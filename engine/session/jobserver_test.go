package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/internal/broker"
	"github.com/wharfdata/wharf/lake"
)

// jobServer is what a server runs continuous jobs with: a warehouse in a
// temporary directory, a job manager and a session over it. The test's
// cleanup closes both.
type jobServer struct {
	t    *testing.T
	wh   *lake.Warehouse
	m    *runtime.Manager
	s    *session.Session
	opts []session.Option
}

func newJobServer(t *testing.T, opts ...session.Option) *jobServer {
	t.Helper()
	wh, err := lake.Open(context.Background(), lake.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	j := &jobServer{t: t, wh: wh, opts: opts}
	j.start()
	t.Cleanup(func() {
		j.m.Close(context.Background())
		wh.Close()
	})
	return j
}

// start makes a new manager and session, which resume the jobs the
// warehouse records, as a restarted server does.
func (j *jobServer) start() {
	j.t.Helper()
	j.m = runtime.NewManager(j.wh, runtime.WithRestartBackoff(50*time.Millisecond))
	j.s = session.New(j.wh, append(j.opts[:len(j.opts):len(j.opts)], session.WithJobs(j.m))...)
	if err := j.m.Resume(context.Background(), j.s); err != nil {
		j.t.Fatal(err)
	}
}

// restart closes the manager, after a final epoch of each job (crash
// false) or without one, as in a crash, and starts again.
func (j *jobServer) restart(crash bool) {
	j.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if crash {
		cancel()
	}
	j.m.Close(ctx)
	cancel()
	j.start()
}

// waitStatus polls job id's status until ok says it is what the test
// waits for, or fails after a bound.
func (j *jobServer) waitStatus(id, what string, ok func(runtime.Status) bool) runtime.Status {
	j.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := j.m.Job(id)
		if err != nil {
			j.t.Fatal(err)
		}
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			j.t.Fatalf("%s: status %+v", what, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newTopic starts an embedded broker holding topic with its partitions.
func newTopic(t *testing.T, topic string, partitions int) *broker.Broker {
	t.Helper()
	b, err := broker.Start("127.0.0.1:0", broker.WithPartitions(partitions))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), int32(partitions), 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	return b
}
