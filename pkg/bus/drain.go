package bus

import (
	"context"
	"time"
)

// DrainTimeout bounds how long the last step of a delivery's work may go
// on once a shutdown has begun (see Drain).
const DrainTimeout = 10 * time.Second

// Drain returns a context for the last step of a delivery's work, such as
// publishing the outcome of a file already parsed or committed: it keeps
// ctx's values and is not cancelled with ctx, but ends DrainTimeout after
// ctx is, so that work finished before a shutdown is not thrown away and
// redone (and the shutdown is not reported as a failure), while a bus that
// no longer answers cannot hold the shutdown up. Call cancel when the step
// is done.
func Drain(ctx context.Context) (context.Context, context.CancelFunc) {
	drain, end := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(DrainTimeout, end)
		context.AfterFunc(drain, func() { t.Stop() })
	})
	return drain, func() { stop(); end() }
}
