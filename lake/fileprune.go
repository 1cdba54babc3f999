package lake

import (
	"fmt"
	"math"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// A filePruner decides from a data file's manifest entry alone whether the
// file may hold rows matching a scan's filter, as iceberg-go's planner does
// (whose partition projection and metrics evaluators are not exported): the
// filter projected through the file's partition spec and evaluated on the
// file's partition values, then the filter's leaves tested against the
// file's column bounds and null counts. It keeps every file iceberg-go's
// planner keeps; where unsure it keeps the file.
type filePruner struct {
	md      table.Metadata
	schema  *iceberg.Schema
	bound   iceberg.BooleanExpression // the filter bound to schema, NOTs pushed to the leaves
	metrics *pred
	parts   map[int32]partEval // by spec id
}

// A partEval tests a file's partition values; nil keeps every file.
type partEval func(iceberg.DataFile) (bool, error)

// newFilePruner prepares pruning by filter over files of a snapshot read
// with schema.
func newFilePruner(md table.Metadata, schema *iceberg.Schema, filter iceberg.BooleanExpression) (*filePruner, error) {
	bound, err := iceberg.BindExpr(schema, filter, true)
	if err != nil {
		return nil, err
	}
	if bound, err = iceberg.RewriteNotExpr(bound); err != nil {
		return nil, err
	}
	m, err := compilePruning(bound, schema)
	if err != nil {
		return nil, err
	}
	return &filePruner{md: md, schema: schema, bound: bound, metrics: m, parts: map[int32]partEval{}}, nil
}

// keep says whether df may hold matching rows.
func (f *filePruner) keep(df iceberg.DataFile) (bool, error) {
	ev, ok := f.parts[df.SpecID()]
	if !ok {
		var err error
		if ev, err = f.partitionEval(int(df.SpecID())); err != nil {
			return false, err
		}
		f.parts[df.SpecID()] = ev
	}
	if ev != nil {
		in, err := ev(df)
		if err != nil || !in {
			return false, err
		}
	}
	return f.metrics.fileMightMatch(f.schema, df), nil
}

// partitionEval builds the partition test of spec id: the filter's
// inclusive projection (a file whose partition values fail it holds no
// matching row) evaluated by iceberg-go's expression evaluator.
func (f *filePruner) partitionEval(id int) (partEval, error) {
	spec := f.md.PartitionSpecByID(id)
	if spec == nil {
		return nil, fmt.Errorf("%w: partition spec %d of a data file is not in the table's metadata", table.ErrInvalidMetadata, id)
	}
	if spec.IsUnpartitioned() {
		return nil, nil
	}
	proj, err := iceberg.VisitExpr[iceberg.BooleanExpression](f.bound, &inclusiveProjection{spec: spec})
	if err != nil {
		return nil, err
	}
	if proj.Equals(iceberg.AlwaysTrue{}) {
		return nil, nil
	}
	pt := spec.PartitionType(f.schema)
	eval, err := iceberg.ExpressionEvaluator(iceberg.NewSchema(0, pt.FieldList...), proj, true)
	if err != nil {
		return nil, err
	}
	return func(df iceberg.DataFile) (bool, error) {
		return eval(partitionRecord{vals: df.Partition(), fields: pt.FieldList})
	}, nil
}

// partitionRecord shows a data file's partition values (by partition field
// id) as the positional struct iceberg-go's evaluator reads.
type partitionRecord struct {
	vals   map[int]any
	fields []iceberg.NestedField
}

func (r partitionRecord) Size() int       { return len(r.fields) }
func (r partitionRecord) Get(pos int) any { return r.vals[r.fields[pos].ID] }
func (r partitionRecord) Set(int, any)    { panic("BUG: partition records are read-only") }

// inclusiveProjection projects a bound filter, NOTs pushed to the leaves,
// onto the partition fields of spec: each leaf becomes the AND of its
// projections through the transforms of the partition fields of its column
// (TRUE when there are none). Rows satisfying the filter have partition
// values satisfying the projection.
type inclusiveProjection struct {
	spec *iceberg.PartitionSpec
}

func (inclusiveProjection) VisitTrue() iceberg.BooleanExpression  { return iceberg.AlwaysTrue{} }
func (inclusiveProjection) VisitFalse() iceberg.BooleanExpression { return iceberg.AlwaysFalse{} }

// VisitNot cannot happen after RewriteNotExpr; TRUE keeps every file.
func (inclusiveProjection) VisitNot(iceberg.BooleanExpression) iceberg.BooleanExpression {
	return iceberg.AlwaysTrue{}
}

func (inclusiveProjection) VisitAnd(l, r iceberg.BooleanExpression) iceberg.BooleanExpression {
	return iceberg.NewAnd(l, r)
}

func (inclusiveProjection) VisitOr(l, r iceberg.BooleanExpression) iceberg.BooleanExpression {
	return iceberg.NewOr(l, r)
}

func (inclusiveProjection) VisitUnbound(iceberg.UnboundPredicate) iceberg.BooleanExpression {
	return iceberg.AlwaysTrue{}
}

func (v inclusiveProjection) VisitBound(p iceberg.BoundPredicate) iceberg.BooleanExpression {
	ref, ok := p.Term().(iceberg.BoundReference)
	if !ok {
		return iceberg.AlwaysTrue{}
	}
	var out iceberg.BooleanExpression = iceberg.AlwaysTrue{}
	for _, f := range v.spec.FieldsBySourceID(ref.Field().ID) {
		if len(f.SourceIDs) > 1 { // a multi-argument transform
			continue
		}
		// A transform that cannot project the leaf (nil or an error)
		// contributes nothing: the leaf then prunes no file.
		if proj, err := f.Transform.Project(f.Name, p); err == nil && proj != nil {
			out = iceberg.NewAnd(out, proj)
		}
	}
	return out
}

// fileMightMatch evaluates p over df's column bounds: false only when the
// bounds prove that no row of df satisfies it.
func (p *pred) fileMightMatch(schema *iceberg.Schema, df iceberg.DataFile) bool {
	switch p.op {
	case iceberg.OpTrue:
		return true
	case iceberg.OpFalse:
		return false
	case iceberg.OpAnd:
		return p.l.fileMightMatch(schema, df) && p.r.fileMightMatch(schema, df)
	case iceberg.OpOr:
		return p.l.fileMightMatch(schema, df) || p.r.fileMightMatch(schema, df)
	case iceberg.OpNEQ, iceberg.OpNotIn, iceberg.OpNotStartsWith:
		// Kept even when every value is NULL, as iceberg-go's metrics
		// evaluator keeps them: planning never keeps fewer files than it.
		return true
	}
	b := fileBounds(schema, df, p.field)
	if p.op == iceberg.OpStartsWith && b.max.k == kBytes && b.max.b == "" {
		// iceberg-go v0.7.0 does not prune by an empty upper bound
		// (though no value but "" is below it): nor do we, to stay a
		// superset of its planning.
		b.max = scalar{}
	}
	return p.mightMatch(b)
}

// fileBounds are the bounds df's manifest entry gives for field id; what it
// lacks or what does not decode is unknown.
func fileBounds(schema *iceberg.Schema, df iceberg.DataFile, id int) bounds {
	b := bounds{nulls: -1}
	nulls, okN := df.NullValueCounts()[id]
	if okN {
		b.nulls = nulls
	}
	if vals, ok := df.ValueCounts()[id]; ok && okN {
		b.allNull = vals == nulls
	}
	f, ok := schema.FindFieldByID(id)
	if !ok {
		return b
	}
	b.min = boundScalar(f.Type, df.LowerBoundValues()[id])
	b.max = boundScalar(f.Type, df.UpperBoundValues()[id])
	// The spec keeps NaN out of float bounds; a writer that counts NaNs
	// (wharf's) follows it, others may not.
	_, counted := df.NaNValueCounts()[id]
	b.floatBounds = counted && !math.IsNaN(b.min.f) && !math.IsNaN(b.max.f)
	return b
}

// boundScalar decodes a serialized bound of a column of type t; kNone when
// absent or not decodable as t (a file written before a type promotion).
func boundScalar(t iceberg.Type, raw []byte) scalar {
	if raw == nil {
		return scalar{}
	}
	l, err := iceberg.LiteralFromBytes(t, raw)
	if err != nil {
		return scalar{}
	}
	s := literalScalar(l)
	if s.k != kindOf(t) {
		return scalar{}
	}
	return s
}
