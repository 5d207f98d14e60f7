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

	"github.com/spf13/cobra"
)

func main() {
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

// The garbage collector's settings for the commands that only parse
// (parser, preview), unless the GOGC and GOMEMLIMIT environment variables
// set them. Parsing makes garbage at the rate it reads (each record batch's
// buffers, once published) over a small live heap: at Go's default GOGC of
// 100 the collector took a fifth of the CPU of parsing a CSV file, and 400
// cut the CPU of a 125 MB preview from 0.50 s to 0.40 s for 3 MB more
// memory. Commands that run a sink keep Go's defaults: there the database
// sets the pace, and GOGC 400 doubled the peak RSS of a load (223 MB to
// 420-470 MB) for no gain in speed. The soft limit makes the collector
// work harder before the heap reaches 1 GiB.
const (
	gcPercent   = 400
	memoryLimit = 1 << 30
)

// parseOnlyAnnotation marks a command that only parses (see gcPercent).
const parseOnlyAnnotation = "filedge.parse-only"

// parsesOnly marks cmd as a command that only parses.
func parsesOnly(cmd *cobra.Command) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[parseOnlyAnnotation] = "true"
}

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
