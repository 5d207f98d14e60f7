//go:build unix

package csv_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system, every thread) the process
// has used, so that benchmarks on a busy machine can report throughput per
// CPU second as well as per wall-clock second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
