package lake_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/iceberg-go"

	"github.com/wharfdata/wharf/lake"
)

// TestPartitionSummaryEmptyString: a manifest of files whose partition
// values include "" must summarize that partition field with a lower bound
// of "" (present and empty). Engines that prune manifests by these
// summaries (iceberg-go's own planner, Spark, Trino) read an absent lower
// bound as "no non-null value" and skip the manifest.
func TestPartitionSummaryEmptyString(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	spec := iceberg.NewPartitionSpec(iceberg.PartitionField{SourceIDs: []int{3}, FieldID: 1000, Name: "s_trunc", Transform: iceberg.TruncateTransform{Width: 1}})
	id, _ := lake.Ident("summary_empty")
	tbl, err := wh.CreateTable(ctx, id, pruneSchema, lake.TableOptions{Spec: &spec})
	if err != nil {
		t.Fatal(err)
	}
	files, err := lake.WriteFiles(ctx, tbl, pruneArrow, lake.Batches(pruneBatch(0, 100)))
	if err != nil {
		t.Fatal(err)
	}
	empty := false
	for _, f := range files {
		empty = empty || f.Partition()[1000] == ""
	}
	if !empty {
		t.Fatal(`BUG: no data file in partition ""`)
	}
	tx := tbl.NewTransaction()
	if err := tx.AddDataFiles(ctx, files, nil); err != nil {
		t.Fatal(err)
	}
	if tbl, err = tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mfs, err := tbl.CurrentSnapshot().Manifests(fs)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mfs {
		s := m.Partitions()[0]
		lo, hi := "<absent>", "<absent>"
		if s.LowerBound != nil {
			lo = string(*s.LowerBound)
		}
		if s.UpperBound != nil {
			hi = string(*s.UpperBound)
		}
		t.Logf("manifest %s: contains null %v, lower %q, upper %q", m.FilePath(), s.ContainsNull, lo, hi)
		if s.LowerBound == nil {
			t.Skip(`iceberg-go v0.7.0 writes no lower bound for a partition value of "": ` +
				`partitionFieldStats.toSummary (manifest.go:1620) takes &lb of StringLiteral("").MarshalBinary() ` +
				`(literals.go:1071), a nil slice (unsafe.StringData("") is nil), and the Avro writer encodes a ` +
				`nil []byte behind a non-nil *[]byte as null (TestManifestListEmptyBound); wharf commits through ` +
				`iceberg-go's snapshot producer, which computes the summaries, so it cannot fix them from its side`)
		}
		if len(*s.LowerBound) != 0 {
			t.Errorf(`partition summary lower bound %q, want ""`, lo)
		}
	}
}

// TestManifestListEmptyBound pins down where the bound is lost: iceberg-go
// v0.7.0 writes a FieldSummary bound of "" to a manifest list and reads it
// back when the slice is empty but not nil; a nil slice (what its
// summaries hold for "") comes back absent. The nil case fails once that
// is fixed upstream: then TestPartitionSummaryEmptyString runs again.
func TestManifestListEmptyBound(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		lost bool // read back absent
	}{{"empty", []byte{}, false}, {"nil slice (StringLiteral(\"\").MarshalBinary)", nil, true}, {"a", []byte("a"), false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			f := false
			m := iceberg.NewManifestFile(2, "m.avro", 1, 0, 1).SequenceNum(1, 1).AddedFiles(1).
				Partitions([]iceberg.FieldSummary{{LowerBound: &b, UpperBound: &b, ContainsNaN: &f}}).Build()
			var buf bytes.Buffer
			seq := int64(1)
			if err := iceberg.WriteManifestList(2, &buf, 1, nil, &seq, 0, []iceberg.ManifestFile{m}); err != nil {
				t.Fatal(err)
			}
			got, err := iceberg.ReadManifestList(&buf)
			if err != nil {
				t.Fatal(err)
			}
			s := got[0].Partitions()[0]
			if tc.lost {
				if s.LowerBound != nil {
					t.Errorf("a nil bound reads back as %q: iceberg-go keeps it now; un-skip TestPartitionSummaryEmptyString", *s.LowerBound)
				}
				return
			}
			if s.LowerBound == nil || string(*s.LowerBound) != string(b) {
				t.Errorf("lower bound %v read back, want %q", s.LowerBound, b)
			}
		})
	}
}
