package lake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/wharfdata/wharf/lake/objstore"
)

// Kinds of definitions.
const (
	DefView      = "view"      // CREATE VIEW
	DefConnector = "connector" // CREATE TABLE … WITH ('connector' = 'kafka' | …)
)

// Definition is a catalog object of wharf's beside the Iceberg tables: a
// view or a connector table (Kafka, a generator, files). It is kept as the
// statement that created it, in the warehouse's record store under
// catalog/{namespace}/{name}.json, so every wharf on the warehouse sees the
// same ones, whatever the Iceberg catalog is. Other engines do not see
// them: neither kind is something they could read.
type Definition struct {
	Ident     table.Identifier `json:"ident"`
	Kind      string           `json:"kind"`
	Statement string           `json:"statement"` // canonical Flink SQL
	Created   time.Time        `json:"created"`
}

func defKey(id table.Identifier) string { return "catalog/" + id[0] + "/" + id[1] + ".json" }

// CreateDefinition stores d. A name taken by a table, a view or a connector
// table is catalog.ErrTableAlreadyExists; the check against Iceberg tables
// and the create are two steps, so a racing CREATE of an Iceberg table of
// the same name can still win both.
func (w *Warehouse) CreateDefinition(ctx context.Context, d Definition) error {
	if len(d.Ident) != 2 {
		return fmt.Errorf("%w: %q", ErrInvalidName, d.Ident)
	}
	exists, err := w.cat.CheckTableExists(ctx, d.Ident)
	if err != nil && !errors.Is(err, catalog.ErrNoSuchNamespace) {
		return err
	}
	if exists {
		return fmt.Errorf("%w: %s is an Iceberg table", catalog.ErrTableAlreadyExists, strings.Join(d.Ident, "."))
	}
	if d.Created.IsZero() {
		d.Created = time.Now().UTC()
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	err = w.records.CreateIfAbsent(ctx, defKey(d.Ident), b)
	if errors.Is(err, objstore.ErrExists) {
		return fmt.Errorf("%w: %s", catalog.ErrTableAlreadyExists, strings.Join(d.Ident, "."))
	}
	return err
}

// LoadDefinition returns the definition named id, or an error wrapping
// catalog.ErrNoSuchTable.
func (w *Warehouse) LoadDefinition(ctx context.Context, id table.Identifier) (*Definition, error) {
	if len(id) != 2 {
		return nil, fmt.Errorf("%w: %q", ErrInvalidName, id)
	}
	b, err := w.records.Get(ctx, defKey(id))
	if errors.Is(err, objstore.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, strings.Join(id, "."))
	}
	if err != nil {
		return nil, err
	}
	var d Definition
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("definition of %s: %w", strings.Join(id, "."), err)
	}
	return &d, nil
}

// DropDefinition removes the definition named id if it is of kind; a
// missing one (or one of another kind) wraps catalog.ErrNoSuchTable.
func (w *Warehouse) DropDefinition(ctx context.Context, id table.Identifier, kind string) error {
	d, err := w.LoadDefinition(ctx, id)
	if err != nil {
		return err
	}
	if d.Kind != kind {
		return fmt.Errorf("%w: %s is a %s, not a %s", catalog.ErrNoSuchTable, strings.Join(id, "."), d.Kind, kind)
	}
	err = w.records.Delete(ctx, defKey(id))
	if errors.Is(err, objstore.ErrNotExist) {
		return fmt.Errorf("%w: %s", catalog.ErrNoSuchTable, strings.Join(id, "."))
	}
	return err
}

// ListDefinitions lists every definition, ordered by name.
func (w *Warehouse) ListDefinitions(ctx context.Context) ([]Definition, error) {
	var out []Definition
	err := objstore.Each(ctx, w.records, "catalog/", ".json", func(key string, b []byte) error {
		var d Definition
		if err := json.Unmarshal(b, &d); err != nil {
			return fmt.Errorf("definition %s: %w", key, err)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}
