package bus

import (
	"context"
	"time"
)

// KeepAlive tells the bus that d is still being worked on, every third of
// ackWait, until the returned stop is called, so that a long file is not
// redelivered to another worker while this one still works on it.
func KeepAlive(ctx context.Context, d Delivery, ackWait time.Duration) (stop func()) {
	if ackWait <= 0 {
		ackWait = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = d.InProgress(ctx)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Backoff is the redelivery delay after the n-th failed delivery of a
// message: 1s, 2s, 4s ... capped at 5 minutes.
func Backoff(n uint64) time.Duration {
	if n <= 1 {
		return time.Second
	}
	if n > 10 {
		return 5 * time.Minute
	}
	return min(time.Second<<(n-1), 5*time.Minute)
}

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
