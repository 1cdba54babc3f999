package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wharfdata/wharf/engine/session"
)

// This file is the one place for ClickHouse-only statements: what clients
// send on connect or to browse (version(), SHOW, DESCRIBE, EXISTS, USE, SET,
// system.*). They are answered from the warehouse catalog through the
// session; every other statement goes to the session as Flink SQL.

// answer runs st if it is a ClickHouse-only statement; handled is false
// otherwise.
func (s *Server) answer(ctx context.Context, c *client, st *statement, readOnly bool) (res *session.Result, handled bool, err error) {
	t := st.toks
	switch {
	case t[0].is("USE") && len(t) == 2:
		name, ok := t[1].name()
		if !ok {
			return nil, true, &posError{"expected a database name after USE", t[1].start}
		}
		c.database = name
		return nil, true, nil
	case t[0].is("SET"):
		// Session settings: accepted and ignored, as unknown URL settings are.
		return nil, true, nil
	case t[0].is("SHOW") && len(t) == 2 && t[1].is("DATABASES"):
		res, err := s.names(ctx, "SHOW DATABASES", readOnly)
		return res, true, err
	case t[0].is("SHOW") && len(t) >= 2 && t[1].is("TABLES"):
		res, err := s.showTables(ctx, c, t[2:], readOnly)
		return res, true, err
	case t[0].is("DESCRIBE") || t[0].is("DESC"):
		res, err := s.describe(ctx, c, skipTable(t[1:]), readOnly)
		return res, true, err
	case t[0].is("EXISTS"):
		res, err := s.exists(ctx, c, skipTable(t[1:]), readOnly)
		return res, true, err
	case t[0].is("SELECT"):
		if res, ok := s.selectFunctions(c, t[1:]); ok {
			return res, true, nil
		}
		if from := systemFrom(t); from > 0 {
			res, err := s.selectSystem(ctx, c, t, from, readOnly)
			return res, true, err
		}
	}
	return nil, false, nil
}

func skipTable(t []token) []token {
	if len(t) > 0 && t[0].is("TABLE") {
		return t[1:]
	}
	return t
}

// tableName reads [db.]table from t, which must be all of it.
func tableName(c *client, t []token) (db, table string, err error) {
	bad := func() error {
		at := 0
		if len(t) > 0 {
			at = t[0].start
		}
		return &posError{"expected a table name, [database.]table", at}
	}
	switch {
	case len(t) == 1:
		n, ok := t[0].name()
		if !ok {
			return "", "", bad()
		}
		return c.db(), n, nil
	case len(t) == 3 && t[1].punct("."):
		d, ok1 := t[0].name()
		n, ok2 := t[2].name()
		if !ok1 || !ok2 {
			return "", "", bad()
		}
		return d, n, nil
	}
	return "", "", bad()
}

// quoted is db.table in Flink's backquotes.
func quoted(db, table string) string {
	q := func(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
	return q(db) + "." + q(table)
}

// names runs a session statement whose result is one string column and
// renames that column to ClickHouse's "name".
func (s *Server) names(ctx context.Context, text string, readOnly bool) (*session.Result, error) {
	vals, err := s.strings(ctx, text, readOnly)
	if err != nil {
		return nil, err
	}
	rows := make([][]any, len(vals))
	for i, v := range vals {
		rows[i] = []any{v}
	}
	return rowsResult([]column{{"name", arrow.BinaryTypes.String}}, rows), nil
}

// strings runs a session statement and returns its first column's values.
func (s *Server) strings(ctx context.Context, text string, readOnly bool) ([]string, error) {
	res, err := s.b.Exec(ctx, text, readOnly)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	var out []string
	for _, b := range res.Batches {
		col, ok := b.Column(0).(*array.String)
		if !ok {
			return nil, fmt.Errorf("BUG: %q answered %s, not strings", text, b.Column(0).DataType())
		}
		for i := range col.Len() {
			out = append(out, col.Value(i))
		}
	}
	return out, nil
}

func (s *Server) showTables(ctx context.Context, c *client, t []token, readOnly bool) (*session.Result, error) {
	db := c.db()
	if len(t) >= 2 && (t[0].is("FROM") || t[0].is("IN")) {
		n, ok := t[1].name()
		if !ok {
			return nil, &posError{"expected a database name", t[1].start}
		}
		db, t = n, t[2:]
	}
	like := ""
	if len(t) == 2 && t[0].is("LIKE") && t[1].kind == tokString {
		like, t = t[1].text, t[2:]
	}
	if len(t) > 0 {
		return nil, &posError{"SHOW TABLES takes [FROM db] [LIKE 'pattern']", t[0].start}
	}
	text := "SHOW TABLES FROM `" + strings.ReplaceAll(db, "`", "``") + "`"
	if like != "" {
		text += " LIKE '" + strings.ReplaceAll(like, "'", "''") + "'"
	}
	return s.names(ctx, text, readOnly)
}

// schema is a table's result schema, from a query that reads no rows.
func (s *Server) schema(ctx context.Context, db, table string, readOnly bool) (*arrow.Schema, error) {
	res, err := s.b.Exec(ctx, "SELECT * FROM "+quoted(db, table)+" LIMIT 0", readOnly)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	return res.Schema, nil
}

// describeColumns are ClickHouse's DESCRIBE columns.
var describeColumns = []column{
	{"name", arrow.BinaryTypes.String}, {"type", arrow.BinaryTypes.String},
	{"default_type", arrow.BinaryTypes.String}, {"default_expression", arrow.BinaryTypes.String},
	{"comment", arrow.BinaryTypes.String}, {"codec_expression", arrow.BinaryTypes.String},
	{"ttl_expression", arrow.BinaryTypes.String},
}

func (s *Server) describe(ctx context.Context, c *client, t []token, readOnly bool) (*session.Result, error) {
	db, table, err := tableName(c, t)
	if err != nil {
		return nil, err
	}
	sc, err := s.schema(ctx, db, table, readOnly)
	if err != nil {
		return nil, err
	}
	rows := make([][]any, sc.NumFields())
	for i, f := range sc.Fields() {
		rows[i] = []any{f.Name, TypeName(f), "", "", "", "", ""}
	}
	return rowsResult(describeColumns, rows), nil
}

func (s *Server) exists(ctx context.Context, c *client, t []token, readOnly bool) (*session.Result, error) {
	db, table, err := tableName(c, t)
	if err != nil {
		return nil, err
	}
	var found uint8 = 1
	if _, err := s.schema(ctx, db, table, readOnly); err != nil {
		var se *session.Error
		if !errors.As(err, &se) || se.Code != session.CodeNotFound {
			return nil, err
		}
		found = 0
	}
	return rowsResult([]column{{"result", arrow.PrimitiveTypes.Uint8}}, [][]any{{found}}), nil
}

// selectFunctions answers SELECT f() [AS a], … for the server functions
// clients call on connect; ok is false for anything else.
func (s *Server) selectFunctions(c *client, t []token) (*session.Result, bool) {
	var (
		cols []column
		row  []any
	)
	for len(t) > 0 {
		if len(t) < 3 || !t[1].punct("(") || !t[2].punct(")") {
			return nil, false
		}
		var v any
		switch strings.ToLower(t[0].text) {
		case "version":
			v = Version
		case "timezone", "servertimezone":
			v = s.timezone
		case "currentdatabase", "database":
			v = c.db()
		case "hostname":
			v = "wharf"
		default:
			return nil, false
		}
		name := t[0].text + "()"
		t = t[3:]
		if len(t) >= 2 && t[0].is("AS") {
			n, ok := t[1].name()
			if !ok {
				return nil, false
			}
			name, t = n, t[2:]
		}
		cols = append(cols, column{name, arrow.BinaryTypes.String})
		row = append(row, v)
		if len(t) > 0 {
			if !t[0].punct(",") {
				return nil, false
			}
			t = t[1:]
		}
	}
	if len(cols) == 0 {
		return nil, false
	}
	return rowsResult(cols, [][]any{row}), true
}

// column is one column of an answer.
type column struct {
	name string
	typ  arrow.DataType // String, Uint8 or Uint64
}

// rowsResult builds a result from rows of string, uint8 and uint64 values.
func rowsResult(cols []column, rows [][]any) *session.Result {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			switch fb := b.Field(i).(type) {
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.Uint8Builder:
				fb.Append(v.(uint8))
			case *array.Uint64Builder:
				fb.Append(v.(uint64))
			}
		}
	}
	return &session.Result{Kind: session.ResultRows, Schema: schema, Batches: []arrow.RecordBatch{b.NewRecordBatch()}}
}

// systemFrom returns the index of "system" in "FROM system.x", or 0.
func systemFrom(t []token) int {
	for i := 1; i+2 < len(t); i++ {
		if t[i-1].is("FROM") && strings.EqualFold(t[i].text, "system") && t[i+1].punct(".") {
			return i
		}
	}
	return 0
}

// systemTable is a table of the system database, with string cells (numbers
// in decimal) until the answer is built.
type systemTable struct {
	cols []column
	rows [][]string
}

var (
	str = arrow.BinaryTypes.String
	u8  = arrow.PrimitiveTypes.Uint8
	u64 = arrow.PrimitiveTypes.Uint64
)

// selectSystem answers SELECT cols|*|count() FROM system.t [WHERE c op v
// [AND …]] [ORDER BY c [DESC], …] [LIMIT n], the shapes clients send to
// browse the catalog. system.databases, tables, columns and one exist.
func (s *Server) selectSystem(ctx context.Context, c *client, t []token, from int, readOnly bool) (*session.Result, error) {
	name := strings.ToLower(t[from+2].text)
	q, err := parseSystemQuery(t, from)
	if err != nil {
		return nil, err
	}
	var tbl *systemTable
	switch name {
	case "one":
		tbl = &systemTable{cols: []column{{"dummy", u8}}, rows: [][]string{{"0"}}}
	case "databases":
		tbl, err = s.systemDatabases(ctx, readOnly)
	case "tables":
		tbl, err = s.systemTables(ctx, q, c, readOnly)
	case "columns":
		tbl, err = s.systemColumns(ctx, q, c, readOnly)
	default:
		return nil, exception(proto.ErrUnknownTable, http.StatusNotFound,
			"Table system.%s does not exist (wharf serves system.databases, system.tables, system.columns and system.one)", name)
	}
	if err != nil {
		return nil, err
	}
	return q.run(tbl, c)
}

func (s *Server) systemDatabases(ctx context.Context, readOnly bool) (*systemTable, error) {
	dbs, err := s.strings(ctx, "SHOW DATABASES", readOnly)
	if err != nil {
		return nil, err
	}
	tbl := &systemTable{cols: []column{{"name", str}, {"engine", str}, {"data_path", str}, {"metadata_path", str}, {"uuid", str}, {"comment", str}}}
	for _, d := range dbs {
		tbl.rows = append(tbl.rows, []string{d, "Iceberg", "", "", "00000000-0000-0000-0000-000000000000", ""})
	}
	return tbl, nil
}

// tablesOf lists (database, table) pairs, only of the database the query
// asks for when it asks for one.
func (s *Server) tablesOf(ctx context.Context, q *systemQuery, c *client, readOnly bool) ([][2]string, error) {
	dbs, err := s.strings(ctx, "SHOW DATABASES", readOnly)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, d := range dbs {
		if !q.mayMatch("database", d, c) {
			continue
		}
		tables, err := s.strings(ctx, "SHOW TABLES FROM `"+strings.ReplaceAll(d, "`", "``")+"`", readOnly)
		if err != nil {
			return nil, err
		}
		for _, t := range tables {
			out = append(out, [2]string{d, t})
		}
	}
	return out, nil
}

func (s *Server) systemTables(ctx context.Context, q *systemQuery, c *client, readOnly bool) (*systemTable, error) {
	pairs, err := s.tablesOf(ctx, q, c, readOnly)
	if err != nil {
		return nil, err
	}
	tbl := &systemTable{cols: []column{{"database", str}, {"name", str}, {"uuid", str}, {"engine", str},
		{"is_temporary", u8}, {"metadata_path", str}, {"comment", str}}}
	for _, p := range pairs {
		tbl.rows = append(tbl.rows, []string{p[0], p[1], "00000000-0000-0000-0000-000000000000", "Iceberg", "0", "", ""})
	}
	return tbl, nil
}

func (s *Server) systemColumns(ctx context.Context, q *systemQuery, c *client, readOnly bool) (*systemTable, error) {
	pairs, err := s.tablesOf(ctx, q, c, readOnly)
	if err != nil {
		return nil, err
	}
	tbl := &systemTable{cols: []column{{"database", str}, {"table", str}, {"name", str}, {"type", str},
		{"position", u64}, {"default_kind", str}, {"default_expression", str}, {"comment", str},
		{"is_in_partition_key", u8}, {"is_in_sorting_key", u8}, {"is_in_primary_key", u8},
		{"is_in_sampling_key", u8}, {"compression_codec", str}}}
	for _, p := range pairs {
		if !q.mayMatch("table", p[1], c) {
			continue
		}
		sc, err := s.schema(ctx, p[0], p[1], readOnly)
		if err != nil {
			return nil, err
		}
		for i, f := range sc.Fields() {
			tbl.rows = append(tbl.rows, []string{p[0], p[1], f.Name, TypeName(f), strconv.Itoa(i + 1), "", "", "", "0", "0", "0", "0", ""})
		}
	}
	return tbl, nil
}

// systemQuery is a parsed query over a system table.
type systemQuery struct {
	cols  []selectItem // nil = *
	count bool         // SELECT count()
	conds []cond
	order []orderKey
	limit int // -1 = none
}

type selectItem struct{ name, alias string }

type cond struct {
	col  string
	op   string // =, !=, LIKE, NOT LIKE, IN, NOT IN
	vals []string
}

type orderKey struct {
	col  string
	desc bool
}

func parseSystemQuery(t []token, from int) (*systemQuery, error) {
	q := &systemQuery{limit: -1}
	items := t[1 : from-1]
	switch {
	case len(items) == 1 && items[0].punct("*"):
	case len(items) >= 3 && strings.EqualFold(items[0].text, "count") && items[1].punct("(") && items[len(items)-1].punct(")"):
		q.count = true
	default:
		for len(items) > 0 {
			n, ok := items[0].name()
			if !ok {
				return nil, unsupportedSystem(items[0])
			}
			it := selectItem{name: n, alias: n}
			items = items[1:]
			if len(items) >= 2 && items[0].is("AS") {
				if it.alias, ok = items[1].name(); !ok {
					return nil, unsupportedSystem(items[1])
				}
				items = items[2:]
			}
			q.cols = append(q.cols, it)
			if len(items) > 0 {
				if !items[0].punct(",") {
					return nil, unsupportedSystem(items[0])
				}
				items = items[1:]
			}
		}
	}
	rest := t[from+3:]
	if len(rest) > 0 && rest[0].is("WHERE") {
		rest = rest[1:]
		for {
			cd, n, err := parseCond(rest)
			if err != nil {
				return nil, err
			}
			q.conds = append(q.conds, cd)
			rest = rest[n:]
			if len(rest) == 0 || !rest[0].is("AND") {
				break
			}
			rest = rest[1:]
		}
	}
	if len(rest) >= 2 && rest[0].is("ORDER") && rest[1].is("BY") {
		rest = rest[2:]
		for len(rest) > 0 {
			n, ok := rest[0].name()
			if !ok || rest[0].is("LIMIT") {
				break
			}
			k := orderKey{col: n}
			rest = rest[1:]
			if len(rest) > 0 && (rest[0].is("ASC") || rest[0].is("DESC")) {
				k.desc = rest[0].is("DESC")
				rest = rest[1:]
			}
			q.order = append(q.order, k)
			if len(rest) == 0 || !rest[0].punct(",") {
				break
			}
			rest = rest[1:]
		}
	}
	if len(rest) >= 2 && rest[0].is("LIMIT") && rest[1].kind == tokNumber {
		n, err := strconv.Atoi(rest[1].text)
		if err != nil {
			return nil, &posError{"LIMIT must be a whole number", rest[1].start}
		}
		q.limit, rest = n, rest[2:]
	}
	if len(rest) > 0 {
		return nil, unsupportedSystem(rest[0])
	}
	return q, nil
}

func unsupportedSystem(t token) error {
	return exception(proto.ErrNotImplemented, http.StatusNotImplemented,
		"queries over system tables may only select columns, * or count(), filter with col = | != | LIKE | IN values joined by AND, ORDER BY columns and LIMIT; unexpected %q at position %d", t.text, t.start+1)
}

// parseCond reads "col op value" and returns how many tokens it used.
func parseCond(t []token) (cond, int, error) {
	if len(t) < 3 {
		return cond{}, 0, unsupportedSystem(t[len(t)-1])
	}
	col, ok := t[0].name()
	if !ok {
		return cond{}, 0, unsupportedSystem(t[0])
	}
	cd := cond{col: col}
	i := 1
	switch {
	case t[1].punct("=") || t[1].punct("=="):
		cd.op = "="
	case t[1].punct("!=") || t[1].punct("<>"):
		cd.op = "!="
	case t[1].is("LIKE"):
		cd.op = "LIKE"
	case t[1].is("IN"):
		cd.op = "IN"
	case t[1].is("NOT") && len(t) > 3 && (t[2].is("LIKE") || t[2].is("IN")):
		cd.op = "NOT " + strings.ToUpper(t[2].text)
		i++
	default:
		return cond{}, 0, unsupportedSystem(t[1])
	}
	i++
	if strings.HasSuffix(cd.op, "IN") {
		if i >= len(t) || !t[i].punct("(") {
			return cond{}, 0, unsupportedSystem(t[min(i, len(t)-1)])
		}
		for i++; i < len(t) && !t[i].punct(")"); i++ {
			if t[i].punct(",") {
				continue
			}
			if t[i].kind != tokString && t[i].kind != tokNumber {
				return cond{}, 0, unsupportedSystem(t[i])
			}
			cd.vals = append(cd.vals, t[i].text)
		}
		if i >= len(t) {
			return cond{}, 0, unsupportedSystem(t[len(t)-1])
		}
		return cd, i + 1, nil
	}
	if i < len(t) && (t[i].kind == tokString || t[i].kind == tokNumber) {
		cd.vals = []string{t[i].text}
		return cd, i + 1, nil
	}
	// database = currentDatabase(): the value is the client's database.
	if i+2 < len(t) && t[i+1].punct("(") && t[i+2].punct(")") &&
		(strings.EqualFold(t[i].text, "currentDatabase") || strings.EqualFold(t[i].text, "database")) {
		cd.vals = []string{"\x00current"}
		return cd, i + 3, nil
	}
	return cond{}, 0, unsupportedSystem(t[min(i, len(t)-1)])
}

func (cd cond) match(v string, c *client) bool {
	vals := cd.vals
	if len(vals) == 1 && vals[0] == "\x00current" {
		vals = []string{c.db()}
	}
	switch cd.op {
	case "=", "IN":
		return slices.Contains(vals, v)
	case "!=", "NOT IN":
		return !slices.Contains(vals, v)
	case "LIKE":
		return session.LikeMatch(vals[0], v)
	case "NOT LIKE":
		return !session.LikeMatch(vals[0], v)
	}
	return false
}

// mayMatch reports whether a row whose column col is v can pass the
// conditions (used to skip tables before loading their schemas).
func (q *systemQuery) mayMatch(col, v string, c *client) bool {
	for _, cd := range q.conds {
		if strings.EqualFold(cd.col, col) && !cd.match(v, c) {
			return false
		}
	}
	return true
}

// run filters, sorts, limits and projects tbl.
func (q *systemQuery) run(tbl *systemTable, c *client) (*session.Result, error) {
	index := func(name string) (int, error) {
		for i, col := range tbl.cols {
			if strings.EqualFold(col.name, name) {
				return i, nil
			}
		}
		return 0, exception(proto.ErrUnknownIdentifier, http.StatusNotFound, "Missing column %s in the system table", name)
	}
	rows := tbl.rows[:0:0]
	condIdx := make([]int, len(q.conds))
	for k, cd := range q.conds {
		i, err := index(cd.col)
		if err != nil {
			return nil, err
		}
		condIdx[k] = i
	}
	for _, r := range tbl.rows {
		keep := true
		for k, cd := range q.conds {
			keep = keep && cd.match(r[condIdx[k]], c)
		}
		if keep {
			rows = append(rows, r)
		}
	}
	for k := len(q.order) - 1; k >= 0; k-- {
		i, err := index(q.order[k].col)
		if err != nil {
			return nil, err
		}
		desc := q.order[k].desc
		slices.SortStableFunc(rows, func(a, b []string) int {
			if desc {
				return strings.Compare(b[i], a[i])
			}
			return strings.Compare(a[i], b[i])
		})
	}
	if q.limit >= 0 && q.limit < len(rows) {
		rows = rows[:q.limit]
	}
	if q.count {
		return rowsResult([]column{{"count()", u64}}, [][]any{{uint64(len(rows))}}), nil
	}
	idx := make([]int, 0, len(tbl.cols))
	var cols []column
	if q.cols == nil {
		for i, col := range tbl.cols {
			idx, cols = append(idx, i), append(cols, col)
		}
	}
	for _, it := range q.cols {
		i, err := index(it.name)
		if err != nil {
			return nil, err
		}
		idx, cols = append(idx, i), append(cols, column{it.alias, tbl.cols[i].typ})
	}
	out := make([][]any, len(rows))
	for r, row := range rows {
		vals := make([]any, len(idx))
		for k, i := range idx {
			vals[k] = typedCell(row[i], cols[k].typ)
		}
		out[r] = vals
	}
	return rowsResult(cols, out), nil
}

func typedCell(v string, t arrow.DataType) any {
	switch t.ID() {
	case arrow.UINT8:
		n, _ := strconv.ParseUint(v, 10, 8)
		return uint8(n)
	case arrow.UINT64:
		n, _ := strconv.ParseUint(v, 10, 64)
		return n
	}
	return v
}
