// Package sink is the sink stage of one destination: its workers share the
// FileDiscovered events of a pipeline (one consumer group per destination),
// and for each file version they stream the version's record batches from
// the bus, as the parser publishes them, into the destination's Commit,
// which writes the rows and the ledger row in one transaction. Only then do
// they acknowledge the event and publish FileCommitted.
//
// A sink starts on a file as soon as it is discovered, so that the database
// loads while the parser still reads: see docs/adr/0001-pipeline-on-the-bus.md.
// It learns from the bus when the parser's attempt at a file failed (a
// FileParseRetry, or a failed FileParsed) and gives the file back at once.
package sink
