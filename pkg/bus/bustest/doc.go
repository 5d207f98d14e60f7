// Package bustest is the conformance suite of bus.Bus: every
// implementation (membus, natsbus, kafkabus) runs Run in its tests, so that
// the services can rely on one set of semantics whatever the bus.
//
// The suite proves publish and consume round trips, keys of any bytes,
// sharing within a consumer group and fan-out across groups, the outcomes a
// handler returns (Done, Retry after a delay, GiveUp), that a retried
// message does not hold up the messages behind it, that a message held by
// a member that dies goes to another member, that a handler running past
// AckWait is not redelivered (the bus sends the signs of life), recovery
// from a handler's panic, draining on cancel, order per key, followers,
// start positions (earliest, latest, a time), ordered Read cursors over one
// version (opened before or after its messages), tables, concurrent
// publishers, and errors for cancelled contexts, invalid addresses, closed
// buses and messages over the bus's limit (bus.ErrTooLarge).
//
// Cases that depend on what a bus declares run only when it declares it
// (bus.Capabilities: Dedup, SharedAttempts; the bus.Tables ability).
// Addresses follow the contract (bus.CheckAddress): pipelines and scopes
// are tokens; Batches and Committed messages have a scope, Files and Parsed
// messages none.
//
// An implementation's test calls Run with a Harness:
//
//	func TestConformance(t *testing.T) {
//		bustest.Run(t, bustest.Harness{
//			New: func(t *testing.T) func(t *testing.T) bus.Bus {
//				br := membus.NewBroker(membus.Options{})
//				return func(*testing.T) bus.Bus { return br.Connect() }
//			},
//		})
//	}
package bustest
