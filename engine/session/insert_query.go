package session

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/engine/types"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
	"github.com/wharfdata/wharf/lake/parquetw"
)

// stageQuery writes INSERT INTO|OVERWRITE t [PARTITION (…)] [(cols)]
// SELECT … over bounded inputs: the query's batches stream into Parquet files
// as they are produced; the caller commits them in one ledger epoch, with the
// upstream snapshots read as its sources.
//
// INSERT OVERWRITE replaces atomically, in the same snapshot: the whole table
// when it is unpartitioned, the named partition when PARTITION gives every
// partition column, and otherwise (Flink's dynamic overwrite) exactly the
// partitions the query wrote rows into.
func (s *Session) stageQuery(ctx context.Context, st *sql.Insert, t *insertTarget) (*staged, error) {
	budget := exec.NewBudget(memory.DefaultAllocator, queryMemory)
	ev := &expr.EvalContext{Ctx: ctx, Alloc: budget, NowMicros: time.Now().UnixMicro(), SessionTimeZone: "UTC"}
	node, err := s.plan(ctx, st.Source, ev)
	if err != nil {
		t.release()
		return nil, err
	}
	if plan.Unbounded(node) != nil {
		t.release()
		return nil, errUnbounded
	}
	out := node.Schema().Fields()
	if len(out) != len(t.fill) {
		t.release()
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("the query produces %d columns but %d are inserted into %s", len(out), len(t.fill), t.name()), Pos: pos(st.Source.Pos)}
	}
	sinkEv := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, NowMicros: ev.NowMicros, SessionTimeZone: "UTC"}
	co, err := newCoercer(t, out, sinkEv)
	if err != nil {
		t.release()
		return nil, at(err, st.Source.Pos)
	}
	defer co.release()
	built, err := exec.Build(ctx, node, ev)
	if err != nil {
		return nil, err
	}
	files, rows, err := writeQuery(ctx, built, t, co)
	if err != nil {
		return nil, at(queryError(err), st.Source.Pos)
	}
	return t.staged(st, files, rows, scanSources(node)), nil
}

// staged is what the target's INSERT wrote, as the commit wants it.
func (t *insertTarget) staged(st *sql.Insert, files []iceberg.DataFile, rows int64, sources []commit.Range) *staged {
	tg := commit.Target{Table: t.id, Files: files}
	if st.Overwrite {
		tg.Replace = t.replaced(files)
	}
	return &staged{target: tg, rows: rows, sources: sources}
}

// writeQuery runs the pipeline into the table's files, coercing each batch
// to the table's schema on the way.
func writeQuery(ctx context.Context, q *exec.Query, t *insertTarget, co *coercer) ([]iceberg.DataFile, int64, error) {
	sink := &exec.FileSink{Coerce: co.apply, W: lake.NewFileWriter(t.tbl, t.schema)}
	if err := exec.Run(ctx, q.Source, q.Operators, sink); err != nil {
		sink.W.Abort()
		return nil, 0, err
	}
	files, err := sink.W.Close()
	return files, sink.W.Rows(), err
}

// at gives a statement error without a position the position p.
func at(err error, p sql.Pos) error {
	var e *Error
	if errors.As(err, &e) && e.Pos == nil {
		e.Pos = pos(p)
	}
	return err
}

// insertTarget is the table an INSERT writes and how its columns are filled.
type insertTarget struct {
	id     table.Identifier
	tbl    *table.Table
	schema *arrow.Schema // the table's columns, as written
	props  iceberg.Properties
	// fill[i] is the table column that the statement's i-th value fills.
	fill []int
	// static holds the PARTITION (col = value) constants by table column.
	static map[int]arrow.Array
}

func (t *insertTarget) name() string { return strings.Join(t.id, ".") }

func (t *insertTarget) release() {
	for _, a := range t.static {
		a.Release()
	}
}

// resolveTarget loads the table of an INSERT and maps its column list and
// static partition onto the table's columns.
func (s *Session) resolveTarget(ctx context.Context, st *sql.Insert, ev *expr.EvalContext) (*insertTarget, error) {
	id, err := tableIdent(Database(ctx), st.Table)
	if err != nil {
		return nil, err
	}
	tbl, err := s.wh.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	schema, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		return nil, err
	}
	t := &insertTarget{id: id, tbl: tbl, schema: schema, props: tbl.Properties(), static: map[int]arrow.Array{}}
	column := func(c sql.Ident) (int, error) {
		i := slices.IndexFunc(schema.Fields(), func(f arrow.Field) bool { return f.Name == c.Name })
		if i < 0 {
			return 0, &Error{Code: CodeNotFound, Msg: fmt.Sprintf("unknown column %s in table %s", c.Name, t.name()), Pos: pos(c.Pos)}
		}
		return i, nil
	}
	for _, pv := range st.Partition {
		i, err := column(pv.Column)
		if err != nil {
			t.release()
			return nil, err
		}
		if !identityPartitioned(tbl, i) {
			t.release()
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("PARTITION (%s = …): %s is not an identity partition column of %s", pv.Column.Name, pv.Column.Name, t.name()), Pos: pos(pv.Pos)}
		}
		if _, dup := t.static[i]; dup {
			t.release()
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("partition column %s given twice", pv.Column.Name), Pos: pos(pv.Pos)}
		}
		f := schema.Field(i)
		a, err := constantValue(ctx, pv.Value, f, t.props[typeProp(f.Name)], ev)
		if err != nil {
			t.release()
			return nil, err
		}
		t.static[i] = a
	}
	if len(st.Columns) == 0 {
		for i := range schema.Fields() {
			if _, ok := t.static[i]; !ok {
				t.fill = append(t.fill, i)
			}
		}
		return t, nil
	}
	for _, c := range st.Columns {
		i, err := column(c)
		if err != nil {
			t.release()
			return nil, err
		}
		if _, ok := t.static[i]; ok || slices.Contains(t.fill, i) {
			t.release()
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s listed twice", c.Name), Pos: pos(c.Pos)}
		}
		t.fill = append(t.fill, i)
	}
	for i, f := range schema.Fields() {
		if _, ok := t.static[i]; !ok && !f.Nullable && !slices.Contains(t.fill, i) {
			t.release()
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s is NOT NULL and has no value", f.Name), Pos: pos(st.Pos)}
		}
	}
	return t, nil
}

// identityPartitioned says whether table column i is the source of an
// identity partition field of the current spec.
func identityPartitioned(tbl *table.Table, i int) bool {
	id := tbl.Schema().Field(i).ID
	spec := tbl.Spec()
	for _, f := range spec.Fields() {
		if f.SourceID() == id {
			if _, ok := f.Transform.(iceberg.IdentityTransform); ok {
				return true
			}
		}
	}
	return false
}

// replaced selects the live files an INSERT OVERWRITE that wrote files
// removes.
func (t *insertTarget) replaced(files []iceberg.DataFile) func(iceberg.DataFile) bool {
	spec := t.tbl.Spec()
	if spec.NumFields() == 0 {
		return func(iceberg.DataFile) bool { return true }
	}
	specID := int32(spec.ID())
	var keys []map[int]any
	if static, ok := t.staticKey(); ok {
		keys = []map[int]any{static}
	} else {
		for _, f := range files {
			keys = append(keys, f.Partition())
		}
	}
	return func(df iceberg.DataFile) bool {
		if df.SpecID() != specID {
			return false
		}
		part := df.Partition()
		return slices.ContainsFunc(keys, func(k map[int]any) bool {
			for id, v := range k {
				if partitionValue(part[id]) != partitionValue(v) {
					return false
				}
			}
			return true
		})
	}
}

// staticKey is the partition tuple that PARTITION (…) names, when it names
// every partition field.
func (t *insertTarget) staticKey() (map[int]any, bool) {
	if len(t.static) == 0 {
		return nil, false
	}
	key := map[int]any{}
	sc := t.tbl.Schema()
	spec := t.tbl.Spec()
	for _, f := range spec.Fields() {
		i := slices.IndexFunc(sc.Fields(), func(c iceberg.NestedField) bool { return c.ID == f.SourceID() })
		a, ok := t.static[i]
		if !ok {
			return nil, false
		}
		v, err := parquetw.IdentityValue(a, sc.Field(i).Type)
		if err != nil {
			return nil, false
		}
		key[f.FieldID] = v
	}
	return key, true
}

// partitionValue normalises a partition value, which Iceberg hands out as
// typed Go values (iceberg.Date, int32, string…), for comparison.
func partitionValue(v any) string {
	if v == nil {
		return "\x00null"
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprint(r.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprint(r.Uint())
	case reflect.Float32, reflect.Float64:
		return fmt.Sprint(r.Float())
	case reflect.Slice:
		if b, ok := v.([]byte); ok {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

// scanSources names the table snapshots a plan reads, as the epoch's
// sources: for each table, the sequence numbers [0, seq+1) it saw.
func scanSources(n plan.Node) []commit.Range {
	var out []commit.Range
	var walk func(plan.Node)
	walk = func(n plan.Node) {
		if sc, ok := n.(*plan.Scan); ok {
			var snap *table.Snapshot
			switch {
			case sc.SnapshotID != 0:
				snap = sc.Table.SnapshotByID(sc.SnapshotID)
			case !sc.AsOf.IsZero():
				snap = sc.Table.SnapshotAsOf(sc.AsOf.UnixMilli(), true)
			default:
				snap = sc.Table.CurrentSnapshot()
			}
			r := commit.Range{Kind: "table", Name: strings.Join(sc.Ident, ".")}
			if snap != nil {
				r.To = snap.SequenceNumber + 1
			}
			if !slices.ContainsFunc(out, func(o commit.Range) bool { return o.Key() == r.Key() }) {
				out = append(out, r)
			}
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	return out
}

// coercer turns the query's batches into batches of the table's schema:
// columns placed, static partition values and NULLs filled in, types cast
// the way Flink's INSERT casts implicitly, NOT NULL and overflow checked.
type coercer struct {
	t     *insertTarget
	ev    *expr.EvalContext
	src   []int            // per table column: the query column, or -1
	casts []expr.Evaluator // per table column: nil when no cast is needed
}

func newCoercer(t *insertTarget, out []arrow.Field, ev *expr.EvalContext) (*coercer, error) {
	fields := t.schema.Fields()
	c := &coercer{t: t, ev: ev, src: make([]int, len(fields)), casts: make([]expr.Evaluator, len(fields))}
	for i := range c.src {
		c.src[i] = -1
	}
	for qi, ti := range t.fill {
		c.src[ti] = qi
		from, to := out[qi].Type, fields[ti].Type
		if arrow.TypeEqual(from, to) {
			continue
		}
		if !insertable(from, to) {
			want := t.props[typeProp(fields[ti].Name)]
			if want == "" {
				want = types.FlinkName(arrow.Field{Type: to, Nullable: true})
			}
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s: query column %d (%s) of type %s does not fit type %s (use CAST)",
				fields[ti].Name, qi+1, out[qi].Name, types.FlinkName(arrow.Field{Type: from, Nullable: true}), want)}
		}
		x, err := expr.NewCast(&expr.Column{Index: qi, Name: out[qi].Name, DataType: from}, to, false)
		if err != nil {
			return nil, err
		}
		if c.casts[ti], err = expr.Compile(x); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// insertable says whether query values of type from go into a column of
// type to without a CAST: the VALUES rules, less integer narrowing (which
// would wrap; Flink asks for a CAST too).
func insertable(from, to arrow.DataType) bool {
	if arrow.IsInteger(from.ID()) && arrow.IsInteger(to.ID()) {
		common, ok := expr.CommonType(from, to)
		return ok && arrow.TypeEqual(common, to)
	}
	return assignable(from, to)
}

// apply coerces one query batch; done is the number of rows before it, for
// error messages.
func (c *coercer) apply(b arrow.RecordBatch, done int64) (arrow.RecordBatch, error) {
	fields := c.t.schema.Fields()
	n := int(b.NumRows())
	cols := make([]arrow.Array, len(fields))
	fail := func(err error) (arrow.RecordBatch, error) {
		for _, a := range cols {
			if a != nil {
				a.Release()
			}
		}
		return nil, err
	}
	for i, f := range fields {
		var a arrow.Array
		switch qi := c.src[i]; {
		case qi >= 0 && c.casts[i] != nil:
			out, err := c.casts[i](c.ev, b)
			if err != nil {
				return fail(&Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s: %v", f.Name, err)})
			}
			in := b.Column(qi)
			if out.NullN() > in.NullN() {
				for r := range n {
					if out.IsNull(r) && !isNullAt(in, r) {
						out.Release()
						return fail(&Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s: row %d's value does not fit type %s", f.Name, done+int64(r)+1, types.FlinkName(f))})
					}
				}
			}
			a = out
		case qi >= 0:
			a = b.Column(qi)
			a.Retain()
		case c.t.static[i] != nil:
			r, err := repeat(c.t.static[i], n, c.ev.Alloc)
			if err != nil {
				return fail(err)
			}
			a = r
		default:
			a = array.MakeArrayOfNull(c.ev.Alloc, f.Type, n)
		}
		cols[i] = a
		if !f.Nullable && (a.NullN() > 0 || a.DataType().ID() == arrow.NULL) && n > 0 {
			r := 0
			for r < n && !isNullAt(a, r) {
				r++
			}
			return fail(&Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s is NOT NULL but row %d of the query is NULL", f.Name, done+int64(r)+1)})
		}
	}
	rec := array.NewRecordBatch(c.t.schema, cols, int64(n))
	for _, a := range cols {
		a.Release()
	}
	return rec, nil
}

func (c *coercer) release() { c.t.release() }

// repeat makes n copies of a one-row array.
func repeat(one arrow.Array, n int, mem memory.Allocator) (arrow.Array, error) {
	if n == 0 {
		return array.MakeArrayOfNull(mem, one.DataType(), 0), nil
	}
	parts := make([]arrow.Array, n)
	for i := range parts {
		parts[i] = one
	}
	return array.Concatenate(parts, mem)
}
