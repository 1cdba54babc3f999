package olap

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// One prepared plan, with the files its scan planned, runs in many
// statements at once (go test -race checks the sharing): each gets the
// right rows, and the statement is planned once.
func TestPreparedPlanRunsConcurrently(t *testing.T) {
	g := newGate(t, Config{ResultCacheBytes: -1})
	exec(t, g, "CREATE TABLE kv (k BIGINT, v STRING)")
	for f := range 3 { // three files, two pruned by every lookup
		exec(t, g, fmt.Sprintf("INSERT INTO kv VALUES (%d, 'v%d'), (%d, 'v%d')", 2*f, 2*f, 2*f+1, 2*f+1))
	}
	const q = "SELECT v FROM kv WHERE k = 3"
	if got := value(t, exec(t, g, q)); got != "v3" {
		t.Fatalf("%s = %s", q, got)
	}
	misses := testutil.ToFloat64(g.m.preparedMisses)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 20 {
				r, err := g.Exec(context.Background(), q, true)
				if err != nil {
					errs <- err
					return
				}
				n := 0
				for _, b := range r.Batches {
					for i := range int(b.NumRows()) {
						if s := b.Column(0).ValueStr(i); s != "v3" {
							errs <- fmt.Errorf("got %q", s)
						}
						n++
					}
				}
				r.Release()
				if n != 1 {
					errs <- fmt.Errorf("%d rows", n)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m := testutil.ToFloat64(g.m.preparedMisses); m != misses {
		t.Errorf("the statement was prepared %v more times", m-misses)
	}
}
