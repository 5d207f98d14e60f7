package health

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"
)

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

// Retry calls try until it returns nil, ctx ends, or it returns an error
// for which permanent (when not nil) is true; it returns nil, ctx.Err() or
// that error. Between attempts it waits as b says. It keeps the
// component's state (Down with the last error while attempts fail, Up once
// one succeeds) and logs one line per change: when the first attempt fails
// (Warn, with the reason, redacted, and the wait before the next attempt)
// and when an attempt succeeds after failures (Info, with how long the
// component was down and how many attempts it took).
func (c *Component) Retry(ctx context.Context, log *slog.Logger, b Backoff, try func(context.Context) error, permanent func(error) bool) error {
	var downSince time.Time
	for n := 1; ; n++ {
		err := try(ctx)
		if err == nil {
			c.Set(nil)
			if n > 1 {
				log.Info(c.name+" is available again", "component", c.name, "after", c.r.now().Sub(downSince).Round(time.Millisecond), "attempts", n)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.Set(err)
		if permanent != nil && permanent(err) {
			return err
		}
		wait := b.wait(n)
		if n == 1 {
			downSince = c.r.now()
			log.Warn(c.name+" is unavailable; retrying until it is back", "component", c.name, "err", c.r.redactErr(err), "retry_in", wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
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
