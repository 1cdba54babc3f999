package sql

// Statement is one SQL statement. *Query is the statement of a query.
type Statement interface {
	Node
	stmtNode()
}

// Property is 'key' = 'value' in WITH (...), SET and OPTIONS hints.
type Property struct {
	Pos        Pos
	Key, Value string
}

// CreateTable is CREATE [TEMPORARY] TABLE. A column-level PRIMARY KEY is
// moved to PrimaryKey. With AsQuery it is CREATE TABLE ... AS SELECT.
type CreateTable struct {
	Pos         Pos
	Temporary   bool
	IfNotExists bool
	Name        ObjectName
	Columns     []*ColumnDef
	PrimaryKey  *PrimaryKey
	Watermark   *Watermark
	Comment     string
	PartitionBy []*PartitionField
	Options     []*Property
	AsQuery     *Query
}

// ColumnKind says how a column gets its value.
type ColumnKind uint8

const (
	PhysicalColumn ColumnKind = iota // name type
	ComputedColumn                   // name AS expr
	MetadataColumn                   // name type METADATA [FROM 'key'] [VIRTUAL]
)

// ColumnDef is one column of CREATE TABLE.
type ColumnDef struct {
	Pos         Pos
	Name        Ident
	Kind        ColumnKind
	Type        *DataType // physical and metadata columns
	Expr        Expr      // computed columns
	MetadataKey string    // METADATA FROM 'key'; empty means the column name
	Virtual     bool      // METADATA ... VIRTUAL: read-only
	Comment     string
}

// PrimaryKey is [CONSTRAINT name] PRIMARY KEY (cols) NOT ENFORCED; Flink
// only has unenforced keys, so NOT ENFORCED is required.
type PrimaryKey struct {
	Pos     Pos
	Name    Ident // constraint name, may be empty
	Columns []Ident
}

// Watermark is WATERMARK FOR Column AS Expr.
type Watermark struct {
	Pos    Pos
	Column Ident
	Expr   Expr
}

// PartitionField is one PARTITIONED BY item: a column, or an Iceberg
// transform of it as Spark writes them: years(ts), months(ts), days(ts),
// hours(ts), bucket(16, id), truncate(4, s), identity(c). Transform is the
// Iceberg transform name: identity, year, month, day, hour, bucket or
// truncate; Arg is the bucket count or truncate width.
type PartitionField struct {
	Pos       Pos
	Transform string
	Arg       int
	Column    Ident
}

// DropTable is DROP [TEMPORARY] TABLE [IF EXISTS] name.
type DropTable struct {
	Pos       Pos
	Temporary bool
	IfExists  bool
	Name      ObjectName
}

// CreateDatabase is CREATE DATABASE [IF NOT EXISTS] name [COMMENT] [WITH].
type CreateDatabase struct {
	Pos         Pos
	IfNotExists bool
	Name        ObjectName
	Comment     string
	Options     []*Property
}

// DropDatabase is DROP DATABASE [IF EXISTS] name [RESTRICT|CASCADE];
// RESTRICT is the default.
type DropDatabase struct {
	Pos      Pos
	IfExists bool
	Name     ObjectName
	Cascade  bool
}

// CreateCatalog is CREATE CATALOG name WITH (...).
type CreateCatalog struct {
	Pos     Pos
	Name    Ident
	Options []*Property
}

// DropCatalog is DROP CATALOG [IF EXISTS] name.
type DropCatalog struct {
	Pos      Pos
	IfExists bool
	Name     Ident
}

// CreateView is CREATE [TEMPORARY] VIEW [IF NOT EXISTS] name [(cols)]
// [COMMENT 'x'] AS query.
type CreateView struct {
	Pos         Pos
	Temporary   bool
	IfNotExists bool
	Name        ObjectName
	Columns     []Ident
	Comment     string
	Query       *Query
}

// DropView is DROP [TEMPORARY] VIEW [IF EXISTS] name.
type DropView struct {
	Pos       Pos
	Temporary bool
	IfExists  bool
	Name      ObjectName
}

// ShowTables is SHOW TABLES [FROM db] [[NOT] LIKE 'pattern'].
type ShowTables struct {
	Pos     Pos
	From    *ObjectName
	NotLike bool
	Like    *string
}

// ShowObject names what a plain SHOW lists.
type ShowObject string

const (
	ShowCatalogs        ShowObject = "CATALOGS"
	ShowDatabases       ShowObject = "DATABASES"
	ShowViews           ShowObject = "VIEWS"
	ShowFunctions       ShowObject = "FUNCTIONS"
	ShowJobs            ShowObject = "JOBS"
	ShowCurrentCatalog  ShowObject = "CURRENT CATALOG"
	ShowCurrentDatabase ShowObject = "CURRENT DATABASE"
)

// Show is SHOW CATALOGS, DATABASES, VIEWS, FUNCTIONS, JOBS, CURRENT CATALOG
// or CURRENT DATABASE.
type Show struct {
	Pos    Pos
	Object ShowObject
}

// ShowCreate is SHOW CREATE TABLE name or SHOW CREATE VIEW name.
type ShowCreate struct {
	Pos  Pos
	View bool
	Name ObjectName
}

// Describe is DESCRIBE name (or DESC name).
type Describe struct {
	Pos  Pos
	Name ObjectName
}

// Use is USE [catalog.]db.
type Use struct {
	Pos  Pos
	Name ObjectName
}

// UseCatalog is USE CATALOG name.
type UseCatalog struct {
	Pos  Pos
	Name Ident
}

// Explain is EXPLAIN [details] stmt; EXPLAIN PLAN FOR stmt is the same.
// Details are upper case: ESTIMATED_COST, CHANGELOG_MODE, PLAN_ADVICE,
// JSON_EXECUTION_PLAN.
type Explain struct {
	Pos       Pos
	Details   []string
	Statement Statement
}

// Set is SET 'key' = 'value', or SET alone (Option nil) to list all.
type Set struct {
	Pos    Pos
	Option *Property
}

// Reset is RESET 'key', or RESET alone (Key nil) to reset all.
type Reset struct {
	Pos Pos
	Key *string
}

// Call is CALL name(args): a stored procedure such as system.compact.
type Call struct {
	Pos  Pos
	Name ObjectName
	Args []Expr
}

// Insert is INSERT INTO|OVERWRITE table [hints] [PARTITION (...)]
// [(columns)] query; VALUES is a query whose body is *Values.
type Insert struct {
	Pos       Pos
	Overwrite bool
	Table     ObjectName
	Hints     []*Hint
	Partition []*PartitionValue
	Columns   []Ident
	Source    *Query
}

// PartitionValue is col = literal in INSERT ... PARTITION (...).
type PartitionValue struct {
	Pos    Pos
	Column Ident
	Value  Expr
}

// StatementSet is EXECUTE STATEMENT SET BEGIN insert; ... END, also written
// BEGIN STATEMENT SET; insert; ... END: inserts that run as one job.
type StatementSet struct {
	Pos     Pos
	Inserts []*Insert
}

func (*Query) stmtNode()          {}
func (*CreateTable) stmtNode()    {}
func (*DropTable) stmtNode()      {}
func (*CreateDatabase) stmtNode() {}
func (*DropDatabase) stmtNode()   {}
func (*CreateCatalog) stmtNode()  {}
func (*DropCatalog) stmtNode()    {}
func (*CreateView) stmtNode()     {}
func (*DropView) stmtNode()       {}
func (*ShowTables) stmtNode()     {}
func (*Show) stmtNode()           {}
func (*ShowCreate) stmtNode()     {}
func (*Describe) stmtNode()       {}
func (*Use) stmtNode()            {}
func (*UseCatalog) stmtNode()     {}
func (*Explain) stmtNode()        {}
func (*Set) stmtNode()            {}
func (*Reset) stmtNode()          {}
func (*Call) stmtNode()           {}
func (*Insert) stmtNode()         {}
func (*StatementSet) stmtNode()   {}

func (n *Property) Position() Pos  { return n.Pos }
func (n *Property) String() string { return nodeString(n) }

func (n *CreateTable) Position() Pos  { return n.Pos }
func (n *CreateTable) String() string { return nodeString(n) }

func (n *ColumnDef) Position() Pos  { return n.Pos }
func (n *ColumnDef) String() string { return nodeString(n) }

func (n *PrimaryKey) Position() Pos  { return n.Pos }
func (n *PrimaryKey) String() string { return nodeString(n) }

func (n *Watermark) Position() Pos  { return n.Pos }
func (n *Watermark) String() string { return nodeString(n) }

func (n *PartitionField) Position() Pos  { return n.Pos }
func (n *PartitionField) String() string { return nodeString(n) }

func (n *DropTable) Position() Pos  { return n.Pos }
func (n *DropTable) String() string { return nodeString(n) }

func (n *CreateDatabase) Position() Pos  { return n.Pos }
func (n *CreateDatabase) String() string { return nodeString(n) }

func (n *DropDatabase) Position() Pos  { return n.Pos }
func (n *DropDatabase) String() string { return nodeString(n) }

func (n *CreateCatalog) Position() Pos  { return n.Pos }
func (n *CreateCatalog) String() string { return nodeString(n) }

func (n *DropCatalog) Position() Pos  { return n.Pos }
func (n *DropCatalog) String() string { return nodeString(n) }

func (n *CreateView) Position() Pos  { return n.Pos }
func (n *CreateView) String() string { return nodeString(n) }

func (n *DropView) Position() Pos  { return n.Pos }
func (n *DropView) String() string { return nodeString(n) }

func (n *ShowTables) Position() Pos  { return n.Pos }
func (n *ShowTables) String() string { return nodeString(n) }

func (n *Show) Position() Pos  { return n.Pos }
func (n *Show) String() string { return nodeString(n) }

func (n *ShowCreate) Position() Pos  { return n.Pos }
func (n *ShowCreate) String() string { return nodeString(n) }

func (n *Describe) Position() Pos  { return n.Pos }
func (n *Describe) String() string { return nodeString(n) }

func (n *Use) Position() Pos  { return n.Pos }
func (n *Use) String() string { return nodeString(n) }

func (n *UseCatalog) Position() Pos  { return n.Pos }
func (n *UseCatalog) String() string { return nodeString(n) }

func (n *Explain) Position() Pos  { return n.Pos }
func (n *Explain) String() string { return nodeString(n) }

func (n *Set) Position() Pos  { return n.Pos }
func (n *Set) String() string { return nodeString(n) }

func (n *Reset) Position() Pos  { return n.Pos }
func (n *Reset) String() string { return nodeString(n) }

func (n *Call) Position() Pos  { return n.Pos }
func (n *Call) String() string { return nodeString(n) }

func (n *Insert) Position() Pos  { return n.Pos }
func (n *Insert) String() string { return nodeString(n) }

func (n *PartitionValue) Position() Pos  { return n.Pos }
func (n *PartitionValue) String() string { return nodeString(n) }

func (n *StatementSet) Position() Pos  { return n.Pos }
func (n *StatementSet) String() string { return nodeString(n) }
