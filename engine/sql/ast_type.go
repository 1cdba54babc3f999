package sql

// DataType is a Flink SQL data type as written in DDL and CAST.
//
// Name is canonical upper case: BOOLEAN, TINYINT, SMALLINT, INT, BIGINT,
// FLOAT, DOUBLE, DECIMAL, CHAR, VARCHAR, STRING, BINARY, VARBINARY, BYTES,
// DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ, ARRAY, MAP, MULTISET or ROW.
// Synonyms are folded: INTEGER is INT, REAL is FLOAT, DOUBLE PRECISION is
// DOUBLE, DEC and NUMERIC are DECIMAL, TIMESTAMP WITH LOCAL TIME ZONE is
// TIMESTAMP_LTZ. STRING and BYTES stay as written (they are VARCHAR and
// VARBINARY of maximum length).
type DataType struct {
	Pos    Pos
	Name   string
	Params []int       // length, or precision [and scale]; empty when not written
	Elem   *DataType   // ARRAY, MULTISET
	Key    *DataType   // MAP
	Value  *DataType   // MAP
	Fields []*RowField // ROW
	// NotNull is set by NOT NULL; a written NULL is the default, nullable.
	NotNull bool
}

// RowField is a field of a ROW type.
type RowField struct {
	Pos         Pos
	Name        Ident
	Type        *DataType
	Description string // ROW<a INT 'description'>
}

func (n *DataType) Position() Pos  { return n.Pos }
func (n *DataType) String() string { return nodeString(n) }

func (n *RowField) Position() Pos  { return n.Pos }
func (n *RowField) String() string { return nodeString(n) }
