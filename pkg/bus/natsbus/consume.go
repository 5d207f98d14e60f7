package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
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
// through a durable consumer created (or updated) on the first call; its
// settings are the last caller's, so the members of a group should agree
// on AckWait and MaxDeliver. Without a Group, an ordered consumer delivers
// every retained message, from the first, to this caller only; its
// deliveries need no settling (Ack, Nak, Term and InProgress do nothing).
//
// A handler that returns an error or panics is logged (never with the
// payload) and its delivery, unless already settled, is nak'ed with a delay
// that grows with the number of deliveries, up to AckWait.
func (b *Bus) Consume(ctx context.Context, c bus.ConsumerConfig, h bus.Handler) error {
	if b.closed.Load() {
		return fmt.Errorf("natsbus: consume: %w", bus.ErrClosed)
	}
	filter, err := filterSubject(c.Topic, c.Pipeline, c.Scope)
	if err != nil {
		return fmt.Errorf("natsbus: consume: %w", err)
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
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
	if err := checkToken("group", c.Group); err != nil {
		return fmt.Errorf("natsbus: consume: %w", err)
	}
	return r.share(ctx)
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
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.cfg.AckWait,
		MaxDeliver:    r.cfg.MaxDeliver,
		MaxAckPending: max(minMaxAckPending, r.cfg.Concurrency),
	}
	if cfg.MaxDeliver <= 0 {
		cfg.MaxDeliver = -1
	}
	return cfg
}

// share consumes as a member of a group: it pulls as many messages as it
// has idle handlers, so that no message waits in this process while its
// ack timer runs.
func (r *runner) share(ctx context.Context) error {
	cfg := r.consumerConfig()
	cons, err := r.b.js.CreateOrUpdateConsumer(ctx, r.stream, cfg)
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
		if c, err := r.b.js.CreateOrUpdateConsumer(ctx, r.stream, cfg); err == nil {
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
	oc, err := r.b.js.OrderedConsumer(ctx, r.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{r.filter},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
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

// handle runs the handler on one message, recovering a panic, and naks
// the delivery if the handler failed without settling it.
func (r *runner) handle(ctx context.Context, msg jetstream.Msg, acks bool) {
	d := &delivery{msg: msg, acks: acks}
	if meta, err := msg.Metadata(); err == nil {
		d.n = meta.NumDelivered
	}
	m, err := decode(msg)
	if err != nil {
		// Cannot happen with our filters; never deliver it again.
		r.log.Error("undecodable message terminated", "subject", msg.Subject(), "err", err)
		_ = d.Term(ctx)
		return
	}
	d.m = m
	log := r.log.With("subject", msg.Subject(), "id", m.ID, "delivery", d.n)
	defer func() {
		if p := recover(); p != nil {
			log.Error("message handler panicked", "panic", p, "stack", string(debug.Stack()))
			r.retry(ctx, d, log)
		}
	}()
	if err := r.h(ctx, d); err != nil {
		log.Error("message handler failed", "err", err)
		r.retry(ctx, d, log)
	}
}

// retry naks a failed delivery that is still unsettled.
func (r *runner) retry(ctx context.Context, d *delivery, log *slog.Logger) {
	if !d.acks || d.settled.Load() {
		return
	}
	if err := d.Nak(ctx, nakDelay(d.n, r.cfg.AckWait)); err != nil && !errors.Is(err, ErrAlreadySettled) {
		log.Warn("nak after handler failure failed; the message returns after its ack wait", "err", err)
	}
}

// nakDelay is the redelivery delay after the n-th delivery failed: 100ms,
// doubling with each delivery, capped at ackWait.
func nakDelay(n uint64, ackWait time.Duration) time.Duration {
	d := 100 * time.Millisecond
	for i := uint64(1); i < n && d < ackWait; i++ {
		d *= 2
	}
	return min(d, ackWait)
}

// retryWait is the wait after the n-th failure in a row: 100ms doubling up
// to maxRetryWait.
func retryWait(n int) time.Duration {
	return nakDelay(uint64(n), maxRetryWait)
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

// delivery is one delivered message. Deliveries of an ordered consumer
// (acks false) need no settling: their settle methods do nothing.
type delivery struct {
	msg     jetstream.Msg
	m       *bus.Message
	n       uint64
	acks    bool
	settled atomic.Bool
}

func (d *delivery) Message() *bus.Message { return d.m }

func (d *delivery) NumDelivered() uint64 { return d.n }

// Ack acknowledges the message and waits for the server to confirm it.
func (d *delivery) Ack(ctx context.Context) error {
	return d.settle(func() error {
		ctx, cancel := settleContext(ctx)
		defer cancel()
		return d.msg.DoubleAck(ctx)
	}, "ack")
}

// Nak asks for redelivery after delay (at once if delay <= 0).
func (d *delivery) Nak(_ context.Context, delay time.Duration) error {
	return d.settle(func() error {
		if delay <= 0 {
			return d.msg.Nak()
		}
		return d.msg.NakWithDelay(delay)
	}, "nak")
}

// Term settles the message as never to be delivered again.
func (d *delivery) Term(context.Context) error {
	return d.settle(d.msg.Term, "term")
}

// InProgress resets the message's ack timer.
func (d *delivery) InProgress(context.Context) error {
	if !d.acks {
		return nil
	}
	if d.settled.Load() {
		return fmt.Errorf("natsbus: in progress %s: %w", d.msg.Subject(), ErrAlreadySettled)
	}
	if err := d.msg.InProgress(); err != nil {
		return fmt.Errorf("natsbus: in progress %s: %w", d.msg.Subject(), classify(err))
	}
	return nil
}

// settle runs op once for the delivery; a failed op leaves it unsettled.
func (d *delivery) settle(op func() error, what string) error {
	if !d.acks {
		return nil
	}
	if !d.settled.CompareAndSwap(false, true) {
		return fmt.Errorf("natsbus: %s %s: %w", what, d.msg.Subject(), ErrAlreadySettled)
	}
	if err := op(); err != nil {
		d.settled.Store(false)
		if errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
			return fmt.Errorf("natsbus: %s %s: %w", what, d.msg.Subject(), ErrAlreadySettled)
		}
		return fmt.Errorf("natsbus: %s %s: %w", what, d.msg.Subject(), classify(err))
	}
	return nil
}

// settleContext keeps ctx's values but not its cancellation, so that a
// handler can settle during shutdown, and bounds the wait.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}
