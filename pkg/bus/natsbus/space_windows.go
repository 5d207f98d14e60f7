//go:build windows

package natsbus

import (
	"errors"

	"golang.org/x/sys/windows"
)

// freeSpace returns the bytes available to this process on the volume that
// holds dir, or -1 when it cannot tell.
func freeSpace(dir string) int64 {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return -1
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return -1
	}
	return int64(avail)
}

// isOutOfSpace reports whether err says a disk is full.
func isOutOfSpace(err error) bool {
	return errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL)
}
