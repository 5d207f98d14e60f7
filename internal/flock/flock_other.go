//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || windows)

package flock

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// TryLock fails: this platform has no file lock filedge knows how to take.
func TryLock(*os.File) (bool, error) {
	return false, fmt.Errorf("file locks on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
