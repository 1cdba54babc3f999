// Package objstore is wharf's own small object-store interface, used for the
// records that wharf keeps beside its Iceberg tables: checkpoint records,
// pre-commit records, generation claims and operator state. Table data and
// metadata go through iceberg-go's file IO; both point at the same warehouse.
//
// Keys are relative, slash-separated paths (see Paths). Implementations must be
// safe for concurrent use, and CreateIfAbsent must be linearizable: of any number
// of concurrent creators of one key exactly one wins.
package objstore

import (
	"context"
	"errors"
	"strings"
	"time"
)

// ErrNotExist is returned (wrapped) by Get and Delete of a missing key.
var ErrNotExist = errors.New("object does not exist")

// ErrExists is returned (wrapped, inside an *ExistsError) by CreateIfAbsent when
// the key is already taken.
var ErrExists = errors.New("object already exists")

// ExistsError carries the bytes of the object that won a CreateIfAbsent race, so
// the loser can tell a benign retry (same bytes) from a real conflict.
type ExistsError struct {
	Key      string
	Existing []byte
}

func (e *ExistsError) Error() string { return "objstore: " + e.Key + ": " + ErrExists.Error() }
func (e *ExistsError) Unwrap() error { return ErrExists }

// ObjectInfo describes one listed object.
type ObjectInfo struct {
	Key     string // relative to the store's root
	Size    int64
	ModTime time.Time
}

// Store is the interface. Errors are classified with internal/errkind:
// throttling and 5xx on reads are Retryable; a timeout or 5xx on a write whose
// effect is unknown is Ambiguous; everything else Fatal.
type Store interface {
	// Get returns the whole object.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put writes the object, replacing any previous one, atomically: readers see
	// the old bytes or the new ones, never a part. It does not keep data
	// after it returns.
	Put(ctx context.Context, key string, data []byte) error
	// CreateIfAbsent writes the object only if the key is free. When it is
	// taken, the error is an *ExistsError holding the existing bytes.
	CreateIfAbsent(ctx context.Context, key string, data []byte) error
	// Delete removes the object; a missing key is ErrNotExist.
	Delete(ctx context.Context, key string) error
	// List returns the objects whose keys start with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
}

// Each calls fn with every object under prefix whose key ends in suffix, in
// key order; objects deleted between the listing and the read are skipped.
func Each(ctx context.Context, st Store, prefix, suffix string, fn func(key string, data []byte) error) error {
	objs, err := st.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, suffix) {
			continue
		}
		b, err := st.Get(ctx, o.Key)
		if errors.Is(err, ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(o.Key, b); err != nil {
			return err
		}
	}
	return nil
}
