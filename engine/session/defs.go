package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/datagen"
	"github.com/wharfdata/wharf/engine/connector/filesystem"
	"github.com/wharfdata/wharf/engine/connector/kafka"
	"github.com/wharfdata/wharf/engine/connector/nexmark"
	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/engine/types"
	"github.com/wharfdata/wharf/lake"
)

// Views and connector tables are definitions (lake.Definition): their
// CREATE statement, parsed again on every use. TEMPORARY ones live in the
// server's memory until it stops, and shadow permanent objects of the same
// name, as in Flink.

// connectorKind is a connector wharf can read.
type connectorKind struct {
	open connector.OpenFunc
	// bounded says whether a table with these options ends.
	bounded func(opts map[string]string) bool
}

// connectors are the connectors by their 'connector' option.
var connectors = map[string]connectorKind{
	"filesystem": {open: filesystem.Open, bounded: filesystem.Bounded},
	"kafka":      {open: kafka.Open, bounded: func(map[string]string) bool { return false }},
	"nexmark":    {open: nexmark.Open, bounded: nexmark.Bounded},
	"datagen":    {open: datagen.Open, bounded: datagen.Bounded},
}

func (s *Session) createConnectorTable(ctx context.Context, st *sql.CreateTable, name string) (*Result, error) {
	id, err := tableIdent(Database(ctx), st.Name)
	if err != nil {
		return nil, err
	}
	if st.AsQuery != nil {
		return nil, &Error{Code: CodeUnsupported, Msg: "CREATE TABLE … AS SELECT is not supported yet", Pos: pos(st.Pos)}
	}
	if len(st.PartitionBy) > 0 {
		return nil, &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("PARTITIONED BY on a '%s' connector table is not supported yet", name), Pos: pos(st.PartitionBy[0].Pos)}
	}
	if _, err := s.sourceTable(st, id); err != nil {
		return nil, err
	}
	d := lake.Definition{Ident: id, Kind: lake.DefConnector, Statement: st.String()}
	return acknowledge(s.createDef(ctx, d, st.Temporary), st.IfNotExists, catalog.ErrTableAlreadyExists)
}

// sourceTable builds the connector table a CREATE TABLE declares.
func (s *Session) sourceTable(st *sql.CreateTable, id table.Identifier) (*plan.SourceTable, error) {
	opts := map[string]string{}
	for _, o := range st.Options {
		opts[o.Key] = o.Value
	}
	kind, ok := connectors[opts["connector"]]
	if !ok {
		at := st.Pos
		for _, o := range st.Options {
			if o.Key == "connector" {
				at = o.Pos
			}
		}
		names := slices.Sorted(maps.Keys(connectors))
		return nil, &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("connector '%s' is not supported; wharf reads %s, and a table without a connector option is an Iceberg table", opts["connector"], strings.Join(quoteAll(names), ", ")), Pos: pos(at)}
	}
	spec := &connector.TableSpec{Name: strings.Join(id, "."), Options: opts, DefaultBrokers: s.brokers, Files: s.wh.Files()}
	for _, c := range st.Columns {
		if c.Kind == sql.ComputedColumn {
			return nil, &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("column %s: computed columns are not supported yet", c.Name.Name), Pos: pos(c.Pos)}
		}
		if slices.ContainsFunc(spec.Columns, func(x connector.Column) bool { return strings.EqualFold(x.Name, c.Name.Name) }) {
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("duplicate column %s", c.Name.Name), Pos: pos(c.Pos)}
		}
		t, err := plan.ArrowType(c.Type)
		if err != nil {
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s: %v", c.Name.Name, err), Pos: pos(c.Type.Pos)}
		}
		col := connector.Column{Name: c.Name.Name, Type: t, Nullable: !c.Type.NotNull, Declared: declaredType(c.Type)}
		if c.Kind == sql.MetadataColumn {
			col.MetadataKey = c.MetadataKey
			if col.MetadataKey == "" {
				col.MetadataKey = c.Name.Name
			}
		}
		spec.Columns = append(spec.Columns, col)
	}
	if len(spec.Columns) == 0 {
		return nil, &Error{Code: CodeInvalid, Msg: "a table needs at least one column", Pos: pos(st.Pos)}
	}
	// Watermark options are the runtime's, not the connector's.
	idle, hasIdle := opts["scan.watermark.idle-timeout"]
	delete(opts, "scan.watermark.idle-timeout")
	src := &plan.SourceTable{Spec: spec, Open: kind.open, Bounded: kind.bounded(opts)}
	if wm := st.Watermark; wm != nil {
		w, err := sourceWatermark(wm, spec)
		if err != nil {
			return nil, err
		}
		if hasIdle {
			if w.IdleTimeout, err = flinkDuration(idle); err != nil {
				return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("'scan.watermark.idle-timeout' = '%s': %v", idle, err), Pos: pos(st.Pos)}
			}
		}
		src.Watermark = w
	}
	return src, nil
}

// sourceWatermark reads WATERMARK FOR c AS c [- INTERVAL …], the bounded
// out-of-orderness form Flink users write.
func sourceWatermark(wm *sql.Watermark, spec *connector.TableSpec) (*plan.Watermark, error) {
	col := slices.IndexFunc(spec.Columns, func(c connector.Column) bool { return c.Name == wm.Column.Name })
	if col < 0 {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("WATERMARK FOR: unknown column %s", wm.Column.Name), Pos: pos(wm.Pos)}
	}
	if _, ok := spec.Columns[col].Type.(*arrow.TimestampType); !ok {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("WATERMARK FOR %s: the column must be a TIMESTAMP(3) or TIMESTAMP_LTZ(3)", wm.Column.Name), Pos: pos(wm.Pos)}
	}
	isCol := func(e sql.Expr) bool {
		c, ok := e.(*sql.ColumnRef)
		return ok && len(c.Parts) == 1 && c.Parts[0].Name == wm.Column.Name
	}
	unsupported := &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("WATERMARK FOR %s AS %s: wharf supports %s and %s - INTERVAL '…' …", wm.Column.Name, wm.Expr, wm.Column.Name, wm.Column.Name), Pos: pos(wm.Expr.Position())}
	if isCol(wm.Expr) {
		return &plan.Watermark{Column: col}, nil
	}
	b, ok := wm.Expr.(*sql.BinaryExpr)
	if !ok || b.Op != sql.OpSub || !isCol(b.Left) {
		return nil, unsupported
	}
	if _, ok := b.Right.(*sql.Interval); !ok {
		return nil, unsupported
	}
	x, err := plan.BindConstant(context.Background(), b.Right)
	if err != nil {
		return nil, planError(err)
	}
	lit, ok := x.(*expr.Literal)
	if !ok {
		return nil, unsupported
	}
	d, isDur := lit.Value.(*scalar.Duration)
	if !isDur || !d.IsValid() || d.Value < 0 {
		return nil, unsupported
	}
	return &plan.Watermark{Column: col, Delay: int64(d.Value)}, nil
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "'" + n + "'"
	}
	return out
}

func (s *Session) createView(ctx context.Context, st *sql.CreateView) (*Result, error) {
	id, err := tableIdent(Database(ctx), st.Name)
	if err != nil {
		return nil, err
	}
	// The query must bind now, as it will when read: in the default
	// database (the stored text keeps names as written, and the database
	// of the call that created it is not stored). Its columns are the view's.
	cat := &viewCatalog{planCatalog: planCatalog{s, lake.DefaultNamespace}}
	n, err := plan.Bind(ctx, cat, st.Query)
	if err != nil {
		return nil, planError(err)
	}
	if db := Database(ctx); db != lake.DefaultNamespace && cat.unqualified != nil {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("a view's query resolves its names in the default database, not in %s: qualify %s", db, cat.unqualified.String()), Pos: pos(cat.unqualified.Pos)}
	}
	if len(st.Columns) > 0 && len(st.Columns) != n.Schema().NumFields() {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("view %s names %d columns but its query produces %d", st.Name.String(), len(st.Columns), n.Schema().NumFields()), Pos: pos(st.Columns[0].Pos)}
	}
	d := lake.Definition{Ident: id, Kind: lake.DefView, Statement: st.String()}
	return acknowledge(s.createDef(ctx, d, st.Temporary), st.IfNotExists, catalog.ErrTableAlreadyExists)
}

func (s *Session) createDef(ctx context.Context, d lake.Definition, temporary bool) error {
	if !temporary {
		if _, ok := s.tempDef(d.Ident); ok {
			return fmt.Errorf("%w: %s is a temporary %s", catalog.ErrTableAlreadyExists, strings.Join(d.Ident, "."), d.Kind)
		}
		return s.wh.CreateDefinition(ctx, d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.Join(d.Ident, ".")
	if _, ok := s.temp[key]; ok {
		return fmt.Errorf("%w: temporary %s", catalog.ErrTableAlreadyExists, key)
	}
	if s.temp == nil {
		s.temp = map[string]lake.Definition{}
	}
	s.temp[key] = d
	return nil
}

func (s *Session) tempDef(id table.Identifier) (lake.Definition, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.temp[strings.Join(id, ".")]
	return d, ok
}

// dropDef drops a view or connector table: the temporary one if there is,
// else the permanent one.
func (s *Session) dropDef(ctx context.Context, id table.Identifier, kind string, temporary bool) error {
	key := strings.Join(id, ".")
	s.mu.Lock()
	d, ok := s.temp[key]
	if ok && d.Kind == kind {
		delete(s.temp, key)
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	if temporary {
		return fmt.Errorf("%w: no temporary %s %s", catalog.ErrNoSuchTable, kind, key)
	}
	return s.wh.DropDefinition(ctx, id, kind)
}

func (s *Session) dropView(ctx context.Context, st *sql.DropView) (*Result, error) {
	id, err := tableIdent(Database(ctx), st.Name)
	if err != nil {
		return nil, err
	}
	return acknowledge(s.dropDef(ctx, id, lake.DefView, st.Temporary), st.IfExists, catalog.ErrNoSuchTable)
}

// definition finds the view or connector table named id.
func (s *Session) definition(ctx context.Context, id table.Identifier) (*lake.Definition, error) {
	if d, ok := s.tempDef(id); ok {
		return &d, nil
	}
	return s.wh.LoadDefinition(ctx, id)
}

// viewCatalog binds a new view's query and notes its first one-part table
// name.
type viewCatalog struct {
	planCatalog
	unqualified *sql.ObjectName
}

func (c *viewCatalog) Resolve(n sql.ObjectName) (table.Identifier, error) {
	if len(n.Parts) == 1 && c.unqualified == nil {
		c.unqualified = &n
	}
	return c.planCatalog.Resolve(n)
}

// object parses a definition into what the binder reads.
func (s *Session) object(d *lake.Definition) (*plan.Object, error) {
	stmt, err := sql.ParseOne(d.Statement)
	if err != nil {
		return nil, fmt.Errorf("stored definition of %s does not parse: %w", strings.Join(d.Ident, "."), err)
	}
	switch st := stmt.(type) {
	case *sql.CreateView:
		return &plan.Object{View: st}, nil
	case *sql.CreateTable:
		src, err := s.sourceTable(st, d.Ident)
		if err != nil {
			return nil, err
		}
		return &plan.Object{Source: src}, nil
	}
	return nil, fmt.Errorf("stored definition of %s is a %T", strings.Join(d.Ident, "."), stmt)
}

// Load resolves a name for the binder: a temporary definition, an Iceberg
// table, or a permanent definition, in that order.
func (c planCatalog) Load(ctx context.Context, id table.Identifier) (*plan.Object, error) {
	if d, ok := c.s.tempDef(id); ok {
		return c.s.object(&d)
	}
	tbl, err := c.s.wh.Tables().Load(ctx, id)
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		d, derr := c.s.wh.LoadDefinition(ctx, id)
		if derr != nil {
			return nil, err
		}
		return c.s.object(d)
	}
	if err != nil {
		return nil, err
	}
	return tableObject(tbl)
}

// tableObject is what the binder reads for an Iceberg table: its columns
// with their declared Flink types.
func tableObject(tbl *table.Table) (*plan.Object, error) {
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, false, false)
	if err != nil {
		return nil, err
	}
	props := tbl.Properties()
	fields := make([]arrow.Field, sc.NumFields())
	for i, f := range sc.Fields() {
		if d := props[typeProp(f.Name)]; d != "" {
			f.Metadata = types.Declared(d)
		}
		fields[i] = f
	}
	return &plan.Object{Table: tbl, Fields: fields}, nil
}

// defNames lists the definitions for SHOW TABLES / SHOW VIEWS, temporary
// ones included, as [namespace, name] pairs.
func (s *Session) defNames(ctx context.Context, kinds ...string) ([]table.Identifier, error) {
	defs, err := s.wh.ListDefinitions(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, d := range s.temp {
		defs = append(defs, d)
	}
	s.mu.Unlock()
	var out []table.Identifier
	for _, d := range defs {
		if slices.Contains(kinds, d.Kind) && !slices.ContainsFunc(out, func(id table.Identifier) bool { return slices.Equal(id, d.Ident) }) {
			out = append(out, d.Ident)
		}
	}
	return out, nil
}

// describeDef answers DESCRIBE for a view or a connector table.
func (s *Session) describeDef(ctx context.Context, d *lake.Definition) (*Result, error) {
	obj, err := s.object(d)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	if obj.View != nil {
		n, err := plan.Bind(ctx, planCatalog{s, lake.DefaultNamespace}, obj.View.Query)
		if err != nil {
			return nil, planError(err)
		}
		for i, f := range n.Schema().Fields() {
			name := f.Name
			if len(obj.View.Columns) > 0 {
				name = obj.View.Columns[i].Name
			}
			rows = append(rows, []string{name, typeName(f), nullable(f.Nullable), "", "", ""})
		}
	} else {
		st, _ := sql.ParseOne(d.Statement) // parsed by object already
		ct := st.(*sql.CreateTable)
		for i, c := range obj.Source.Spec.Columns {
			extras := ""
			if c.MetadataKey != "" {
				extras = fmt.Sprintf("METADATA FROM '%s'", c.MetadataKey)
			}
			wm := ""
			if w := ct.Watermark; w != nil && w.Column.Name == c.Name {
				wm = w.Expr.String()
			}
			rows = append(rows, []string{c.Name, typeName(obj.Source.Spec.Schema().Field(i)), nullable(c.Nullable), "", extras, wm})
		}
	}
	return stringRows([]string{"name", "type", "null", "key", "extras", "watermark"}, rows), nil
}

// typeName is a column's Flink type without its nullability, which
// DESCRIBE shows in a column of its own.
func typeName(f arrow.Field) string {
	f.Nullable = true
	return types.FlinkName(f)
}

func nullable(ok bool) string {
	if ok {
		return "TRUE"
	}
	return "FALSE"
}

// flinkDuration parses a duration as Flink's options write them: a number
// and a unit (ms, s, sec, min, h, d; a bare number is milliseconds).
func flinkDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := v, ""
	if i >= 0 {
		num, unit = strings.TrimSpace(v[:i]), strings.ToLower(strings.TrimSpace(v[i:]))
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a duration such as '30 s' or '1 min'")
	}
	units := map[string]time.Duration{"": time.Millisecond, "ms": time.Millisecond, "milli": time.Millisecond, "millis": time.Millisecond,
		"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
		"min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
		"h": time.Hour, "hour": time.Hour, "hours": time.Hour, "d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}
	u, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (ms, s, min, h, d)", unit)
	}
	return time.Duration(n * float64(u)), nil
}
