package kafka

import (
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestGapsStopTheSource: on a topic that is not compacted, offsets the
// broker skips without a transaction marker mean lost records; the source
// stops with the missing offsets rather than let a batch's range cover
// them. On a compacted topic the same gap is a hole.
func TestGapsStopTheSource(t *testing.T) {
	c := startCluster(t, 1)
	c.produce(t, eventRecord("plain", 0, 1))
	src := open(t, newSpec(c.b.Addr(), "plain", nil), nil)
	if src.holes {
		t.Fatal("a plain kfake topic reads as compacted: the gap check would never run")
	}
	fetch := func(offsets ...int64) kgo.FetchPartition {
		fp := kgo.FetchPartition{Partition: 0}
		for _, o := range offsets {
			fp.Records = append(fp.Records, &kgo.Record{Topic: "plain", Partition: 0, Offset: o, Value: []byte(`{"id":1}`)})
		}
		return fp
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if _, err := src.queue(context.Background(), fetch(0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	_, err := src.queue(context.Background(), fetch(3, 6))
	if err == nil || !strings.Contains(err.Error(), "offsets 4 to 5 are missing") {
		t.Fatalf("gap: %v", err)
	}
	if _, err := src.queue(context.Background(), fetch(9)); err == nil || !strings.Contains(err.Error(), "offsets 3 to 8 are missing") {
		t.Fatalf("gap between fetches: %v", err)
	}

	// A compacted topic reads as such, and holes pass.
	adm := kadm.NewClient(c.prod)
	policy := "compact"
	if _, err := adm.CreateTopic(context.Background(), 1, 1, map[string]*string{"cleanup.policy": &policy}, "compacted"); err != nil {
		t.Fatal(err)
	}
	c.produce(t, eventRecord("compacted", 0, 1))
	csrc := open(t, newSpec(c.b.Addr(), "compacted", nil), nil)
	if !csrc.holes {
		t.Fatal("a compacted topic reads as not compacted")
	}
}
