package bus

import (
	"context"
	"time"
)

// Topic names one kind of message on the bus.
type Topic string

const (
	// Files carries FileDiscovered, one per file version. Parsers share it
	// as one group; every destination's sinks share it as another.
	Files Topic = "files"
	// Batches carries the record batches of file versions, each version in
	// its own scope, closed by a copy of its FileParsed marker. A scope may
	// also hold FileParseRetry notices of failed attempts.
	Batches Topic = "batches"
	// Parsed carries FileParsed, one per parsed (or failed) file version.
	Parsed Topic = "parsed"
	// Committed carries FileCommitted, one per file version and destination,
	// scoped by destination.
	Committed Topic = "committed"
)

// Topics lists every topic.
var Topics = []Topic{Files, Batches, Parsed, Committed}

// Message is one message on the bus.
//
// A message is addressed by Topic, Pipeline and Scope: on NATS the subject is
// filedge.<topic>.<pipeline>[.<scope>]. Key orders and partitions messages on
// buses that partition (Kafka); it may hold any bytes (it is a file's path
// on Files) and comes back exact. ID deduplicates publishes inside the bus's
// dedup window.
type Message struct {
	Topic    Topic
	Pipeline string
	Scope    string // version for Batches, destination for Committed, "" otherwise
	Key      string
	ID       string
	Header   map[string]string
	Data     []byte
}

// Header keys used on messages.
const (
	HeaderType  = "Filedge-Type"  // the message type: a Type* constant
	HeaderTable = "Filedge-Table" // batches: the table the batch belongs to
	HeaderSeq   = "Filedge-Seq"   // batches: sequence number of the batch within its table, from 0
)

// Values of HeaderType.
const (
	TypeFileDiscovered = "file_discovered"
	TypeBatch          = "batch"
	TypeFileParsed     = "file_parsed"
	TypeFileCommitted  = "file_committed"
	// TypeFileParseRetry is a FileParseRetry on a version's batches.
	TypeFileParseRetry = "file_parse_retry"
)

// Bus is a durable message bus. Implementations are safe for concurrent use.
type Bus interface {
	// Publish stores m durably and returns once the bus has acknowledged it.
	// A publish whose ID the bus has already seen inside its dedup window is
	// acknowledged without storing a second copy.
	Publish(ctx context.Context, m *Message) error

	// Consume delivers the messages of one topic and pipeline to h until ctx
	// is cancelled, sharing them among every consumer of the same group, each
	// message to one of them, redelivering any that is not acknowledged in
	// time. It returns ctx.Err() when ctx is cancelled.
	Consume(ctx context.Context, c ConsumerConfig, h Handler) error

	// Read returns a cursor over the messages of one topic, pipeline and
	// scope, in publish order from the first, that waits for messages still
	// to come. It is how a sink streams one file version's batches.
	Read(ctx context.Context, topic Topic, pipeline, scope string) (Cursor, error)

	// KeyValue opens (creating it if needed) a durable key-value bucket.
	KeyValue(ctx context.Context, bucket string) (KeyValue, error)

	// Close releases the bus's connections.
	Close() error
}

// ConsumerConfig configures a group consumer.
type ConsumerConfig struct {
	Topic    Topic
	Pipeline string
	// Scope filters a scoped topic (Committed) to one scope; "" takes every scope.
	Scope string
	// Group names the consumer group; consumers of one group share messages.
	// An empty Group makes a private, non-durable consumer that starts at the
	// first retained message (used by `run --once` to follow outcomes).
	Group string
	// AckWait is how long a delivered message may go without an
	// acknowledgement or an InProgress before it is redelivered.
	AckWait time.Duration
	// MaxDeliver caps deliveries of one message; 0 means no cap.
	MaxDeliver int
	// Concurrency is how many messages are handled at once; 0 means 1.
	Concurrency int
}

// Handler handles one delivery. It must settle the delivery (Ack, Nak or
// Term) before it returns; a delivery it leaves unsettled is redelivered
// after AckWait. An error returned by the handler is logged by the
// implementation and the delivery is Nak'ed.
type Handler func(ctx context.Context, d Delivery) error

// Delivery is one delivered message with the means to settle it.
type Delivery interface {
	Message() *Message
	// NumDelivered is 1 on the first delivery, 2 on the first redelivery...
	NumDelivered() uint64
	// Ack settles the message as done; it is not delivered again.
	Ack(ctx context.Context) error
	// Nak asks for redelivery after delay.
	Nak(ctx context.Context, delay time.Duration) error
	// Term settles the message as never to be delivered again (a permanent failure).
	Term(ctx context.Context) error
	// InProgress resets the ack timer: the handler is still working.
	InProgress(ctx context.Context) error
}

// Cursor reads messages in order. It is not safe for concurrent use.
type Cursor interface {
	// Next returns the next message, waiting for it to be published if
	// needed, until ctx is done.
	Next(ctx context.Context) (*Message, error)
	Close() error
}

// KeyValue is a durable key-value bucket. Keys are made of letters, digits,
// '-', '_', '=' and '.'.
type KeyValue interface {
	// Get returns the value of key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
	// Keys lists every key in the bucket.
	Keys(ctx context.Context) ([]string, error)
}
