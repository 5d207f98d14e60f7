package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"

	"github.com/filedge/filedge/pkg/source"
)

var _ source.Notifier = (*Source)(nil)

// Notify sends to ch the path of every file created, written, touched or
// moved in under the root until ctx is done, then returns ctx.Err().
//
// It watches every folder of the tree (fsnotify, one inotify watch per
// folder on Linux), and each folder created or moved in later. When a
// folder appears it also sends the files already in it, which were written
// before its watch was in place. Files present when Notify starts are not
// sent: the watcher's scan lists them.
//
// Notify never blocks on ch: a path that does not fit is dropped, and the
// watcher's next rescan finds the file. Folders it cannot watch (the
// fs.inotify.max_user_watches limit) and events the kernel lost are logged
// and do not stop it. It returns an error when it cannot watch the root at
// all (fs.inotify.max_user_instances) or when the root itself is removed or
// moved; the caller may call it again later.
func (s *Source) Notify(ctx context.Context, ch chan<- string) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("local: watch %s: %w", s.root, err)
	}
	defer fw.Close()

	// Watch the real folder: filepath.WalkDir does not enter a root that is
	// a symbolic link.
	root, err := filepath.EvalSymlinks(s.root)
	if err != nil {
		return fmt.Errorf("local: watch %s: %w", s.root, err)
	}
	n := &notifier{src: s, root: root, fw: fw, ch: ch}
	if err := n.watchTree(ctx, root, false); err != nil {
		return fmt.Errorf("local: watch %s: %w", s.root, err)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-fw.Events:
			if !ok {
				return fmt.Errorf("local: watch %s: %w", s.root, fsnotify.ErrClosed)
			}
			if err := n.handle(ctx, ev); err != nil {
				return fmt.Errorf("local: watch %s: %w", s.root, err)
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return fmt.Errorf("local: watch %s: %w", s.root, fsnotify.ErrClosed)
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				s.log.Warn("file notifications lost (inotify queue overflow); the next rescan finds the files",
					"folder", s.root, "error", err)
				continue
			}
			s.log.Warn("file notification error", "folder", s.root, "error", err)
		}
	}
}

// notifier is the state of one Notify call; only its goroutine uses it.
type notifier struct {
	src      *Source
	root     string // s.root with symbolic links resolved
	fw       *fsnotify.Watcher
	ch       chan<- string
	dropping bool // the last send found ch full
}

// handle acts on one event.
func (n *notifier) handle(ctx context.Context, ev fsnotify.Event) error {
	if ev.Name == n.root {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			return errors.New("the folder was removed or moved")
		}
		return nil // the root's own attributes
	}
	rel, err := filepath.Rel(n.root, ev.Name)
	if err != nil || !filepath.IsLocal(rel) {
		return nil // a stale name
	}
	rel = filepath.ToSlash(rel)
	if inDataDir(rel) {
		return nil
	}
	switch {
	case ev.Has(fsnotify.Create): // created, or moved in
		info, err := os.Lstat(ev.Name)
		if err != nil {
			return nil // already gone
		}
		switch {
		case info.IsDir():
			if err := n.watchTree(ctx, ev.Name, true); err != nil && !errors.Is(err, fs.ErrNotExist) {
				n.src.log.Warn("cannot watch new folder; rescans will find its files", "folder", ev.Name, "error", err)
			}
		case info.Mode().IsRegular():
			n.send(rel)
		}
	case ev.Has(fsnotify.Write), ev.Has(fsnotify.Chmod):
		// Chmod: touch and utime change only the modification time, which
		// is part of a file's version.
		n.send(rel)
	}
	return nil
}

// watchTree watches dir and every folder under it, and when send is set,
// sends the files already in them. It returns an error only when dir itself
// cannot be watched; folders below that cannot be watched are logged.
func (n *notifier) watchTree(ctx context.Context, dir string, send bool) error {
	var (
		failed   int
		firstErr error
	)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return fs.SkipAll
		}
		if err != nil {
			if p == dir {
				return err
			}
			return nil // unreadable or gone: the scan reports it
		}
		if d.IsDir() {
			if d.Name() == DataDir && p != n.root {
				return fs.SkipDir
			}
			if err := n.fw.Add(p); err != nil {
				if p == dir {
					return err
				}
				if failed++; firstErr == nil {
					firstErr = err
				}
				return fs.SkipDir // its subfolders would fail alike
			}
			return nil
		}
		if send && d.Type().IsRegular() {
			if rel, err := filepath.Rel(n.root, p); err == nil {
				n.send(filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if failed > 0 {
		n.src.log.Warn("some folders are not watched (raise fs.inotify.max_user_watches?); rescans find their files",
			"folder", dir, "unwatched", failed, "error", firstErr)
	}
	return err
}

// send hands rel to the watcher without ever blocking.
func (n *notifier) send(rel string) {
	select {
	case n.ch <- rel:
		n.dropping = false
	default:
		if !n.dropping {
			n.src.log.Debug("notification channel full; dropping paths until the watcher catches up", "folder", n.src.root)
		}
		n.dropping = true
	}
}
