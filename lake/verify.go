package lake

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/iceberg-go"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake/commit"
)

// Verify checks a table's invariants and says what it checked:
//
//   - each wharf.txid is carried by exactly one snapshot (over all snapshots);
//   - no data file is referenced by two live entries of the current snapshot;
//   - every live data file exists in storage;
//   - every live position delete names a row inside its data file (rows
//     named twice, or in files no longer live, delete nothing);
//   - along the main branch, each job's source ranges per partition follow on
//     from the previous ones with no gap and no overlap.
func Verify(ctx context.Context, tbl *table.Table) (*VerifyReport, error) {
	meta := tbl.Metadata()
	r := &VerifyReport{Table: strings.Join(tbl.Identifier(), "."), Snapshots: len(meta.Snapshots())}

	txids := VerifyCheck{Name: "each wharf.txid in exactly one snapshot"}
	seen := map[string][]int64{}
	for _, s := range meta.Snapshots() {
		if s.Summary == nil || s.Summary.Properties[commit.KeyTxID] == "" {
			continue
		}
		txid := s.Summary.Properties[commit.KeyTxID]
		seen[txid] = append(seen[txid], s.SnapshotID)
		txids.Checked++
	}
	for txid, ids := range seen {
		if len(ids) > 1 {
			txids.Violations = append(txids.Violations, fmt.Sprintf("txid %s in snapshots %v", txid, ids))
		}
	}
	slices.Sort(txids.Violations)

	files := VerifyCheck{Name: "no data file referenced by two live entries"}
	exist := VerifyCheck{Name: "every live data file exists"}
	posdel := VerifyCheck{Name: "every position delete names a row of its data file"}
	if cur := meta.CurrentSnapshot(); cur != nil {
		fs, err := tbl.FS(ctx)
		if err != nil {
			return nil, err
		}
		refs := map[string]int{}
		counts := map[string]int64{}
		var deletes []iceberg.DataFile
		for df, err := range commit.LiveFiles(ctx, tbl) {
			if err != nil {
				return nil, err
			}
			switch df.ContentType() {
			case iceberg.EntryContentData:
				refs[df.FilePath()]++
				counts[df.FilePath()] = df.Count()
				r.Rows += df.Count()
				files.Checked++
			case iceberg.EntryContentEqDeletes:
				r.Rows = -1
			default:
				deletes = append(deletes, df)
			}
		}
		dead, err := verifyPositionDeletes(ctx, fs, deletes, counts, &posdel)
		if err != nil {
			return nil, err
		}
		if r.Rows >= 0 {
			r.Rows -= dead
		}
		for path, n := range refs {
			if n > 1 {
				files.Violations = append(files.Violations, fmt.Sprintf("%s referenced %d times", path, n))
			}
			exist.Checked++
			f, err := fs.Open(path)
			if err != nil {
				exist.Violations = append(exist.Violations, fmt.Sprintf("%s: %v", path, err))
				continue
			}
			_ = f.Close()
		}
		slices.Sort(files.Violations)
		slices.Sort(exist.Violations)
	}

	ranges := VerifyCheck{Name: "source ranges contiguous per job and partition (main branch)"}
	if cur := meta.CurrentSnapshot(); cur != nil {
		chain := table.AncestorsOf(cur.SnapshotID, meta.SnapshotByID)
		type jobKey struct {
			job string
			key commit.Key
		}
		next := map[jobKey]int64{}
		for i := len(chain) - 1; i >= 0; i-- { // oldest first
			s := chain[i]
			var props iceberg.Properties
			if s.Summary != nil {
				props = s.Summary.Properties
			}
			sn, err := commit.ParseSnap(s.SnapshotID, s.SequenceNumber, props)
			if err != nil {
				ranges.Violations = append(ranges.Violations, err.Error())
				continue
			}
			for _, rg := range sn.Sources {
				ranges.Checked++
				k := jobKey{sn.Job, rg.Key()}
				if want, ok := next[k]; ok && rg.From != want {
					kind := "gap"
					if rg.From < want {
						kind = "overlap"
					}
					ranges.Violations = append(ranges.Violations, fmt.Sprintf("job %s %s: snapshot %d (epoch %d) starts at %d, previous ended at %d (%s)",
						sn.Job, rg.Key(), sn.ID, sn.Epoch, rg.From, want, kind))
				}
				next[k] = rg.To
			}
		}
	}
	r.Checks = []VerifyCheck{txids, files, exist, posdel, ranges}
	return r, nil
}

// verifyPositionDeletes reads the live position delete files and returns how
// many distinct live rows they delete; a position past its file's end is a
// violation. Delete files that are deletion vectors are not read.
func verifyPositionDeletes(ctx context.Context, fs iceio.IO, deletes []iceberg.DataFile, counts map[string]int64, c *VerifyCheck) (int64, error) {
	dead := map[string]map[int64]bool{}
	var n int64
	for _, d := range deletes {
		if d.FileFormat() != iceberg.ParquetFile {
			continue
		}
		err := readPositionDeletes(ctx, fs, d, func(path string, pos int64) error {
			c.Checked++
			count, live := counts[path]
			switch {
			case !live:
			case pos < 0 || pos >= count:
				c.Violations = append(c.Violations, fmt.Sprintf("%s deletes row %d of %s, which has %d", d.FilePath(), pos, path, count))
			case !dead[path][pos]:
				if dead[path] == nil {
					dead[path] = map[int64]bool{}
				}
				dead[path][pos] = true
				n++
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("read position delete file %s: %w", d.FilePath(), err)
		}
	}
	slices.Sort(c.Violations)
	return n, nil
}
