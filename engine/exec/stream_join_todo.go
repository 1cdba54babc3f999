package exec

import (
	"fmt"

	"github.com/wharfdata/wharf/engine/expr"
	"github.com/wharfdata/wharf/engine/plan"
)

// newStreamJoin builds the operator joining two unbounded inputs.
func newStreamJoin(*plan.Join, *expr.EvalContext) (TwoInput, error) {
	return nil, fmt.Errorf("joins of two unbounded inputs come next")
}
