// Package destinationtest is the conformance suite every destination passes:
// Run drives a Harness through the guarantees of destination.Destination
// (exactly once per version, newest wins, rows and ledger row together, as
// far as the type's declared Atomicity reaches) and its rules for write
// modes, schema evolution, decimals, naming and archive members (see
// destination.Batches), and, for a type whose Info declares CDC, write mode
// CDC: changes applied by key, files committed in every order converging to
// one table.
//
// The suite reads back only through a Reader, which the destination's test
// package implements in the destination's own terms: the tables, a table's
// columns with their logical types, its rows as normalised Go values (see
// Normalize), and the ledger's rows. Package sqlreader implements it over
// database/sql for SQL databases in a few lines of dialect. No SQL is
// written here, so the same cases run against SQLite, PostgreSQL and
// destinations that are not SQL databases at all.
//
// It also exports the helpers those cases are made of (Batches, File,
// Select, Normalize, Member), for destination-specific tests.
package destinationtest
