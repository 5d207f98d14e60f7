package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/filedge/filedge/pkg/source"
)

var _ source.Notifier = (*Source)(nil)

// Notify sends to ch a source.Change for every file created, written,
// touched or moved in under the root until ctx is done, then returns
// ctx.Err().
//
// It watches every folder of the tree (one inotify watch per folder on
// Linux, fsnotify elsewhere), and each folder created or moved in later.
// When a folder appears it also sends the files already in it, which were
// written before its watch was in place. Files present when Notify starts
// are not sent: the watcher's scan lists them.
//
// On Linux a Change is Complete when the file's writer closed it after
// writing (inotify's IN_CLOSE_WRITE) and when the file was renamed into the
// tree (IN_MOVED_TO, a folder's files included): the watcher need not wait
// for such a file to settle. Elsewhere no Change is Complete.
//
// Notify never blocks on ch: a change that does not fit is dropped, and the
// watcher's next rescan finds the file. Folders it cannot watch (the
// fs.inotify.max_user_watches limit) and events the kernel lost are logged
// and do not stop it. It returns an error when it cannot watch the root at
// all (fs.inotify.max_user_instances) or when the root itself is removed or
// moved; the caller may call it again later.
func (s *Source) Notify(ctx context.Context, ch chan<- source.Change) error {
	// Watch the real folder: filepath.WalkDir does not enter a root that is
	// a symbolic link.
	root, err := filepath.EvalSymlinks(s.root)
	if err != nil {
		return fmt.Errorf("local: watch %s: %w", s.root, err)
	}
	if err := s.notify(ctx, root, ch); err != nil && ctx.Err() == nil {
		return fmt.Errorf("local: watch %s: %w", s.root, err)
	}
	return ctx.Err()
}

// errRootGone is returned by notify when the root is removed or moved.
var errRootGone = errors.New("the folder was removed or moved")

// event is what happened to a path, as the backends (notify_linux.go,
// notify_other.go) report it.
type event int

const (
	created event = iota // created: a file or a folder
	movedIn              // renamed into the tree: a file or a folder
	written              // data, times or permissions changed
	closed               // closed by a writer after writing
)

// notifier is the state of one Notify call, shared by the backends; only
// its goroutine uses it.
type notifier struct {
	src      *Source
	root     string // s.root with symbolic links resolved
	ch       chan<- source.Change
	add      func(dir string) error // watches one folder (not its subfolders)
	dropping bool                   // the last send found ch full
}

// handle acts on what happened at abs, an absolute path under the root.
func (n *notifier) handle(ctx context.Context, abs string, ev event) {
	rel, err := filepath.Rel(n.root, abs)
	if err != nil || !filepath.IsLocal(rel) {
		return // a stale name
	}
	rel = filepath.ToSlash(rel)
	if inDataDir(rel) {
		return
	}
	switch ev {
	case created, movedIn:
		info, err := os.Lstat(abs)
		if err != nil {
			return // already gone
		}
		switch {
		case info.IsDir():
			if err := n.watchTree(ctx, abs, true, ev == movedIn); err != nil && !errors.Is(err, fs.ErrNotExist) {
				n.src.log.Warn("cannot watch new folder; rescans will find its files", "folder", abs, "err", err)
			}
		case info.Mode().IsRegular():
			n.send(rel, ev == movedIn)
		}
	case written:
		// Attributes too: touch and utime change only the modification
		// time, which is part of a file's version.
		n.send(rel, false)
	case closed:
		n.send(rel, true)
	}
}

// watchTree watches dir and every folder under it, and when send is set,
// sends the files already in them (as complete when the tree was moved in
// whole). It returns an error only when dir itself cannot be watched;
// folders below that cannot be watched are logged.
func (n *notifier) watchTree(ctx context.Context, dir string, send, complete bool) error {
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
			if err := n.add(p); err != nil {
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
				n.send(filepath.ToSlash(rel), complete)
			}
		}
		return nil
	})
	if failed > 0 {
		n.src.log.Warn("some folders are not watched (raise fs.inotify.max_user_watches?); rescans find their files",
			"folder", dir, "unwatched", failed, "err", firstErr)
	}
	return err
}

// send hands a change to the watcher without ever blocking.
func (n *notifier) send(rel string, complete bool) {
	select {
	case n.ch <- source.Change{Path: rel, Complete: complete}:
		n.dropping = false
	default:
		if !n.dropping {
			n.src.log.Debug("notification channel full; dropping paths until the watcher catches up", "folder", n.src.root)
		}
		n.dropping = true
	}
}

// lost logs events the kernel dropped.
func (n *notifier) lost(err error) {
	n.src.log.Warn("file notifications lost (inotify queue overflow); the next rescan finds the files",
		"folder", n.src.root, "err", err)
}
