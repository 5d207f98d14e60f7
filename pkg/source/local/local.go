package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/filedge/filedge/pkg/source"
)

// Type is the source type this package registers.
const Type = "local"

// DataDir is the name of filedge's state folder, left out of every listing.
const DataDir = ".filedge"

func init() {
	source.Register(source.Info{Type: Type, Decode: decode})
}

// Source is a local folder. It is safe for concurrent use.
type Source struct {
	root string // absolute, cleaned
	id   string
	log  *slog.Logger
}

// Option configures a Source.
type Option func(*Source)

// WithLogger sets the logger of Notify, which reports there the folders it
// could not watch (the inotify watch limit) and lost events, neither of
// which stops it: the watcher's rescans find what it misses. The default is
// slog.Default(), which is also what a Config without a logger in its Env
// opens with.
func WithLogger(l *slog.Logger) Option {
	return func(s *Source) {
		if l != nil {
			s.log = l
		}
	}
}

// New returns the source of the folder at root, made absolute. The folder
// must exist.
func New(root string, opts ...Option) (*Source, error) {
	if root == "" {
		return nil, errors.New("local: no folder given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local: folder %s: %w", root, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("local: folder %s: %w", abs, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("local: %s is not a folder", abs)
	}
	s := &Source{root: abs, id: Type + ":" + abs, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// ID returns "local:" followed by the absolute path of the root.
func (s *Source) ID() string { return s.id }

// Root returns the absolute path of the folder.
func (s *Source) Root() string { return s.root }

// Walk calls fn for every regular file under the root, in lexical order,
// leaving out ".filedge" folders and anything that is not a regular file.
// Entries it cannot read are skipped and reported together, after every
// other file has been passed to fn, as one error (errors.Join). An error
// from fn stops the walk and is returned as is; so is ctx.Err() once ctx is
// done.
func (s *Source) Walk(ctx context.Context, fn func(source.FileInfo) error) error {
	r, err := os.OpenRoot(s.root)
	if err != nil {
		return fmt.Errorf("local: walk %s: %w", s.root, err)
	}
	defer r.Close()
	return s.walkFS(ctx, r.FS(), fn)
}

// walkFS is Walk over any file system, so tests can make entries fail.
func (s *Source) walkFS(ctx context.Context, fsys fs.FS, fn func(source.FileInfo) error) error {
	var (
		stop     error   // from fn or ctx: ends the walk, returned as is
		problems []error // unreadable entries: skipped, returned joined
	)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			stop = cerr
			return fs.SkipAll
		}
		if err != nil {
			if p == "." {
				return err // the root itself: nothing to list
			}
			if !errors.Is(err, fs.ErrNotExist) { // removed mid-walk: simply gone
				problems = append(problems, err)
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if d.Name() == DataDir && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				problems = append(problems, err)
			}
			return nil
		}
		if !info.Mode().IsRegular() { // replaced by something else since it was listed
			return nil
		}
		if err := fn(source.FileInfo{Path: p, Size: info.Size(), Modified: info.ModTime()}); err != nil {
			stop = err
			return fs.SkipAll
		}
		return nil
	})
	switch {
	case stop != nil:
		return stop
	case err != nil:
		return fmt.Errorf("local: walk %s: %w", s.root, err)
	case len(problems) > 0:
		return fmt.Errorf("local: walk %s: skipped %d unreadable entries: %w", s.root, len(problems), errors.Join(problems...))
	}
	return nil
}

// Stat returns the regular file at path. A path that does not name a
// regular file of the source (missing, a folder, a symbolic link, inside a
// ".filedge" folder) gives an error wrapping source.ErrNotExist.
func (s *Source) Stat(ctx context.Context, path string) (source.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return source.FileInfo{}, err
	}
	if err := checkPath(path); err != nil {
		return source.FileInfo{}, fmt.Errorf("local: stat %q: %w", path, err)
	}
	r, err := os.OpenRoot(s.root)
	if err != nil {
		return source.FileInfo{}, fmt.Errorf("local: stat %q: %w", path, err)
	}
	defer r.Close()
	info, err := lstatRegular(r, path)
	if err != nil {
		return source.FileInfo{}, fmt.Errorf("local: stat %q in %s: %w", path, s.root, err)
	}
	return source.FileInfo{Path: path, Size: info.Size(), Modified: info.ModTime()}, nil
}

// Open opens the regular file at path for reading, under the same rules as
// Stat.
func (s *Source) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("local: open %q: %w", path, err)
	}
	r, err := os.OpenRoot(s.root)
	if err != nil {
		return nil, fmt.Errorf("local: open %q: %w", path, err)
	}
	defer r.Close() // the opened file outlives its root
	if _, err := lstatRegular(r, path); err != nil {
		return nil, fmt.Errorf("local: open %q in %s: %w", path, s.root, err)
	}
	f, err := r.Open(filepath.FromSlash(path))
	if err != nil {
		return nil, fmt.Errorf("local: open %q in %s: %w", path, s.root, err)
	}
	return f, nil
}

// lstatRegular returns the file at path if it is a regular file of the
// source, reached through real folders, or an error wrapping fs.ErrNotExist.
// Walk does not follow links to folders, so neither do Stat and Open: each
// folder on the way is checked (os.Root alone would follow links that stay
// inside the root).
func lstatRegular(r *os.Root, path string) (fs.FileInfo, error) {
	if inDataDir(path) {
		return nil, fmt.Errorf("inside a %s folder: %w", DataDir, fs.ErrNotExist)
	}
	for i := range len(path) {
		if path[i] != '/' {
			continue
		}
		info, err := r.Lstat(filepath.FromSlash(path[:i]))
		if err != nil {
			return nil, notExist(err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("%s is not a folder (%s): %w", path[:i], info.Mode().Type(), fs.ErrNotExist)
		}
	}
	info, err := r.Lstat(filepath.FromSlash(path))
	if err != nil {
		return nil, notExist(err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s): %w", info.Mode().Type(), fs.ErrNotExist)
	}
	return info, nil
}

// notExist makes a lookup through a file ("a.csv/b") a missing file too.
func notExist(err error) error {
	if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %w", err, fs.ErrNotExist)
	}
	return err
}

// checkPath accepts the paths Walk returns: clean, relative, '/'-separated.
func checkPath(path string) error {
	if path == "." || !fs.ValidPath(path) || (filepath.Separator == '\\' && strings.Contains(path, `\`)) {
		return ErrInvalidPath
	}
	return nil
}

// inDataDir reports whether a relative '/'-separated path lies inside a
// ".filedge" folder.
func inDataDir(path string) bool {
	for {
		dir, rest, ok := strings.Cut(path, "/")
		if !ok {
			return false // the last element is the file itself
		}
		if dir == DataDir {
			return true
		}
		path = rest
	}
}
