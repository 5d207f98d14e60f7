// Package bus is the contract between filedge's stages: the messages they
// exchange (FileDiscovered, record batches, FileParsed, FileCommitted), how
// a message is addressed, and the Bus interface that NATS JetStream
// (pkg/bus/natsbus) and Kafka (pkg/bus/kafkabus) implement natively.
//
// The contract is written in the weaker bus's terms
// (docs/adr/0003-the-bus-contract.md): a Handler returns an Outcome (Done,
// Retry after a delay, GiveUp with a reason) and the bus turns it into its
// broker's verbs, sending "still working" signs itself while the handler
// runs; order is promised per key (Message.OrderKey); deduplication by
// message id is a declared capability (Capabilities), never relied on:
// correctness rests on the destinations' ledgers, written in the same
// transaction as the rows (docs/adr/0001-pipeline-on-the-bus.md).
//
// What one bus can do and another cannot is an optional interface found by
// type assertion: Pinger (readiness), Tables (durable key-value tables: the
// watcher's state), and on a Config, Embedder (a bus run inside the
// process) and Credentialed. Bus types register themselves (Register) with
// the settings they decode from pipeline.yaml's bus: block; pkg/bus/all
// registers every type filedge ships.
//
// Every implementation passes the conformance suite in pkg/bus/bustest.
package bus
