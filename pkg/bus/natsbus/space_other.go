//go:build !(darwin || dragonfly || freebsd || linux || windows)

package natsbus

import (
	"errors"
	"syscall"
)

// freeSpace returns -1: filedge does not read free space on this platform,
// so a store broken by a full disk is restarted on a timer instead.
func freeSpace(string) int64 { return -1 }

// isOutOfSpace reports whether err says a disk is full.
func isOutOfSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
