package membus

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filedge/filedge/pkg/bus"
)

const (
	// DefaultMaxPayload is Options.MaxPayload's default: NATS's.
	DefaultMaxPayload = 1 << 20
	// DefaultDedupWindow is Options.DedupWindow's default: natsbus's.
	DefaultDedupWindow = 2 * time.Minute
	// defaultAckWait applies when ConsumerConfig.AckWait is 0.
	defaultAckWait = 30 * time.Second
)

// Options configures a Broker.
type Options struct {
	// MaxPayload is the largest message, headers included, in bytes;
	// default DefaultMaxPayload.
	MaxPayload int
	// DedupWindow is how long a message id is remembered; default
	// DefaultDedupWindow.
	DedupWindow time.Duration
	// Logger receives handler failures; default slog.Default().
	Logger *slog.Logger
}

// Broker holds the messages, groups and tables that its clients share.
// It is safe for concurrent use.
type Broker struct {
	opts Options

	mu      sync.Mutex
	topics  map[bus.Topic][]entry // retained messages in publish order
	groups  map[groupKey]*group
	tables  map[string]map[string][]byte
	seen    map[string]time.Time // dedup id -> when first published
	seenLog []seenID             // the same ids, oldest first, for expiry
	wake    chan struct{}        // closed (and replaced) on every change
}

// entry is one retained message and when it was published.
type entry struct {
	m  *bus.Message
	at time.Time
}

type seenID struct {
	id string
	at time.Time
}

// NewBroker returns an empty broker.
func NewBroker(opts Options) *Broker {
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = DefaultMaxPayload
	}
	if opts.DedupWindow <= 0 {
		opts.DedupWindow = DefaultDedupWindow
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Broker{
		opts:   opts,
		topics: make(map[bus.Topic][]entry),
		groups: make(map[groupKey]*group),
		tables: make(map[string]map[string][]byte),
		seen:   make(map[string]time.Time),
		wake:   make(chan struct{}),
	}
}

// New returns a client of a new, empty broker.
func New(opts Options) *Bus {
	return NewBroker(opts).Connect()
}

// Connect returns a new client of the broker.
func (br *Broker) Connect() *Bus {
	return &Bus{br: br, done: make(chan struct{})}
}

// changedLocked wakes every waiter. br.mu must be held.
func (br *Broker) changedLocked() {
	close(br.wake)
	br.wake = make(chan struct{})
}

// Bus is one client of a Broker. It is safe for concurrent use.
type Bus struct {
	br     *Broker
	closed atomic.Bool
	done   chan struct{} // closed by Close
}

var (
	_ bus.Bus    = (*Bus)(nil)
	_ bus.Tables = (*Bus)(nil)
)

// Capabilities returns NATS's: dedup within Options.DedupWindow, attempts
// counted across the members of a group, and Options.MaxPayload.
func (c *Bus) Capabilities() bus.Capabilities {
	return bus.Capabilities{Dedup: true, DedupWindow: c.br.opts.DedupWindow, SharedAttempts: true, MaxPayload: c.br.opts.MaxPayload}
}

// Close closes the client, as a process that dies: running Consume calls
// return (after their handlers), the outcomes of those handlers are lost
// (their messages come back after AckWait), and every later operation
// fails with bus.ErrClosed. It is idempotent.
func (c *Bus) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		close(c.done)
	}
	return nil
}

func (c *Bus) errClosed(op string) error {
	return fmt.Errorf("membus: %s: %w", op, bus.ErrClosed)
}

// Publish stores a copy of m, unless a message with the same ID was
// published on the same topic, pipeline and scope within the dedup window.
func (c *Bus) Publish(ctx context.Context, m *bus.Message) error {
	if c.closed.Load() {
		return c.errClosed("publish")
	}
	if err := bus.CheckMessage(m); err != nil {
		return fmt.Errorf("membus: publish: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("membus: publish: %w", err)
	}
	if n := wireSize(m); n > c.br.opts.MaxPayload {
		return fmt.Errorf("membus: publish %s/%s id %q: %d bytes: %w", m.Topic, m.Pipeline, m.ID, n, ErrTooLarge)
	}
	br := c.br
	br.mu.Lock()
	defer br.mu.Unlock()
	now := time.Now()
	for len(br.seenLog) > 0 && now.Sub(br.seenLog[0].at) >= br.opts.DedupWindow {
		delete(br.seen, br.seenLog[0].id)
		br.seenLog = br.seenLog[1:]
	}
	if m.ID != "" {
		id := string(m.Topic) + "." + m.Pipeline + "." + m.Scope + "/" + m.ID
		if _, dup := br.seen[id]; dup {
			return nil
		}
		br.seen[id] = now
		br.seenLog = append(br.seenLog, seenID{id, now})
	}
	br.topics[m.Topic] = append(br.topics[m.Topic], entry{clone(m), now})
	br.changedLocked()
	return nil
}

// wireSize estimates the size of m on NATS: payload plus the headers
// natsbus sends.
func wireSize(m *bus.Message) int {
	n := len(m.Data) + len("NATS/1.0\r\n\r\n")
	for k, v := range m.Header {
		n += len(k) + len(v) + 4
	}
	subject := len("filedge..") + len(m.Topic) + len(m.Pipeline) + len(m.Scope) + 1
	if m.Key != "" {
		n += len(bus.HeaderKey) + len(bus.QuoteKey(m.Key)) + 4
	}
	if m.ID != "" {
		n += len("Nats-Msg-Id") + subject + 1 + len(m.ID) + 4
	}
	n += len("Nats-Expected-Stream") + len("FILEDGE_") + len(m.Topic) + 4
	return n
}

// clone deep-copies a message.
func clone(m *bus.Message) *bus.Message {
	c := *m
	c.Data = slices.Clone(m.Data)
	if len(m.Header) == 0 {
		c.Header = nil
	} else {
		c.Header = maps.Clone(m.Header)
	}
	return &c
}

// matches tells whether m belongs to pipeline and, unless scope is "",
// to scope.
func matches(m *bus.Message, pipeline, scope string) bool {
	return m.Pipeline == pipeline && (scope == "" || m.Scope == scope)
}

// Read returns a cursor over the Batches of one version, from the first.
func (c *Bus) Read(ctx context.Context, pipeline, version string) (bus.Cursor, error) {
	if c.closed.Load() {
		return nil, c.errClosed("read")
	}
	if err := bus.CheckAddress(bus.Batches, pipeline, version, false); err != nil {
		return nil, fmt.Errorf("membus: read: %w", err)
	}
	return &cursor{c: c, pipeline: pipeline, scope: version}, nil
}

// cursor is a bus.Cursor over a version's retained batches.
type cursor struct {
	c               *Bus
	pipeline, scope string
	next            int // index of the next message to look at
	closed          bool
}

// Next returns the next message of the cursor's scope, waiting for it
// until ctx is done.
func (r *cursor) Next(ctx context.Context) (*bus.Message, error) {
	br := r.c.br
	for {
		if r.closed || r.c.closed.Load() {
			return nil, r.c.errClosed("read")
		}
		br.mu.Lock()
		msgs := br.topics[bus.Batches]
		for ; r.next < len(msgs); r.next++ {
			if m := msgs[r.next].m; m.Pipeline == r.pipeline && m.Scope == r.scope {
				r.next++
				br.mu.Unlock()
				return clone(m), nil
			}
		}
		wake := br.wake
		br.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-r.c.done:
		}
	}
}

// Close closes the cursor. It is idempotent.
func (r *cursor) Close() error {
	r.closed = true
	return nil
}
