// Package destination is the contract between the sink and the databases
// filedge loads: a Destination commits one file version at a time, its rows
// and its ledger row in one transaction, so that every version lands exactly
// once and atomically. Destinations register themselves by type (see
// Register); pkg/destination/all imports every one of them.
//
// Every implementation passes the conformance suite in
// pkg/destination/destinationtest.
package destination
