package session

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/engine/sql"
	"github.com/wharfdata/wharf/lake"
)

// Table properties wharf keeps beside the Iceberg schema.
const (
	propComment   = "comment"
	propWatermark = "wharf.watermark"
)

func (s *Session) createTable(ctx context.Context, st *sql.CreateTable) (*Result, error) {
	id, err := tableIdent(Database(ctx), st.Name)
	if err != nil {
		return nil, err
	}
	props := iceberg.Properties{}
	for _, o := range st.Options {
		if o.Key == "connector" && o.Value != "iceberg" {
			return s.createConnectorTable(ctx, st, o.Value)
		}
		props[o.Key] = o.Value
	}
	delete(props, "connector")
	if st.Temporary || st.AsQuery != nil {
		what := "CREATE TEMPORARY TABLE"
		if st.AsQuery != nil {
			what = "CREATE TABLE … AS SELECT"
		}
		return nil, &Error{Code: CodeUnsupported, Msg: what + " is not supported yet", Pos: pos(st.Pos)}
	}
	if st.Comment != "" {
		props[propComment] = st.Comment
	}
	id0 := 0
	nextID := func() int { id0++; return id0 }
	var fields []iceberg.NestedField
	for _, c := range st.Columns {
		if c.Kind != sql.PhysicalColumn {
			return nil, &Error{Code: CodeUnsupported, Msg: fmt.Sprintf("column %s: computed and metadata columns belong to connector tables, not Iceberg tables", c.Name.Name), Pos: pos(c.Pos)}
		}
		if slices.ContainsFunc(fields, func(f iceberg.NestedField) bool { return strings.EqualFold(f.Name, c.Name.Name) }) {
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("duplicate column %s", c.Name.Name), Pos: pos(c.Pos)}
		}
		fid := nextID()
		t, err := icebergType(c.Type, nextID)
		if err != nil {
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("column %s: %v", c.Name.Name, err), Pos: pos(c.Type.Pos)}
		}
		if d := declaredType(c.Type); d != "" {
			props[typeProp(c.Name.Name)] = d
		}
		fields = append(fields, iceberg.NestedField{ID: fid, Name: c.Name.Name, Type: t, Required: c.Type.NotNull, Doc: c.Comment})
	}
	if len(fields) == 0 {
		return nil, &Error{Code: CodeInvalid, Msg: "a table needs at least one column", Pos: pos(st.Pos)}
	}
	var keyIDs []int
	if pk := st.PrimaryKey; pk != nil {
		for _, k := range pk.Columns {
			i := slices.IndexFunc(fields, func(f iceberg.NestedField) bool { return f.Name == k.Name })
			if i < 0 {
				return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("PRIMARY KEY: unknown column %s", k.Name), Pos: pos(k.Pos)}
			}
			// Flink makes primary key columns NOT NULL; Iceberg requires it of
			// identifier fields.
			fields[i].Required = true
			keyIDs = append(keyIDs, fields[i].ID)
		}
	}
	if wm := st.Watermark; wm != nil {
		if !slices.ContainsFunc(fields, func(f iceberg.NestedField) bool { return f.Name == wm.Column.Name }) {
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("WATERMARK FOR: unknown column %s", wm.Column.Name), Pos: pos(wm.Pos)}
		}
		props[propWatermark] = wm.Column.Name + " AS " + wm.Expr.String()
	}
	schema := iceberg.NewSchemaWithIdentifiers(0, keyIDs, fields...)
	var opts lake.TableOptions
	opts.Properties = props
	if len(st.PartitionBy) > 0 {
		var pfs []iceberg.PartitionField
		for i, p := range st.PartitionBy {
			pf, err := partitionField(p, schema, 1000+i)
			if err != nil {
				return nil, &Error{Code: CodeInvalid, Msg: err.Error(), Pos: pos(p.Pos)}
			}
			// Iceberg refuses two time transforms (or the same transform twice)
			// of one column; say so where the user wrote it.
			for _, prev := range pfs {
				if prev.SourceID() == pf.SourceID() && (prev.Transform == pf.Transform || (isTimeTransform(prev.Transform) && isTimeTransform(pf.Transform))) {
					return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("PARTITIONED BY: %s is redundant with %s", pf.Name, prev.Name), Pos: pos(p.Pos)}
				}
			}
			pfs = append(pfs, pf)
		}
		spec := iceberg.NewPartitionSpec(pfs...)
		opts.Spec = &spec
	}
	_, err = s.wh.CreateTable(ctx, id, schema, opts)
	return acknowledge(err, st.IfNotExists, catalog.ErrTableAlreadyExists)
}

func (s *Session) dropTable(ctx context.Context, st *sql.DropTable) (*Result, error) {
	id, err := tableIdent(Database(ctx), st.Name)
	if err != nil {
		return nil, err
	}
	if _, ok := s.tempDef(id); ok || st.Temporary {
		return acknowledge(s.dropDef(ctx, id, lake.DefConnector, st.Temporary), st.IfExists, catalog.ErrNoSuchTable)
	}
	err = s.wh.DropTable(ctx, id)
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		if derr := s.wh.DropDefinition(ctx, id, lake.DefConnector); !errors.Is(derr, catalog.ErrNoSuchTable) {
			err = derr
		}
	}
	return acknowledge(err, st.IfExists, catalog.ErrNoSuchTable, catalog.ErrNoSuchNamespace)
}

func (s *Session) createDatabase(ctx context.Context, st *sql.CreateDatabase) (*Result, error) {
	ns, err := namespaceIdent(st.Name)
	if err != nil {
		return nil, err
	}
	props := iceberg.Properties{}
	for _, o := range st.Options {
		props[o.Key] = o.Value
	}
	if st.Comment != "" {
		props[propComment] = st.Comment
	}
	return acknowledge(s.wh.Catalog().CreateNamespace(ctx, ns, props), st.IfNotExists, catalog.ErrNamespaceAlreadyExists)
}

func (s *Session) dropDatabase(ctx context.Context, st *sql.DropDatabase) (*Result, error) {
	ns, err := namespaceIdent(st.Name)
	if err != nil {
		return nil, err
	}
	if st.Cascade {
		return nil, &Error{Code: CodeUnsupported, Msg: "DROP DATABASE … CASCADE is not supported yet: drop the tables first", Pos: pos(st.Pos)}
	}
	return acknowledge(s.wh.Catalog().DropNamespace(ctx, ns), st.IfExists, catalog.ErrNoSuchNamespace)
}

func (s *Session) showTables(ctx context.Context, st *sql.ShowTables) (*Result, error) {
	ids, err := s.wh.ListTables(ctx)
	if err != nil {
		return nil, err
	}
	defs, err := s.defNames(ctx, lake.DefView, lake.DefConnector)
	if err != nil {
		return nil, err
	}
	return listNames(ids, defs, st.From, st.Like, st.NotLike, "table name")
}

func (s *Session) showViews(ctx context.Context) (*Result, error) {
	defs, err := s.defNames(ctx, lake.DefView)
	if err != nil {
		return nil, err
	}
	return listNames(nil, defs, nil, nil, false, "view name")
}

// listNames lists the names of tables and definitions, sorted, in one
// namespace or (qualified outside the default one) in all.
func listNames(ids, defs []table.Identifier, from *sql.ObjectName, like *string, notLike bool, column string) (*Result, error) {
	for _, d := range defs {
		if !slices.ContainsFunc(ids, func(id table.Identifier) bool { return slices.Equal(id, d) }) {
			ids = append(ids, d)
		}
	}
	slices.SortFunc(ids, func(a, b table.Identifier) int { return strings.Compare(strings.Join(a, "."), strings.Join(b, ".")) })
	ns := ""
	if from != nil {
		n, err := namespaceIdent(*from)
		if err != nil {
			return nil, err
		}
		ns = n[0]
	}
	var rows [][]string
	for _, id := range ids {
		if ns != "" && id[0] != ns {
			continue
		}
		name := id[1]
		if ns == "" && id[0] != lake.DefaultNamespace {
			name = id[0] + "." + id[1]
		}
		if like != nil && LikeMatch(*like, name) == notLike {
			continue
		}
		rows = append(rows, []string{name})
	}
	if rows == nil {
		rows = [][]string{}
	}
	return stringRows([]string{column}, rows), nil
}

// LikeMatch is SQL LIKE with % and _ (no escape), for names in SHOW … LIKE
// and the ClickHouse front ends' system tables.
func LikeMatch(pattern, s string) bool {
	var b strings.Builder
	for _, r := range pattern {
		switch r {
		case '%':
			b.WriteByte('*')
		case '_':
			b.WriteByte('?')
		case '*', '?', '[', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	ok, _ := path.Match(b.String(), s)
	return ok
}

func (s *Session) showDatabases(ctx context.Context) (*Result, error) {
	nss, err := s.wh.Catalog().ListNamespaces(ctx, nil)
	if err != nil {
		return nil, err
	}
	rows := [][]string{}
	for _, ns := range nss {
		rows = append(rows, []string{strings.Join(ns, ".")})
	}
	slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return stringRows([]string{"database name"}, rows), nil
}

// describe answers like Flink's DESCRIBE: name, type, null, key, extras,
// watermark.
func (s *Session) describe(ctx context.Context, st *sql.Describe) (*Result, error) {
	id, err := tableIdent(Database(ctx), st.Name)
	if err != nil {
		return nil, err
	}
	d, derr := s.definition(ctx, id)
	if derr == nil {
		return s.describeDef(ctx, d)
	}
	tbl, err := s.wh.LoadTable(ctx, id)
	if err != nil {
		return nil, err
	}
	props := tbl.Properties()
	keys := map[int]bool{}
	for _, k := range tbl.Schema().IdentifierFieldIDs {
		keys[k] = true
	}
	wmCol, wmExpr, _ := strings.Cut(props[propWatermark], " AS ")
	var rows [][]string
	for _, f := range tbl.Schema().Fields() {
		typ := props[typeProp(f.Name)]
		if typ == "" {
			typ = flinkTypeOf(f.Type)
		}
		null, key, wm := "TRUE", "", ""
		if f.Required {
			null = "FALSE"
		}
		if keys[f.ID] {
			key = "PRI(" + f.Name + ")"
		}
		if f.Name == wmCol {
			wm = wmExpr
		}
		rows = append(rows, []string{f.Name, typ, null, key, "", wm})
	}
	return stringRows([]string{"name", "type", "null", "key", "extras", "watermark"}, rows), nil
}

// flinkTypeOf names an Iceberg type in Flink SQL.
func flinkTypeOf(t iceberg.Type) string {
	switch t := t.(type) {
	case iceberg.BooleanType:
		return "BOOLEAN"
	case iceberg.Int32Type:
		return "INT"
	case iceberg.Int64Type:
		return "BIGINT"
	case iceberg.Float32Type:
		return "FLOAT"
	case iceberg.Float64Type:
		return "DOUBLE"
	case iceberg.DecimalType:
		return fmt.Sprintf("DECIMAL(%d, %d)", t.Precision(), t.Scale())
	case iceberg.StringType:
		return "STRING"
	case iceberg.FixedType:
		return fmt.Sprintf("BINARY(%d)", t.Len())
	case iceberg.BinaryType:
		return "BYTES"
	case iceberg.DateType:
		return "DATE"
	case iceberg.TimeType:
		return "TIME(6)"
	case iceberg.TimestampType:
		return "TIMESTAMP(6)"
	case iceberg.TimestampTzType:
		return "TIMESTAMP_LTZ(6)"
	case *iceberg.ListType:
		return "ARRAY<" + flinkTypeOf(t.Element) + ">"
	case *iceberg.MapType:
		return "MAP<" + flinkTypeOf(t.KeyType) + ", " + flinkTypeOf(t.ValueType) + ">"
	case *iceberg.StructType:
		parts := make([]string, len(t.FieldList))
		for i, f := range t.FieldList {
			parts[i] = "`" + f.Name + "` " + flinkTypeOf(f.Type)
		}
		return "ROW<" + strings.Join(parts, ", ") + ">"
	}
	return strings.ToUpper(t.String())
}

func isTimeTransform(t iceberg.Transform) bool {
	switch t.(type) {
	case iceberg.YearTransform, iceberg.MonthTransform, iceberg.DayTransform, iceberg.HourTransform:
		return true
	}
	return false
}

// acknowledge ends a DDL statement: an error that IF [NOT] EXISTS tolerates
// (one of tolerated, when tolerate is set) counts as success.
func acknowledge(err error, tolerate bool, tolerated ...error) (*Result, error) {
	for _, t := range tolerated {
		if tolerate && errors.Is(err, t) {
			err = nil
		}
	}
	if err != nil {
		return nil, err
	}
	return &Result{Kind: ResultOK}, nil
}
