package sql

// Node is any syntax tree node. String prints canonical Flink SQL that
// parses back to an equal tree.
type Node interface {
	Position() Pos
	String() string
	format(p *printer)
}

// Expr is an expression.
type Expr interface {
	Node
	exprNode()
}

// Ident is an identifier, case preserved; quoting is not recorded because
// Flink identifiers are case-sensitive whether quoted or not.
type Ident struct {
	Pos  Pos
	Name string
}

// ObjectName is a possibly qualified name: [catalog.][database.]name.
type ObjectName struct {
	Pos   Pos
	Parts []Ident
}

// LitKind says what a Literal is.
type LitKind uint8

const (
	LitInteger      LitKind = iota + 1 // 42
	LitDecimal                         // 4.2
	LitApprox                          // 4.2E1
	LitString                          // 'text'
	LitBinary                          // X'0AFF'
	LitBool                            // TRUE, FALSE
	LitNull                            // NULL
	LitUnknown                         // UNKNOWN
	LitDate                            // DATE '2024-01-31'
	LitTime                            // TIME '12:00:00'
	LitTimestamp                       // TIMESTAMP '2024-01-31 12:00:00'
	LitTimestampLTZ                    // TIMESTAMP_LTZ '2024-01-31 12:00:00'
)

// Literal is a constant. Value is the number as written, the unquoted
// content of a string or typed literal, the hex digits of a binary string,
// or TRUE / FALSE for booleans.
type Literal struct {
	Pos   Pos
	Kind  LitKind
	Value string
}

// TimeUnit is a canonical upper-case unit: YEAR, QUARTER, MONTH, WEEK, DAY,
// HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND, NANOSECOND, and for
// EXTRACT also DOW, DOY, ISODOW, ISOYEAR, EPOCH, DECADE, CENTURY, MILLENNIUM.
type TimeUnit string

// IntervalQualifier is the unit part of an interval: DAY(3) TO SECOND(3).
type IntervalQualifier struct {
	Start     TimeUnit
	StartPrec []int    // DAY(3); SECOND(p, f)
	End       TimeUnit // empty for a single unit
	EndPrec   []int    // TO SECOND(f)
}

// Interval is INTERVAL '<value>' <qualifier>.
type Interval struct {
	Pos   Pos
	Value string
	Unit  IntervalQualifier
}

// ColumnRef is a column or a field path: a, t.a, db.t.a, t.a.f.
type ColumnRef struct {
	Pos   Pos
	Parts []Ident
}

// Star is * or t.* in a select list, and * in COUNT(*).
type Star struct {
	Pos       Pos
	Qualifier []Ident
}

// FuncCall is f(args) with the optional aggregate and window parts.
type FuncCall struct {
	Pos      Pos
	Name     ObjectName // as written; built-in names are case-insensitive
	Args     []Expr     // may hold Star, NamedArg, TableArg and Descriptor
	Distinct bool
	Filter   Expr        // FILTER (WHERE ...)
	Over     *WindowSpec // OVER (...) or OVER w
}

// NamedArg is name => value in a call (window TVFs, procedures).
type NamedArg struct {
	Pos   Pos
	Name  Ident
	Value Expr
}

// TableArg is TABLE t [PARTITION BY k] as a table function argument.
type TableArg struct {
	Pos         Pos
	Name        ObjectName
	PartitionBy []Expr
}

// Descriptor is DESCRIPTOR(col, ...), naming columns of a table argument.
type Descriptor struct {
	Pos     Pos
	Columns []Ident
}

// NiladicCall is a function written without parentheses: CURRENT_DATE,
// CURRENT_TIME, CURRENT_TIMESTAMP, LOCALTIME, LOCALTIMESTAMP.
type NiladicCall struct {
	Pos  Pos
	Name string
}

// BinaryOp is an infix operator.
type BinaryOp string

const (
	OpOr     BinaryOp = "OR"
	OpAnd    BinaryOp = "AND"
	OpEq     BinaryOp = "="
	OpNe     BinaryOp = "<>" // also written !=
	OpLt     BinaryOp = "<"
	OpLe     BinaryOp = "<="
	OpGt     BinaryOp = ">"
	OpGe     BinaryOp = ">="
	OpAdd    BinaryOp = "+"
	OpSub    BinaryOp = "-"
	OpConcat BinaryOp = "||"
	OpMul    BinaryOp = "*"
	OpDiv    BinaryOp = "/"
	OpMod    BinaryOp = "%"
)

// BinaryExpr is Left Op Right.
type BinaryExpr struct {
	Pos         Pos
	Op          BinaryOp
	Left, Right Expr
}

// UnaryOp is a prefix operator.
type UnaryOp string

const (
	OpNot  UnaryOp = "NOT"
	OpNeg  UnaryOp = "-"
	OpPlus UnaryOp = "+"
)

// UnaryExpr is Op Expr.
type UnaryExpr struct {
	Pos  Pos
	Op   UnaryOp
	Expr Expr
}

// IsNull is Expr IS [NOT] NULL.
type IsNull struct {
	Pos  Pos
	Expr Expr
	Not  bool
}

// IsTruth is Expr IS [NOT] TRUE|FALSE|UNKNOWN; Value is LitBool's "TRUE" or
// "FALSE", or "UNKNOWN".
type IsTruth struct {
	Pos   Pos
	Expr  Expr
	Not   bool
	Value string
}

// IsDistinct is Left IS [NOT] DISTINCT FROM Right.
type IsDistinct struct {
	Pos         Pos
	Left, Right Expr
	Not         bool
}

// Between is Expr [NOT] BETWEEN [SYMMETRIC] Low AND High.
type Between struct {
	Pos       Pos
	Expr      Expr
	Not       bool
	Symmetric bool
	Low, High Expr
}

// InList is Expr [NOT] IN (List...).
type InList struct {
	Pos  Pos
	Expr Expr
	Not  bool
	List []Expr
}

// InSubquery is Expr [NOT] IN (query).
type InSubquery struct {
	Pos   Pos
	Expr  Expr
	Not   bool
	Query *Query
}

// Like is Expr [NOT] LIKE Pattern [ESCAPE Escape], or SIMILAR TO when
// Similar is set.
type Like struct {
	Pos     Pos
	Expr    Expr
	Not     bool
	Similar bool
	Pattern Expr
	Escape  Expr
}

// Case is CASE [Operand] WHEN ... THEN ... [ELSE Else] END.
type Case struct {
	Pos     Pos
	Operand Expr
	Whens   []*When
	Else    Expr
}

// When is one WHEN Cond THEN Result arm.
type When struct {
	Pos    Pos
	Cond   Expr
	Result Expr
}

// Cast is CAST(Expr AS Type), or TRY_CAST when Try is set.
type Cast struct {
	Pos  Pos
	Expr Expr
	Type *DataType
	Try  bool
}

// Extract is EXTRACT(Unit FROM Expr).
type Extract struct {
	Pos  Pos
	Unit TimeUnit
	Expr Expr
}

// TimestampFunc is TIMESTAMPADD(Unit, A, B) or TIMESTAMPDIFF(Unit, A, B);
// Name is the upper-case function name.
type TimestampFunc struct {
	Pos  Pos
	Name string
	Unit TimeUnit
	A, B Expr
}

// FloorCeil is FLOOR(Expr TO Unit) or CEIL(Expr TO Unit); FLOOR(x) without
// a unit is an ordinary FuncCall.
type FloorCeil struct {
	Pos  Pos
	Ceil bool
	Expr Expr
	Unit TimeUnit
}

// Position is POSITION(Sub IN Str [FROM From]).
type Position struct {
	Pos      Pos
	Sub, Str Expr
	From     Expr
}

// Trim is TRIM([BOTH|LEADING|TRAILING] [Chars] FROM Str), or TRIM(Str).
// Side is empty, "BOTH", "LEADING" or "TRAILING".
type Trim struct {
	Pos   Pos
	Side  string
	Chars Expr
	Str   Expr
}

// Substring is SUBSTRING(Str FROM From [FOR For]); the comma form parses to
// the same node.
type Substring struct {
	Pos  Pos
	Str  Expr
	From Expr
	For  Expr
}

// Overlay is OVERLAY(Str PLACING Placing FROM From [FOR For]).
type Overlay struct {
	Pos     Pos
	Str     Expr
	Placing Expr
	From    Expr
	For     Expr
}

// Subquery is a scalar subquery.
type Subquery struct {
	Pos   Pos
	Query *Query
}

// Exists is EXISTS (query).
type Exists struct {
	Pos   Pos
	Query *Query
}

// ArrayCtor is ARRAY[e, ...].
type ArrayCtor struct {
	Pos   Pos
	Elems []Expr
}

// MapCtor is MAP[k, v, ...].
type MapCtor struct {
	Pos     Pos
	Entries []*MapEntry
}

// MapEntry is one key and value of a MAP constructor.
type MapEntry struct {
	Key, Value Expr
}

// RowCtor is ROW(e, ...) or (e1, e2, ...).
type RowCtor struct {
	Pos   Pos
	Exprs []Expr
}

// Index is Expr[Index]: array element or map value.
type Index struct {
	Pos   Pos
	Expr  Expr
	Index Expr
}

// FieldAccess is Expr.Field on a value that is not a plain column path
// (those are ColumnRef): f(x).a, (r).a, arr[1].a.
type FieldAccess struct {
	Pos   Pos
	Expr  Expr
	Field Ident
}

// GroupingSets is GROUPING SETS ((a, b), (a), ()) in GROUP BY.
type GroupingSets struct {
	Pos  Pos
	Sets [][]Expr
}

// Rollup is ROLLUP(a, b) in GROUP BY.
type Rollup struct {
	Pos   Pos
	Exprs []Expr
}

// Cube is CUBE(a, b) in GROUP BY.
type Cube struct {
	Pos   Pos
	Exprs []Expr
}

// WindowSpec is an OVER clause or a WINDOW clause definition. Base names a
// window defined in the WINDOW clause: OVER w is a spec with only Base.
type WindowSpec struct {
	Pos         Pos
	Base        Ident
	PartitionBy []Expr
	OrderBy     []*OrderItem
	Frame       *WindowFrame
}

// WindowFrame is ROWS|RANGE Start, or ROWS|RANGE BETWEEN Start AND End.
type WindowFrame struct {
	Pos   Pos
	Range bool // RANGE rather than ROWS
	Start *FrameBound
	End   *FrameBound // nil without BETWEEN
}

// BoundKind says where a frame bound is.
type BoundKind uint8

const (
	UnboundedPreceding BoundKind = iota + 1
	Preceding                    // Offset PRECEDING
	CurrentRow
	Following // Offset FOLLOWING
	UnboundedFollowing
)

// FrameBound is one end of a window frame.
type FrameBound struct {
	Pos    Pos
	Kind   BoundKind
	Offset Expr // Preceding, Following
}

func (*Literal) exprNode()       {}
func (*Interval) exprNode()      {}
func (*ColumnRef) exprNode()     {}
func (*Star) exprNode()          {}
func (*FuncCall) exprNode()      {}
func (*NamedArg) exprNode()      {}
func (*TableArg) exprNode()      {}
func (*Descriptor) exprNode()    {}
func (*NiladicCall) exprNode()   {}
func (*BinaryExpr) exprNode()    {}
func (*UnaryExpr) exprNode()     {}
func (*IsNull) exprNode()        {}
func (*IsTruth) exprNode()       {}
func (*IsDistinct) exprNode()    {}
func (*Between) exprNode()       {}
func (*InList) exprNode()        {}
func (*InSubquery) exprNode()    {}
func (*Like) exprNode()          {}
func (*Case) exprNode()          {}
func (*Cast) exprNode()          {}
func (*Extract) exprNode()       {}
func (*TimestampFunc) exprNode() {}
func (*FloorCeil) exprNode()     {}
func (*Position) exprNode()      {}
func (*Trim) exprNode()          {}
func (*Substring) exprNode()     {}
func (*Overlay) exprNode()       {}
func (*Subquery) exprNode()      {}
func (*Exists) exprNode()        {}
func (*ArrayCtor) exprNode()     {}
func (*MapCtor) exprNode()       {}
func (*RowCtor) exprNode()       {}
func (*Index) exprNode()         {}
func (*FieldAccess) exprNode()   {}
func (*GroupingSets) exprNode()  {}
func (*Rollup) exprNode()        {}
func (*Cube) exprNode()          {}

func (n Ident) Position() Pos  { return n.Pos }
func (n Ident) String() string { return nodeString(n) }

func (n ObjectName) Position() Pos  { return n.Pos }
func (n ObjectName) String() string { return nodeString(n) }

func (n *Literal) Position() Pos  { return n.Pos }
func (n *Literal) String() string { return nodeString(n) }

func (n *Interval) Position() Pos  { return n.Pos }
func (n *Interval) String() string { return nodeString(n) }

func (n *ColumnRef) Position() Pos  { return n.Pos }
func (n *ColumnRef) String() string { return nodeString(n) }

func (n *Star) Position() Pos  { return n.Pos }
func (n *Star) String() string { return nodeString(n) }

func (n *FuncCall) Position() Pos  { return n.Pos }
func (n *FuncCall) String() string { return nodeString(n) }

func (n *NamedArg) Position() Pos  { return n.Pos }
func (n *NamedArg) String() string { return nodeString(n) }

func (n *TableArg) Position() Pos  { return n.Pos }
func (n *TableArg) String() string { return nodeString(n) }

func (n *Descriptor) Position() Pos  { return n.Pos }
func (n *Descriptor) String() string { return nodeString(n) }

func (n *NiladicCall) Position() Pos  { return n.Pos }
func (n *NiladicCall) String() string { return nodeString(n) }

func (n *BinaryExpr) Position() Pos  { return n.Pos }
func (n *BinaryExpr) String() string { return nodeString(n) }

func (n *UnaryExpr) Position() Pos  { return n.Pos }
func (n *UnaryExpr) String() string { return nodeString(n) }

func (n *IsNull) Position() Pos  { return n.Pos }
func (n *IsNull) String() string { return nodeString(n) }

func (n *IsTruth) Position() Pos  { return n.Pos }
func (n *IsTruth) String() string { return nodeString(n) }

func (n *IsDistinct) Position() Pos  { return n.Pos }
func (n *IsDistinct) String() string { return nodeString(n) }

func (n *Between) Position() Pos  { return n.Pos }
func (n *Between) String() string { return nodeString(n) }

func (n *InList) Position() Pos  { return n.Pos }
func (n *InList) String() string { return nodeString(n) }

func (n *InSubquery) Position() Pos  { return n.Pos }
func (n *InSubquery) String() string { return nodeString(n) }

func (n *Like) Position() Pos  { return n.Pos }
func (n *Like) String() string { return nodeString(n) }

func (n *Case) Position() Pos  { return n.Pos }
func (n *Case) String() string { return nodeString(n) }

func (n *When) Position() Pos  { return n.Pos }
func (n *When) String() string { return nodeString(n) }

func (n *Cast) Position() Pos  { return n.Pos }
func (n *Cast) String() string { return nodeString(n) }

func (n *Extract) Position() Pos  { return n.Pos }
func (n *Extract) String() string { return nodeString(n) }

func (n *TimestampFunc) Position() Pos  { return n.Pos }
func (n *TimestampFunc) String() string { return nodeString(n) }

func (n *FloorCeil) Position() Pos  { return n.Pos }
func (n *FloorCeil) String() string { return nodeString(n) }

func (n *Position) Position() Pos  { return n.Pos }
func (n *Position) String() string { return nodeString(n) }

func (n *Trim) Position() Pos  { return n.Pos }
func (n *Trim) String() string { return nodeString(n) }

func (n *Substring) Position() Pos  { return n.Pos }
func (n *Substring) String() string { return nodeString(n) }

func (n *Overlay) Position() Pos  { return n.Pos }
func (n *Overlay) String() string { return nodeString(n) }

func (n *Subquery) Position() Pos  { return n.Pos }
func (n *Subquery) String() string { return nodeString(n) }

func (n *Exists) Position() Pos  { return n.Pos }
func (n *Exists) String() string { return nodeString(n) }

func (n *ArrayCtor) Position() Pos  { return n.Pos }
func (n *ArrayCtor) String() string { return nodeString(n) }

func (n *MapCtor) Position() Pos  { return n.Pos }
func (n *MapCtor) String() string { return nodeString(n) }

func (n *RowCtor) Position() Pos  { return n.Pos }
func (n *RowCtor) String() string { return nodeString(n) }

func (n *Index) Position() Pos  { return n.Pos }
func (n *Index) String() string { return nodeString(n) }

func (n *FieldAccess) Position() Pos  { return n.Pos }
func (n *FieldAccess) String() string { return nodeString(n) }

func (n *GroupingSets) Position() Pos  { return n.Pos }
func (n *GroupingSets) String() string { return nodeString(n) }

func (n *Rollup) Position() Pos  { return n.Pos }
func (n *Rollup) String() string { return nodeString(n) }

func (n *Cube) Position() Pos  { return n.Pos }
func (n *Cube) String() string { return nodeString(n) }

func (n *WindowSpec) Position() Pos  { return n.Pos }
func (n *WindowSpec) String() string { return nodeString(n) }

func (n *WindowFrame) Position() Pos  { return n.Pos }
func (n *WindowFrame) String() string { return nodeString(n) }

func (n *FrameBound) Position() Pos  { return n.Pos }
func (n *FrameBound) String() string { return nodeString(n) }
