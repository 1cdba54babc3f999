package objstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/wharfdata/wharf/internal/errkind"
)

// localStore keeps each object in a file under one directory. All access goes
// through an os.Root, so no key (and no symlink planted in the directory) can
// reach a file outside it.
type localStore struct {
	dir  string
	root *os.Root
}

// NewLocal returns a store of files under dir, creating dir if needed.
//
// Put is atomic and durable (temp file in the same directory, fsync, rename,
// fsync of the directory). CreateIfAbsent is linearizable: the fully written
// temp file is hard-linked to the final name, which fails if the name is
// taken. In-flight temp files never appear in List. A key cannot be both an
// object and the parent of other keys here (unlike S3).
func NewLocal(dir string) (Store, error) {
	if dir == "" {
		return nil, errors.New("objstore: local store needs a directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("objstore: local store %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("objstore: local store: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("objstore: local store: %w", err)
	}
	return &localStore{dir: abs, root: root}, nil
}

func (l *localStore) String() string { return "file://" + filepath.ToSlash(l.dir) }

func (l *localStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := begin(ctx, "get", key); err != nil {
		return nil, err
	}
	data, err := l.root.ReadFile(filepath.FromSlash(key))
	if err != nil {
		return nil, l.fail("get", key, err)
	}
	return data, nil
}

func (l *localStore) Put(ctx context.Context, key string, data []byte) error {
	if err := begin(ctx, "put", key); err != nil {
		return err
	}
	name := filepath.FromSlash(key)
	dir := filepath.Dir(name)
	tmp, err := l.writeTemp(dir, data)
	if err != nil {
		return l.fail("put", key, err)
	}
	if err := l.root.Rename(tmp, name); err != nil {
		_ = l.root.Remove(tmp)
		return l.fail("put", key, err)
	}
	if err := l.syncDir(dir); err != nil {
		return l.fail("put", key, err)
	}
	return nil
}

func (l *localStore) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := begin(ctx, "create", key); err != nil {
		return err
	}
	name := filepath.FromSlash(key)
	dir := filepath.Dir(name)
	tmp, err := l.writeTemp(dir, data)
	if err != nil {
		return l.fail("create", key, err)
	}
	for {
		err := l.root.Link(tmp, name)
		if err == nil {
			// Drop the temp name before syncing, so that the synced directory
			// holds just the object.
			if err := l.root.Remove(tmp); err != nil {
				return l.fail("create", key, err)
			}
			if err := l.syncDir(dir); err != nil {
				return l.fail("create", key, err)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			_ = l.root.Remove(tmp)
			return l.fail("create", key, err)
		}
		existing, err := l.root.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since the link failed: try to take it again
		}
		_ = l.root.Remove(tmp)
		if err != nil {
			return l.fail("create", key, err)
		}
		return &ExistsError{Key: key, Existing: existing}
	}
}

func (l *localStore) Delete(ctx context.Context, key string) error {
	if err := begin(ctx, "delete", key); err != nil {
		return err
	}
	name := filepath.FromSlash(key)
	// A directory is only the parent of other keys, not an object.
	if fi, err := l.root.Lstat(name); err != nil || fi.IsDir() {
		if err == nil {
			err = fs.ErrNotExist
		}
		return l.fail("delete", key, err)
	}
	if err := l.root.Remove(name); err != nil {
		return l.fail("delete", key, err)
	}
	if err := l.syncDir(filepath.Dir(name)); err != nil {
		return l.fail("delete", key, err)
	}
	return nil
}

func (l *localStore) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := beginList(ctx, prefix); err != nil {
		return nil, err
	}
	// Walk only the deepest directory the prefix names.
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = prefix[:i]
	}
	var out []ObjectInfo
	err := fs.WalkDir(l.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && isNotExist(err) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return errkind.Wrap(errkind.Retryable, err)
		}
		if d.IsDir() {
			if p != start && !strings.HasPrefix(p+"/", prefix) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), tempPrefix) || !strings.HasPrefix(p, prefix) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while listing
		}
		if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Key: p, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("objstore: %s list %q: %w", l, prefix, err)
	}
	// Directory order is per segment ("a/b" before "a.c"); keys sort bytewise.
	sortInfos(out)
	return out, nil
}

// writeTemp writes data to a new, fsynced temp file in dir (created with its
// parents as needed) and returns its name.
func (l *localStore) writeTemp(dir string, data []byte) (string, error) {
	if err := l.mkdirs(dir); err != nil {
		return "", err
	}
	for {
		name := filepath.Join(dir, fmt.Sprintf("%s%016x", tempPrefix, rand.Uint64()))
		f, err := l.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = l.root.Remove(name)
			return "", err
		}
		return name, nil
	}
}

// mkdirs creates dir and its missing parents, syncing the parent of each new
// directory: a new entry survives a crash only once its parent is synced.
func (l *localStore) mkdirs(dir string) error {
	// Fast path: the directory exists.
	if fi, err := l.root.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	// Slow path.
	parent := "."
	for _, seg := range strings.Split(dir, string(filepath.Separator)) {
		p := filepath.Join(parent, seg)
		switch err := l.root.Mkdir(p, 0o755); {
		case err == nil:
			if err := l.syncDir(parent); err != nil {
				return err
			}
		case !errors.Is(err, fs.ErrExist):
			return err
		}
		parent = p
	}
	return nil
}

func (l *localStore) syncDir(dir string) error {
	d, err := l.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *localStore) fail(op, key string, err error) error {
	if (op == "get" || op == "delete") && isNotExist(err) {
		return notExist(op, key)
	}
	return fmt.Errorf("objstore: %s %s %q: %w", l, op, key, err)
}

// isNotExist also counts a directory where an object was asked for, and a file
// where a directory was needed on the way: neither is an object under that key.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR)
}
