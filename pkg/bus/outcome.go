package bus

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// Outcome is what a handler made of a delivery; the bus turns it into what
// its broker understands (docs/adr/0003-the-bus-contract.md).
type Outcome struct {
	Verdict Verdict
	// After is how long a retried message waits before it is delivered
	// again.
	After time.Duration
	// Reason says, for the operator, why a message was given up.
	Reason string
}

// Verdict is the kind of an Outcome.
type Verdict uint8

const (
	// VerdictDone: the work is durable; the message is never delivered
	// again to the group.
	VerdictDone Verdict = iota + 1
	// VerdictRetry: the message is delivered again, not before After.
	VerdictRetry
	// VerdictGiveUp: the message is never delivered again; it cannot be
	// handled (Reason says why).
	VerdictGiveUp
)

func (v Verdict) String() string {
	switch v {
	case VerdictDone:
		return "done"
	case VerdictRetry:
		return "retry"
	case VerdictGiveUp:
		return "give up"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Done says the message's work is durable.
func Done() Outcome { return Outcome{Verdict: VerdictDone} }

// Retry asks for the message again, not before after (at once when after
// is 0 or less).
func Retry(after time.Duration) Outcome {
	return Outcome{Verdict: VerdictRetry, After: max(after, 0)}
}

// GiveUp says the message can never be handled, with the reason.
func GiveUp(reason string) Outcome { return Outcome{Verdict: VerdictGiveUp, Reason: reason} }

func (o Outcome) String() string {
	switch o.Verdict {
	case VerdictRetry:
		return fmt.Sprintf("retry after %v", o.After)
	case VerdictGiveUp:
		return "give up: " + o.Reason
	}
	return o.Verdict.String()
}

// Call runs h on d for a bus implementation and returns the outcome to
// apply. A handler that panics, or returns an Outcome without a verdict,
// is logged to log (with the stack for a panic, never the payload) and its
// message retried after Backoff(d.Attempt), at most ceiling.
func Call(ctx context.Context, h Handler, d *Delivery, log *slog.Logger, ceiling time.Duration) (out Outcome) {
	retry := func() Outcome { return Retry(min(Backoff(d.Attempt), max(ceiling, time.Second))) }
	defer func() {
		if p := recover(); p != nil {
			log.Error("message handler panicked", "id", d.Message.ID, "attempt", d.Attempt, "panic", p, "stack", string(debug.Stack()))
			out = retry()
		}
	}()
	out = h(ctx, d)
	switch out.Verdict {
	case VerdictDone, VerdictRetry, VerdictGiveUp:
		return out
	}
	log.Error("message handler returned no verdict; retrying the message", "id", d.Message.ID, "attempt", d.Attempt, "outcome", out.Verdict.String())
	return retry()
}
