package commit

import (
	"testing"
)

func kafka(p int32, from, to int64) Range {
	return Range{Kind: "kafka", Name: "orders", Partition: p, From: from, To: to}
}

func snapOf(id int64, job string, gen, epoch uint64, rs ...Range) Snap {
	return Snap{ID: id, TxID: TxID(job, "u", epoch), Job: job, Generation: gen, Epoch: epoch, Sources: rs}
}

func TestDecide(t *testing.T) {
	f := func(name string, e Epoch, facts Facts, want Verdict, wantSnap int64) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			d := Decide(e, TxID(e.Job, "u", e.Number), facts)
			if d.Verdict != want {
				t.Fatalf("verdict = %s (%s), want %s", d.Verdict, d.Reason, want)
			}
			if want == Duplicate && d.SnapshotID != wantSnap {
				t.Fatalf("snapshot = %d, want %d", d.SnapshotID, wantSnap)
			}
			if want != Proceed && d.Reason == "" {
				t.Fatal("a refusal must say why")
			}
		})
	}
	ep := func(gen, n uint64, rs ...Range) Epoch {
		return Epoch{Job: "j", Generation: gen, Number: n, Sources: rs}
	}
	foreign := Snap{ID: 99}

	f("empty table", ep(1, 1, kafka(0, 0, 10)), Facts{}, Proceed, 0)
	f("contiguous after previous epoch", ep(1, 2, kafka(0, 10, 20)),
		Facts{Ancestry: []Snap{snapOf(1, "j", 1, 1, kafka(0, 0, 10))}}, Proceed, 0)
	f("foreign snapshots in between are ignored", ep(1, 2, kafka(0, 10, 20)),
		Facts{Ancestry: []Snap{foreign, foreign, snapOf(1, "j", 1, 1, kafka(0, 0, 10))}}, Proceed, 0)
	f("other jobs are ignored", ep(1, 2, kafka(0, 10, 20)),
		Facts{Ancestry: []Snap{snapOf(7, "k", 9, 5, kafka(0, 500, 600)), snapOf(1, "j", 1, 1, kafka(0, 0, 10))}}, Proceed, 0)
	f("duplicate at head", ep(1, 2, kafka(0, 10, 20)),
		Facts{Ancestry: []Snap{snapOf(2, "j", 1, 2, kafka(0, 10, 20)), snapOf(1, "j", 1, 1, kafka(0, 0, 10))}}, Duplicate, 2)
	f("duplicate below 50 foreign snapshots (F5)", ep(1, 2),
		Facts{Ancestry: append(make([]Snap, 50), snapOf(2, "j", 1, 2))}, Duplicate, 2)
	f("replay of an older epoch is a duplicate (R7)", ep(2, 2, kafka(0, 10, 20)),
		Facts{Ancestry: []Snap{snapOf(4, "j", 1, 4), snapOf(3, "j", 1, 3), snapOf(2, "j", 1, 2), snapOf(1, "j", 1, 1)}}, Duplicate, 2)
	f("duplicate committed by an older generation", ep(3, 2, kafka(0, 10, 20)),
		Facts{Ancestry: []Snap{snapOf(2, "j", 1, 2)}}, Duplicate, 2)
	f("fenced by property", ep(1, 3), Facts{Fence: 2}, Fenced, 0)
	f("fenced by property even when committed", ep(1, 2), Facts{Fence: 2, Ancestry: []Snap{snapOf(2, "j", 1, 2)}}, Fenced, 0)
	f("own fence is fine", ep(2, 1, kafka(0, 0, 5)), Facts{Fence: 2}, Proceed, 0)
	f("fenced by a newer generation's snapshot", ep(1, 5),
		Facts{Ancestry: []Snap{snapOf(4, "j", 2, 4)}}, Fenced, 0)
	f("later epoch committed, this one not", ep(1, 3),
		Facts{Ancestry: []Snap{snapOf(4, "j", 1, 4), snapOf(2, "j", 1, 2)}}, Stale, 0)
	f("gap", ep(1, 2, kafka(0, 11, 20)),
		Facts{Ancestry: []Snap{snapOf(1, "j", 1, 1, kafka(0, 0, 10))}}, Discontiguous, 0)
	f("overlap", ep(1, 2, kafka(0, 9, 20)),
		Facts{Ancestry: []Snap{snapOf(1, "j", 1, 1, kafka(0, 0, 10))}}, Discontiguous, 0)
	f("new partition may start anywhere", ep(1, 2, kafka(0, 10, 20), kafka(1, 500, 510)),
		Facts{Ancestry: []Snap{snapOf(1, "j", 1, 1, kafka(0, 0, 10))}}, Proceed, 0)
	f("floor from checkpoint when snapshots expired (F3)", ep(1, 9, kafka(0, 70, 80)),
		Facts{Floor: Positions{kafka(0, 0, 0).Key(): 80}}, Discontiguous, 0)
	f("floor from checkpoint, contiguous", ep(1, 9, kafka(0, 80, 90)),
		Facts{Floor: Positions{kafka(0, 0, 0).Key(): 80}}, Proceed, 0)
	f("ancestry ahead of a stale floor wins", ep(1, 3, kafka(0, 20, 30)),
		Facts{Floor: Positions{kafka(0, 0, 0).Key(): 10}, Ancestry: []Snap{snapOf(2, "j", 1, 2, kafka(0, 10, 20))}}, Proceed, 0)
	f("empty range keeps position", ep(1, 3, kafka(0, 20, 20)),
		Facts{Ancestry: []Snap{snapOf(2, "j", 1, 2, kafka(0, 10, 20))}}, Proceed, 0)
}

func TestTxIDStable(t *testing.T) {
	a := TxID("job", "uuid", 7)
	if a != TxID("job", "uuid", 7) {
		t.Fatal("txid not deterministic")
	}
	for _, b := range []string{TxID("job", "uuid", 8), TxID("job", "uuid2", 7), TxID("jo", "buuid", 7)} {
		if a == b {
			t.Fatalf("txid collision: %s", a)
		}
	}
}

func TestParseSnapRoundTrip(t *testing.T) {
	wm := int64(1234)
	e := Epoch{Job: "j", JobVersion: "v1", Generation: 3, Number: 42, Sources: []Range{kafka(0, 1, 2), kafka(1, 5, 5)}, Watermark: &wm}
	s, err := ParseSnap(10, 4, e.Properties("tx"))
	if err != nil {
		t.Fatal(err)
	}
	if s.TxID != "tx" || s.Job != "j" || s.Generation != 3 || s.Epoch != 42 || len(s.Sources) != 2 || s.Sources[1] != kafka(1, 5, 5) {
		t.Fatalf("round trip: %+v", s)
	}
	// Malformed wharf keys are an error, never a silently foreign snapshot.
	p := e.Properties("tx")
	p[KeyEpoch] = "x"
	if _, err := ParseSnap(10, 4, p); err == nil {
		t.Fatal("malformed epoch accepted")
	}
}
