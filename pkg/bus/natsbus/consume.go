package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/filedge/filedge/pkg/bus"
)

const (
	// defaultAckWait applies when ConsumerConfig.AckWait is 0.
	defaultAckWait = 30 * time.Second
	// minMaxAckPending is the least number of unacknowledged messages a
	// group may have out at once, across all of its members.
	minMaxAckPending = 1000
	// pullWait is how long one pull request waits for messages before the
	// consumer asks again.
	pullWait = 5 * time.Second
	// settleTimeout bounds how long Ack waits for the server's confirmation.
	settleTimeout = 5 * time.Second
	// maxRetryWait caps the wait between attempts after a failed pull.
	maxRetryWait = 5 * time.Second
	// minBufferBytes is the least an ordered consumer buffers in the client.
	minBufferBytes = 8 << 20
)

// Consume delivers the messages of c.Topic and c.Pipeline (and c.Scope, or
// every scope if it is "") to h, c.Concurrency at a time, until ctx is
// cancelled; then it waits for the handlers still running and returns
// ctx.Err().
//
// With a Group, the messages are shared by every consumer of the group
// through a durable consumer created on the first call, starting at
// c.Start, and updated by later calls (its start stays); its ack wait is
// the last caller's, so the members of a group should agree on AckWait.
// While a handler runs, the bus tells the server it is still working every
// third of AckWait. Without a Group, an ordered consumer delivers every
// retained message from c.Start to this caller only, and outcomes do
// nothing.
//
// A handler that panics is logged (never with the payload) and its
// message retried (bus.Call).
func (b *Bus) Consume(ctx context.Context, c bus.ConsumerConfig, h bus.Handler) error {
	if b.closed.Load() {
		return fmt.Errorf("natsbus: consume: %w", bus.ErrClosed)
	}
	filter, err := filterSubject(c.Topic, c.Pipeline, c.Scope)
	if err != nil {
		return fmt.Errorf("natsbus: consume: %w", err)
	}
	c.Concurrency = max(c.Concurrency, 1)
	if c.AckWait <= 0 {
		c.AckWait = defaultAckWait
	}
	r := &runner{
		b:      b,
		h:      h,
		cfg:    c,
		stream: streamName(c.Topic),
		filter: filter,
		log:    b.log.With("topic", string(c.Topic), "pipeline", c.Pipeline, "group", c.Group),
	}
	if c.Scope != "" {
		r.log = r.log.With("scope", c.Scope)
	}
	if c.Group == "" {
		return r.follow(ctx)
	}
	if err := bus.CheckToken("group", c.Group); err != nil {
		return fmt.Errorf("natsbus: consume: %w", err)
	}
	return r.share(ctx)
}

// deliverPolicy returns the deliver policy and start time of start.
func deliverPolicy(start bus.Start) (jetstream.DeliverPolicy, *time.Time) {
	if start.IsLatest() {
		return jetstream.DeliverNewPolicy, nil
	}
	if t, ok := start.Time(); ok {
		return jetstream.DeliverByStartTimePolicy, &t
	}
	return jetstream.DeliverAllPolicy, nil
}

// runner runs one call to Consume.
type runner struct {
	b      *Bus
	h      bus.Handler
	cfg    bus.ConsumerConfig
	stream string
	filter string
	log    *slog.Logger
	wg     sync.WaitGroup // running handlers
}

// consumerConfig returns the durable consumer of the group.
func (r *runner) consumerConfig() jetstream.ConsumerConfig {
	cfg := jetstream.ConsumerConfig{
		Durable:       durableName(r.cfg.Group, r.cfg.Pipeline, r.cfg.Scope),
		Description:   fmt.Sprintf("filedge group %s on %s", r.cfg.Group, r.filter),
		FilterSubject: r.filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: max(minMaxAckPending, r.cfg.Concurrency),
	}
	cfg.DeliverPolicy, cfg.OptStartTime = deliverPolicy(r.cfg.Start)
	return cfg
}

// createConsumer creates the group's durable consumer, or updates it
// keeping where it started (the server refuses to change that).
func (r *runner) createConsumer(ctx context.Context, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	if c, err := r.b.js.Consumer(ctx, r.stream, cfg.Durable); err == nil {
		if info := c.CachedInfo(); info != nil {
			cfg.DeliverPolicy, cfg.OptStartTime = info.Config.DeliverPolicy, info.Config.OptStartTime
		}
	}
	return r.b.js.CreateOrUpdateConsumer(ctx, r.stream, cfg)
}

// share consumes as a member of a group: it pulls as many messages as it
// has idle handlers, so that no message waits in this process while its
// ack timer runs.
func (r *runner) share(ctx context.Context) error {
	cfg := r.consumerConfig()
	cons, err := r.createConsumer(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("natsbus: consume %s as %s: create consumer %s: %w", r.filter, r.cfg.Group, cfg.Durable, classify(err))
	}
	n := r.cfg.Concurrency
	idle := make(chan struct{}, n) // one token per idle handler slot
	for range n {
		idle <- struct{}{}
	}
	var failures int
	for {
		select {
		case <-idle:
		case <-ctx.Done():
			r.wg.Wait()
			return ctx.Err()
		}
		free := 1
	take:
		for free < n {
			select {
			case <-idle:
				free++
			default:
				break take
			}
		}
		used, err := r.pull(ctx, cons, free, idle)
		for range free - used {
			idle <- struct{}{}
		}
		if ctx.Err() != nil {
			r.wg.Wait()
			return ctx.Err()
		}
		if err == nil {
			failures = 0
			continue
		}
		if r.b.closed.Load() || isClosed(err) {
			r.wg.Wait()
			return fmt.Errorf("natsbus: consume %s as %s: %w", r.filter, r.cfg.Group, bus.ErrClosed)
		}
		failures++
		wait := retryWait(failures)
		r.log.Warn("pulling messages failed; retrying", "err", err, "retry_in", wait)
		if !sleep(ctx, wait) {
			r.wg.Wait()
			return ctx.Err()
		}
		// The consumer may have been deleted, or the server restarted
		// without it: make sure it exists before the next pull.
		if c, err := r.createConsumer(ctx, cfg); err == nil {
			cons = c
		} else if ctx.Err() == nil {
			r.log.Warn("recreating consumer failed", "consumer", cfg.Durable, "err", err)
		}
	}
}

// pull fetches up to free messages and starts a handler for each, which
// returns its slot to idle when it ends. It returns how many it started.
func (r *runner) pull(ctx context.Context, cons jetstream.Consumer, free int, idle chan<- struct{}) (int, error) {
	fctx, cancel := context.WithTimeout(ctx, pullWait)
	defer cancel()
	batch, err := cons.Fetch(free, jetstream.FetchContext(fctx))
	if err != nil {
		return 0, err
	}
	used := 0
	for msg := range batch.Messages() {
		if ctx.Err() != nil || used == free {
			// Shutting down: let another member have it now rather than
			// after AckWait.
			_ = msg.Nak()
			continue
		}
		used++
		r.wg.Go(func() {
			defer func() { idle <- struct{}{} }()
			r.handle(ctx, msg, true)
		})
	}
	err = batch.Error()
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = nil // the pull expired or Consume is ending
	}
	return used, err
}

// follow consumes every message from the first through an ordered
// consumer, for this caller only.
func (r *runner) follow(ctx context.Context) error {
	policy, startTime := deliverPolicy(r.cfg.Start)
	oc, err := r.b.js.OrderedConsumer(ctx, r.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{r.filter},
		DeliverPolicy:  policy,
		OptStartTime:   startTime,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("natsbus: follow %s: %w", r.filter, classify(err))
	}
	it, err := oc.Messages(jetstream.PullMaxBytes(r.b.bufferBytes()))
	if err != nil {
		r.b.deleteOrdered(r.stream, oc)
		return fmt.Errorf("natsbus: follow %s: %w", r.filter, classify(err))
	}
	defer r.b.deleteOrdered(r.stream, oc)
	defer it.Stop()

	work := make(chan jetstream.Msg)
	for range r.cfg.Concurrency {
		r.wg.Go(func() {
			for msg := range work {
				r.handle(ctx, msg, false)
			}
		})
	}
	defer r.wg.Wait()
	defer close(work)
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if r.b.closed.Load() || isClosed(err) {
				return fmt.Errorf("natsbus: follow %s: %w: %w", r.filter, bus.ErrClosed, err)
			}
			return fmt.Errorf("natsbus: follow %s: %w", r.filter, err)
		}
		select {
		case work <- msg:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// handle runs the handler on one message, telling the server every third
// of AckWait that it is still working, then applies its outcome.
func (r *runner) handle(ctx context.Context, msg jetstream.Msg, acks bool) {
	m, err := decode(msg)
	if err != nil {
		// Cannot happen with our filters; never deliver it again.
		r.log.Error("undecodable message given up", "subject", msg.Subject(), "err", err)
		if acks {
			_ = msg.Term()
		}
		return
	}
	d := &bus.Delivery{Message: m, Attempt: 1}
	if meta, err := msg.Metadata(); err == nil && acks {
		d.Attempt = int(meta.NumDelivered)
	}
	stop := func() {}
	if acks {
		stop = r.keepAlive(msg)
	}
	out := bus.Call(ctx, r.h, d, r.log, r.cfg.AckWait)
	stop()
	if acks {
		r.settle(ctx, msg, d, out)
	}
}

// keepAlive sends InProgress for msg every third of AckWait until stop is
// called, so that the server does not hand it to another member while its
// handler works.
func (r *runner) keepAlive(msg jetstream.Msg) (stop func()) {
	return bus.Every(r.cfg.AckWait/3, nil, func() {
		if err := msg.InProgress(); err != nil && !r.b.closed.Load() {
			r.log.Debug("telling the server a message is still being handled failed", "subject", msg.Subject(), "err", err)
		}
	})
}

// settle tells the server the outcome of msg's delivery d. Settling does
// not give up because ctx was cancelled: a handler that finishes its work
// while the consumer shuts down still settles it. A failure leaves the
// message to come back after AckWait.
func (r *runner) settle(ctx context.Context, msg jetstream.Msg, d *bus.Delivery, out bus.Outcome) {
	var err error
	switch out.Verdict {
	case bus.VerdictDone:
		sctx, cancel := settleContext(ctx)
		err = msg.DoubleAck(sctx)
		cancel()
	case bus.VerdictRetry:
		if out.After <= 0 {
			err = msg.Nak()
		} else {
			err = msg.NakWithDelay(out.After)
		}
	case bus.VerdictGiveUp:
		// Term, not TermWithReason: servers before v2.10 take "+TERM reason"
		// for a Nak, and the message would come back forever.
		r.log.Debug("message given up", "subject", msg.Subject(), "id", d.Message.ID, "reason", out.Reason)
		err = msg.Term()
	}
	if err != nil && !r.b.closed.Load() {
		r.log.Warn("telling the server the outcome of a message failed; it comes back after its ack wait",
			"subject", msg.Subject(), "id", d.Message.ID, "outcome", out.Verdict.String(), "err", classify(err))
	}
}

// retryWait is the wait after the n-th failure in a row: 100ms doubling up
// to maxRetryWait.
func retryWait(n int) time.Duration {
	d := 100 * time.Millisecond
	for i := 1; i < n && d < maxRetryWait; i++ {
		d *= 2
	}
	return min(d, maxRetryWait)
}

// sleep waits for d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// bufferBytes is how much an ordered consumer buffers in the client: room
// for several of the largest messages.
func (b *Bus) bufferBytes() int {
	return max(minBufferBytes, 4*b.MaxPayload())
}

// deleteOrdered deletes the server side of an ordered consumer, which the
// client leaves to expire when it stops.
func (b *Bus) deleteOrdered(stream string, oc jetstream.Consumer) {
	info := oc.CachedInfo()
	if info == nil || b.closed.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	if err := b.js.DeleteConsumer(ctx, stream, info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		b.log.Debug("deleting an ordered consumer failed; the server removes it when idle", "stream", stream, "consumer", info.Name, "err", err)
	}
}

// settleContext keeps ctx's values but not its cancellation, so that a
// handler can settle during shutdown, and bounds the wait.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}
