package restcat

import (
	"testing"

	"github.com/apache/iceberg-go/table"
)

// FuzzLineageEntry: any snapshot summary yields an index entry, no entry, or
// a bad-request error — never a panic — and an entry's ranges are well formed.
func FuzzLineageEntry(f *testing.F) {
	f.Add("tx", "j", "1", "3", `[{"kind":"kafka","name":"t","partition":0,"from":0,"to":5}]`, "1000")
	f.Add("tx", "", "1", "3", `[]`, "")
	f.Add("tx", "j", "x", "3", `[{"kind":"kafka","name":"t","partition":0,"from":5,"to":1}]`, "-")
	f.Add("", "j", "1", "1", "", "")
	f.Fuzz(func(t *testing.T, txid, job, gen, epoch, sources, watermark string) {
		sum := map[string]string{"wharf.txid": txid, "wharf.job": job, "wharf.generation": gen, "wharf.epoch": epoch, "wharf.sources": sources}
		if watermark != "" {
			sum["wharf.watermark"] = watermark
		}
		s := table.Snapshot{SnapshotID: 7, SequenceNumber: 2, Summary: &table.Summary{Properties: sum}}
		l, ok, err := lineageEntry(table.Identifier{"ns", "t"}, "uuid", s)
		if err != nil {
			if ok {
				t.Fatal("an entry and an error")
			}
			return
		}
		if ok != (txid != "") {
			t.Fatalf("txid %q: indexed = %v", txid, ok)
		}
		if ok && (l.Job == "" || l.TxID != txid) {
			t.Fatalf("entry %+v", l)
		}
		seen := map[string]bool{}
		for _, r := range l.Sources {
			if r.To < r.From || seen[r.Key().String()] {
				t.Fatalf("malformed ranges indexed: %+v", l.Sources)
			}
			seen[r.Key().String()] = true
		}
	})
}
