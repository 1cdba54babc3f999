package commit

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseSnap: any snapshot summary parses or errors, never panics; what
// wharf writes parses back to what it wrote.
func FuzzParseSnap(f *testing.F) {
	wm := int64(5)
	e := Epoch{Job: "j", JobVersion: "v", Generation: 2, Number: 9, Sources: []Range{{Kind: "kafka", Name: "t", Partition: 1, From: 3, To: 7}}, Watermark: &wm}
	p := e.Properties("tx")
	f.Add(p[KeyTxID], p[KeyGeneration], p[KeyEpoch], p[KeySources])
	f.Add("tx", "1", "1", `[{"kind":"kafka","name":"t","partition":-1,"from":-5,"to":9223372036854775807}]`)
	f.Add("tx", "18446744073709551616", "x", `{`)
	f.Fuzz(func(t *testing.T, txid, gen, epoch, sources string) {
		s, err := ParseSnap(1, 1, map[string]string{KeyTxID: txid, KeyJob: "j", KeyGeneration: gen, KeyEpoch: epoch, KeySources: sources})
		if err != nil || txid == "" {
			return
		}
		// Re-encode through Epoch.Properties and parse again: same facts.
		back, err := ParseSnap(1, 1, Epoch{Job: s.Job, Generation: s.Generation, Number: s.Epoch, Sources: s.Sources}.Properties(s.TxID))
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(normalize(back.Sources), normalize(s.Sources)) || back.Generation != s.Generation || back.Epoch != s.Epoch {
			t.Fatalf("round trip: %+v vs %+v", back, s)
		}
	})
}

func normalize(rs []Range) []Range {
	if len(rs) == 0 {
		return nil
	}
	return rs
}

// FuzzRecords: the ledger's records decode or error, never panic, and
// re-encode to the same value.
func FuzzRecords(f *testing.F) {
	c := Committed{Epoch: 3, Generation: 1, CommittedTable: CommittedTable{TxID: "t", Table: TableRef{Ident: []string{"a", "b"}, UUID: "u"}, SnapshotID: 5, SequenceNumber: 2},
		Positions: Positions{{Kind: "kafka", Name: "t", Partition: 0}: 10}}
	b, _ := json.Marshal(c)
	f.Add(b)
	pb, _ := json.Marshal(Prepared{Epoch: Epoch{Job: "j", Number: 1}, PreparedTable: PreparedTable{TxID: "t", Files: []string{"s3://b/f.parquet"}},
		Others: []PreparedTable{{TxID: "u", Files: []string{"s3://b/g.parquet"}}}})
	f.Add(pb)
	f.Add([]byte(`{"positions":[{"kind":"k","name":"n","partition":1,"next":2},{"kind":"k","name":"n","partition":1,"next":3}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Committed
		if json.Unmarshal(data, &c) == nil {
			out, err := json.Marshal(c)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			// Stable re-encoding (empty and nil decode differently, so values
			// are compared as their encodings).
			var again Committed
			if err := json.Unmarshal(out, &again); err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			if out2, _ := json.Marshal(again); string(out2) != string(out) {
				t.Fatalf("round trip:\n%s\n%s", out, out2)
			}
		}
		var p Prepared
		_ = json.Unmarshal(data, &p)
	})
}
