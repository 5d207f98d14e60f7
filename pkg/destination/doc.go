// Package destination is the contract between the sink and the databases
// filedge loads: a Destination commits one file version at a time and
// promises three things of it (see Destination.Commit): exactly once per
// version, newest wins, and its rows visible together with its ledger row,
// across all of the file's tables or table by table as its Info.Atomicity
// declares.
//
// A destination type is one package that registers an Info from init (see
// Register): its type name and aliases, its Atomicity, and Decode, which
// reads the type's own keys from its block of pipeline.yaml into the type's
// settings struct (pkg/settings) and returns it as a Config, the factory
// that opens the destination. pkg/config reads only the pipeline's keys of
// a destination (name, type, write_mode, cdc) and hands the rest of the block to
// Decode; pkg/destination/all imports every type for cmd/filedge.
//
// A type that declares CDC in its Info applies files with WriteMode CDC:
// each row a change to the row of its key, the newest change winning
// whatever the order of commits (CDCSpec, TombstoneTable; ADR 0005).
//
// Every implementation passes the conformance suite in
// pkg/destination/destinationtest.
package destination
