package gensrc

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// positions generates one column holding split*1000 + position.
type positions struct {
	rb *array.RecordBuilder
}

func newPositions() *positions {
	schema := arrow.NewSchema([]arrow.Field{{Name: "p", Type: arrow.PrimitiveTypes.Int64}}, nil)
	return &positions{rb: array.NewRecordBuilder(memory.NewGoAllocator(), schema)}
}

func (p *positions) Schema() *arrow.Schema { return p.rb.Schema() }
func (p *positions) Release()              { p.rb.Release() }
func (p *positions) Generate(split int, from, to int64) (arrow.RecordBatch, []int64) {
	b := p.rb.Field(0).(*array.Int64Builder)
	for i := from; i < to; i++ {
		b.Append(int64(split)*1000 + i)
	}
	return p.rb.NewRecordBatch(), nil
}

func TestTilesRoundRobinAndEnds(t *testing.T) {
	s := New(Config{Table: "t", Gen: newPositions(), Ends: []int64{10, 0, 25}, BatchPositions: 4})
	defer s.Close()
	if _, err := s.Next(context.Background()); err == nil || !strings.Contains(err.Error(), "before Start") {
		t.Errorf("Next before Start: %v", err)
	}
	if err := s.Start(context.Background(), map[int32]int64{2: 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), nil); err == nil {
		t.Error("second Start succeeded")
	}
	next := map[int32]int64{0: 0, 2: 3}
	var order []int32
	for {
		b, err := s.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.From != next[b.Split] || b.To-b.From > 4 || b.Rows.Column(0).(*array.Int64).Value(0) != int64(b.Split)*1000+b.From {
			t.Fatalf("split %d: [%d, %d) after %d", b.Split, b.From, b.To, next[b.Split])
		}
		next[b.Split] = b.To
		order = append(order, b.Split)
		b.Rows.Release()
	}
	if next[0] != 10 || next[2] != 25 || order[0] != 0 || order[1] != 2 || order[2] != 0 {
		t.Errorf("ended at %v in order %v", next, order)
	}
}

func TestStartRejectsForeignPositions(t *testing.T) {
	for _, from := range []map[int32]int64{{5: 0}, {0: 11}, {0: -1}} {
		s := New(Config{Table: "t", Gen: newPositions(), Ends: []int64{10}, BatchPositions: 4})
		if err := s.Start(context.Background(), from); err == nil {
			t.Errorf("Start(%v) succeeded", from)
		}
		s.Close()
	}
}

func TestPacedNextHonoursContext(t *testing.T) {
	s := New(Config{Table: "t", Gen: newPositions(), Ends: []int64{Unbounded}, BatchPositions: 100, Rate: 0.5})
	defer s.Close()
	if err := s.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("paced Next past its deadline: %v", err)
	}
}
