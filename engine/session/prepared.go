package session

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/exec"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/lake"
)

// Prepared is a SELECT bound and optimized against the table versions it
// read, its pins: one version per table, so a self-join reads one snapshot.
// The plan is read-only, so it may run many times, concurrently, while the
// pins are current (see Current); a caller such as a result cache keys on
// Text and the pins.
type Prepared struct {
	Text string // the statement as the parser prints it: whitespace, comments and keyword case normalized
	Pins []Pin
	// Deterministic is false when the text calls a function that answers
	// differently from one moment to the next (NOW, RAND, UUID…). A column
	// named like one counts too: a missed cache entry, never a wrong one.
	Deterministic bool
	// LakeOnly is true when every name read is an Iceberg table: no view,
	// connector or temporary table, whose definitions the pins do not cover.
	LakeOnly bool
	node     plan.Node
	estBytes int64
}

// Pin is one table version a prepared statement reads.
type Pin struct {
	Ident      table.Identifier
	Table      *table.Table
	SnapshotID int64 // the version's current snapshot; 0 for a table without one
	SchemaID   int
}

// Cacheable reports whether equal Text and equal pins imply an equal result.
func (p *Prepared) Cacheable() bool { return p.Deterministic && p.LakeOnly }

// EstimatedBytes is what a run reads at most: the bytes of the files its
// scans keep after partition and min/max pruning. Known from the scans
// planned when the statement is prepared, so that a first run is judged by
// what it will really read (a per-key lookup prunes to one file of many).
func (p *Prepared) EstimatedBytes() int64 { return p.estBytes }

// planScans plans the files of every Iceberg scan in n, once: each run of
// the prepared statement reads them (see plan.Scan.Planned) instead of
// planning again, which for a filtered scan means reading its manifests.
// It returns the bytes the scans keep. A scan that fails to plan is left
// to fail when it runs, with its error, and counts its snapshot's size.
func planScans(ctx context.Context, n plan.Node) int64 {
	var total int64
	var walk func(plan.Node)
	walk = func(n plan.Node) {
		if sc, ok := n.(*plan.Scan); ok && sc.Table != nil {
			ps, err := lake.PlanScan(ctx, sc.Table, sc.Options())
			if err == nil {
				sc.Planned = ps
				total += ps.Stats.BytesKept
				return
			}
			snap := sc.Table.CurrentSnapshot()
			if sc.SnapshotID != 0 {
				snap = sc.Table.SnapshotByID(sc.SnapshotID)
			}
			if snap != nil && snap.Summary != nil {
				b, _ := strconv.ParseInt(snap.Summary.Properties["total-files-size"], 10, 64)
				total += b
			}
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	return total
}

// Prepare parses nothing: it binds and optimizes an already parsed SELECT.
func (s *Session) Prepare(ctx context.Context, q *sql.Query) (*Prepared, error) {
	p := &Prepared{Text: q.String(), LakeOnly: true}
	p.Deterministic = deterministic(p.Text)
	// Planning allocates only plan-lifetime constants: not from a query's budget.
	ev := &expr.EvalContext{Ctx: ctx, Alloc: memory.DefaultAllocator, NowMicros: time.Now().UnixMicro(), SessionTimeZone: "UTC"}
	node, err := plan.Bind(ctx, &pinningCatalog{planCatalog: planCatalog{s, Database(ctx)}, p: p}, q)
	if err != nil {
		return nil, planError(err)
	}
	if p.node, err = plan.Optimize(node, ev); err != nil {
		return nil, planError(err)
	}
	p.estBytes = planScans(ctx, p.node)
	if u := plan.Unbounded(p.node); u != nil {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("%s is an unbounded %s table: a SELECT would never end; read it in a continuous job (INSERT INTO a lake table SELECT … FROM it)", strings.Join(u.Ident, "."), u.Source.Spec.Options["connector"]), Pos: pos(q.Pos)}
	}
	return p, nil
}

// Current reports whether every pinned table is still the version the
// warehouse's table cache serves (within its staleness bound).
func (s *Session) Current(ctx context.Context, p *Prepared) (bool, error) {
	for _, pin := range p.Pins {
		t, err := s.wh.Tables().Load(ctx, pin.Ident)
		if err != nil {
			return false, err
		}
		if t != pin.Table {
			return false, nil
		}
	}
	return true, nil
}

// Run executes p under the session's per-query memory budget.
func (s *Session) Run(ctx context.Context, p *Prepared) (*Result, error) {
	return s.run(ctx, p, exec.NewBudget(memory.DefaultAllocator, s.memory()))
}

// run executes p under budget, which also accounts what its table scans
// read (see exec.Budget.Unchecked).
func (s *Session) run(ctx context.Context, p *Prepared, budget *exec.Budget) (*Result, error) {
	start := time.Now()
	ev := &expr.EvalContext{Ctx: ctx, Alloc: budget, NowMicros: start.UnixMicro(), SessionTimeZone: "UTC"}
	built, err := exec.Build(ctx, p.node, ev)
	if err != nil {
		return nil, err
	}
	sink := &exec.Collect{MaxRows: defaultMaxRows}
	if err := exec.Run(ctx, built.Source, built.Operators, sink); err != nil {
		sink.Release()
		return nil, queryError(err)
	}
	res := &Result{Kind: ResultRows, Schema: built.Schema, Batches: sink.Batches}
	if built.Scan != nil {
		res.Stats.SnapshotID = built.Scan.SnapshotID
		res.Stats.BytesScanned = built.Scan.BytesKept
	}
	res.Stats.Elapsed = time.Since(start)
	return res, nil
}

// pinningCatalog records the tables a bind loads and hands out one version
// per table.
type pinningCatalog struct {
	planCatalog
	p *Prepared
}

func (c *pinningCatalog) ForView(table.Identifier) plan.Catalog {
	return &pinningCatalog{planCatalog: planCatalog{c.s, lake.DefaultNamespace}, p: c.p}
}

func (c *pinningCatalog) Load(ctx context.Context, id table.Identifier) (*plan.Object, error) {
	for _, pin := range c.p.Pins {
		if slices.Equal(pin.Ident, id) {
			return tableObject(pin.Table)
		}
	}
	obj, err := c.planCatalog.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if obj.Table == nil {
		c.p.LakeOnly = false
		return obj, nil
	}
	pin := Pin{Ident: id, Table: obj.Table, SchemaID: obj.Table.Metadata().CurrentSchema().ID}
	if snap := obj.Table.CurrentSnapshot(); snap != nil {
		pin.SnapshotID = snap.SnapshotID
	}
	c.p.Pins = append(c.p.Pins, pin)
	return obj, nil
}

// deterministic scans the words of a normalized statement for functions
// that are not deterministic; quoted strings and identifiers are skipped.
func deterministic(text string) bool {
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\'' || c == '`' || c == '"':
			j := i + 1
			for j < len(text) && text[j] != c {
				j++
			}
			i = j + 1
		case isWordByte(c):
			j := i
			for j < len(text) && isWordByte(text[j]) {
				j++
			}
			if expr.NonDeterministic(strings.ToUpper(text[i:j])) {
				return false
			}
			i = j
		default:
			i++
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}
