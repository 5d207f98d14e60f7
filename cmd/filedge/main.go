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
	"syscall"
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

// exitError ends the process with code, having said what it had to say.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
