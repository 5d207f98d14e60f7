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
	"slices"
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

var (
	_ source.SkipWalker  = (*Source)(nil)
	_ source.ReadChecker = (*Source)(nil)
)

// Walk calls fn for every regular file under the root, in lexical order,
// leaving out ".filedge" folders and anything that is not a regular file.
// Entries it cannot read are skipped and reported together, after every
// other file has been passed to fn, as one error (errors.Join). An error
// from fn stops the walk and is returned as is; so is ctx.Err() once ctx is
// done.
func (s *Source) Walk(ctx context.Context, fn func(source.FileInfo) error) error {
	return s.WalkWithSkips(ctx, fn, nil)
}

// WalkWithSkips is Walk that also calls skipped, in the same lexical order,
// for each entry it leaves out (".filedge" folders aside), with the reason:
// a symbolic link ("symbolic link to /etc/passwd, outside the folder"), a
// named pipe, a socket, a device, or a folder it has no permission to read
// (which Walk reports in its error instead). A nil skipped makes it Walk.
func (s *Source) WalkWithSkips(ctx context.Context, fn func(source.FileInfo) error, skipped func(source.Skipped) error) error {
	r, err := os.OpenRoot(s.root)
	if err != nil {
		return fmt.Errorf("local: walk %s: %w", s.root, err)
	}
	defer r.Close()
	return s.walkFS(ctx, rootFS{r}, fn, skipped)
}

// rootFS lists folders through an os.Root. Unlike os.Root.FS, it takes
// every name Linux does, such as names that are not valid UTF-8.
type rootFS struct{ r *os.Root }

func (f rootFS) Open(name string) (fs.File, error) { return f.r.Open(filepath.FromSlash(name)) }

func (f rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	d, err := f.r.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

func (f rootFS) ReadLink(name string) (string, error) { return f.r.Readlink(filepath.FromSlash(name)) }

func (f rootFS) Lstat(name string) (fs.FileInfo, error) { return f.r.Lstat(filepath.FromSlash(name)) }

// walkFS is WalkWithSkips over any file system, so tests can make entries
// fail. Symbolic links' targets are read when fsys is an fs.ReadLinkFS.
func (s *Source) walkFS(ctx context.Context, fsys fs.FS, fn func(source.FileInfo) error, skipped func(source.Skipped) error) error {
	var (
		stop     error   // from fn, skipped or ctx: ends the walk, returned as is
		problems []error // unreadable entries: skipped, returned joined
	)
	skip := func(p, reason string, dir bool) error {
		if skipped == nil {
			return nil
		}
		if err := skipped(source.Skipped{Path: p, Reason: reason, Dir: dir}); err != nil {
			stop = err
			return fs.SkipAll
		}
		return nil
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			stop = cerr
			return fs.SkipAll
		}
		if err != nil {
			if p == "." {
				return err // the root itself: nothing to list
			}
			switch {
			case errors.Is(err, fs.ErrNotExist): // removed mid-walk: simply gone
			case errors.Is(err, fs.ErrPermission) && skipped != nil && d != nil && d.IsDir():
				if serr := skip(p, "folder cannot be read: permission denied", true); serr != nil {
					return serr
				}
			default:
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
			return skip(p, s.skipReason(fsys, p, d.Type()), false)
		}
		info, err := d.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				problems = append(problems, err)
			}
			return nil
		}
		if !info.Mode().IsRegular() { // replaced by something else since it was listed
			return skip(p, s.skipReason(fsys, p, info.Mode().Type()), false)
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

// skipReason says why the entry at p, of type t, is not a file of the
// source.
func (s *Source) skipReason(fsys fs.FS, p string, t fs.FileMode) string {
	switch {
	case t&fs.ModeSymlink != 0:
		target, err := fs.ReadLink(fsys, p)
		switch {
		case err != nil:
			return "symbolic link (links are not followed)"
		case s.leaves(p, target):
			return "symbolic link to " + target + ", outside the folder"
		}
		return "symbolic link to " + target + " (links are not followed)"
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "block device"
	}
	return "not a regular file (" + t.String() + ")"
}

// leaves reports whether the target of the symbolic link at p lies outside
// the root, judged by its text (a link inside the folder may still lead to
// another link that leaves it: Walk follows none).
func (s *Source) leaves(p, target string) bool {
	if filepath.IsAbs(target) {
		rel, err := filepath.Rel(s.root, target)
		return err != nil || !filepath.IsLocal(rel)
	}
	return !filepath.IsLocal(filepath.Join(filepath.Dir(filepath.FromSlash(p)), target))
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
	return s.open(ctx, path, os.O_RDONLY)
}

// CheckRead reports whether the file at path can be opened for reading
// now, by opening it (without blocking, were it to have become a pipe) and
// closing it: nil, or an error wrapping fs.ErrPermission when permission is
// denied and source.ErrNotExist when there is no such file.
func (s *Source) CheckRead(ctx context.Context, path string) error {
	f, err := s.open(ctx, path, os.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		return err
	}
	return f.Close()
}

func (s *Source) open(ctx context.Context, path string, flag int) (*os.File, error) {
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
	f, err := r.OpenFile(filepath.FromSlash(path), flag, 0)
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

// checkPath accepts the paths Walk returns: clean, relative, '/'-separated,
// of any bytes but NUL (fs.ValidPath would also refuse names that are not
// valid UTF-8, which Linux allows).
func checkPath(path string) error {
	if path == "" || path == "." || strings.IndexByte(path, 0) >= 0 || (filepath.Separator == '\\' && strings.Contains(path, `\`)) {
		return ErrInvalidPath
	}
	for elem := range strings.SplitSeq(path, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return ErrInvalidPath
		}
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
