//go:build darwin || dragonfly || freebsd || linux

package natsbus

import (
	"errors"

	"golang.org/x/sys/unix"
)

// freeSpace returns the bytes available to this process on the file system
// that holds dir, or -1 when it cannot tell.
func freeSpace(dir string) int64 {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return -1
	}
	return int64(uint64(fs.Bavail) * uint64(fs.Bsize))
}

// isOutOfSpace reports whether err says a disk is full (or a quota used up).
func isOutOfSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}
