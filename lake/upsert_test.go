package lake_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// The upsert tests' table: key BIGINT PRIMARY KEY, val BIGINT, tag STRING.
var (
	pkIceberg = iceberg.NewSchemaWithIdentifiers(0, []int{1},
		iceberg.NestedField{ID: 1, Name: "key", Type: iceberg.PrimitiveTypes.Int64, Required: true},
		iceberg.NestedField{ID: 2, Name: "val", Type: iceberg.PrimitiveTypes.Int64},
		iceberg.NestedField{ID: 3, Name: "tag", Type: iceberg.PrimitiveTypes.String},
	)
	pkArrow = arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.PrimitiveTypes.Int64},
		{Name: "val", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
)

// chg is one changelog row.
type chg struct {
	key, val int64
	kind     int8
}

// tagOf spreads rows over partitions by value, so an update can move a key
// to another partition.
func tagOf(val int64) string { return fmt.Sprintf("t%d", val%3) }

func changeBatch(cs []chg) (arrow.RecordBatch, *array.Int8) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, pkArrow)
	defer b.Release()
	kb := array.NewInt8Builder(memory.DefaultAllocator)
	defer kb.Release()
	for _, c := range cs {
		b.Field(0).(*array.Int64Builder).Append(c.key)
		b.Field(1).(*array.Int64Builder).Append(c.val)
		b.Field(2).(*array.StringBuilder).Append(tagOf(c.val))
		kb.Append(c.kind)
	}
	return b.NewRecordBatch(), kb.NewInt8Array()
}

// apply folds a changelog into the model.
func apply(model map[int64]int64, cs []chg) {
	for _, c := range cs {
		switch c.kind {
		case lake.KindInsert, lake.KindUpdateAfter:
			model[c.key] = c.val
		default:
			delete(model, c.key)
		}
	}
}

// upserter is one incarnation of a job upserting into a table.
type upserter struct {
	t      *testing.T
	wh     *lake.Warehouse
	id     table.Identifier
	w      *lake.UpsertWriter
	l      *commit.Ledger
	next   uint64
	offset int64 // the fake source's position
}

func newUpserter(t *testing.T, wh *lake.Warehouse, id table.Identifier, opts ...commit.Option) *upserter {
	t.Helper()
	ctx := context.Background()
	l, err := wh.Ledger("up", opts...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Recover(ctx, []table.Identifier{id})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	w, err := lake.NewUpsertWriter(ctx, tbl, pkArrow)
	if err != nil {
		t.Fatal(err)
	}
	return &upserter{t: t, wh: wh, id: id, w: w, l: l, next: res.NextEpoch, offset: res.Positions[commit.Key{Kind: "gen", Name: "cl"}]}
}

// flush writes cs in batches of up to 500 rows and flushes.
func (u *upserter) flush(cs []chg) (data, deletes []iceberg.DataFile) {
	u.t.Helper()
	ctx := context.Background()
	for len(cs) > 0 {
		n := min(len(cs), 500)
		rec, kinds := changeBatch(cs[:n])
		if err := u.w.Write(ctx, rec, kinds); err != nil {
			u.t.Fatal(err)
		}
		rec.Release()
		kinds.Release()
		cs = cs[n:]
	}
	data, deletes, err := u.w.Flush(ctx)
	if err != nil {
		u.t.Fatal(err)
	}
	return data, deletes
}

// commit commits a flushed epoch of n changelog rows.
func (u *upserter) commit(n int, data, deletes []iceberg.DataFile) (commit.Result, error) {
	rg := commit.Range{Kind: "gen", Name: "cl", From: u.offset, To: u.offset + int64(n)}
	res, err := u.l.Commit(context.Background(), commit.Epoch{Number: u.next, Sources: []commit.Range{rg}},
		commit.Target{Table: u.id, Files: data, Deletes: deletes})
	if err != nil {
		return res, err
	}
	u.w.Committed()
	u.next, u.offset = u.next+1, rg.To
	return res, nil
}

// epoch runs one whole epoch.
func (u *upserter) epoch(cs []chg) {
	u.t.Helper()
	data, deletes := u.flush(cs)
	if _, err := u.commit(len(cs), data, deletes); err != nil {
		u.t.Fatal(err)
	}
}

// epochInto runs one whole epoch and folds cs into model.
func (u *upserter) epochInto(model map[int64]int64, cs []chg) {
	u.t.Helper()
	u.epoch(cs)
	apply(model, cs)
}

// randomChanges is a changelog over keys [0, keys): inserts, update pairs
// (-U then +U), lone +U and deletes, with keys often repeated in an epoch.
func randomChanges(r *rand.Rand, keys int64, n int) []chg {
	var cs []chg
	for len(cs) < n {
		k := r.Int64N(keys)
		v := r.Int64N(1 << 40)
		switch x := r.IntN(10); {
		case x < 4:
			cs = append(cs, chg{k, v, lake.KindInsert})
		case x < 7:
			cs = append(cs, chg{k, 0, lake.KindUpdateBefore}, chg{k, v, lake.KindUpdateAfter})
		case x < 8:
			cs = append(cs, chg{k, v, lake.KindUpdateAfter})
		default:
			cs = append(cs, chg{k, 0, lake.KindDelete})
		}
	}
	return cs
}

// contents reads the table through lake.PlanScan (deletes applied) and
// fails on a key held by two rows.
func contents(t *testing.T, wh *lake.Warehouse, id table.Identifier) map[int64]int64 {
	t.Helper()
	ctx := context.Background()
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := lake.PlanScan(ctx, tbl, lake.ScanOptions{Columns: []string{"key", "val", "tag"}})
	if err != nil {
		t.Fatal(err)
	}
	_, it, err := ps.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int64{}
	for b, err := range it {
		if err != nil {
			t.Fatal(err)
		}
		keys, vals, tags := b.Column(0).(*array.Int64), b.Column(1).(*array.Int64), b.Column(2).(*array.String)
		for i := 0; i < keys.Len(); i++ {
			if _, dup := got[keys.Value(i)]; dup {
				t.Fatalf("key %d is held by two rows", keys.Value(i))
			}
			if tags.Value(i) != tagOf(vals.Value(i)) {
				t.Fatalf("key %d: tag %q does not go with value %d", keys.Value(i), tags.Value(i), vals.Value(i))
			}
			got[keys.Value(i)] = vals.Value(i)
		}
		b.Release()
	}
	return got
}

// checkVerify runs wharf verify on the table: clean, and rows live.
func checkVerify(t *testing.T, wh *lake.Warehouse, id table.Identifier, rows int) {
	t.Helper()
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
	if rep.Rows != int64(rows) {
		t.Fatalf("verify counts %d rows, want %d", rep.Rows, rows)
	}
}

func checkContents(t *testing.T, wh *lake.Warehouse, id table.Identifier, model map[int64]int64, when string) {
	t.Helper()
	got := contents(t, wh, id)
	if maps.Equal(got, model) {
		return
	}
	var diff []string
	for k, v := range model {
		if g, ok := got[k]; !ok || g != v {
			diff = append(diff, fmt.Sprintf("key %d: got %d (present %v), want %d", k, g, ok, v))
		}
	}
	for k, g := range got {
		if _, ok := model[k]; !ok {
			diff = append(diff, fmt.Sprintf("key %d: got %d, want absent", k, g))
		}
	}
	slices.Sort(diff)
	t.Fatalf("%s: %d rows, want %d; %d differences, first: %s", when, len(got), len(model), len(diff), strings.Join(diff[:min(len(diff), 5)], "; "))
}

func createPK(t *testing.T, wh *lake.Warehouse, name string, spec *iceberg.PartitionSpec) table.Identifier {
	t.Helper()
	id, err := lake.Ident(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wh.CreateTable(context.Background(), id, pkIceberg, lake.TableOptions{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	return id
}

var tagSpec = iceberg.NewPartitionSpec(iceberg.PartitionField{SourceIDs: []int{3}, FieldID: 1000, Name: "tag", Transform: iceberg.IdentityTransform{}})

// TestUpsertRandomChangelog: a random changelog over 10k keys in many
// epochs, unpartitioned and partitioned by a column updates move keys
// across; after every epoch the table equals the model, and verify is clean.
func TestUpsertRandomChangelog(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		for _, part := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/partitioned=%v", kind, part), func(t *testing.T) {
				wh := warehouseOn(t, kind)
				var spec *iceberg.PartitionSpec
				if part {
					spec = &tagSpec
				}
				id := createPK(t, wh, "pk", spec)
				u := newUpserter(t, wh, id)
				r := rand.New(rand.NewPCG(1, uint64(len(kind))))
				model := map[int64]int64{}
				for e := 0; e < 10; e++ {
					n := 3000
					if e == 0 {
						n = 12000 // most keys exist from the first epoch on
					}
					cs := randomChanges(r, 10_000, n)
					u.epochInto(model, cs)
					checkContents(t, wh, id, model, fmt.Sprintf("epoch %d", e+1))
					if u.w.Keys() != len(model) {
						t.Fatalf("epoch %d: index holds %d keys, table %d", e+1, u.w.Keys(), len(model))
					}
				}
				checkVerify(t, wh, id, len(model))
			})
		}
	}
}

// TestUpsertWithinEpoch: the last change per key wins inside an epoch, a key
// updated many times writes one row and one delete, and a key inserted and
// deleted in the same epoch leaves nothing.
func TestUpsertWithinEpoch(t *testing.T) {
	wh := warehouseOn(t, "sqlite")
	id := createPK(t, wh, "pk", nil)
	u := newUpserter(t, wh, id)
	u.epoch([]chg{{1, 10, lake.KindInsert}, {2, 20, lake.KindInsert}, {3, 30, lake.KindInsert}})

	var cs []chg
	for i := int64(0); i < 100; i++ {
		cs = append(cs, chg{1, 100 + i, lake.KindUpdateAfter})
	}
	cs = append(cs,
		chg{4, 40, lake.KindInsert}, chg{4, 0, lake.KindDelete}, // new key, gone again
		chg{2, 21, lake.KindUpdateAfter}, chg{2, 0, lake.KindDelete}, // committed key, updated then deleted
		chg{5, 0, lake.KindDelete}, // absent key: a no-op
	)
	data, deletes := u.flush(cs)
	rows := int64(0)
	for _, f := range data {
		rows += f.Count()
	}
	dels := int64(0)
	for _, f := range deletes {
		dels += f.Count()
	}
	if rows != 1 || dels != 2 {
		t.Fatalf("epoch wrote %d rows and %d deletes; want 1 and 2", rows, dels)
	}
	if _, err := u.commit(len(cs), data, deletes); err != nil {
		t.Fatal(err)
	}
	checkContents(t, wh, id, map[int64]int64{1: 199, 3: 30}, "after epoch 2")
}

// TestUpsertAbortAndCrash: an epoch flushed then aborted leaves nothing and
// the redone epoch lands; a crash between Flush and commit, or between the
// pre-commit record and the catalog commit, recovers (a new writer indexes
// the table afresh; recovery rebuilds the prepared position deletes).
func TestUpsertAbortAndCrash(t *testing.T) {
	wh := warehouseOn(t, "sqlite")
	id := createPK(t, wh, "pk", &tagSpec)
	r := rand.New(rand.NewPCG(2, 2))
	model := map[int64]int64{}
	u := newUpserter(t, wh, id)
	first := randomChanges(r, 2000, 3000)
	u.epochInto(model, first)

	// Aborted: flushed, never committed.
	u.flush(randomChanges(r, 2000, 500))
	u.w.Abort()
	redo := randomChanges(r, 2000, 500)
	u.epochInto(model, redo)
	checkContents(t, wh, id, model, "after abort and redo")

	// Crash after Flush: the incarnation is gone; a new one redoes the epoch.
	u.flush(randomChanges(r, 2000, 500))
	u = newUpserter(t, wh, id)
	again := randomChanges(r, 2000, 500)
	u.epochInto(model, again)
	checkContents(t, wh, id, model, "after crash before commit")

	// Crash after the pre-commit record: recovery commits the prepared files,
	// deletes included, and a new writer continues from the table.
	crashing := newUpserter(t, wh, id, commit.WithHook(crashOnce(commit.FPAfterPrepare, 1)))
	cs := randomChanges(r, 2000, 800)
	data, deletes := crashing.flush(cs)
	if len(deletes) == 0 {
		t.Fatal("the epoch deletes nothing; the test needs it to")
	}
	if _, err := crashing.commit(len(cs), data, deletes); !errors.Is(err, errCrash) {
		t.Fatalf("commit: %v, want the simulated crash", err)
	}
	u = newUpserter(t, wh, id) // its Recover finishes the epoch
	apply(model, cs)
	checkContents(t, wh, id, model, "after recovery of a prepared epoch")
	more := randomChanges(r, 2000, 500)
	u.epochInto(model, more)
	checkContents(t, wh, id, model, "after the epoch following recovery")

	checkVerify(t, wh, id, len(model))
}

// TestUpsertForeignCommits: a batch append (with new keys and a duplicate
// of a live key) and a compaction between epochs make the writer re-index;
// the next change to the duplicated key removes both its rows.
func TestUpsertForeignCommits(t *testing.T) {
	ctx := context.Background()
	wh := warehouseOn(t, "sqlite")
	id := createPK(t, wh, "pk", nil)
	r := rand.New(rand.NewPCG(3, 3))
	model := map[int64]int64{}
	u := newUpserter(t, wh, id)
	cs := []chg{{7, 70, lake.KindInsert}}
	cs = append(cs, randomChanges(r, 1000, 1500)...)
	u.epochInto(model, cs)
	if _, ok := model[7]; !ok {
		u.epochInto(model, []chg{{7, 71, lake.KindInsert}})
	}

	// A foreign batch INSERT: new keys, and key 7 a second time.
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	foreign := []chg{{7, 700, lake.KindInsert}, {5000, 1, lake.KindInsert}, {5001, 2, lake.KindInsert}}
	rec, kinds := changeBatch(foreign)
	kinds.Release()
	appendBatches(t, tbl, pkArrow, rec)
	model[5000], model[5001] = 1, 2

	next := append([]chg{{7, 77, lake.KindUpdateAfter}}, randomChanges(r, 1000, 800)...)
	next = slices.DeleteFunc(next, func(c chg) bool { return c.key == 7 && c.val != 77 })
	u.epochInto(model, next)
	checkContents(t, wh, id, model, "after a foreign append")

	// A compaction rewrites every file: positions change under the index.
	if _, err := wh.Compact(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	checkContents(t, wh, id, model, "after compaction")
	last := randomChanges(r, 1000, 800)
	u.epochInto(model, last)
	checkContents(t, wh, id, model, "after the epoch following compaction")
}

// TestUpsertAmbiguousCommit: the catalog applies an upsert epoch and answers
// 500; the ledger finds the txid and does not commit the deletes twice. A
// crash after the catalog commit is found again by recovery.
func TestUpsertAmbiguousCommit(t *testing.T) {
	ctx := context.Background()
	wh := warehouseOn(t, "sqlite")
	id := createPK(t, wh, "pk", nil)
	r := rand.New(rand.NewPCG(4, 4))
	model := map[int64]int64{}
	u := newUpserter(t, wh, id)
	cs := randomChanges(r, 1000, 1500)
	u.epochInto(model, cs)

	cat := &faultyCatalog{inner: wh.Catalog(), after5xx: 1}
	l, err := commit.New(wh.Records(), cat, true, "up")
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Recover(ctx, []table.Identifier{id})
	if err != nil {
		t.Fatal(err)
	}
	u.l, u.next = l, res.NextEpoch
	cs = randomChanges(r, 1000, 600)
	u.epochInto(model, cs)
	if cat.after5xx != 0 {
		t.Fatal("the injected fault was not hit")
	}
	checkContents(t, wh, id, model, "after an ambiguous commit")

	crashing := newUpserter(t, wh, id, commit.WithHook(crashOnce(commit.FPAfterCommit, 1)))
	cs = randomChanges(r, 1000, 600)
	data, deletes := crashing.flush(cs)
	if _, err := crashing.commit(len(cs), data, deletes); !errors.Is(err, errCrash) {
		t.Fatalf("commit: %v, want the simulated crash", err)
	}
	apply(model, cs)
	u = newUpserter(t, wh, id)
	checkContents(t, wh, id, model, "after a crash behind the catalog commit")
	cs = randomChanges(r, 1000, 600)
	u.epochInto(model, cs)
	checkContents(t, wh, id, model, "after the next epoch")
	checkVerify(t, wh, id, len(model))
}

// TestUpsertBadInput: bad kinds, null keys and tables without a key are
// clear errors with a position.
func TestUpsertBadInput(t *testing.T) {
	ctx := context.Background()
	wh := warehouseOn(t, "sqlite")
	id := createPK(t, wh, "pk", nil)
	tbl, err := wh.LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	w, err := lake.NewUpsertWriter(ctx, tbl, pkArrow)
	if err != nil {
		t.Fatal(err)
	}
	rec, kinds := changeBatch([]chg{{1, 1, lake.KindInsert}, {2, 2, 9}})
	defer rec.Release()
	defer kinds.Release()
	if err := w.Write(ctx, rec, kinds); err == nil || !strings.Contains(err.Error(), "row 1: row kind 9") {
		t.Fatalf("bad kind: %v", err)
	}
	w.Abort()

	b := array.NewRecordBuilder(memory.DefaultAllocator, pkArrow)
	b.Field(0).AppendNull()
	b.Field(1).AppendNull()
	b.Field(2).AppendNull()
	nullKey := b.NewRecordBatch()
	b.Release()
	defer nullKey.Release()
	if err := w.Write(ctx, nullKey, nil); err == nil || !strings.Contains(err.Error(), "row 0: primary key column key is null") {
		t.Fatalf("null key: %v", err)
	}

	plain := createEvents(t, wh)
	ptbl, err := wh.LoadTable(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lake.NewUpsertWriter(ctx, ptbl, arrowSchema); err == nil || !strings.Contains(err.Error(), "no primary key") {
		t.Fatalf("table without a key: %v", err)
	}
}
