//go:build !linux

package local

import (
	"context"
	"errors"

	"github.com/fsnotify/fsnotify"

	"github.com/filedge/filedge/pkg/source"
)

// notify watches the tree under root with fsnotify until ctx is done. It
// cannot tell when a file is complete: every file waits to settle.
func (s *Source) notify(ctx context.Context, root string, ch chan<- source.Change) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer fw.Close()
	n := &notifier{src: s, root: root, ch: ch, add: fw.Add}
	if err := n.watchTree(ctx, root, false, false); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-fw.Events:
			if !ok {
				return fsnotify.ErrClosed
			}
			switch {
			case ev.Name == root:
				if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
					return errRootGone
				}
			case ev.Has(fsnotify.Create): // created, or moved in
				n.handle(ctx, ev.Name, created)
			case ev.Has(fsnotify.Write), ev.Has(fsnotify.Chmod):
				n.handle(ctx, ev.Name, written)
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return fsnotify.ErrClosed
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				n.lost(err)
				continue
			}
			s.log.Warn("file notification error", "folder", s.root, "err", err)
		}
	}
}
