package lake

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/internal/errkind"
	"github.com/wharfdata/wharf/lake/commit"
	"github.com/wharfdata/wharf/lake/restcat"
)

// Lineage is one snapshot of the lineage index: the job, version, epoch,
// txid, watermark and source ranges that produced it.
type Lineage = restcat.Lineage

// ErrNoLineageIndex: the catalog is an external REST catalog, which keeps no
// lineage index.
var ErrNoLineageIndex = errors.New("the catalog keeps no lineage index (only wharf's SQL catalog does)")

func (w *Warehouse) lineageStore() (*restcat.Store, error) {
	oc, ok := w.cat.(*ownedCatalog)
	if !ok {
		return nil, errkind.Wrap(errkind.Fatal, ErrNoLineageIndex)
	}
	return oc.store, nil
}

// Lineage returns the indexed snapshots of table id, oldest first. Snapshots
// that wharf did not write are absent; expired ones stay.
func (w *Warehouse) Lineage(ctx context.Context, id table.Identifier) ([]Lineage, error) {
	s, err := w.lineageStore()
	if err != nil {
		return nil, err
	}
	out, err := s.Lineage(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("lineage of %s: %w", strings.Join(id, "."), err)
	}
	return out, nil
}

// DerivedFrom returns the indexed snapshots, of every table, computed from
// positions [from, to) of source partition src.
func (w *Warehouse) DerivedFrom(ctx context.Context, src commit.Key, from, to int64) ([]Lineage, error) {
	s, err := w.lineageStore()
	if err != nil {
		return nil, err
	}
	if to < from {
		return nil, fmt.Errorf("lineage of %s: range [%d,%d) is reversed", src, from, to)
	}
	out, err := s.DerivedFrom(ctx, src, from, to)
	if err != nil {
		return nil, fmt.Errorf("lineage of %s [%d,%d): %w", src, from, to, err)
	}
	return out, nil
}
