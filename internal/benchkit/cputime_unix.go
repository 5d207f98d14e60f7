//go:build unix

package benchkit

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time (user and system, every thread) the process
// has used.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
