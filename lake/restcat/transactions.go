package restcat

import (
	"fmt"
	"net/http"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// commitTransaction applies the changes to several tables atomically
// (CommitTransactionRequest → 204). Every change must name its table.
func (h *Handler) commitTransaction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TableChanges []commitTableRequest `json:"table-changes"`
	}
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(req.TableChanges) == 0 {
		h.fail(w, r, badRequest("table-changes is empty"))
		return
	}
	changes := make([]TableChange, len(req.TableChanges))
	for i, c := range req.TableChanges {
		if c.Identifier == nil {
			h.fail(w, r, badRequest("table-changes[%d] has no identifier", i))
			return
		}
		id, err := c.Identifier.ident()
		if err != nil {
			h.fail(w, r, err)
			return
		}
		changes[i] = TableChange{Ident: id, Requirements: c.Requirements, Updates: c.Updates}
	}
	if _, err := h.store.Commit(r.Context(), changes); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func alreadyExists(id table.Identifier) error {
	return fmt.Errorf("%w: %s", catalog.ErrTableAlreadyExists, identString(id))
}
