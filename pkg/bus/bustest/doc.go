// Package bustest is the conformance suite of bus.Bus: every
// implementation (natsbus, membus, later kafkabus) runs Run in its tests,
// so that the services can rely on one set of semantics whatever the bus.
//
// The suite proves publish and consume round trips, dedup by message id,
// sharing within a consumer group and fan-out across groups, redelivery
// after Nak, handler failure, panic or AckWait, Term and InProgress,
// MaxDeliver, draining on cancel, ungrouped followers, ordered Read
// cursors, key-value buckets, concurrent publishers, and errors for
// cancelled contexts, invalid addresses, closed buses and messages over the
// bus's limit (bus.ErrTooLarge). Addresses follow NATS: pipelines and scopes are subject tokens (non-empty, no '.', '*',
// '>' or white space); Batches and Committed messages have a scope, Files
// and Parsed messages none.
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
//
// Delivery is a fake delivery for testing a handler on its own: it records
// how the handler settled it.
package bustest
