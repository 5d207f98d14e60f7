package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/filedge/filedge/pkg/bus"
)

// DedupWindow is how long the streams remember a message id: a publish
// with an id seen within the window is acknowledged without a second copy.
const DedupWindow = 2 * time.Minute

// DefaultBatchRetention is how long record batches stay on the bus when
// Options.BatchRetention is 0.
const DefaultBatchRetention = 72 * time.Hour

// closeTimeout bounds how long Close waits for the connection to drain.
const closeTimeout = 30 * time.Second

// Options configures Connect.
type Options struct {
	// URL of the NATS server or cluster (comma-separated URLs), e.g.
	// nats://127.0.0.1:4222; default nats.DefaultURL. It may hold
	// credentials; it is never logged. Ignored when Server is set.
	URL string
	// Server is an embedded server (see StartEmbedded) to connect to in
	// process, without a socket. An *Embedded keeps the connection on its
	// current server across restarts; a *server.Server works too.
	Server nats.InProcessConnProvider
	// Name is the connection name the server shows; default "filedge".
	Name string
	// Logger receives connection events and handler failures; default
	// slog.Default().
	Logger *slog.Logger
	// BatchRetention is the maximum age of messages in the batches stream;
	// default DefaultBatchRetention. It must not be below DedupWindow.
	BatchRetention time.Duration
	// Replicas is the number of replicas of every stream and bucket on a
	// cluster; default 1.
	Replicas int
	// NATSOptions are added to the connection's options, e.g.
	// nats.UserCredentials or nats.RootCAs for a secured server.
	NATSOptions []nats.Option
}

func (o *Options) setDefaults() error {
	if o.Name == "" {
		o.Name = "filedge"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BatchRetention == 0 {
		o.BatchRetention = DefaultBatchRetention
	}
	if o.BatchRetention < DedupWindow {
		return fmt.Errorf("%w: batch retention %v is below the dedup window %v", ErrInvalidOptions, o.BatchRetention, DedupWindow)
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Replicas < 0 {
		return fmt.Errorf("%w: replicas %d is negative", ErrInvalidOptions, o.Replicas)
	}
	if o.URL == "" {
		o.URL = nats.DefaultURL
	}
	if o.Server != nil {
		return nil
	}
	return checkURL(o.URL)
}

// Bus is a bus.Bus on NATS JetStream. It is safe for concurrent use.
type Bus struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	log      *slog.Logger
	replicas int
	closed   atomic.Bool
	done     chan struct{} // closed when the connection is closed
	server   *Embedded     // stopped by Close; nil unless OpenEmbedded started it
}

var (
	_ bus.Bus    = (*Bus)(nil)
	_ bus.Pinger = (*Bus)(nil)
	_ bus.Tables = (*Bus)(nil)
)

// Connect connects to the server and creates or updates the four streams,
// so that any number of processes can start at once. The returned Bus owns
// the connection until Close.
func Connect(ctx context.Context, opts Options) (*Bus, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("natsbus: connect: %w", err)
	}
	b := &Bus{log: opts.Logger, replicas: opts.Replicas, done: make(chan struct{})}
	nopts := []nats.Option{
		nats.Name(opts.Name),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("NATS connection lost", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("NATS connection restored", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			b.log.Error("NATS asynchronous error", "err", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.done) }),
	}
	url := opts.URL
	if opts.Server != nil {
		url = ""
		nopts = append(nopts, nats.InProcessServer(opts.Server))
	}
	nopts = append(nopts, opts.NATSOptions...)
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return nil, connectError(url, err)
	}
	b.nc = nc
	if b.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsbus: jetstream: %w", err)
	}
	for _, cfg := range streamConfigs(opts) {
		if _, err := b.js.CreateOrUpdateStream(ctx, cfg); err != nil {
			nc.Close()
			return nil, fmt.Errorf("natsbus: create or update stream %s: %w", cfg.Name, err)
		}
	}
	return b, nil
}

// streamConfigs returns the configuration of the stream of every topic.
func streamConfigs(opts Options) []jetstream.StreamConfig {
	cfgs := make([]jetstream.StreamConfig, 0, len(bus.Topics))
	for _, t := range bus.Topics {
		cfg := jetstream.StreamConfig{
			Name:        streamName(t),
			Description: fmt.Sprintf("filedge %s messages of every pipeline", t),
			Subjects:    []string{subjectRoot + "." + string(t) + ".>"},
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardOld,
			Storage:     jetstream.FileStorage,
			Replicas:    opts.Replicas,
			Duplicates:  DedupWindow,
		}
		if t == bus.Batches {
			cfg.MaxAge = opts.BatchRetention
		}
		cfgs = append(cfgs, cfg)
	}
	return cfgs
}

// MaxPayload returns the largest message, headers included, that the
// server accepts, in bytes. Producers size their batches below it.
func (b *Bus) MaxPayload() int {
	return int(b.nc.MaxPayload())
}

// Capabilities returns what JetStream does beyond the contract: dedup by
// message id within DedupWindow, attempts counted by the server across the
// members of a group, and the server's MaxPayload.
func (b *Bus) Capabilities() bus.Capabilities {
	return bus.Capabilities{Dedup: true, DedupWindow: DedupWindow, SharedAttempts: true, MaxPayload: b.MaxPayload()}
}

// Publish stores m on its topic's stream and returns once the server has
// acknowledged it. A message with an ID already published on the same
// subject within DedupWindow is acknowledged without a second copy. A
// message larger than MaxPayload fails with an error wrapping ErrTooLarge.
func (b *Bus) Publish(ctx context.Context, m *bus.Message) error {
	if b.closed.Load() {
		return fmt.Errorf("natsbus: publish: %w", bus.ErrClosed)
	}
	msg, err := encode(m)
	if err != nil {
		return fmt.Errorf("natsbus: publish: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("natsbus: publish %s: %w", msg.Subject, err)
	}
	popts := []jetstream.PublishOpt{jetstream.WithExpectStream(streamName(m.Topic))}
	if m.ID != "" {
		popts = append(popts, jetstream.WithMsgID(msgID(msg.Subject, m.ID)))
	}
	if _, err := b.js.PublishMsg(ctx, msg, popts...); err != nil {
		return fmt.Errorf("natsbus: publish %s id %q (%d bytes): %w", msg.Subject, m.ID, len(m.Data), classify(err))
	}
	return nil
}

// msgID returns the dedup id of a message: its subject and ID, so that
// dedup never spans pipelines or scopes.
func msgID(subject, id string) string { return subject + "/" + id }

// encode turns m into a NATS message, checking it (bus.CheckMessage).
func encode(m *bus.Message) (*nats.Msg, error) {
	if err := bus.CheckMessage(m); err != nil {
		return nil, err
	}
	subj, err := subject(m.Topic, m.Pipeline, m.Scope)
	if err != nil {
		return nil, err
	}
	msg := &nats.Msg{Subject: subj, Data: m.Data, Header: make(nats.Header, len(m.Header)+2)}
	for k, v := range m.Header {
		msg.Header.Set(k, v)
	}
	if m.Key != "" {
		msg.Header.Set(bus.HeaderKey, bus.QuoteKey(m.Key)) // any bytes: a file name may hold line breaks
	}
	return msg, nil
}

// decode rebuilds the bus message carried by a JetStream message.
func decode(msg jetstream.Msg) (*bus.Message, error) {
	subj := msg.Subject()
	t, pipeline, scope, err := parseSubject(subj)
	if err != nil {
		return nil, err
	}
	m := &bus.Message{Topic: t, Pipeline: pipeline, Scope: scope, Data: msg.Data()}
	for k, vs := range msg.Headers() {
		if len(vs) == 0 {
			continue
		}
		switch {
		case k == nats.MsgIdHdr:
			m.ID = strings.TrimPrefix(vs[0], subj+"/")
		case k == bus.HeaderKey:
			m.Key = bus.UnquoteKey(vs[0])
		case strings.HasPrefix(k, "Nats-"):
		default:
			if m.Header == nil {
				m.Header = make(map[string]string)
			}
			m.Header[k] = vs[0]
		}
	}
	return m, nil
}

// Close drains the connection: subscriptions stop, pending publishes and
// acknowledgements are flushed, then the connection closes. Every later
// operation fails with bus.ErrClosed. Close is idempotent.
func (b *Bus) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	if b.server != nil {
		defer b.server.Shutdown()
	}
	if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		b.nc.Close()
		return fmt.Errorf("natsbus: close: %w", err)
	}
	select {
	case <-b.done:
	case <-time.After(closeTimeout):
		b.nc.Close()
		return fmt.Errorf("natsbus: close: connection did not drain within %v", closeTimeout)
	}
	return nil
}
