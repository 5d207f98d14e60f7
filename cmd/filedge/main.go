// Command filedge loads files into databases: `filedge run` runs every stage
// in one process on an embedded NATS JetStream server; `filedge watcher`,
// `filedge parser` and `filedge sink` run one stage each against an external
// one; `filedge preview` shows what a file yields; `filedge validate` checks
// a pipeline file.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "filedge:", err)
		os.Exit(2)
	}
}

// The garbage collector's defaults for filedge, which the GOGC and
// GOMEMLIMIT environment variables override. Parsing makes garbage at the
// rate it reads (each record batch's buffers, once published), over a
// small live heap: at Go's default GOGC of 100 the collector took a fifth
// of the CPU of a CSV load. 400 collects a quarter as often; the soft
// limit makes it collect harder before the heap reaches 1 GiB.
const (
	gcPercent   = 400
	memoryLimit = 1 << 30
)

// tuneGC applies gcPercent and memoryLimit where the environment (read
// with getenv) does not set GOGC or GOMEMLIMIT.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// exitError ends the process with code, having said what it had to say.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
