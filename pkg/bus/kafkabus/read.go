package kafkabus

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/filedge/filedge/pkg/bus"
)

// readRetry is the wait before reading again after a failed fetch.
const readRetry = time.Second

// scopeState is this client's knowledge of one version it publishes.
type scopeState struct {
	mu      sync.Mutex // held while a message of the version is published
	indexed bool       // the index points at this client's first message of it
}

// publishBatch publishes a message of a version on batches; when it is the
// first this client publishes of the version (since it started, or since
// it published the version's trailer), it then records where the version
// starts in the index, before it returns.
func (b *Bus) publishBatch(ctx context.Context, m *bus.Message, rec *kgo.Record, where string) error {
	key := m.Pipeline + "/" + m.Scope
	b.indexMu.Lock()
	s := b.scopes[key]
	if s == nil {
		s = &scopeState{}
		b.scopes[key] = s
	}
	b.indexMu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := b.produce(ctx, rec); err != nil {
		return fmt.Errorf("kafkabus: publish %s id %q (%d bytes): %w", where, m.ID, len(m.Data), err)
	}
	if !s.indexed {
		loc := strconv.Itoa(int(rec.Partition)) + ":" + strconv.FormatInt(rec.Offset, 10)
		if err := b.produce(ctx, &kgo.Record{Topic: b.index, Partition: 0, Key: []byte(key), Value: []byte(loc)}); err != nil {
			return fmt.Errorf("kafkabus: publish %s id %q: index the version: %w", where, m.ID, err)
		}
		s.indexed = true
	}
	if m.Header[bus.HeaderType] == bus.TypeFileParsed { // the trailer closes the version
		b.indexMu.Lock()
		delete(b.scopes, key)
		b.indexMu.Unlock()
	}
	return nil
}

// offsetIndex returns the follower of the index topic, starting it on the
// first call.
func (b *Bus) offsetIndex(ctx context.Context) (*follower, error) {
	b.offsetsMu.Lock()
	defer b.offsetsMu.Unlock()
	b.mu.Lock()
	f := b.offsets
	b.mu.Unlock()
	if f != nil {
		return f, nil
	}
	f, err := b.load(ctx, b.index, true)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		go f.stop()
		return nil, errClosed("read")
	}
	b.offsets = f
	return f, nil
}

// Read returns a cursor over the batches of one version: once the index
// has the version's entry, it fetches that partition from that offset and
// hands out the version's records, skipping the others. Read returns at
// once; the cursor's first Next waits for the entry.
func (b *Bus) Read(ctx context.Context, pipeline, version string) (bus.Cursor, error) {
	if b.closed.Load() {
		return nil, errClosed("read")
	}
	if err := bus.CheckAddress(bus.Batches, pipeline, version, false); err != nil {
		return nil, fmt.Errorf("kafkabus: read: %w", err)
	}
	idx, err := b.offsetIndex(ctx)
	if err != nil {
		return nil, err
	}
	return &cursor{b: b, idx: idx, pipeline: pipeline, version: version}, nil
}

// cursor is a bus.Cursor over one version's batches.
type cursor struct {
	b                 *Bus
	idx               *follower
	pipeline, version string
	cl                *kgo.Client // once the version's start is known
	buf               []*kgo.Record
	closed            bool
	skipped           int64 // bytes of other versions' records read past
}

// Next returns the version's next message, waiting for it until ctx is
// done.
func (c *cursor) Next(ctx context.Context) (*bus.Message, error) {
	where := "read " + c.pipeline + "/" + c.version
	if c.closed || c.b.closed.Load() {
		return nil, errClosed(where)
	}
	if c.cl == nil {
		if err := c.start(ctx); err != nil {
			return nil, err
		}
	}
	for {
		for len(c.buf) > 0 {
			r := c.buf[0]
			c.buf = c.buf[1:]
			if p, s := address(r); p == c.pipeline && s == c.version {
				return message(bus.Batches, r), nil
			}
			c.skipped += int64(len(r.Key) + len(r.Value))
		}
		fetches := c.cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if fetches.IsClientClosed() || c.b.closed.Load() {
			return nil, errClosed(where)
		}
		c.buf = fetches.Records()
		if err := fetchError(fetches); err != nil && len(c.buf) == 0 {
			return nil, fmt.Errorf("kafkabus: %s: %w", where, classify(err))
		}
	}
}

// start waits for the version's entry in the index and opens a client on
// its partition from its offset.
func (c *cursor) start(ctx context.Context) error {
	where := "read " + c.pipeline + "/" + c.version
	v, err := c.idx.wait(ctx, c.pipeline+"/"+c.version)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	ps, os, ok := strings.Cut(string(v), ":")
	p, perr := strconv.ParseInt(ps, 10, 32)
	o, oerr := strconv.ParseInt(os, 10, 64)
	if !ok || perr != nil || oerr != nil {
		return fmt.Errorf("kafkabus: %s: the index holds %q, not partition:offset", where, v)
	}
	batches := c.b.topics[bus.Batches].name
	cl, err := c.b.newClient(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{batches: {int32(p): kgo.NewOffset().At(o)}}),
		kgo.FetchMaxPartitionBytes(int32(4*c.b.opts.MaxMessageBytes)),
		kgo.FetchMaxBytes(int32(16*c.b.opts.MaxMessageBytes)),
	)
	if err != nil {
		return fmt.Errorf("kafkabus: %s: %w", where, err)
	}
	c.cl = cl
	return nil
}

// Close releases the cursor's client. It is idempotent.
func (c *cursor) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.cl != nil {
		c.b.closeClient(c.cl)
	}
	return nil
}
