// Package membus is an in-memory bus.Bus for fast unit tests of the
// services. It keeps NATS JetStream's semantics (see pkg/bus/natsbus):
// messages are retained in publish order per topic; the members of a group
// share them, each message going to one member and coming back after a
// Retry or, when the member holding it is closed without an outcome (a
// crash), after AckWait; while a handler runs its message's lease is
// renewed; a publish with an ID already seen on the same address within the
// dedup window is not stored twice; Read cursors wait for messages still to
// come; tables keep one value per key. It passes the same conformance suite
// (pkg/bus/bustest).
//
// A Broker holds the state; each Connect returns an independent client
// (a *Bus) of it, so that a test can run several "processes" against one
// broker. Nothing is persisted.
package membus
