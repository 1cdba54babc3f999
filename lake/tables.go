package lake

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// DefaultNamespace holds tables named without a namespace.
const DefaultNamespace = "default"

// Table properties wharf sets on every table it creates.
const (
	// commit.retry.num-retries defaults to 0 in iceberg-go (4 in Java): a
	// concurrent append would fail our epoch instead of being rebased (F8).
	PropCommitRetries = "commit.retry.num-retries"
	// commit.manifest-merge.enabled defaults to false in iceberg-go (true in
	// Java): a job committing every second would grow one manifest per
	// epoch, and every scan plan and every rewrite commit reads them all. A
	// rewrite then loses every race against a busy appender (its commit
	// slows as the appends pile up). Merged, they stay near
	// commit.manifest.min-count-to-merge (100).
	propManifestMerge = "commit.manifest-merge.enabled"
	// DefaultTargetFileSize is where the writer rolls to a new data file.
	DefaultTargetFileSize = 128 << 20
	propTargetFileSize    = "write.target-file-size-bytes"
)

// identRE is the shape of a namespace or table name. Names become directory
// names under the warehouse, so nothing that could climb out of it, hide
// (leading '.' or '_'), or need quoting on object stores is allowed.
var identRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_\-]{0,127}$`)

// ErrInvalidName is returned for a namespace or table name wharf refuses.
var ErrInvalidName = errors.New("invalid name")

// Ident validates and builds a table identifier. A one-part name lives in
// DefaultNamespace.
func Ident(parts ...string) (table.Identifier, error) {
	switch len(parts) {
	case 1:
		parts = []string{DefaultNamespace, parts[0]}
	case 2:
	default:
		return nil, fmt.Errorf("%w: %q: want [namespace.]table", ErrInvalidName, parts)
	}
	for _, p := range parts {
		if !identRE.MatchString(p) {
			return nil, fmt.Errorf("%w: %q: names are 1-128 letters, digits, '_' or '-', starting with a letter or digit", ErrInvalidName, p)
		}
	}
	return table.Identifier(slices.Clone(parts)), nil
}

// TableOptions are the optional parts of CreateTable.
type TableOptions struct {
	Spec       *iceberg.PartitionSpec
	Properties iceberg.Properties
}

// CreateTable creates an Iceberg table (format v2), creating its namespace
// when missing. It sets the commit retry count and target file size unless
// the caller's properties say otherwise.
func (w *Warehouse) CreateTable(ctx context.Context, ident table.Identifier, schema *iceberg.Schema, opts TableOptions) (*table.Table, error) {
	if len(ident) == 2 {
		if d, err := w.LoadDefinition(ctx, ident); err == nil {
			return nil, fmt.Errorf("%w: %s is a %s", catalog.ErrTableAlreadyExists, strings.Join(ident, "."), d.Kind)
		}
	}
	if err := w.EnsureNamespace(ctx, ident[:len(ident)-1]); err != nil {
		return nil, err
	}
	props := iceberg.Properties{
		"format-version":   "2",
		PropCommitRetries:  "4",
		propManifestMerge:  "true",
		propTargetFileSize: strconv.Itoa(DefaultTargetFileSize),
	}
	for k, v := range opts.Properties {
		props[k] = v
	}
	copts := []catalog.CreateTableOpt{catalog.WithProperties(props)}
	if opts.Spec != nil {
		copts = append(copts, catalog.WithPartitionSpec(opts.Spec))
	}
	return w.cat.CreateTable(ctx, ident, schema, copts...)
}

// EnsureNamespace creates ns unless it exists.
func (w *Warehouse) EnsureNamespace(ctx context.Context, ns table.Identifier) error {
	ok, err := w.cat.CheckNamespaceExists(ctx, ns)
	if err != nil || ok {
		return err
	}
	err = w.cat.CreateNamespace(ctx, ns, nil)
	if errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
		return nil // a concurrent creator won; same outcome
	}
	return err
}

// LoadTable loads a table's current metadata.
func (w *Warehouse) LoadTable(ctx context.Context, ident table.Identifier) (*table.Table, error) {
	return w.cat.LoadTable(ctx, ident)
}

// DropTable removes a table from the catalog. Its files stay until orphan
// cleanup: another table may have registered them (add_files), and a reader
// may still be scanning a pinned snapshot.
func (w *Warehouse) DropTable(ctx context.Context, ident table.Identifier) error {
	return w.cat.DropTable(ctx, ident)
}

// ListTables lists the tables of every namespace, sorted.
func (w *Warehouse) ListTables(ctx context.Context) ([]table.Identifier, error) {
	nss, err := w.cat.ListNamespaces(ctx, nil)
	if err != nil {
		return nil, err
	}
	var out []table.Identifier
	for _, ns := range nss {
		for id, err := range w.cat.ListTables(ctx, ns) {
			if err != nil {
				return nil, err
			}
			out = append(out, id)
		}
	}
	slices.SortFunc(out, func(a, b table.Identifier) int { return slices.Compare(a, b) })
	return out, nil
}
