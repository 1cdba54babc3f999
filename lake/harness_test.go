package lake_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/testkit"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var errCrash = errors.New("simulated crash")

// source is RELIABILITY.md's dataset: record i has the unique key i and the
// value hash(i), so "no duplicates" is count == distinct keys and "no loss" is
// count == total and sum(value) == the source checksum.
type source struct {
	parts   int32
	perPart int64
}

func (s source) total() int64 { return int64(s.parts) * s.perPart }

func (s source) key(p int32, off int64) int64 { return int64(p)*s.perPart + off }

// hash is splitmix64, masked to 62 bits so that sums do not overflow.
func hash(k int64) int64 {
	z := uint64(k) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return int64((z ^ (z >> 31)) >> 2)
}

func (s source) checksum() int64 {
	var sum int64
	for k := int64(0); k < s.total(); k++ {
		sum += hash(k)
	}
	return sum
}

func (s source) done(pos commit.Positions) bool {
	for p := int32(0); p < s.parts; p++ {
		if pos[s.rangeKey(p)] < s.perPart {
			return false
		}
	}
	return true
}

func (s source) rangeKey(p int32) commit.Key {
	return commit.Key{Kind: "gen", Name: "test", Partition: p}
}

var arrowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.PrimitiveTypes.Int64},
	{Name: "value", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "part", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "off", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

var icebergSchema = iceberg.NewSchema(0,
	iceberg.NestedField{ID: 1, Name: "key", Type: iceberg.PrimitiveTypes.Int64, Required: true},
	iceberg.NestedField{ID: 2, Name: "value", Type: iceberg.PrimitiveTypes.Int64},
	iceberg.NestedField{ID: 3, Name: "part", Type: iceberg.PrimitiveTypes.Int32},
	iceberg.NestedField{ID: 4, Name: "off", Type: iceberg.PrimitiveTypes.Int64},
)

// next reads up to n records per partition from pos: one batch and the epoch's
// ranges, listing every partition.
func (s source) next(pos commit.Positions, n int64) (arrow.RecordBatch, []commit.Range) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrowSchema)
	defer b.Release()
	var ranges []commit.Range
	for p := int32(0); p < s.parts; p++ {
		from := pos[s.rangeKey(p)]
		to := min(from+n, s.perPart)
		for off := from; off < to; off++ {
			k := s.key(p, off)
			b.Field(0).(*array.Int64Builder).Append(k)
			b.Field(1).(*array.Int64Builder).Append(hash(k))
			b.Field(2).(*array.Int32Builder).Append(p)
			b.Field(3).(*array.Int64Builder).Append(off)
		}
		ranges = append(ranges, commit.Range{Kind: "gen", Name: "test", Partition: p, From: from, To: to})
	}
	return b.NewRecordBatch(), ranges
}

// jobRun is one incarnation of a test job that copies the source into a table.
type jobRun struct {
	wh      *lake.Warehouse
	ident   table.Identifier
	job     string
	src     source
	perPart int64 // records per partition per epoch
	opts    []commit.Option
	ledger  *commit.Ledger // when set, used instead of wh.Ledger (fault-injecting catalogs)
	// drop, when set, says which epochs' rows the job filters out: those
	// epochs commit positions and no files.
	drop func(epoch uint64) bool
}

// run recovers and copies until the source is exhausted or an error (a
// simulated crash) stops it.
func (j jobRun) run(ctx context.Context) error {
	l := j.ledger
	if l == nil {
		var err error
		if l, err = j.wh.Ledger(j.job, j.opts...); err != nil {
			return err
		}
	}
	res, err := l.Recover(ctx, []table.Identifier{j.ident})
	if err != nil {
		return err
	}
	pos, epoch := res.Positions, res.NextEpoch
	for !j.src.done(pos) {
		tbl, err := j.wh.LoadTable(ctx, j.ident)
		if err != nil {
			return err
		}
		rec, ranges := j.src.next(pos, j.perPart)
		var files []iceberg.DataFile
		if j.drop != nil && j.drop(epoch) {
			rec.Release()
		} else if files, err = lake.WriteFiles(ctx, tbl, arrowSchema, lake.Batches(rec)); err != nil {
			return err
		}
		if _, err := l.Commit(ctx, commit.Epoch{Number: epoch, Sources: ranges}, commit.Target{Table: j.ident, Files: files}); err != nil {
			return err
		}
		pos, epoch = l.Positions(), epoch+1
	}
	return nil
}

// newWarehouse opens a warehouse with a SQLite catalog; on MinIO when s3
// endpoint is given ("" = MinIO direct, "proxy" handled by caller via cfg).
func newWarehouse(t testing.TB, onS3 bool, endpoint string) *lake.Warehouse {
	t.Helper()
	cfg := lake.Config{DataDir: t.TempDir()}
	if onS3 {
		m := testkit.MinIO(t)
		cfg.Warehouse = "s3://" + m.NewBucket(t) + "/wh"
		cfg.S3 = m.S3Config()
		if endpoint != "" {
			cfg.S3.Endpoint = endpoint
		}
	}
	wh, err := lake.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	return wh
}

func createEvents(t *testing.T, wh *lake.Warehouse) table.Identifier {
	t.Helper()
	id, err := lake.Ident("events")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wh.CreateTable(context.Background(), id, icebergSchema, lake.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	return id
}

// tally scans a table: rows, distinct keys, sum of values, and (separately)
// rows with negative keys (foreign writers' rows).
type tally struct{ rows, distinct, sum, foreign int64 }

func scan(t *testing.T, wh *lake.Warehouse, id table.Identifier) tally {
	t.Helper()
	ctx := context.Background()
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	_, it, err := tbl.Scan(table.WithSelectedFields("key", "value")).ToArrowRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var r tally
	seen := map[int64]bool{}
	for b, err := range it {
		if err != nil {
			t.Fatal(err)
		}
		keys := b.Column(0).(*array.Int64)
		vals := b.Column(1).(*array.Int64)
		for i := 0; i < keys.Len(); i++ {
			k := keys.Value(i)
			r.rows++
			if k < 0 {
				r.foreign++
				continue
			}
			seen[k] = true
			r.sum += vals.Value(i)
		}
		b.Release()
	}
	r.distinct = int64(len(seen))
	return r
}

// checkExact asserts RELIABILITY.md's figures: rows == source, distinct keys
// == rows, checksum equal, each txid in one snapshot, verify clean.
func checkExact(t *testing.T, wh *lake.Warehouse, id table.Identifier, src source) {
	t.Helper()
	got := scan(t, wh, id)
	own := got.rows - got.foreign
	if own != src.total() || got.distinct != own || got.sum != src.checksum() {
		t.Fatalf("rows=%d distinct=%d sum=%d; want rows=distinct=%d sum=%d", own, got.distinct, got.sum, src.total(), src.checksum())
	}
	tbl, err := wh.LoadTable(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := lake.Verify(context.Background(), tbl)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify: %+v", rep.Checks)
	}
}

// crashOnce returns a hook that crashes at the n-th hit of point, once.
func crashOnce(point string, n int) func(string) error {
	hits := 0
	return func(p string) error {
		if p != point {
			return nil
		}
		hits++
		if hits == n {
			return fmt.Errorf("%w at %s #%d", errCrash, p, n)
		}
		return nil
	}
}

// warehouseOn opens a local warehouse whose catalog is kind: "sqlite" or
// "postgres" (a fresh database on the test kit's server).
func warehouseOn(t *testing.T, kind string) *lake.Warehouse {
	t.Helper()
	cfg := lake.Config{DataDir: t.TempDir()}
	if kind == "postgres" {
		cfg.Catalog = testkit.Postgres(t).NewDatabase(t)
	}
	wh, err := lake.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	return wh
}
