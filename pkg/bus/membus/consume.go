package membus

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filedge/filedge/pkg/bus"
)

// groupKey names a group's consumer, as natsbus's durable name does.
type groupKey struct {
	topic                  bus.Topic
	group, pipeline, scope string
}

// group is the shared state of a consumer group: how far it has read and
// which messages are out.
type group struct {
	next       int              // index of the first message never delivered
	pending    map[int]*pending // delivered and not yet acknowledged, by index
	ackWait    time.Duration
	maxDeliver int
}

// pending is a delivered, unacknowledged message.
type pending struct {
	n   uint64    // deliveries so far
	due time.Time // when it may be delivered again
}

// Consume delivers the messages of c.Topic and c.Pipeline (and c.Scope, or
// every scope if it is "") to h, c.Concurrency at a time, until ctx is
// cancelled; then it waits for its running handlers and returns ctx.Err().
// With a Group, the group's members share the messages; without one, this
// caller gets every message from the first, and settling does nothing.
//
// A handler that returns an error or panics is logged and its delivery,
// unless settled, nak'ed with a delay growing with its deliveries, up to
// AckWait.
func (c *Bus) Consume(ctx context.Context, cfg bus.ConsumerConfig, h bus.Handler) error {
	if c.closed.Load() {
		return c.errClosed("consume")
	}
	if err := checkAddress(cfg.Topic, cfg.Pipeline, cfg.Scope, true); err != nil {
		return fmt.Errorf("membus: consume: %w", err)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = defaultAckWait
	}
	r := &runner{c: c, cfg: cfg, h: h,
		log: c.br.opts.Logger.With("topic", string(cfg.Topic), "pipeline", cfg.Pipeline, "group", cfg.Group, "scope", cfg.Scope)}
	if cfg.Group != "" {
		if err := checkToken("group", cfg.Group); err != nil {
			return fmt.Errorf("membus: consume: %w", err)
		}
		r.key = groupKey{cfg.Topic, cfg.Group, cfg.Pipeline, cfg.Scope}
		c.br.joinGroup(r.key, cfg)
	}

	slots := make(chan struct{}, cfg.Concurrency)
	for range cfg.Concurrency {
		slots <- struct{}{}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	next := 0 // without a group: index of the next message to look at
	for {
		select {
		case <-slots:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
			return c.errClosed("consume")
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for {
			var d *delivery
			var wake <-chan struct{}
			var due time.Duration
			if cfg.Group != "" {
				d, wake, due = c.br.take(r.key)
			} else {
				d, wake = c.br.follow(cfg, &next)
			}
			if d != nil {
				d.c = c
				wg.Go(func() {
					defer func() { slots <- struct{}{} }()
					r.handle(ctx, d)
				})
				break
			}
			if err := c.wait(ctx, wake, due); err != nil {
				return err
			}
		}
	}
}

// wait waits for a change on the broker, for due to pass (if > 0), or for
// ctx or the client to end.
func (c *Bus) wait(ctx context.Context, wake <-chan struct{}, due time.Duration) error {
	var timer <-chan time.Time
	if due > 0 {
		t := time.NewTimer(due)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-wake:
	case <-timer:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.errClosed("consume")
	}
	return nil
}

// joinGroup creates the group or updates its settings, as
// CreateOrUpdateConsumer does.
func (br *Broker) joinGroup(key groupKey, cfg bus.ConsumerConfig) {
	br.mu.Lock()
	defer br.mu.Unlock()
	g := br.groups[key]
	if g == nil {
		g = &group{pending: make(map[int]*pending)}
		br.groups[key] = g
	}
	g.ackWait, g.maxDeliver = cfg.AckWait, cfg.MaxDeliver
}

// take hands out the group's next message: the oldest one due for
// redelivery, else the next new one. With none, it returns what to wait
// for: a change, or the time until the next redelivery falls due.
func (br *Broker) take(key groupKey) (*delivery, <-chan struct{}, time.Duration) {
	br.mu.Lock()
	defer br.mu.Unlock()
	g := br.groups[key]
	now := time.Now()
	msgs := br.topics[key.topic]
	redeliver := -1
	var nextDue time.Time
	for i, p := range g.pending {
		switch {
		case g.maxDeliver > 0 && p.n >= uint64(g.maxDeliver):
			if !now.Before(p.due) {
				delete(g.pending, i) // delivered MaxDeliver times: given up
			}
		case !now.Before(p.due):
			if redeliver < 0 || i < redeliver {
				redeliver = i
			}
		case nextDue.IsZero() || p.due.Before(nextDue):
			nextDue = p.due
		}
	}
	if redeliver >= 0 {
		p := g.pending[redeliver]
		p.n++
		p.due = now.Add(g.ackWait)
		return &delivery{key: key, idx: redeliver, n: p.n, m: clone(msgs[redeliver]), acks: true}, nil, 0
	}
	for ; g.next < len(msgs); g.next++ {
		if matches(msgs[g.next], key.pipeline, key.scope) {
			i := g.next
			g.next++
			g.pending[i] = &pending{n: 1, due: now.Add(g.ackWait)}
			return &delivery{key: key, idx: i, n: 1, m: clone(msgs[i]), acks: true}, nil, 0
		}
	}
	var wait time.Duration
	if !nextDue.IsZero() {
		wait = max(nextDue.Sub(now), time.Millisecond)
	}
	return nil, br.wake, wait
}

// follow hands out the next message at or after *next for a consumer
// without a group.
func (br *Broker) follow(cfg bus.ConsumerConfig, next *int) (*delivery, <-chan struct{}) {
	br.mu.Lock()
	defer br.mu.Unlock()
	msgs := br.topics[cfg.Topic]
	for ; *next < len(msgs); *next++ {
		if matches(msgs[*next], cfg.Pipeline, cfg.Scope) {
			i := *next
			*next++
			return &delivery{idx: i, n: 1, m: clone(msgs[i])}, nil
		}
	}
	return nil, br.wake
}

// settle applies f to the pending state of delivery d, if d is still the
// message's current delivery; f returns whether to drop it.
func (br *Broker) settle(d *delivery, f func(g *group, p *pending) (drop bool)) {
	br.mu.Lock()
	defer br.mu.Unlock()
	g := br.groups[d.key]
	if g == nil {
		return
	}
	p := g.pending[d.idx]
	if p == nil || p.n != d.n {
		return // acknowledged already, or redelivered since
	}
	if f(g, p) {
		delete(g.pending, d.idx)
	}
	br.changedLocked()
}

// runner runs one call to Consume.
type runner struct {
	c   *Bus
	cfg bus.ConsumerConfig
	key groupKey
	h   bus.Handler
	log *slog.Logger
}

// handle runs the handler, recovering a panic, and naks the delivery if
// the handler failed without settling it.
func (r *runner) handle(ctx context.Context, d *delivery) {
	log := r.log.With("id", d.m.ID, "delivery", d.n)
	defer func() {
		if p := recover(); p != nil {
			log.Error("message handler panicked", "panic", p, "stack", string(debug.Stack()))
			r.retry(ctx, d)
		}
	}()
	if err := r.h(ctx, d); err != nil {
		log.Error("message handler failed", "err", err)
		r.retry(ctx, d)
	}
}

func (r *runner) retry(ctx context.Context, d *delivery) {
	if d.acks && !d.settled.Load() {
		_ = d.Nak(ctx, nakDelay(d.n, r.cfg.AckWait))
	}
}

// nakDelay is the redelivery delay after the n-th delivery failed: 100ms,
// doubling with each delivery, capped at ackWait (as natsbus).
func nakDelay(n uint64, ackWait time.Duration) time.Duration {
	d := 100 * time.Millisecond
	for i := uint64(1); i < n && d < ackWait; i++ {
		d *= 2
	}
	return min(d, ackWait)
}

// delivery is one delivered message. Without a group (acks false) its
// settle methods do nothing.
type delivery struct {
	c       *Bus
	key     groupKey
	idx     int
	n       uint64
	m       *bus.Message
	acks    bool
	settled atomic.Bool
}

func (d *delivery) Message() *bus.Message { return d.m }

func (d *delivery) NumDelivered() uint64 { return d.n }

// Ack settles the message as done.
func (d *delivery) Ack(context.Context) error {
	return d.settleOnce("ack", func(*group, *pending) bool { return true })
}

// Nak makes the message due again after delay.
func (d *delivery) Nak(_ context.Context, delay time.Duration) error {
	return d.settleOnce("nak", func(_ *group, p *pending) bool {
		p.due = time.Now().Add(max(delay, 0))
		return false
	})
}

// Term settles the message as never to be delivered again.
func (d *delivery) Term(context.Context) error {
	return d.settleOnce("term", func(*group, *pending) bool { return true })
}

// InProgress restarts the message's ack timer.
func (d *delivery) InProgress(context.Context) error {
	if !d.acks {
		return nil
	}
	if d.settled.Load() {
		return fmt.Errorf("membus: in progress %s: %w", d.m.ID, ErrAlreadySettled)
	}
	if d.c.closed.Load() {
		return d.c.errClosed("in progress")
	}
	d.c.br.settle(d, func(g *group, p *pending) bool {
		p.due = time.Now().Add(g.ackWait)
		return false
	})
	return nil
}

func (d *delivery) settleOnce(what string, f func(*group, *pending) bool) error {
	if !d.acks {
		return nil
	}
	if d.c.closed.Load() {
		return d.c.errClosed(what)
	}
	if !d.settled.CompareAndSwap(false, true) {
		return fmt.Errorf("membus: %s %s: %w", what, d.m.ID, ErrAlreadySettled)
	}
	d.c.br.settle(d, f)
	return nil
}
