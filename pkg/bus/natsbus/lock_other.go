//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || windows)

package natsbus

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// tryLock fails: this platform has no file lock filedge knows how to take.
func tryLock(*os.File) (bool, error) {
	return false, fmt.Errorf("file locks on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
