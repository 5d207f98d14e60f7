// Package flock takes exclusive locks on files that the kernel releases when
// the file is closed or its process dies (SIGKILL included): flock(2) on
// Unix, LockFileEx on Windows. Two opens of one file, in one process or in
// two, exclude each other.
package flock

import (
	"context"
	"os"
	"time"
)

// Lock takes an exclusive lock on f, waiting as long as ctx allows. It
// polls TryLock, a little less often the longer it waits, since a blocking
// lock could not be given up when ctx ends.
func Lock(ctx context.Context, f *os.File) error {
	wait := time.Millisecond
	for {
		held, err := TryLock(f)
		if err != nil || held {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 25*time.Millisecond)
	}
}
