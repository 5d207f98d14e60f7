package natsbus

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/filedge/filedge/pkg/bus"
)

// Read returns a cursor over the batches of one version (the subject
// filedge.batches.<pipeline>.<version>), from the first retained one,
// through an ordered consumer that streams them into a client buffer of a
// few megabytes (no round trip per message). The cursor must be closed,
// which deletes the consumer.
func (b *Bus) Read(ctx context.Context, pipeline, version string) (bus.Cursor, error) {
	if b.closed.Load() {
		return nil, fmt.Errorf("natsbus: read: %w", bus.ErrClosed)
	}
	subj, err := subject(bus.Batches, pipeline, version)
	if err != nil {
		return nil, fmt.Errorf("natsbus: read: %w", err)
	}
	stream := streamName(bus.Batches)
	oc, err := b.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subj},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("natsbus: read %s: %w", subj, ctx.Err())
		}
		return nil, fmt.Errorf("natsbus: read %s: %w", subj, classify(err))
	}
	it, err := oc.Messages(jetstream.PullMaxBytes(b.bufferBytes()))
	if err != nil {
		b.deleteOrdered(stream, oc)
		return nil, fmt.Errorf("natsbus: read %s: %w", subj, classify(err))
	}
	return &cursor{b: b, stream: stream, subject: subj, oc: oc, it: it}, nil
}

// cursor is a bus.Cursor on an ordered consumer.
type cursor struct {
	b       *Bus
	stream  string
	subject string
	oc      jetstream.Consumer
	it      jetstream.MessagesContext
	closed  bool
}

// Next returns the next message, waiting for it until ctx is done; then it
// returns ctx.Err() and the cursor stays usable.
func (c *cursor) Next(ctx context.Context) (*bus.Message, error) {
	if c.closed || c.b.closed.Load() {
		return nil, fmt.Errorf("natsbus: read %s: %w", c.subject, bus.ErrClosed)
	}
	msg, err := c.it.Next(jetstream.NextContext(ctx))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, ctxErr
		}
		if c.b.closed.Load() || isClosed(err) || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil, fmt.Errorf("natsbus: read %s: %w: %w", c.subject, bus.ErrClosed, err)
		}
		return nil, fmt.Errorf("natsbus: read %s: %w", c.subject, err)
	}
	m, err := decode(msg)
	if err != nil {
		return nil, fmt.Errorf("natsbus: read %s: %w", c.subject, err)
	}
	return m, nil
}

// Close stops the cursor and deletes its consumer. It is idempotent.
func (c *cursor) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	c.it.Stop()
	c.b.deleteOrdered(c.stream, c.oc)
	return nil
}
