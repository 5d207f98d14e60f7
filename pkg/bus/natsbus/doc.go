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
// <group>_<pipeline>[_<scope>], created at the group's start position
// (bus.Earliest, bus.Latest or a time) and kept there; every process that
// consumes with the same group shares it. A consumer without a group, and
// every Read cursor, is an ordered consumer that lives in the server's
// memory until it is closed.
//
// Tables (bus.Tables) are JetStream key-value buckets (file storage, one
// revision per key); Range watches every key once.
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
// # Outcomes
//
// A handler's outcome becomes a JetStream verb: Done a double ack (the
// server confirms it, so a message whose Done was applied is not
// redelivered), Retry(d) a Nak with delay d, GiveUp a Term (the reason is
// logged; servers before v2.10 take "+TERM reason" for a Nak). While a
// handler runs, the bus sends InProgress every third of AckWait, so a long
// file stays with its worker; a process that dies stops sending it, and
// the message goes to another member after AckWait. The outcome is applied
// even when the consumer's context was cancelled while the handler ran: a
// handler that finishes its work during a shutdown does not see it
// repeated. Delivery.Attempt is the server's delivery count, shared by the
// members of a group.
package natsbus
