package objstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wharfdata/wharf/internal/errkind"
)

// memStore keeps objects in a map under one mutex, which makes every
// operation linearizable.
type memStore struct {
	mu   sync.Mutex
	objs map[string]memObject
}

type memObject struct {
	data    []byte
	modTime time.Time
}

// NewMem returns an empty in-memory store, for unit tests of pure logic.
func NewMem() Store {
	return &memStore{objs: make(map[string]memObject)}
}

func (m *memStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := begin(ctx, "get", key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[key]
	if !ok {
		return nil, notExist("get", key)
	}
	return slices.Clone(o.data), nil
}

func (m *memStore) Put(ctx context.Context, key string, data []byte) error {
	if err := begin(ctx, "put", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[key] = memObject{data: cloneNonNil(data), modTime: time.Now()}
	return nil
}

func (m *memStore) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := begin(ctx, "create", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if o, ok := m.objs[key]; ok {
		return &ExistsError{Key: key, Existing: slices.Clone(o.data)}
	}
	m.objs[key] = memObject{data: cloneNonNil(data), modTime: time.Now()}
	return nil
}

func (m *memStore) Delete(ctx context.Context, key string) error {
	if err := begin(ctx, "delete", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; !ok {
		return notExist("delete", key)
	}
	delete(m.objs, key)
	return nil
}

func (m *memStore) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := beginList(ctx, prefix); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ObjectInfo
	for k, o := range m.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, ObjectInfo{Key: k, Size: int64(len(o.data)), ModTime: o.modTime})
		}
	}
	sortInfos(out)
	return out, nil
}

// begin checks what every operation checks first: a live context and a valid
// key. A cancelled context fails before anything is applied, so it is
// Retryable.
func begin(ctx context.Context, op, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return errkind.Errorf(errkind.Retryable, "objstore: %s %q: %w", op, key, err)
	}
	return nil
}

func beginList(ctx context.Context, prefix string) error {
	if err := ValidatePrefix(prefix); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return errkind.Errorf(errkind.Retryable, "objstore: list %q: %w", prefix, err)
	}
	return nil
}

func notExist(op, key string) error {
	return fmt.Errorf("objstore: %s %q: %w", op, key, ErrNotExist)
}

// cloneNonNil copies data so that the caller may reuse its buffer; an empty
// object reads back as an empty, non-nil slice on every store.
func cloneNonNil(data []byte) []byte {
	return append(make([]byte, 0, len(data)), data...)
}

func sortInfos(infos []ObjectInfo) {
	slices.SortFunc(infos, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
}
