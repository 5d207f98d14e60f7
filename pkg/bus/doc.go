// Package bus is the contract between filedge's stages: the messages they
// exchange (FileDiscovered, record batches, FileParsed, FileCommitted), how a
// message is addressed, and the Bus interface that NATS JetStream
// (pkg/bus/natsbus) and later Kafka implement.
//
// The bus is the only thing the stages share. Deduplication by message id is
// an optimisation: correctness rests on the destinations' ledgers, written in
// the same transaction as the rows (see docs/adr/0001-pipeline-on-the-bus.md).
//
// Every implementation passes the conformance suite in pkg/bus/bustest.
package bus
