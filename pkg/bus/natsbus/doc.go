// Package natsbus implements bus.Bus on NATS JetStream, against an external
// server or cluster (Options.URL) or a server embedded in the process
// (StartEmbedded, then Options.Server).
//
// # Layout on the server
//
// Connect creates (or updates) one stream per topic, shared by every
// pipeline: FILEDGE_FILES, FILEDGE_BATCHES, FILEDGE_PARSED and
// FILEDGE_COMMITTED, on the subjects filedge.<topic>.> . A message's subject
// is filedge.<topic>.<pipeline>[.<scope>]: Batches and Committed messages
// must have a scope (the version, the destination), Files and Parsed
// messages must not; a consumer of a scoped topic may take one scope or,
// with Scope "", all of them. Pipelines and scopes are subject tokens:
// Publish, Consume and Read refuse (ErrInvalidAddress) one that is empty or
// holds '.', '*', '>' or white space. The streams keep messages on disk
// under limits retention (FILEDGE_BATCHES for Options.BatchRetention) and
// deduplicate publishes by message id for two minutes; the dedup id is the
// message's subject and ID together, so equal IDs on different pipelines or
// scopes never collide.
//
// A message's Key travels in the Filedge-Key header; a key that a header
// line cannot carry as it is (a file name with a line break, a tab, a
// leading space or bytes that are not UTF-8) travels quoted by
// bus.QuoteKey, and comes back exact.
//
// A consumer group is a durable pull consumer named
// <group>_<pipeline>[_<scope>]; every process that consumes with the same
// group shares it. A consumer without a group, and every Read cursor, is an
// ordered consumer that lives in the server's memory until it is closed.
//
// Key-value buckets are JetStream key-value buckets (file storage, one
// revision per key).
//
// # The embedded server
//
// StartEmbedded runs the server in the process on a data dir that it locks
// (the file filedge.lock in it, which names the holding process): a second
// process on the same dir is refused with a *LockedError instead of opening
// the same store. JetStream's file store keeps the first write error it
// meets and refuses every later write until it is opened again, so a disk
// that filled up once would stop the bus for good: Embedded notices the
// out-of-space error in the server's log, reports it (EmbeddedOptions.
// OnHealth, Embedded.Err), and restarts the server on the same dir once the
// disk has space again. Connections made with Options.Server follow it.
//
// # Settling deliveries
//
// Ack waits for the server to confirm the acknowledgement (a JetStream
// "double ack"), so a message whose Ack returned nil is not redelivered;
// Nak, Term and InProgress are sent without waiting. Settling does not give
// up because the handler's context is cancelled: a handler that finishes
// its work while the consumer shuts down can still acknowledge it.
package natsbus
