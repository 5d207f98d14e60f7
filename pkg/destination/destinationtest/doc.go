// Package destinationtest is the conformance suite every destination passes:
// Run drives a Harness through the exactly-once, atomicity, newest-wins,
// write-mode, schema-evolution, naming and archive-member rules of
// destination.Destination (see destination.Batches), reading the results
// back through database/sql with standard SQL only, so the same assertions
// hold for SQLite and PostgreSQL alike.
//
// It also exports the helpers those tests are made of (Batches, Rows,
// Select, Normalize, Member), for destination-specific tests.
package destinationtest
