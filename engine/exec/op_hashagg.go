package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/expr"
)

// maxAggBatch bounds the rows of each batch a HashAgg emits.
const maxAggBatch = 64 << 10

// AggSpec is one aggregate call of a HashAgg.
type AggSpec struct {
	Func     string         // as plan.AggCall.Func
	Arg      expr.Evaluator // nil for COUNT(*)
	ArgType  arrow.DataType
	Distinct bool
	Filter   expr.Evaluator // BOOLEAN; nil: every row
	Sep      string         // LISTAGG
	Type     arrow.DataType // the result
}

// HashAgg is GROUP BY: it hashes each batch's key columns to group ids
// (see grouper), folds every aggregate's argument into per-group state
// held column-wise (see accumulator), and emits one row per group at
// Finish, in batches of at most 64Ki rows, group keys first. Without keys
// it has one group and emits one row even for no input.
//
// Per batch, the work is a few calls per column; the loops over rows run on
// typed slices. The state's memory is charged to the query's Budget as it
// grows, so a GROUP BY with too many groups stops the query with a
// *MemoryLimitError instead of exhausting the process.
type HashAgg struct {
	schema  *arrow.Schema
	keys    []expr.Evaluator
	specs   []AggSpec
	accs    []accumulator
	dist    []*distinctSet // per aggregate; nil without DISTINCT
	group   grouper
	ev      *expr.EvalContext
	charged int64

	// Scratch reused across batches.
	rows    aggRows
	groups  []uint32
	sel     []int32
	keyCols []arrow.Array
}

// NewHashAgg returns a hash aggregation producing schema (the key columns
// of keyTypes, then one column per aggregate).
func NewHashAgg(schema *arrow.Schema, keys []expr.Evaluator, keyTypes []arrow.DataType, aggs []AggSpec, ev *expr.EvalContext) (*HashAgg, error) {
	g, err := newGrouper(keyTypes)
	if err != nil {
		return nil, err
	}
	h := &HashAgg{schema: schema, keys: keys, specs: aggs, group: g, ev: ev}
	for i := range aggs {
		s := &aggs[i]
		if s.Arg != nil && !keyType(s.ArgType) {
			return nil, fmt.Errorf("BUG: cannot aggregate %s", s.ArgType)
		}
		acc, err := newAccumulator(s)
		if err != nil {
			return nil, err
		}
		acc.grow(g.len())
		h.accs = append(h.accs, acc)
		var d *distinctSet
		if s.Distinct {
			d = &distinctSet{}
		}
		h.dist = append(h.dist, d)
	}
	return h, nil
}

func (h *HashAgg) Process(_ context.Context, b arrow.RecordBatch, _ Emitter) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	h.keyCols = h.keyCols[:0]
	defer func() {
		for _, c := range h.keyCols {
			c.Release()
		}
	}()
	for _, k := range h.keys {
		c, err := k(h.ev, b)
		if err != nil {
			return err
		}
		h.keyCols = append(h.keyCols, c)
	}
	groups := h.group.assign(h.keyCols, n, h.groups)
	if groups != nil {
		h.groups = groups
	}
	for _, acc := range h.accs {
		acc.grow(h.group.len())
	}
	for i := range h.specs {
		if err := h.fold(i, b, groups, n); err != nil {
			return err
		}
	}
	h.account()
	return nil
}

// fold updates aggregate i with a batch.
func (h *HashAgg) fold(i int, b arrow.RecordBatch, groups []uint32, n int) error {
	s := &h.specs[i]
	var arg arrow.Array
	if s.Arg != nil {
		a, err := s.Arg(h.ev, b)
		if err != nil {
			return err
		}
		defer a.Release()
		arg = a
	}
	var filter arrow.Array
	if s.Filter != nil {
		f, err := s.Filter(h.ev, b)
		if err != nil {
			return err
		}
		defer f.Release()
		filter = f
	}
	r := &h.rows
	*r = aggRows{groups: groups, n: n}
	var ok bool
	if r.sel, ok = h.selectRows(n, arg, filter); !ok {
		return nil
	}
	if d := h.dist[i]; d != nil {
		if r.sel = d.filter(r, arg); len(r.sel) == 0 {
			return nil
		}
	}
	h.accs[i].update(r, arg)
	return nil
}

// selectRows returns the rows whose argument is not NULL and whose FILTER
// is TRUE: nil for all n, false for none.
func (h *HashAgg) selectRows(n int, arg, filter arrow.Array) ([]int32, bool) {
	var argBM, fVal, fBM []byte
	argOff, fOff := 0, 0
	if arg != nil && arg.NullN() > 0 {
		if arg.NullN() == n {
			return nil, false
		}
		argBM, argOff = arg.NullBitmapBytes(), arg.Data().Offset()
	}
	if filter != nil {
		if filter.NullN() == n {
			return nil, false
		}
		fVal, fOff = filter.Data().Buffers()[1].Bytes(), filter.Data().Offset()
		if filter.NullN() > 0 {
			fBM = filter.NullBitmapBytes()
		}
	}
	if argBM == nil && fVal == nil {
		// Fast path: every row.
		return nil, true
	}
	// Slow path: build a selection vector.
	sel := resize(h.sel, n)[:0]
	for i := range n {
		if argBM != nil && !bitutil.BitIsSet(argBM, argOff+i) {
			continue
		}
		if fVal != nil && (!bitutil.BitIsSet(fVal, fOff+i) || fBM != nil && !bitutil.BitIsSet(fBM, fOff+i)) {
			continue
		}
		sel = append(sel, int32(i))
	}
	h.sel = sel
	return sel, len(sel) > 0
}

// account charges the growth of the state (or returns what it shed) to the
// query budget; over the limit it panics with *MemoryLimitError, which Run
// turns into the query's error.
func (h *HashAgg) account() {
	total := h.group.size() + int64(4*cap(h.groups)+4*cap(h.sel))
	for i, a := range h.accs {
		total += a.size()
		if h.dist[i] != nil {
			total += h.dist[i].size()
		}
	}
	if d := total - h.charged; d != 0 {
		reserve(h.ev.Alloc, d)
		h.charged = total
	}
}

func (h *HashAgg) Finish(ctx context.Context, out Emitter) error {
	n := h.group.len()
	for from := 0; from < n; from += maxAggBatch {
		to := min(n, from+maxAggBatch)
		cols := h.group.emitKeys(h.ev.Alloc, from, to)
		for _, a := range h.accs {
			cols = append(cols, a.emit(h.ev.Alloc, from, to))
		}
		rec := array.NewRecordBatch(h.schema, cols, int64(to-from))
		for _, c := range cols {
			c.Release()
		}
		if err := out.Emit(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

// Close drops the state and returns its memory to the budget.
func (h *HashAgg) Close() {
	h.group, h.accs, h.dist = singleGroup{}, nil, nil
	if h.charged != 0 {
		reserve(h.ev.Alloc, -h.charged)
		h.charged = 0
	}
}

// reserve charges n bytes (n < 0 gives them back) of state an operator
// holds outside Arrow buffers to alloc, when alloc is a query Budget.
func reserve(alloc memory.Allocator, n int64) {
	if b, ok := alloc.(*Budget); ok {
		b.charge(n)
	}
}
