package broker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestProduceConsumeAutoCreate(t *testing.T) {
	b, err := Start("127.0.0.1:0", WithPartitions(3))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !strings.HasPrefix(b.Addr(), "127.0.0.1:") || strings.HasSuffix(b.Addr(), ":0") {
		t.Fatalf("addr %q", b.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	prod, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	const topic, n = "orders", 10
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("v%d", i))})
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce to a new topic: %v", err)
	}

	// The topic was created by the produce, with the configured partitions.
	adm := kadm.NewClient(prod)
	td, err := adm.ListTopics(ctx, topic)
	if err != nil || len(td[topic].Partitions) != 3 {
		t.Fatalf("topic details %+v, %v", td, err)
	}

	cons, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	got := map[string]string{}
	for len(got) < n {
		fs := cons.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			t.Fatalf("consume: %v (got %d of %d)", err, len(got), n)
		}
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Key)] = string(r.Value) })
	}
	for i := range n {
		if got[fmt.Sprint(i)] != fmt.Sprintf("v%d", i) {
			t.Fatalf("record %d: %q", i, got[fmt.Sprint(i)])
		}
	}
}

func TestStartErrors(t *testing.T) {
	b, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := Start(b.Addr()); err == nil {
		t.Fatal("second broker on a taken port started")
	}
	if _, err := Start("no-port"); err == nil {
		t.Fatal("address without port accepted")
	}
	if _, err := Start("127.0.0.1:0", WithPartitions(0)); err == nil {
		t.Fatal("0 partitions accepted")
	}
	b.Close()
	b.Close() // idempotent
}
