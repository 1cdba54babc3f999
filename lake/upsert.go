package lake

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"

	"github.com/wharfdata/wharf/internal/errkind"
)

// Row kinds of a changelog, as Flink numbers them.
const (
	KindInsert       int8 = 0 // +I
	KindUpdateBefore int8 = 1 // -U
	KindUpdateAfter  int8 = 2 // +U
	KindDelete       int8 = 3 // -D
)

// UpsertWriter writes a changelog into a table with a primary key (its
// identifier fields), one epoch at a time, as new data files plus position
// delete files for the rows they replace: readers then pay one small
// position-delete lookup per data file, where equality deletes would make
// them match every later row against every deleted key.
//
// It finds the replaced rows through a key index (key → data file, row
// position) built from the table once, then kept current from the writer's
// own epochs. If anything else changed the table between epochs (compaction,
// a batch INSERT, a DELETE, a rollback), the index is rebuilt before the
// next epoch is flushed. Tables with equality deletes or deletion vectors
// are refused: their rows' liveness is not a position the index can hold.
//
// Per epoch: Write any number of times, Flush, commit the files through the
// ledger (commit.Target{Files: data, Deletes: deletes}), then Committed, or
// Abort if the commit failed. It is used from one goroutine.
type UpsertWriter struct {
	tbl     *table.Table // a private copy, refreshed before each flush
	schema  *arrow.Schema
	codec   keyCodec
	keyIDs  []int
	keyCols []int // positions of the key columns in schema

	idx    *keyIndex // the committed rows; nil until built
	base   int64     // the snapshot idx reflects; 0 for none
	expect [][]string

	// The open epoch: the last change per key, pointing into batches; by
	// the key's value in exact when the codec is exact (no string per row).
	batches []arrow.RecordBatch
	changes map[string]change
	exact   map[uint64]change
	rows    int64
	keyBuf  []byte

	staged *stagedEpoch // flushed, not yet committed or aborted
}

// change is the last change to a key in the open epoch: its row in
// batches, or batch -1 for a delete.
type change struct{ batch, row int32 }

// stagedEpoch is a flushed epoch, folded into the index on Committed.
type stagedEpoch struct {
	files   []iceberg.DataFile // data, then the new rows' files
	deletes []iceberg.DataFile
	gone    [][]byte // keys deleted, or replaced by a new row
	dups    [][]byte // keys whose duplicate rows were deleted
	newKeys []byte   // the new rows' keys, concatenated
	newRows []newRow
}

type newRow struct {
	end  int    // newKeys[previous end:end] is the key
	file uint32 // index into files
	pos  int64
}

// NewUpsertWriter returns the writer of a primary-key table for batches of
// schema (the table's columns). The key index is built on the first Flush.
func NewUpsertWriter(ctx context.Context, tbl *table.Table, schema *arrow.Schema) (*UpsertWriter, error) {
	codec, ids, err := newKeyCodec(tbl.Schema())
	if err != nil {
		return nil, errkind.Wrap(errkind.Fatal, fmt.Errorf("table %s: %w", strings.Join(tbl.Identifier(), "."), err))
	}
	w := &UpsertWriter{schema: schema, codec: codec, keyIDs: ids, changes: map[string]change{}, exact: map[uint64]change{}}
	cp := *tbl
	w.tbl = &cp
	for _, name := range codec.names {
		i := schema.FieldIndices(name)
		if len(i) != 1 {
			return nil, errkind.Errorf(errkind.Fatal, "upsert into %s: the rows have no column %s (primary key)", strings.Join(tbl.Identifier(), "."), name)
		}
		w.keyCols = append(w.keyCols, i[0])
	}
	return w, nil
}

// Rows is how many changelog rows the open epoch has taken.
func (w *UpsertWriter) Rows() int64 { return w.rows }

// Keys is how many keys are live in the table as of the last commit (0 before
// the index is built).
func (w *UpsertWriter) Keys() int {
	if w.idx == nil {
		return 0
	}
	return w.idx.Len()
}

// IndexBytes estimates the key index's memory.
func (w *UpsertWriter) IndexBytes() int64 {
	if w.idx == nil {
		return 0
	}
	return w.idx.Bytes()
}

// Write takes a batch of changes: rows has the writer's schema; kinds holds
// each row's kind (KindInsert…KindDelete), nil meaning all inserts. Per key,
// in row order, an insert or update-after replaces the key's row and an
// update-before or delete removes it; only the epoch's last change to a key
// is written. The writer retains rows until the epoch ends.
func (w *UpsertWriter) Write(ctx context.Context, rows arrow.RecordBatch, kinds *array.Int8) error {
	if w.staged != nil {
		return errors.New("BUG: UpsertWriter.Write after Flush, before Committed or Abort")
	}
	if int(rows.NumCols()) != w.schema.NumFields() {
		return errkind.Errorf(errkind.Fatal, "upsert: batch has %d columns, want %d", rows.NumCols(), w.schema.NumFields())
	}
	n := int(rows.NumRows())
	if kinds != nil && kinds.Len() != n {
		return errkind.Errorf(errkind.Fatal, "upsert: %d row kinds for %d rows", kinds.Len(), n)
	}
	if len(w.batches) >= 1<<31-1 || n >= 1<<31 {
		return errkind.Errorf(errkind.Fatal, "upsert: epoch too large (%d batches, %d rows)", len(w.batches), n)
	}
	cols := make([]arrow.Array, len(w.keyCols))
	for j, c := range w.keyCols {
		cols[j] = rows.Column(c)
	}
	b := int32(len(w.batches))
	for i := 0; i < n; i++ {
		key, err := w.codec.appendKey(w.keyBuf[:0], cols, i)
		w.keyBuf = key
		if err != nil {
			return errkind.Wrap(errkind.Fatal, fmt.Errorf("upsert: %w", err))
		}
		kind := KindInsert
		if kinds != nil {
			if kinds.IsNull(i) {
				return errkind.Errorf(errkind.Fatal, "upsert: row %d: null row kind", i)
			}
			kind = kinds.Value(i)
		}
		var c change
		switch kind {
		case KindInsert, KindUpdateAfter:
			c = change{batch: b, row: int32(i)}
		case KindUpdateBefore, KindDelete:
			c = change{batch: -1}
		default:
			return errkind.Errorf(errkind.Fatal, "upsert: row %d: row kind %d is not one of 0 (+I), 1 (-U), 2 (+U), 3 (-D)", i, kind)
		}
		if w.codec.exact { // Fast path: the key is its own 8-byte map key.
			w.exact[binary.BigEndian.Uint64(key)] = c
		} else {
			w.changes[string(key)] = c
		}
	}
	rows.Retain()
	w.batches = append(w.batches, rows)
	w.rows += int64(n)
	return ctx.Err()
}

// Flush ends the open epoch: it brings the key index up to the table's
// current snapshot, then writes the epoch's new rows as data files and the
// rows they replace or delete as position delete files, uncommitted.
func (w *UpsertWriter) Flush(ctx context.Context) (data, deletes []iceberg.DataFile, err error) {
	if w.staged != nil {
		return nil, nil, errors.New("BUG: UpsertWriter.Flush twice without Committed or Abort")
	}
	defer w.endEpoch()
	if err := w.sync(ctx); err != nil {
		return nil, nil, err
	}
	st := &stagedEpoch{}
	// The rows to keep per batch, in input order; deletes per data file.
	keep := make([][]int32, len(w.batches))
	gone := map[uint32][]int64{}
	visit := func(k []byte, c change) {
		if l, ok := w.idx.get(k); ok {
			gone[l.file()] = append(gone[l.file()], l.pos())
			st.gone = append(st.gone, k)
		}
		if d := w.idx.dups[string(k)]; len(d) > 0 {
			for _, l := range d {
				gone[l.file()] = append(gone[l.file()], l.pos())
			}
			st.dups = append(st.dups, k)
		}
		if c.batch >= 0 {
			keep[c.batch] = append(keep[c.batch], c.row)
		}
	}
	for key, c := range w.changes {
		visit([]byte(key), c)
	}
	for key, c := range w.exact {
		visit(binary.BigEndian.AppendUint64(nil, key), c)
	}
	if st.files, err = w.writeRows(ctx, keep); err != nil {
		return nil, nil, err
	}
	if err := w.readNewKeys(ctx, st); err != nil {
		return nil, nil, err
	}
	if st.deletes, err = w.writeDeletes(ctx, gone); err != nil {
		return nil, nil, err
	}
	w.staged = st
	return st.files, st.deletes, nil
}

// endEpoch releases the open epoch's rows.
func (w *UpsertWriter) endEpoch() {
	for _, b := range w.batches {
		b.Release()
	}
	w.batches, w.rows = nil, 0
	clear(w.changes)
	clear(w.exact)
}

// writeRows writes the kept rows of each batch, in input order.
func (w *UpsertWriter) writeRows(ctx context.Context, keep [][]int32) ([]iceberg.DataFile, error) {
	var out []arrow.RecordBatch
	release := func() {
		for _, b := range out {
			b.Release()
		}
	}
	for i, rows := range keep {
		if len(rows) == 0 {
			continue
		}
		b := w.batches[i]
		if len(rows) == int(b.NumRows()) {
			b.Retain()
			out = append(out, b)
			continue
		}
		slices.Sort(rows)
		ib := array.NewInt32Builder(memory.DefaultAllocator)
		ib.AppendValues(rows, nil)
		idx := ib.NewInt32Array()
		ib.Release()
		cols := make([]arrow.Array, b.NumCols())
		var err error
		for c := range cols {
			if cols[c], err = compute.TakeArray(ctx, b.Column(c), idx); err != nil {
				break
			}
		}
		idx.Release()
		if err != nil {
			for _, c := range cols {
				if c != nil {
					c.Release()
				}
			}
			release()
			return nil, fmt.Errorf("upsert: select rows: %w", err)
		}
		rec := array.NewRecordBatch(b.Schema(), cols, int64(len(rows)))
		for _, c := range cols {
			c.Release()
		}
		out = append(out, rec)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return WriteFiles(ctx, w.tbl, w.schema, Batches(out...))
}

// readNewKeys reads back the keys of the epoch's new data files: the
// partition fan-out and file rolling decide where each row lands.
func (w *UpsertWriter) readNewKeys(ctx context.Context, st *stagedEpoch) error {
	fsys, err := w.tbl.FS(ctx)
	if err != nil {
		return err
	}
	for f, df := range st.files {
		var pos int64
		err := readColumns(ctx, fsys, df.FilePath(), w.keyIDs, w.codec.names, func(cols []arrow.Array, rows int) error {
			for i := 0; i < rows; i++ {
				k, err := w.codec.appendKey(st.newKeys, cols, i)
				if err != nil {
					return err
				}
				st.newKeys = k
				st.newRows = append(st.newRows, newRow{end: len(k), file: uint32(f), pos: pos})
				pos++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("upsert: read back: %w", err)
		}
	}
	return nil
}

// writeDeletes writes one position delete file per data file that loses
// rows, so each names the one file it applies to.
func (w *UpsertWriter) writeDeletes(ctx context.Context, gone map[uint32][]int64) ([]iceberg.DataFile, error) {
	if len(gone) == 0 {
		return nil, nil
	}
	fsys, err := w.tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	wfs, ok := fsys.(iceio.WriteFileIO)
	if !ok {
		return nil, fmt.Errorf("upsert: the file system of table %s (%T) cannot write files", w.tbl.Location(), fsys)
	}
	lp, err := w.tbl.LocationProvider()
	if err != nil {
		return nil, err
	}
	files := slices.Sorted(maps.Keys(gone))
	prefix := uuid.NewString()
	out := make([]iceberg.DataFile, 0, len(files))
	for n, f := range files {
		pos := gone[f]
		slices.Sort(pos)
		path := lp.NewDataLocation(fmt.Sprintf("%s-pos-deletes-%05d.parquet", prefix, n))
		df, err := writePositionDeletes(w.tbl, wfs, w.idx.files[f], pos, path)
		if err != nil {
			return nil, fmt.Errorf("upsert: %w", err)
		}
		out = append(out, df)
	}
	return out, nil
}

// Committed folds the flushed epoch into the key index: call it once the
// ledger has committed the files Flush returned.
func (w *UpsertWriter) Committed() {
	st := w.staged
	if st == nil {
		return
	}
	w.staged = nil
	for _, k := range st.gone {
		w.idx.del(k)
	}
	for _, k := range st.dups {
		delete(w.idx.dups, string(k))
	}
	ords := make([]uint32, len(st.files))
	for i, df := range st.files {
		o, err := w.idx.addFile(df)
		if err != nil {
			w.idx = nil // rebuilt, and the limit reported, on the next Flush
			return
		}
		ords[i] = o
	}
	start := 0
	for _, r := range st.newRows {
		l, err := makeLoc(ords[r.file], r.pos)
		if err != nil {
			w.idx = nil
			return
		}
		w.idx.set(st.newKeys[start:r.end], l)
		start = r.end
	}
	var paths []string
	for _, df := range st.files {
		paths = append(paths, df.FilePath())
	}
	for _, df := range st.deletes {
		paths = append(paths, df.FilePath())
	}
	if len(paths) > 0 { // an empty epoch's snapshot adds nothing to expect
		w.expect = append(w.expect, paths)
	}
}

// Abort drops the flushed (or open) epoch: the next one starts from the
// committed index. Files already written become orphans. Should the commit
// have landed after all, the next Flush sees a snapshot it did not expect
// and rebuilds the index.
func (w *UpsertWriter) Abort() {
	w.staged = nil
	w.endEpoch()
}

// sync brings the index up to the table's current snapshot: kept when only
// the writer's own epochs landed since it was built, rebuilt otherwise.
func (w *UpsertWriter) sync(ctx context.Context) error {
	if err := w.tbl.Refresh(ctx); err != nil {
		return errkind.Wrap(errkind.Retryable, fmt.Errorf("upsert: reload %s: %w", strings.Join(w.tbl.Identifier(), "."), err))
	}
	cur := w.tbl.CurrentSnapshot()
	if w.idx != nil {
		changes, ok, err := w.changesSince(ctx, cur)
		if err != nil {
			return err
		}
		if ok && !foreignChanges(changes, w.expect) {
			w.expect = nil
			if cur != nil {
				w.base = cur.SnapshotID
			}
			return nil
		}
	}
	w.expect = nil
	return w.build(ctx, cur)
}

// snapChange is what one snapshot did to the table's files.
type snapChange struct {
	id             int64
	added, removed []string
}

// changesSince lists the snapshots from the index's base to cur, oldest
// first. ok is false when base is not an ancestor of cur (a rollback, or
// expired history), which only a rebuild can follow.
func (w *UpsertWriter) changesSince(ctx context.Context, cur *table.Snapshot) ([]snapChange, bool, error) {
	if cur == nil {
		return nil, w.base == 0, nil
	}
	meta := w.tbl.Metadata()
	var chain []table.Snapshot
	found := w.base == 0
	for _, s := range table.AncestorsOf(cur.SnapshotID, meta.SnapshotByID) {
		if s.SnapshotID == w.base {
			found = true
			break
		}
		chain = append(chain, s)
	}
	if !found {
		return nil, false, nil
	}
	fsys, err := w.tbl.FS(ctx)
	if err != nil {
		return nil, false, err
	}
	out := make([]snapChange, 0, len(chain))
	for i := len(chain) - 1; i >= 0; i-- {
		s := chain[i]
		c := snapChange{id: s.SnapshotID}
		mfs, err := s.Manifests(fsys)
		if err != nil {
			return nil, false, fmt.Errorf("upsert: read manifest list of snapshot %d: %w", s.SnapshotID, err)
		}
		for _, mf := range mfs {
			if mf.SnapshotID() != s.SnapshotID {
				continue // carried over from an earlier snapshot
			}
			for e, err := range mf.Entries(fsys, false) {
				if err != nil {
					return nil, false, fmt.Errorf("upsert: read manifest %s: %w", mf.FilePath(), err)
				}
				if e.SnapshotID() != s.SnapshotID {
					continue
				}
				switch e.Status() {
				case iceberg.EntryStatusADDED:
					c.added = append(c.added, e.DataFile().FilePath())
				case iceberg.EntryStatusDELETED:
					c.removed = append(c.removed, e.DataFile().FilePath())
				}
			}
		}
		out = append(out, c)
	}
	return out, true, nil
}

// foreignChanges reports whether changes (oldest first) hold anything but
// the writer's expected epochs, in order: a snapshot that removes files, or
// adds files other than the next expected epoch's. Snapshots that change no
// files (an empty epoch, a property change) do not matter to the index.
func foreignChanges(changes []snapChange, expect [][]string) bool {
	for _, c := range changes {
		if len(c.removed) > 0 {
			return true
		}
		if len(c.added) == 0 {
			continue
		}
		if len(expect) == 0 {
			return true
		}
		want := slices.Sorted(slices.Values(expect[0]))
		got := slices.Sorted(slices.Values(c.added))
		if !slices.Equal(want, got) {
			return true
		}
		expect = expect[1:]
	}
	return false
}

// build indexes every live row of the table at snapshot cur: each data
// file's keys in row order, skipping the positions its delete files remove.
func (w *UpsertWriter) build(ctx context.Context, cur *table.Snapshot) error {
	w.idx, w.base = nil, 0
	if cur == nil {
		w.idx = newKeyIndex(w.codec, 0)
		return nil
	}
	name := strings.Join(w.tbl.Identifier(), ".")
	tasks, err := w.tbl.Scan(table.WithSnapshotID(cur.SnapshotID)).PlanFiles(ctx)
	if err != nil {
		return fmt.Errorf("upsert: plan %s: %w", name, err)
	}
	fsys, err := w.tbl.FS(ctx)
	if err != nil {
		return err
	}
	type fileDeletes struct {
		df      iceberg.DataFile
		deletes map[string]iceberg.DataFile
	}
	var files []*fileDeletes
	byPath := map[string]*fileDeletes{}
	for _, t := range tasks {
		if len(t.EqualityDeleteFiles) > 0 || len(t.DeletionVectorFiles) > 0 {
			return errkind.Errorf(errkind.Fatal, "upsert into %s: data file %s has equality deletes or deletion vectors (written by another engine); wharf's upserts need position deletes: compact the table first", name, t.File.FilePath())
		}
		fd := byPath[t.File.FilePath()]
		if fd == nil { // a large file is planned as several tasks
			fd = &fileDeletes{df: t.File, deletes: map[string]iceberg.DataFile{}}
			byPath[t.File.FilePath()] = fd
			files = append(files, fd)
		}
		for _, d := range t.DeleteFiles {
			fd.deletes[d.FilePath()] = d
		}
	}
	var rows int64
	for _, fd := range files {
		rows += fd.df.Count()
	}
	ix := newKeyIndex(w.codec, int(rows))
	// Each delete file is read once, its rows grouped by data file.
	read := map[string]map[string][]int64{}
	for _, fd := range files {
		var dead []int64
		for path, d := range fd.deletes {
			rows, ok := read[path]
			if !ok {
				rows = map[string][]int64{}
				err := readPositionDeletes(ctx, fsys, d, func(p string, pos int64) error {
					if byPath[p] != nil {
						rows[p] = append(rows[p], pos)
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("upsert: index %s: %w", name, err)
				}
				read[path] = rows
			}
			dead = append(dead, rows[fd.df.FilePath()]...)
		}
		slices.Sort(dead)
		ord, err := ix.addFile(fd.df)
		if err != nil {
			return errkind.Wrap(errkind.Fatal, fmt.Errorf("upsert into %s: %w", name, err))
		}
		var pos int64
		var key []byte
		err = readColumns(ctx, fsys, fd.df.FilePath(), w.keyIDs, w.codec.names, func(cols []arrow.Array, rows int) error {
			for i := 0; i < rows; i, pos = i+1, pos+1 {
				for len(dead) > 0 && dead[0] < pos {
					dead = dead[1:]
				}
				if len(dead) > 0 && dead[0] == pos {
					continue
				}
				var err error
				if key, err = w.codec.appendKey(key[:0], cols, i); err != nil {
					return err
				}
				l, err := makeLoc(ord, pos)
				if err != nil {
					return err
				}
				ix.load(key, l)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("upsert: index %s: %w", name, err)
		}
	}
	w.idx, w.base = ix, cur.SnapshotID
	return nil
}
