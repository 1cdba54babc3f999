package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/engine/types"
	"github.com/wharfdata/wharf/lake"
	"github.com/wharfdata/wharf/lake/commit"
)

// insert runs INSERT INTO|OVERWRITE: a batch job of one epoch, committed
// through the ledger like any other job, so the snapshot carries its txid and
// provenance. A plain VALUES list is evaluated here with Flink's implicit
// conversions for literals; any other source is a query (insertQuery).
func (s *Session) insert(ctx context.Context, st *sql.Insert) (*Result, error) {
	sg, err := s.stageInsert(ctx, st)
	if errors.Is(err, errUnbounded) {
		if db := Database(ctx); db != lake.DefaultNamespace {
			// The job's text is planned again on every start, without the
			// caller: its names must not depend on the call's database.
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("a continuous job resolves its names in the default database, not in %s: send it without a database and qualify its tables", db), Pos: pos(st.Pos)}
		}
		return s.submitJob(ctx, st)
	}
	if err != nil {
		return nil, err
	}
	res, err := s.commitOneShot(ctx, st, []commit.Target{sg.target}, sg.sources)
	if err != nil {
		return nil, err
	}
	return &Result{Kind: ResultOK, Stats: Stats{RowsAffected: sg.rows, SnapshotID: res.SnapshotID}}, nil
}

// errUnbounded says an INSERT reads an unbounded source: a continuous job.
var errUnbounded = errors.New("the insert reads an unbounded source")

// staged is one INSERT's files, written and ready to commit.
type staged struct {
	target  commit.Target
	rows    int64
	sources []commit.Range
}

// stageInsert writes the files of a bounded INSERT without committing them.
func (s *Session) stageInsert(ctx context.Context, st *sql.Insert) (*staged, error) {
	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, NowMicros: time.Now().UnixMicro(), SessionTimeZone: "UTC"}
	t, err := s.resolveTarget(ctx, st, ev)
	if err != nil {
		return nil, err
	}
	values, ok := st.Source.Body.(*sql.Values)
	if !ok || len(st.Source.With) > 0 || st.Source.OrderBy != nil || st.Source.Limit != nil {
		return s.stageQuery(ctx, st, t)
	}
	defer t.release()
	schema := t.schema
	cells := make([][]arrow.Array, len(schema.Fields())) // per column, one array per row
	defer func() {
		for _, col := range cells {
			for _, a := range col {
				a.Release()
			}
		}
	}()
	for _, row := range values.Rows {
		if len(row) != len(t.fill) {
			at := st.Pos
			if len(row) > 0 {
				at = row[0].Position()
			}
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("a row has %d values but %d columns are inserted", len(row), len(t.fill)), Pos: pos(at)}
		}
		filled := make([]bool, len(schema.Fields()))
		for j, e := range row {
			i := t.fill[j]
			f := schema.Field(i)
			a, err := constantValue(ctx, e, f, t.props[typeProp(f.Name)], ev)
			if err != nil {
				return nil, err
			}
			cells[i], filled[i] = append(cells[i], a), true
		}
		for i, ok := range filled {
			switch {
			case ok:
			case t.static[i] != nil:
				t.static[i].Retain()
				cells[i] = append(cells[i], t.static[i])
			default:
				cells[i] = append(cells[i], array.MakeArrayOfNull(ev.Alloc, schema.Field(i).Type, 1))
			}
		}
	}
	cols := make([]arrow.Array, len(cells))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, col := range cells {
		c, err := array.Concatenate(col, ev.Alloc)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	rec := array.NewRecordBatch(schema, cols, int64(len(values.Rows)))
	rows := rec.NumRows()
	files, err := lake.WriteFiles(ctx, t.tbl, schema, lake.Batches(rec))
	if err != nil {
		return nil, err
	}
	return t.staged(st, files, rows, nil), nil
}

// commitOneShot commits a batch statement's files as the single epoch of a
// job of its own (all tables at once); its version is the hash of the
// statement's text.
func (s *Session) commitOneShot(ctx context.Context, st sql.Statement, targets []commit.Target, sources []commit.Range) (commit.Result, error) {
	l, err := s.wh.Ledger("sql-" + uuid.NewString())
	if err != nil {
		return commit.Result{}, err
	}
	l.BeginOneShot()
	sum := sha256.Sum256([]byte(st.String()))
	return l.Commit(ctx, commit.Epoch{Number: 1, JobVersion: hex.EncodeToString(sum[:8]), Sources: sources}, targets...)
}

// statementSet runs EXECUTE STATEMENT SET: every INSERT is written first,
// then all of them commit in one multi-table transaction, or none does.
func (s *Session) statementSet(ctx context.Context, ss *sql.StatementSet) (*Result, error) {
	var targets []commit.Target
	var sources []commit.Range
	var rows int64
	for _, st := range ss.Inserts {
		sg, err := s.stageInsert(ctx, st)
		if errors.Is(err, errUnbounded) {
			return nil, &Error{Code: CodeUnsupported, Msg: "a statement set over unbounded sources (one continuous job with several sinks) comes next; run its INSERTs as separate jobs", Pos: pos(st.Pos)}
		}
		if err != nil {
			return nil, err
		}
		for _, t := range targets {
			if slices.Equal(t.Table, sg.target.Table) {
				return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("the statement set writes %s twice; combine those INSERTs with UNION ALL", strings.Join(t.Table, ".")), Pos: pos(st.Pos)}
			}
		}
		targets, rows = append(targets, sg.target), rows+sg.rows
		for _, r := range sg.sources {
			if !slices.ContainsFunc(sources, func(o commit.Range) bool { return o.Key() == r.Key() }) {
				sources = append(sources, r)
			}
		}
	}
	if len(targets) == 0 {
		return &Result{Kind: ResultOK}, nil
	}
	res, err := s.commitOneShot(ctx, ss, targets, sources)
	if err != nil {
		return nil, err
	}
	return &Result{Kind: ResultOK, Stats: Stats{RowsAffected: rows, SnapshotID: res.SnapshotID}}, nil
}

// constantValue evaluates one VALUES expression into a one-row array of
// column f's type. The expression is bound and evaluated by the engine, as in
// a query; what may go into the column follows Flink's implicit conversions
// (widening, string literals into date/time columns). declared is the
// column's declared Flink type when Iceberg's is coarser.
func constantValue(ctx context.Context, e sql.Expr, f arrow.Field, declared string, ev *expr.EvalContext) (arrow.Array, error) {
	fail := func(format string, args ...any) error {
		return &Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s: ", f.Name) + fmt.Sprintf(format, args...), Pos: pos(e.Position())}
	}
	x, err := plan.BindConstant(ctx, e)
	if err != nil {
		var pe *plan.Error
		if errors.As(err, &pe) {
			pe.Msg = fmt.Sprintf("column %s: %s", f.Name, pe.Msg)
		}
		return nil, planError(err)
	}
	want := declared
	if want == "" {
		want = types.FlinkName(arrow.Field{Type: f.Type, Nullable: true})
	}
	if !assignable(x.Type(), f.Type) {
		return nil, fail("%s does not fit type %s (use CAST)", types.FlinkName(arrow.Field{Type: x.Type(), Nullable: true}), want)
	}
	src, err := evalConstant(x, ev)
	if err != nil {
		return nil, fail("%v", err)
	}
	defer src.Release()
	if isNullAt(src, 0) {
		if !f.Nullable {
			return nil, fail("NULL in a NOT NULL column")
		}
		return array.MakeArrayOfNull(ev.Alloc, f.Type, 1), nil
	}
	// Integers are checked against the declared range: a cast would wrap.
	if lo, hi, ok := intRange(f.Type, declared); ok && arrow.IsInteger(x.Type().ID()) {
		wide, err := expr.NewCast(x, arrow.PrimitiveTypes.Int64, false)
		if err != nil {
			return nil, fail("%v", err)
		}
		v, err := evalConstant(wide, ev)
		if err != nil {
			return nil, fail("%v", err)
		}
		n := v.(*array.Int64).Value(0)
		v.Release()
		if n < lo || n > hi {
			return nil, fail("%d is out of range [%d, %d]", n, lo, hi)
		}
	}
	if arrow.TypeEqual(x.Type(), f.Type) {
		src.Retain()
		return src, nil
	}
	c, err := expr.NewCast(x, f.Type, false)
	if err != nil {
		return nil, fail("%v", err)
	}
	out, err := evalConstant(c, ev)
	if err != nil {
		return nil, fail("%v", err)
	}
	if isNullAt(out, 0) { // the cast could not hold the value (decimal overflow)
		out.Release()
		return nil, fail("the value does not fit type %s", want)
	}
	return out, nil
}

// evalConstant evaluates a constant expression into a one-row array.
func evalConstant(x expr.Expr, ev *expr.EvalContext) (arrow.Array, error) {
	fn, err := expr.Compile(x)
	if err != nil {
		return nil, err
	}
	one := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
	defer one.Release()
	return fn(ev, one)
}

// assignable says whether a value of type from may go into a column of type
// to without a CAST, as Flink's INSERT allows.
func assignable(from, to arrow.DataType) bool {
	switch {
	case arrow.TypeEqual(from, to), from.ID() == arrow.NULL:
		return true
	case isNumeric(from) && isNumeric(to):
		if arrow.IsInteger(from.ID()) && (arrow.IsInteger(to.ID()) || to.ID() == arrow.DECIMAL128) {
			return true // range-checked, or exact
		}
		if from.ID() == arrow.DECIMAL128 && to.ID() == arrow.DECIMAL128 {
			return true // rounded to the column's scale; overflow is refused
		}
		common, ok := expr.CommonType(from, to)
		return ok && arrow.TypeEqual(common, to)
	case isTemporal(to):
		return from.ID() == arrow.STRING || isTemporal(from)
	}
	return false
}

func isNumeric(t arrow.DataType) bool {
	return arrow.IsInteger(t.ID()) || arrow.IsFloating(t.ID()) || t.ID() == arrow.DECIMAL128
}

func isTemporal(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.DATE32, arrow.TIME64, arrow.TIMESTAMP:
		return true
	}
	return false
}

// intRange bounds an integer column: by its declared Flink type when Iceberg
// stores it wider (TINYINT and SMALLINT are Iceberg ints), else by its type.
func intRange(t arrow.DataType, declared string) (lo, hi int64, ok bool) {
	switch strings.SplitN(declared, "(", 2)[0] {
	case "TINYINT":
		return math.MinInt8, math.MaxInt8, true
	case "SMALLINT":
		return math.MinInt16, math.MaxInt16, true
	}
	switch t.ID() {
	case arrow.INT32:
		return math.MinInt32, math.MaxInt32, true
	case arrow.INT64:
		return math.MinInt64, math.MaxInt64, true
	}
	return 0, 0, false
}

// isNullAt is IsNull that also holds for Arrow's NULL type, whose arrays have
// no validity bitmap and so report every value as valid.
func isNullAt(a arrow.Array, i int) bool { return a.DataType().ID() == arrow.NULL || a.IsNull(i) }
