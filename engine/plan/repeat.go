package plan

import "github.com/apache/arrow-go/v18/arrow"

// Repeat emits each input row as many times as its last column (a BIGINT)
// says, without that column; a count that is NULL or below one drops the
// row. INTERSECT ALL and EXCEPT ALL use it to turn per-row counts back
// into rows.
type Repeat struct {
	Input  Node
	schema *arrow.Schema
}

// NewRepeat repeats the rows of input, whose last column is the count.
func NewRepeat(input Node) *Repeat {
	fields := input.Schema().Fields()
	return &Repeat{Input: input, schema: arrow.NewSchema(fields[:len(fields)-1], nil)}
}

func (r *Repeat) Schema() *arrow.Schema { return r.schema }
func (r *Repeat) Children() []Node      { return []Node{r.Input} }
