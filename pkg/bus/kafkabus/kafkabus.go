package kafkabus

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/filedge/filedge/pkg/bus"
)

// Defaults of Options (and of the bus: block's keys).
const (
	DefaultTopicPrefix     = "filedge"
	DefaultPartitions      = 12
	DefaultBatchRetention  = 72 * time.Hour
	DefaultMaxMessageBytes = 1 << 20
)

// recordOverhead is what a record batch of one record adds to the record's
// key, value and headers, beyond what MaxPayload leaves for them: the
// batch header (61 bytes), the record's varints, and room for the bus's own
// headers.
const recordOverhead = 512

// Header names the bus adds to every record (bus.ReservedHeaderPrefixes
// keeps them from messages).
const (
	headerPipeline = "Filedge-Bus-Pipeline"
	headerScope    = "Filedge-Bus-Scope"
	headerID       = "Filedge-Bus-Id"
)

// Options configures Connect.
type Options struct {
	// Brokers are the bootstrap brokers, host:port. Required.
	Brokers []string
	// TopicPrefix starts every topic's name; default DefaultTopicPrefix.
	TopicPrefix string
	// Partitions of each message topic created, and the least an existing
	// one must have; default DefaultPartitions.
	Partitions int
	// ReplicationFactor of the topics created; 0 takes the brokers'
	// default.
	ReplicationFactor int
	// BatchRetention is the retention of the batches and index topics
	// created; default DefaultBatchRetention.
	BatchRetention time.Duration
	// MaxMessageBytes is the max.message.bytes of the topics created, and
	// the most a record may take; a topic's smaller limit wins. Default
	// DefaultMaxMessageBytes.
	MaxMessageBytes int
	// ClientID names the clients to the brokers; default "filedge".
	ClientID string
	// TLS, when set, encrypts the connections.
	TLS *tls.Config
	// SASL, when set, authenticates the connections.
	SASL sasl.Mechanism
	// Logger receives franz-go's log and handler failures; default
	// slog.Default().
	Logger *slog.Logger
}

func (o *Options) setDefaults() error {
	if len(o.Brokers) == 0 {
		return fmt.Errorf("%w: no brokers", ErrInvalidOptions)
	}
	if o.TopicPrefix == "" {
		o.TopicPrefix = DefaultTopicPrefix
	}
	if o.Partitions <= 0 {
		o.Partitions = DefaultPartitions
	}
	if o.BatchRetention <= 0 {
		o.BatchRetention = DefaultBatchRetention
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.MaxMessageBytes < minMaxMessageBytes {
		return fmt.Errorf("%w: max message bytes %d is below %d", ErrInvalidOptions, o.MaxMessageBytes, minMaxMessageBytes)
	}
	if o.ClientID == "" {
		o.ClientID = "filedge"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// Bus is a bus.Bus on Kafka. It is safe for concurrent use.
type Bus struct {
	opts   Options
	log    *slog.Logger
	cl     *kgo.Client // produces, and asks the brokers (kadm)
	adm    *kadm.Client
	topics map[bus.Topic]topicInfo
	index  string // the index topic
	// maxPayload is the most a message may take (MaxPayload).
	maxPayload int
	// sessions bounds a group's session timeout: the brokers'
	// group.min/max.session.timeout.ms.
	minSession, maxSession time.Duration

	closed atomic.Bool
	done   chan struct{} // closed by Close

	mu      sync.Mutex
	clients map[*kgo.Client]struct{} // consumers, cursors and tables, closed by Close
	offsets *follower                // the index, once a Read started following it

	offsetsMu sync.Mutex // held while the index is first loaded

	indexMu sync.Mutex
	scopes  map[string]*scopeState // by <pipeline>/<version>: the versions being published
}

// topicInfo is what the bus knows of one of its topics.
type topicInfo struct {
	name       string
	partitions int
}

var (
	_ bus.Bus    = (*Bus)(nil)
	_ bus.Pinger = (*Bus)(nil)
	_ bus.Tables = (*Bus)(nil)
)

// Connect makes the bus's clients and creates the topics that are missing
// (the message topics and the index), so that any number of processes can
// start at once. It fails with an error wrapping ErrInvalidOptions for
// options no retry fixes (a topic with too few partitions); any other error
// may go away once the brokers can be reached. The returned Bus owns its
// clients until Close.
func Connect(ctx context.Context, opts Options) (*Bus, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("kafkabus: connect: %w", err)
	}
	b := &Bus{
		opts: opts, log: opts.Logger, topics: map[bus.Topic]topicInfo{}, index: opts.TopicPrefix + ".index",
		maxPayload: opts.MaxMessageBytes - recordOverhead, minSession: 6 * time.Second, maxSession: 30 * time.Minute,
		done: make(chan struct{}), clients: map[*kgo.Client]struct{}{}, scopes: map[string]*scopeState{},
	}
	for _, t := range bus.Topics {
		b.topics[t] = topicInfo{name: opts.TopicPrefix + "." + string(t)}
	}
	cl, err := kgo.NewClient(b.clientOpts(
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchMaxBytes(int32(opts.MaxMessageBytes)),
	)...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	b.cl, b.adm = cl, kadm.NewClient(cl)
	if err := b.ensureTopics(ctx); err != nil {
		cl.Close()
		return nil, err
	}
	b.readSessionBounds(ctx)
	return b, nil
}

// clientOpts returns the options every client of the bus shares, then
// more.
func (b *Bus) clientOpts(more ...kgo.Opt) []kgo.Opt {
	o := []kgo.Opt{
		kgo.SeedBrokers(b.opts.Brokers...),
		kgo.ClientID(b.opts.ClientID),
		kgo.WithLogger(newLogger(b.log)),
	}
	if b.opts.TLS != nil {
		o = append(o, kgo.DialTLSConfig(b.opts.TLS.Clone()))
	}
	if b.opts.SASL != nil {
		o = append(o, kgo.SASL(b.opts.SASL))
	}
	return append(o, more...)
}

// newClient makes a client that Close closes, with the shared options and
// more.
func (b *Bus) newClient(more ...kgo.Opt) (*kgo.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return nil, bus.ErrClosed
	}
	cl, err := kgo.NewClient(b.clientOpts(more...)...)
	if err != nil {
		return nil, err
	}
	b.clients[cl] = struct{}{}
	return cl, nil
}

// closeClient closes a client newClient made.
func (b *Bus) closeClient(cl *kgo.Client) {
	b.mu.Lock()
	_, ours := b.clients[cl]
	delete(b.clients, cl)
	b.mu.Unlock()
	if ours {
		cl.Close()
	}
}

// readSessionBounds reads the brokers' bounds of a group's session
// timeout, keeping Kafka's defaults when they cannot be read.
func (b *Bus) readSessionBounds(ctx context.Context) {
	cfgs, err := b.adm.DescribeBrokerConfigs(ctx)
	if err != nil {
		return
	}
	for _, rc := range cfgs {
		for _, c := range rc.Configs {
			if c.Value == nil {
				continue
			}
			var ms int64
			if _, err := fmt.Sscan(*c.Value, &ms); err != nil || ms <= 0 {
				continue
			}
			switch c.Key {
			case "group.min.session.timeout.ms":
				b.minSession = time.Duration(ms) * time.Millisecond
			case "group.max.session.timeout.ms":
				b.maxSession = time.Duration(ms) * time.Millisecond
			}
		}
	}
}

// Capabilities returns what the bus does beyond the contract: no dedup,
// attempts counted by the member that holds a message, and the largest
// message the topics take.
func (b *Bus) Capabilities() bus.Capabilities {
	return bus.Capabilities{MaxPayload: b.maxPayload}
}

// Publish produces m to its topic's partition and returns once the brokers
// acknowledged it. The first message of a version on batches is indexed
// (see the package doc) before Publish returns.
func (b *Bus) Publish(ctx context.Context, m *bus.Message) error {
	if b.closed.Load() {
		return fmt.Errorf("kafkabus: publish: %w", bus.ErrClosed)
	}
	if err := bus.CheckMessage(m); err != nil {
		return fmt.Errorf("kafkabus: publish: %w", err)
	}
	rec := b.record(m)
	where := fmt.Sprintf("%s/%s", m.Topic, m.Pipeline)
	if m.Scope != "" {
		where += "/" + m.Scope
	}
	if n := recordSize(rec); n > b.maxPayload {
		return fmt.Errorf("kafkabus: publish %s id %q: %d bytes, over %d: %w", where, m.ID, n, b.maxPayload, ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kafkabus: publish %s: %w", where, err)
	}
	if m.Topic == bus.Batches {
		return b.publishBatch(ctx, m, rec, where)
	}
	if err := b.produce(ctx, rec); err != nil {
		return fmt.Errorf("kafkabus: publish %s id %q (%d bytes): %w", where, m.ID, len(m.Data), err)
	}
	return nil
}

// produce produces rec and waits for the acknowledgement.
func (b *Bus) produce(ctx context.Context, rec *kgo.Record) error {
	if err := b.cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		if b.closed.Load() {
			return fmt.Errorf("%w: %w", bus.ErrClosed, err)
		}
		return classify(err)
	}
	return nil
}

// record returns the record that carries m, on its partition.
func (b *Bus) record(m *bus.Message) *kgo.Record {
	t := b.topics[m.Topic]
	rec := &kgo.Record{Topic: t.name, Value: m.Data, Headers: make([]kgo.RecordHeader, 0, len(m.Header)+3)}
	if m.Key != "" {
		rec.Key = []byte(m.Key)
	}
	rec.Partition = partition(m.OrderKey(), t.partitions)
	rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerPipeline, Value: []byte(m.Pipeline)})
	if m.Scope != "" {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerScope, Value: []byte(m.Scope)})
	}
	if m.ID != "" {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerID, Value: []byte(m.ID)})
	}
	for k, v := range m.Header {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	return rec
}

// recordSize is what rec takes of a record batch, overhead aside.
func recordSize(rec *kgo.Record) int {
	n := len(rec.Key) + len(rec.Value)
	for _, h := range rec.Headers {
		n += len(h.Key) + len(h.Value) + 2
	}
	return n
}

// message returns the message a record of topic t carries.
func message(t bus.Topic, rec *kgo.Record) *bus.Message {
	m := &bus.Message{Topic: t, Data: rec.Value}
	if len(rec.Key) > 0 {
		m.Key = string(rec.Key)
	}
	if m.Data == nil {
		m.Data = []byte{}
	}
	for _, h := range rec.Headers {
		switch h.Key {
		case headerPipeline:
			m.Pipeline = string(h.Value)
		case headerScope:
			m.Scope = string(h.Value)
		case headerID:
			m.ID = string(h.Value)
		default:
			if m.Header == nil {
				m.Header = make(map[string]string, len(rec.Headers))
			}
			m.Header[h.Key] = string(h.Value)
		}
	}
	return m
}

// address returns the pipeline and scope a record carries, without
// decoding the rest.
func address(rec *kgo.Record) (pipeline, scope string) {
	for _, h := range rec.Headers {
		switch h.Key {
		case headerPipeline:
			pipeline = string(h.Value)
		case headerScope:
			scope = string(h.Value)
		}
	}
	return pipeline, scope
}

// Ping checks that a broker answers.
func (b *Bus) Ping(ctx context.Context) error {
	if b.closed.Load() {
		return fmt.Errorf("kafkabus: ping: %w", bus.ErrClosed)
	}
	if err := b.cl.Ping(ctx); err != nil {
		return fmt.Errorf("kafkabus: ping %s: %w", strings.Join(b.opts.Brokers, ","), err)
	}
	return nil
}

// Close closes every client of the bus, as a process that dies: running
// Consume calls return (after their handlers) without committing the work
// still running, cursors and tables fail with bus.ErrClosed. It is
// idempotent.
func (b *Bus) Close() error {
	b.mu.Lock()
	if !b.closed.CompareAndSwap(false, true) {
		b.mu.Unlock()
		return nil
	}
	close(b.done)
	clients := b.clients
	b.clients = map[*kgo.Client]struct{}{}
	offsets := b.offsets
	b.mu.Unlock()
	var wg sync.WaitGroup
	for cl := range clients {
		wg.Go(cl.Close)
	}
	wg.Wait()
	if offsets != nil {
		offsets.stop()
	}
	b.cl.Close()
	return nil
}

// errClosed wraps bus.ErrClosed for op.
func errClosed(op string) error { return fmt.Errorf("kafkabus: %s: %w", op, bus.ErrClosed) }

// sleep waits for d or until ctx is done or the bus closed; it reports
// whether d elapsed.
func (b *Bus) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-b.done:
	}
	return false
}
