package membus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
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
	next    int              // index of the first message never delivered
	pending map[int]*pending // delivered and not yet done, by index
	ackWait time.Duration
}

// pending is a delivered message that is not done.
type pending struct {
	n   int       // deliveries so far
	due time.Time // when it may be delivered again
}

// Consume delivers the messages of c.Topic and c.Pipeline (and c.Scope, or
// every scope if it is "") to h, c.Concurrency at a time, until ctx is
// cancelled; then it waits for its running handlers and returns ctx.Err().
// With a Group, the group's members share the messages; without one, this
// caller gets every message from c.Start, and outcomes do nothing.
//
// While a handler runs, its message's lease is renewed every third of
// AckWait, until the client is closed. A handler that panics is logged and
// its message retried (bus.Call).
func (c *Bus) Consume(ctx context.Context, cfg bus.ConsumerConfig, h bus.Handler) error {
	if c.closed.Load() {
		return c.errClosed("consume")
	}
	if err := bus.CheckAddress(cfg.Topic, cfg.Pipeline, cfg.Scope, true); err != nil {
		return fmt.Errorf("membus: consume: %w", err)
	}
	cfg.Concurrency = max(cfg.Concurrency, 1)
	if cfg.AckWait <= 0 {
		cfg.AckWait = defaultAckWait
	}
	r := &runner{c: c, cfg: cfg, h: h,
		log: c.br.opts.Logger.With("topic", string(cfg.Topic), "pipeline", cfg.Pipeline, "group", cfg.Group, "scope", cfg.Scope)}
	next := c.br.startIndex(cfg.Topic, cfg.Start) // without a group: the next message to look at
	if cfg.Group != "" {
		if err := bus.CheckToken("group", cfg.Group); err != nil {
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
	for {
		select {
		case <-slots:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
			return c.errClosed("consume")
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

// startIndex returns the index of the first message of topic t at or
// after start.
func (br *Broker) startIndex(t bus.Topic, start bus.Start) int {
	br.mu.Lock()
	defer br.mu.Unlock()
	msgs := br.topics[t]
	if start.IsLatest() {
		return len(msgs)
	}
	at, ok := start.Time()
	if !ok {
		return 0
	}
	for i, e := range msgs {
		if !e.at.Before(at) {
			return i
		}
	}
	return len(msgs)
}

// joinGroup creates the group, starting at cfg.Start, or updates its ack
// wait.
func (br *Broker) joinGroup(key groupKey, cfg bus.ConsumerConfig) {
	next := br.startIndex(key.topic, cfg.Start)
	br.mu.Lock()
	defer br.mu.Unlock()
	g := br.groups[key]
	if g == nil {
		g = &group{next: next, pending: make(map[int]*pending)}
		br.groups[key] = g
	}
	g.ackWait = cfg.AckWait
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
		return &delivery{key: key, idx: redeliver, n: p.n, m: clone(msgs[redeliver].m), acks: true}, nil, 0
	}
	for ; g.next < len(msgs); g.next++ {
		if matches(msgs[g.next].m, key.pipeline, key.scope) {
			i := g.next
			g.next++
			g.pending[i] = &pending{n: 1, due: now.Add(g.ackWait)}
			return &delivery{key: key, idx: i, n: 1, m: clone(msgs[i].m), acks: true}, nil, 0
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
		if matches(msgs[*next].m, cfg.Pipeline, cfg.Scope) {
			i := *next
			*next++
			return &delivery{idx: i, n: 1, m: clone(msgs[i].m)}, nil
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
		return // done already, or redelivered since
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

// handle runs the handler while renewing the message's lease, then
// applies its outcome, unless the client was closed meanwhile (a process
// that died tells the broker nothing).
func (r *runner) handle(ctx context.Context, d *delivery) {
	stop := r.renew(d)
	out := bus.Call(ctx, r.h, &bus.Delivery{Message: d.m, Attempt: d.n}, r.log, r.cfg.AckWait)
	stop()
	if !d.acks || r.c.closed.Load() {
		return
	}
	r.c.br.settle(d, func(_ *group, p *pending) bool {
		if out.Verdict == bus.VerdictRetry {
			p.due = time.Now().Add(out.After)
			return false
		}
		if out.Verdict == bus.VerdictGiveUp {
			r.log.Debug("message given up", "id", d.m.ID, "reason", out.Reason)
		}
		return true
	})
}

// renew renews d's lease every third of AckWait until stop is called or
// the client is closed.
func (r *runner) renew(d *delivery) (stop func()) {
	if !d.acks {
		return func() {}
	}
	return bus.Every(r.cfg.AckWait/3, r.c.done, func() {
		r.c.br.settle(d, func(g *group, p *pending) bool {
			p.due = time.Now().Add(g.ackWait)
			return false
		})
	})
}

// delivery is one delivered message. Without a group (acks false) its
// outcome does nothing.
type delivery struct {
	key  groupKey
	idx  int
	n    int
	m    *bus.Message
	acks bool
}
