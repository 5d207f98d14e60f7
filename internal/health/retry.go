package health

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"
)

// attemptTimeout bounds one attempt of Attempt and Retry, so that a server
// that swallows packets costs a retry, not a hang.
const attemptTimeout = 30 * time.Second

// Backoff is the wait between the attempts of Retry: it starts at Min and
// doubles up to Max; each wait is drawn at random from the upper half of
// that value (jitter), so that many processes do not retry in step.
type Backoff struct {
	Min, Max time.Duration
}

// DefaultBackoff waits about 1 s after the first failed attempt, and never
// much more than 30 s.
var DefaultBackoff = Backoff{Min: time.Second, Max: 30 * time.Second}

// wait returns the wait after the n-th failed attempt (n ≥ 1).
func (b Backoff) wait(n int) time.Duration {
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	half := d / 2
	return half + rand.N(half+1)
}

// Attempt calls try once (its context ends after at most 30 s) and records
// the outcome as the component's state. It logs one line per change: when
// the component goes down (Warn, with the reason, redacted) and when it is
// up again after being down (Info, with how long it was down and how many
// attempts it took); an error for which permanent (when not nil) is true
// is only recorded, since no retry follows. It returns try's error, or
// ctx.Err() when ctx ended.
func (c *Component) Attempt(ctx context.Context, log *slog.Logger, try func(context.Context) error, permanent func(error) bool) error {
	actx, cancel := context.WithTimeout(ctx, attemptTimeout)
	err := try(actx)
	cancel()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil && permanent != nil && permanent(err) {
		c.Set(err)
		return err
	}
	c.r.mu.Lock()
	was, since, failures := c.state, c.since, c.failures
	if err != nil {
		c.failures++
	} else {
		c.failures = 0
	}
	c.r.mu.Unlock()
	c.Set(err)
	switch {
	case err != nil && was != Down:
		log.Warn(c.name+" is unavailable; retrying until it is back", "component", c.name, "err", c.r.redactErr(err))
	case err == nil && was == Down:
		log.Info(c.name+" is available again", "component", c.name, "after", c.r.now().Sub(since).Round(time.Millisecond), "attempts", failures+1)
	}
	return err
}

// Retry calls Attempt until try succeeds, ctx ends, or try returns an error
// for which permanent (when not nil) is true; it returns nil, ctx.Err() or
// that error. Between attempts it waits as b says.
func (c *Component) Retry(ctx context.Context, log *slog.Logger, b Backoff, try func(context.Context) error, permanent func(error) bool) error {
	for n := 1; ; n++ {
		err := c.Attempt(ctx, log, try, permanent)
		if err == nil || ctx.Err() != nil || (permanent != nil && permanent(err)) {
			return err
		}
		t := time.NewTimer(b.wait(n))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// redactErr returns err with its message redacted; errors.Is and As still
// see err.
func (r *Registry) redactErr(err error) error {
	return &redacted{msg: r.redact(err.Error()), err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
