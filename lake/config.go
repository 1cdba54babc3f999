package lake

import "github.com/wharfdata/wharf/lake/objstore"

// Config says where a warehouse lives. The zero value is not usable; the
// command line fills it from flags with DESIGN.md's embedded defaults.
type Config struct {
	// DataDir holds local state (the SQLite catalog, addresses.json, the local
	// warehouse when Warehouse is empty).
	DataDir string
	// Warehouse is the root of table data: file:///abs/dir or s3://bucket/prefix.
	// Empty means file://DataDir/warehouse.
	Warehouse string
	// Catalog is sqlite://path, postgres://…, or http(s)://… (Iceberg REST).
	// Empty means sqlite://DataDir/catalog.db.
	Catalog string
	// S3 configures s3:// warehouses. Credentials left empty come from the
	// usual AWS chain (environment, shared config, instance role).
	S3 objstore.S3Config
}
