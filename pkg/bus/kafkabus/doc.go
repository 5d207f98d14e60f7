// Package kafkabus implements bus.Bus on Kafka with franz-go, natively: no
// per-message acknowledgement is emulated (docs/adr/0003-the-bus-contract.md).
//
// # Layout on the brokers
//
// One topic per bus topic, shared by every pipeline: <prefix>.files,
// <prefix>.batches, <prefix>.parsed and <prefix>.committed (prefix
// Options.TopicPrefix, default "filedge"), created when missing with
// Options.Partitions partitions, Options.ReplicationFactor replicas, and
// retention: Options.BatchRetention on batches, none on the others (the
// NATS streams keep them too). A topic that exists with fewer partitions
// than asked for fails Connect (bus.ErrInvalidConfig) instead of being used
// silently. A record's key is Message.Key (exact bytes); its headers are
// the message's, plus Filedge-Bus-Pipeline, Filedge-Bus-Scope and
// Filedge-Bus-Id. A record goes to the partition of the murmur2 hash of its
// order key (bus.Message.OrderKey: the version on batches, the key
// elsewhere), as Kafka's default partitioner places a key, so a version's
// batches, retry notices and trailer share one partition, in order.
//
// # Producing
//
// The producer is idempotent (acks from every in-sync replica, one request
// in flight per broker), so a retried produce is stored once; Publish
// returns once the brokers acknowledged the record. Records are produced
// uncompressed (batches are LZ4-compressed Arrow already). A message whose
// headers, key and data exceed Capabilities().MaxPayload, which the
// topics' max.message.bytes sets, fails with bus.ErrTooLarge; so does one
// the broker refuses as too large.
//
// # Consuming
//
// A group is a Kafka consumer group named
// <prefix>.<topic>.<pipeline>.<group>[.<scope>], one client per Consume
// call, with the cooperative sticky balancer. Records of other pipelines
// (and scopes) are skipped. Handlers run Concurrency at a time across the
// member's partitions; per partition the member keeps its records in
// offset order and commits, every 200 ms and when a partition is revoked,
// the offset after the longest completed prefix: a record completes when
// its handler returns Done or GiveUp. Retry(d) keeps the record in the
// member (its offset held) and runs it again after d, while the records
// behind it are handled; a partition with more than 4096 records waiting
// behind a held one stops fetching until it moves. When a partition is
// revoked, the member waits a few seconds for the handlers still running on
// it, commits, and forgets it; a handler that finishes later has its
// outcome dropped, and the new owner delivers that record again (the
// destinations' ledgers make that harmless). ConsumerConfig.AckWait is the
// group's session timeout, within the broker's
// group.min/max.session.timeout.ms: a member that dies (SIGKILL) loses its
// partitions after it, and every record after its last commit is
// delivered again. The rebalance timeout is the session timeout, at least
// 15 s (the revocation's wait and commit fit in it), so that a rebalance
// waits no longer for a member that died. Delivery.Attempt counts in the
// member.
//
// A consumer without a group (a follower) reads every partition from its
// start position for itself.
//
// # Reading a version: the offset index
//
// When this client publishes the first message of a version on batches
// (the first since it started, or since it published the version's
// trailer), it records the version's partition and offset in the compacted
// topic <prefix>.index, keyed <pipeline>/<version>, before Publish
// returns. Read follows the index topic (once per Bus, in memory), waits
// for the version's entry, and fetches that one partition from that
// offset, handing out the version's records and skipping the others: it
// reads what other versions published to the partition meanwhile, never
// the topic's history.
//
// # Tables
//
// A table is a compacted topic <prefix>.state.<name> of one partition, read
// whole into memory when it is opened; Put and Delete (a tombstone)
// produce and wait for the acknowledgement, then update the copy. A table
// sees what was written before it was opened and its own writes.
//
// # Security and logging
//
// TLS (Options.TLS) and SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
// (Options.SASL); the password comes from the environment (Config's
// settings.Secret) and is never logged. franz-go's log goes to the
// Options.Logger: its errors and warnings as such, the rest at debug.
package kafkabus
