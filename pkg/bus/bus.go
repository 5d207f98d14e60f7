package bus

import (
	"context"
	"time"
)

// Topic names one kind of message on the bus.
type Topic string

const (
	// Files carries FileDiscovered, one per file version, ordered by path
	// (the key). Parsers share it as one group; every destination's sinks
	// share it as another.
	Files Topic = "files"
	// Batches carries the record batches of file versions, each version in
	// its own scope, closed by a copy of its FileParsed marker (the
	// trailer). A scope may also hold FileParseRetry notices of failed
	// attempts. A scope's messages are ordered.
	Batches Topic = "batches"
	// Parsed carries FileParsed, one per parsed (or failed) file version,
	// ordered by version (the key).
	Parsed Topic = "parsed"
	// Committed carries FileCommitted, one per file version and destination,
	// scoped by destination, ordered by version (the key).
	Committed Topic = "committed"
)

// Topics lists every topic.
var Topics = []Topic{Files, Batches, Parsed, Committed}

// Message is one message on the bus.
//
// A message is addressed by Topic, Pipeline and Scope (see CheckAddress):
// on NATS the subject is filedge.<topic>.<pipeline>[.<scope>]; on Kafka the
// topic is shared by every pipeline and the address travels in headers.
// Key orders messages (see OrderKey) and may hold any bytes (it is a file's
// path on Files); it comes back exact. ID identifies the message for buses
// that deduplicate publishes (Capabilities.Dedup).
type Message struct {
	Topic    Topic
	Pipeline string
	Scope    string // version for Batches, destination for Committed, "" otherwise
	Key      string
	ID       string
	Header   map[string]string
	Data     []byte
}

// OrderKey returns what m is ordered by: its scope on Batches (a version's
// batches, notices and trailer), its key elsewhere. Messages with the same
// order key reach a consumer in publish order; on Kafka they share a
// partition.
func (m *Message) OrderKey() string {
	if m.Topic == Batches {
		return m.Scope
	}
	return m.Key
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

// Bus is a durable message bus, written in the terms of the weaker bus
// (Kafka): a handler returns an outcome instead of settling a message,
// order is promised per key, deduplication is a capability. See
// docs/adr/0003-the-bus-contract.md. Implementations are safe for
// concurrent use.
type Bus interface {
	// Publish stores m durably and returns once the bus has acknowledged
	// it. A message larger than Capabilities().MaxPayload fails with an
	// error wrapping ErrTooLarge.
	Publish(ctx context.Context, m *Message) error

	// Consume delivers the messages of one topic and pipeline to h until
	// ctx is cancelled, then waits for the handlers still running and
	// returns ctx.Err(). The members of one group share the messages, each
	// message going to one of them at a time, and a message comes back
	// until a handler says it is done or gives it up; each group gets
	// every message. Without a group the caller follows the topic alone.
	Consume(ctx context.Context, c ConsumerConfig, h Handler) error

	// Read returns a cursor over the Batches of one file version (its
	// scope) in publish order, that waits for messages still to come. It
	// is how a sink streams a version's batches while the parser still
	// publishes them; it reads no other version's data but what the bus
	// interleaves with it (on Kafka, what other versions published to the
	// same partition meanwhile).
	Read(ctx context.Context, pipeline, version string) (Cursor, error)

	// Capabilities says what the bus does beyond this contract.
	Capabilities() Capabilities

	// Close releases the bus's connections. Operations after Close fail
	// with ErrClosed. It is idempotent.
	Close() error
}

// Capabilities describes what a bus does beyond the contract, and its
// limits. Nothing in filedge relies on Dedup for correctness: the
// destinations' ledgers are the correctness mechanism (ADR 0001).
type Capabilities struct {
	// Dedup: a publish whose ID the bus has seen on the same address within
	// DedupWindow is acknowledged without storing a second copy.
	Dedup       bool
	DedupWindow time.Duration
	// SharedAttempts: Delivery.Attempt counts the deliveries to every member
	// of a group (NATS: the server counts). Otherwise the member holding a
	// message counts, and a message that moves to another member starts at
	// 1 again.
	SharedAttempts bool
	// MaxPayload is the largest message, headers and key included, that
	// Publish accepts, in bytes. Producers size what they publish below it.
	MaxPayload int
}

// ConsumerConfig configures a consumer.
type ConsumerConfig struct {
	Topic    Topic
	Pipeline string
	// Scope filters a scoped topic (Committed) to one scope; "" takes every
	// scope.
	Scope string
	// Group names the consumer group; consumers of one group share the
	// messages. An empty Group makes a follower: it gets every message
	// once, from Start, for itself, and its handler's outcomes are not
	// acted on (used by `run --once` to follow outcomes).
	Group string
	// AckWait is how long a message held by a member that stopped giving
	// signs of life (a crashed process) waits before it goes to another
	// member: the ack wait on NATS, the session timeout on Kafka (within
	// the broker's bounds). While a handler runs, the bus itself tells the
	// broker it is still working. Default 30s.
	AckWait time.Duration
	// Concurrency is how many messages are handled at once; 0 means 1.
	Concurrency int
	// Start is where a new group or a follower begins; a group that has
	// consumed before resumes where it stopped. The zero value is Earliest.
	Start Start
}

// Start is where a consumer begins: Earliest, Latest or StartAt(t).
type Start struct {
	latest bool
	at     time.Time
}

var (
	// Earliest starts at the first retained message (the zero Start).
	Earliest = Start{}
	// Latest starts with the messages published from now on.
	Latest = Start{latest: true}
)

// StartAt starts at the first message published at or after t.
func StartAt(t time.Time) Start { return Start{at: t} }

// IsLatest reports whether s is Latest.
func (s Start) IsLatest() bool { return s.latest }

// Time returns the time of a StartAt, and false for Earliest and Latest.
func (s Start) Time() (time.Time, bool) { return s.at, !s.latest && !s.at.IsZero() }

func (s Start) String() string {
	if t, ok := s.Time(); ok {
		return "at " + t.Format(time.RFC3339Nano)
	}
	if s.latest {
		return "latest"
	}
	return "earliest"
}

// Handler handles one delivery and says what became of it. It must not
// keep d after it returns. A handler that panics is recovered and its
// message retried (see Call).
type Handler func(ctx context.Context, d *Delivery) Outcome

// Delivery is one delivered message.
type Delivery struct {
	Message *Message
	// Attempt is 1 on the first delivery of the message to the group, 2 on
	// the next... (see Capabilities.SharedAttempts). Always 1 for a
	// follower.
	Attempt int
}

// Cursor reads messages in order. It is not safe for concurrent use.
type Cursor interface {
	// Next returns the next message, waiting for it to be published if
	// needed, until ctx is done: then it returns ctx.Err() and the cursor
	// stays usable.
	Next(ctx context.Context) (*Message, error)
	// Close releases the cursor; Next then fails with ErrClosed. It is
	// idempotent.
	Close() error
}

// Backoff is the redelivery delay after the n-th failed attempt at a
// message: 1s, 2s, 4s ... capped at 5 minutes.
func Backoff(n int) time.Duration {
	if n <= 1 {
		return time.Second
	}
	if n > 10 {
		return 5 * time.Minute
	}
	return min(time.Second<<(n-1), 5*time.Minute)
}
