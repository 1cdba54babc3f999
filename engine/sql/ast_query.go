package sql

// Query is a full query: WITH, a body of set operations, and the ORDER BY,
// LIMIT and OFFSET that apply to the body's result. FETCH FIRST n ROWS ONLY
// is read as LIMIT n.
type Query struct {
	Pos     Pos
	With    []*CTE
	Body    SetExpr
	OrderBy []*OrderItem
	Limit   Expr
	Offset  Expr
}

// CTE is one WITH name [(cols)] AS (query).
type CTE struct {
	Pos     Pos
	Name    Ident
	Columns []Ident
	Query   *Query
}

// SetExpr is a query body: *Select, *SetOp, *Values, or a parenthesized
// *Query that has its own WITH, ORDER BY or LIMIT.
type SetExpr interface {
	Node
	setExprNode()
}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind string

const (
	Union     SetOpKind = "UNION"
	Intersect SetOpKind = "INTERSECT"
	Except    SetOpKind = "EXCEPT"
)

// SetOp is Left op [ALL] Right. INTERSECT binds tighter than UNION and
// EXCEPT; equal operators associate to the left.
type SetOp struct {
	Pos         Pos
	Op          SetOpKind
	All         bool
	Left, Right SetExpr
}

// Values is VALUES (row), ... as a query.
type Values struct {
	Pos  Pos
	Rows [][]Expr
}

// Select is one SELECT block.
type Select struct {
	Pos      Pos
	Hints    []*Hint // SELECT /*+ ... */
	Distinct bool
	Items    []*SelectItem
	From     TableExpr // nil without FROM
	Where    Expr
	GroupBy  []Expr // may hold GroupingSets, Rollup and Cube
	Having   Expr
	Windows  []*NamedWindow
}

// SelectItem is an expression with an optional alias, or a Star.
type SelectItem struct {
	Pos   Pos
	Expr  Expr
	Alias Ident // Name is empty without alias
}

// NamedWindow is WINDOW name AS (spec).
type NamedWindow struct {
	Pos  Pos
	Name Ident
	Spec *WindowSpec
}

// NullOrder says where NULLs sort.
type NullOrder uint8

const (
	NullsDefault NullOrder = iota
	NullsFirst
	NullsLast
)

// OrderItem is expr [ASC|DESC] [NULLS FIRST|LAST].
type OrderItem struct {
	Pos   Pos
	Expr  Expr
	Desc  bool
	Nulls NullOrder
}

// TableExpr is an item of a FROM clause.
type TableExpr interface {
	Node
	tableExprNode()
}

// TableRef is a named table with its hints, time travel and alias:
// t /*+ OPTIONS(...) */ FOR SYSTEM_TIME AS OF expr AS a (cols).
type TableRef struct {
	Pos        Pos
	Name       ObjectName
	Hints      []*Hint
	SystemTime Expr
	Alias      *Alias
}

// Alias is [AS] name [(col, ...)].
type Alias struct {
	Pos     Pos
	Name    Ident
	Columns []Ident
}

// DerivedTable is [LATERAL] (query) [AS] alias.
type DerivedTable struct {
	Pos     Pos
	Lateral bool
	Query   *Query
	Alias   *Alias
}

// TableFunc is [LATERAL] TABLE(call) [AS alias]: window TVFs such as
// TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) and
// table functions such as LATERAL TABLE(split(s)) AS T(word).
type TableFunc struct {
	Pos     Pos
	Lateral bool
	Call    *FuncCall
	Alias   *Alias
}

// Unnest is UNNEST(array, ...) [WITH ORDINALITY] [AS alias].
type Unnest struct {
	Pos            Pos
	Args           []Expr
	WithOrdinality bool
	Alias          *Alias
}

// JoinKind is the kind of a join; JoinComma is the comma of FROM a, b.
type JoinKind string

const (
	JoinInner JoinKind = "INNER JOIN"
	JoinLeft  JoinKind = "LEFT JOIN"
	JoinRight JoinKind = "RIGHT JOIN"
	JoinFull  JoinKind = "FULL JOIN"
	JoinCross JoinKind = "CROSS JOIN"
	JoinComma JoinKind = ","
)

// Join joins Left and Right, ON a condition or USING columns (neither for
// CROSS and comma joins).
type Join struct {
	Pos         Pos
	Kind        JoinKind
	Left, Right TableExpr
	On          Expr
	Using       []Ident
}

// Hint is one hint of a /*+ ... */ block: NAME, NAME(a, b) or
// NAME('k' = 'v', ...). Name is upper case; hint names are case-insensitive.
type Hint struct {
	Pos     Pos
	Name    string
	Params  []Ident
	Options []*Property
}

func (*Select) setExprNode() {}
func (*SetOp) setExprNode()  {}
func (*Values) setExprNode() {}
func (*Query) setExprNode()  {}

func (*TableRef) tableExprNode()     {}
func (*DerivedTable) tableExprNode() {}
func (*TableFunc) tableExprNode()    {}
func (*Unnest) tableExprNode()       {}
func (*Join) tableExprNode()         {}

func (n *Query) Position() Pos  { return n.Pos }
func (n *Query) String() string { return nodeString(n) }

func (n *CTE) Position() Pos  { return n.Pos }
func (n *CTE) String() string { return nodeString(n) }

func (n *SetOp) Position() Pos  { return n.Pos }
func (n *SetOp) String() string { return nodeString(n) }

func (n *Values) Position() Pos  { return n.Pos }
func (n *Values) String() string { return nodeString(n) }

func (n *Select) Position() Pos  { return n.Pos }
func (n *Select) String() string { return nodeString(n) }

func (n *SelectItem) Position() Pos  { return n.Pos }
func (n *SelectItem) String() string { return nodeString(n) }

func (n *NamedWindow) Position() Pos  { return n.Pos }
func (n *NamedWindow) String() string { return nodeString(n) }

func (n *OrderItem) Position() Pos  { return n.Pos }
func (n *OrderItem) String() string { return nodeString(n) }

func (n *TableRef) Position() Pos  { return n.Pos }
func (n *TableRef) String() string { return nodeString(n) }

func (n *Alias) Position() Pos  { return n.Pos }
func (n *Alias) String() string { return nodeString(n) }

func (n *DerivedTable) Position() Pos  { return n.Pos }
func (n *DerivedTable) String() string { return nodeString(n) }

func (n *TableFunc) Position() Pos  { return n.Pos }
func (n *TableFunc) String() string { return nodeString(n) }

func (n *Unnest) Position() Pos  { return n.Pos }
func (n *Unnest) String() string { return nodeString(n) }

func (n *Join) Position() Pos  { return n.Pos }
func (n *Join) String() string { return nodeString(n) }

func (n *Hint) Position() Pos  { return n.Pos }
func (n *Hint) String() string { return nodeString(n) }
