//go:build linux

package local

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/filedge/filedge/pkg/source"
)

// watchMask is what each folder's inotify watch reports: files created,
// written, touched, closed after writing and moved in, and the folder
// itself removed or moved. IN_CLOSE_WRITE and IN_MOVED_TO are why this
// backend reads inotify itself: fsnotify does not export them.
const watchMask = unix.IN_CREATE | unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE |
	unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW

// notify watches the tree under root with inotify until ctx is done.
func (s *Source) notify(ctx context.Context, root string, ch chan<- source.Change) error {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return os.NewSyscallError("inotify_init1", err)
	}
	// A non-blocking descriptor: reads wait in the runtime's poller, and a
	// deadline ends them.
	f := os.NewFile(uintptr(fd), "inotify")
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
	defer stop()

	dirs := map[int32]string{} // watch descriptor → folder
	n := &notifier{src: s, root: root, ch: ch, add: func(dir string) error {
		wd, err := unix.InotifyAddWatch(fd, dir, watchMask)
		if err != nil {
			return &os.PathError{Op: "inotify_add_watch", Path: dir, Err: err}
		}
		dirs[int32(wd)] = dir // a folder watched again keeps its descriptor
		return nil
	}}
	if err := n.watchTree(ctx, root, false, false); err != nil {
		return err
	}

	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		nr, err := f.Read(buf)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("read inotify events: %w", err)
		}
		for rest := buf[:nr]; len(rest) >= unix.SizeofInotifyEvent; {
			wd := int32(binary.NativeEndian.Uint32(rest[0:]))
			mask := binary.NativeEndian.Uint32(rest[4:])
			size := unix.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(rest[12:]))
			name := rest[unix.SizeofInotifyEvent:min(size, len(rest))]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			rest = rest[min(size, len(rest)):]

			if mask&unix.IN_Q_OVERFLOW != 0 {
				n.lost(errors.New("inotify event queue overflow"))
				continue
			}
			dir, ok := dirs[wd]
			if !ok {
				continue
			}
			if mask&unix.IN_IGNORED != 0 { // the watch is gone: folder removed
				delete(dirs, wd)
				if dir == root {
					return errRootGone
				}
				continue
			}
			if len(name) == 0 { // the folder itself
				if dir == root && mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0 {
					return errRootGone
				}
				continue
			}
			abs := filepath.Join(dir, string(name))
			switch {
			case mask&unix.IN_MOVED_TO != 0:
				n.handle(ctx, abs, movedIn)
			case mask&unix.IN_CREATE != 0:
				n.handle(ctx, abs, created)
			case mask&unix.IN_CLOSE_WRITE != 0:
				n.handle(ctx, abs, closed)
			case mask&(unix.IN_MODIFY|unix.IN_ATTRIB) != 0:
				n.handle(ctx, abs, written)
			}
		}
	}
}
